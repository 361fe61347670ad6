#include "support/stub_dns_server.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>

namespace hookd::testing {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kTypeAaaa = 28;
constexpr uint16_t kRcodeServfail = 2;
constexpr uint16_t kRcodeNxdomain = 3;

std::string normalised(std::string_view name) {
  std::string out(name);
  if (!out.empty() && out.back() == '.') out.pop_back();
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

void put16(std::string& out, uint16_t v) {
  out.push_back(static_cast<char>(v >> 8));
  out.push_back(static_cast<char>(v & 0xff));
}

void put32(std::string& out, uint32_t v) {
  put16(out, static_cast<uint16_t>(v >> 16));
  put16(out, static_cast<uint16_t>(v & 0xffff));
}

uint16_t get16(std::string_view in, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(in[at]) << 8) |
                               static_cast<uint8_t>(in[at + 1]));
}

}  // namespace

StubDnsServer::StubDnsServer() {
  socket_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (socket_ < 0) throw std::runtime_error("stub dns: socket failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  if (::bind(socket_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(socket_);
    throw std::runtime_error("stub dns: bind failed");
  }
  socklen_t length = sizeof(address);
  if (::getsockname(socket_, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(socket_);
    throw std::runtime_error("stub dns: getsockname failed");
  }
  port_ = ntohs(address.sin_port);
  stop_fd_ = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (stop_fd_ < 0) {
    ::close(socket_);
    throw std::runtime_error("stub dns: eventfd failed");
  }
  thread_ = std::thread([this] { run(); });
}

StubDnsServer::~StubDnsServer() {
  const uint64_t one = 1;
  [[maybe_unused]] const auto written = ::write(stop_fd_, &one, sizeof(one));
  thread_.join();
  ::close(stop_fd_);
  ::close(socket_);
}

std::string StubDnsServer::address() const { return "127.0.0.1:" + std::to_string(port_); }

void StubDnsServer::answer(std::string_view name, std::vector<std::string> addresses,
                           uint32_t ttl_seconds) {
  std::lock_guard lock(mutex_);
  names_[normalised(name)] = Entry{Behaviour::kAnswer, std::move(addresses), ttl_seconds};
}

void StubDnsServer::never_answer(std::string_view name) {
  std::lock_guard lock(mutex_);
  names_[normalised(name)] = Entry{Behaviour::kNever, {}, 0};
}

void StubDnsServer::servfail(std::string_view name) {
  std::lock_guard lock(mutex_);
  names_[normalised(name)] = Entry{Behaviour::kServfail, {}, 0};
}

void StubDnsServer::forget(std::string_view name) {
  std::lock_guard lock(mutex_);
  names_.erase(normalised(name));
}

size_t StubDnsServer::queries(std::string_view name) const {
  std::lock_guard lock(mutex_);
  const auto it = counts_.find(normalised(name));
  return it == counts_.end() ? 0 : it->second;
}

size_t StubDnsServer::queries() const {
  std::lock_guard lock(mutex_);
  return total_;
}

void StubDnsServer::run() {
  char buffer[1500];
  while (true) {
    pollfd fds[2] = {{socket_, POLLIN, 0}, {stop_fd_, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents) return;
    if (!(fds[0].revents & POLLIN)) continue;
    sockaddr_in from{};
    socklen_t from_length = sizeof(from);
    const ssize_t n = ::recvfrom(socket_, buffer, sizeof(buffer), 0,
                                 reinterpret_cast<sockaddr*>(&from), &from_length);
    if (n <= 0) continue;
    const std::string reply = reply_to(std::string_view(buffer, static_cast<size_t>(n)));
    if (reply.empty()) continue;
    ::sendto(socket_, reply.data(), reply.size(), 0, reinterpret_cast<sockaddr*>(&from),
             from_length);
  }
}

std::string StubDnsServer::reply_to(std::string_view query) {
  if (query.size() < 12 || get16(query, 4) != 1) return {};
  // The question: labels up to the root, then type and class.
  std::string name;
  size_t at = 12;
  while (at < query.size() && query[at] != 0) {
    const auto length = static_cast<uint8_t>(query[at]);
    if (length > 63 || at + 1 + length >= query.size()) return {};
    if (!name.empty()) name += '.';
    name.append(query.substr(at + 1, length));
    at += 1 + length;
  }
  if (at + 5 > query.size()) return {};
  const uint16_t type = get16(query, at + 1);
  const size_t question_end = at + 5;
  name = normalised(name);

  Entry entry;
  bool known = false;
  {
    std::lock_guard lock(mutex_);
    ++total_;
    ++counts_[name];
    if (auto it = names_.find(name); it != names_.end()) {
      entry = it->second;
      known = true;
    }
  }
  if (known && entry.behaviour == Behaviour::kNever) return {};

  uint16_t rcode = 0;
  if (!known) rcode = kRcodeNxdomain;
  if (known && entry.behaviour == Behaviour::kServfail) rcode = kRcodeServfail;
  std::vector<std::string> records;
  if (rcode == 0) {
    for (const std::string& text : entry.addresses) {
      unsigned char bytes[16];
      if (type == kTypeA && inet_pton(AF_INET, text.c_str(), bytes) == 1) {
        records.emplace_back(reinterpret_cast<char*>(bytes), 4);
      } else if (type == kTypeAaaa && inet_pton(AF_INET6, text.c_str(), bytes) == 1) {
        records.emplace_back(reinterpret_cast<char*>(bytes), 16);
      }
    }
  }

  std::string out;
  out.append(query.substr(0, 2));  // id
  put16(out, static_cast<uint16_t>(0x8000 | (get16(query, 2) & 0x0100) | 0x0080 | rcode));
  put16(out, 1);                                      // questions
  put16(out, static_cast<uint16_t>(records.size()));  // answers
  put16(out, 0);
  put16(out, 0);
  out.append(query.substr(12, question_end - 12));
  for (const std::string& rdata : records) {
    put16(out, 0xc00c);  // the name, as a pointer to the question's
    put16(out, type);
    put16(out, 1);  // IN
    put32(out, entry.ttl);
    put16(out, static_cast<uint16_t>(rdata.size()));
    out += rdata;
  }
  return out;
}

}  // namespace hookd::testing
