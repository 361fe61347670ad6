#include "delivery/resolver.hpp"

#include <ares.h>
#include <arpa/inet.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <limits>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <unordered_map>

#include "common/log.hpp"

namespace hookd::delivery {
namespace {

using Steady = std::chrono::steady_clock;

// The longest name DNS can carry (RFC 1035, 255 octets on the wire).
constexpr size_t kMaxNameLength = 253;

std::string to_lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// "2s", or "1500ms" when not a whole number of seconds.
std::string duration_text(std::chrono::milliseconds d) {
  if (d.count() % 1000 == 0) return std::to_string(d.count() / 1000) + "s";
  return std::to_string(d.count()) + "ms";
}

Resolution failure(ResolveError error, std::string detail) {
  Resolution r;
  r.error = error;
  r.detail = std::move(detail);
  return r;
}

void initialise_library() {
  static std::once_flag once;
  std::call_once(once, [] {
    const int status = ares_library_init(ARES_LIB_INIT_ALL);
    if (status != ARES_SUCCESS) {
      throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
    }
  });
}

}  // namespace

void fail_lookup(domain::AttemptResult& result, std::string_view host,
                 const Resolution& resolution) {
  result.fail(domain::AttemptError::kDns, std::string(host) + " " + resolution.detail);
}

std::optional<std::pair<security::IpAddress, uint16_t>> parse_name_server(std::string_view text) {
  std::string_view address = text;
  std::string_view port_text;
  if (text.starts_with('[')) {
    const size_t close = text.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    address = text.substr(1, close - 1);
    const std::string_view rest = text.substr(close + 1);
    if (!rest.empty()) {
      if (!rest.starts_with(':')) return std::nullopt;
      port_text = rest.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else if (std::count(text.begin(), text.end(), ':') == 1) {
    const size_t colon = text.find(':');
    address = text.substr(0, colon);
    port_text = text.substr(colon + 1);
    if (port_text.empty()) return std::nullopt;
  }
  const auto ip = security::IpAddress::parse_strict(address);
  if (!ip) return std::nullopt;
  uint16_t port = 53;
  if (!port_text.empty()) {
    unsigned value = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), value);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || value < 1 ||
        value > 65535) {
      return std::nullopt;
    }
    port = static_cast<uint16_t>(value);
  }
  return std::make_pair(*ip, port);
}

class AresResolver::Impl {
 public:
  Impl(ResolverOptions options, const Clock& clock) : options_(std::move(options)), clock_(clock) {
    initialise_library();
    // c-ares retries on its own within our deadline: a first try, then one at twice the wait.
    ares_options opts{};
    int mask = ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES;
    opts.timeout = static_cast<int>(std::max<int64_t>(options_.timeout.count() / 3, 50));
    opts.tries = 2;
    char lookups[] = "b";
    if (!options_.servers.empty()) {
      // Servers named in the configuration answer alone: no hosts file, no search domains.
      mask |= ARES_OPT_LOOKUPS | ARES_OPT_DOMAINS;
      opts.lookups = lookups;
      opts.domains = nullptr;
      opts.ndomains = 0;
    }
    int status = ares_init_options(&channel_, &opts, mask);
    if (status != ARES_SUCCESS) {
      throw std::runtime_error(std::string("c-ares: ") + ares_strerror(status));
    }
    if (!options_.servers.empty()) {
      std::vector<ares_addr_port_node> nodes(options_.servers.size());
      for (size_t i = 0; i < options_.servers.size(); ++i) {
        const auto server = parse_name_server(options_.servers[i]);
        if (!server) {
          ares_destroy(channel_);
          throw std::runtime_error("\"" + options_.servers[i] + "\" is no name server address");
        }
        ares_addr_port_node& node = nodes[i];
        node.next = i + 1 < nodes.size() ? &nodes[i + 1] : nullptr;
        const auto bytes = server->first.bytes();
        if (server->first.is_v4()) {
          node.family = AF_INET;
          std::memcpy(&node.addr.addr4, bytes.data(), bytes.size());
        } else {
          node.family = AF_INET6;
          std::memcpy(&node.addr.addr6, bytes.data(), bytes.size());
        }
        node.udp_port = server->second;
        node.tcp_port = server->second;
      }
      status = ares_set_servers_ports(channel_, nodes.data());
      if (status != ARES_SUCCESS) {
        ares_destroy(channel_);
        throw std::runtime_error(std::string("c-ares servers: ") + ares_strerror(status));
      }
    }
    wake_fd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake_fd_ < 0) {
      ares_destroy(channel_);
      throw std::runtime_error("eventfd failed");
    }
    thread_ = std::thread([this] { run(); });
  }

  ~Impl() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    signal();
    thread_.join();
    close(wake_fd_);
  }

  void resolve(std::string_view host_text, Callback callback) {
    std::string host = to_lower(host_text);
    if (!host.empty() && host.back() == '.') host.pop_back();  // one name, one cache entry
    if (const auto ip = security::IpAddress::parse_strict(host)) {
      Resolution r;
      r.addresses.push_back(*ip);
      return callback(std::move(r));
    }
    if (host.empty() || host.size() > kMaxNameLength) {
      return callback(failure(ResolveError::kFailed, "is no valid host name"));
    }
    {
      std::unique_lock lock(mutex_);
      if (auto cached = lookup_cache(host)) {
        lock.unlock();
        return callback(std::move(*cached));
      }
      if (stopping_) {
        lock.unlock();
        return callback(failure(ResolveError::kFailed, "was not looked up: shutting down"));
      }
      if (requests_.size() >= options_.max_pending) {
        lock.unlock();
        return callback(failure(ResolveError::kOverloaded,
                                "was not looked up: too many names are being resolved"));
      }
      requests_.push_back(Request{std::move(host), std::move(callback)});
    }
    signal();
  }

 private:
  struct Request {
    std::string host;
    Callback callback;
  };
  struct Pending {
    uint64_t id = 0;
    Steady::time_point deadline;
    std::vector<Callback> waiters;
  };
  // What c-ares carries back to its callback.
  struct Query {
    Impl* impl;
    std::string host;
    uint64_t id;
  };
  struct CacheEntry {
    Resolution resolution;
    TimePoint expires;
  };
  using Ready = std::vector<std::pair<Callback, Resolution>>;

  void signal() {
    const uint64_t one = 1;
    // A full counter already wakes the loop, so a failed write loses nothing.
    [[maybe_unused]] const auto written = write(wake_fd_, &one, sizeof(one));
  }

  // Under mutex_.
  std::optional<Resolution> lookup_cache(const std::string& host) {
    const auto it = cache_.find(host);
    if (it == cache_.end()) return std::nullopt;
    if (it->second.expires <= clock_.now()) return std::nullopt;
    return it->second.resolution;
  }

  // Under mutex_. Keeps at most max_cache_entries, dropping the soonest to expire first.
  void store_in_cache(const std::string& host, const Resolution& resolution,
                      std::chrono::milliseconds ttl) {
    if (options_.max_cache_entries == 0) return;
    const TimePoint expires = clock_.now() + ttl;
    if (auto it = cache_.find(host); it != cache_.end()) {
      erase_expiry(host, it->second.expires);
      cache_.erase(it);
    }
    while (cache_.size() >= options_.max_cache_entries && !expiries_.empty()) {
      cache_.erase(expiries_.begin()->second);
      expiries_.erase(expiries_.begin());
    }
    cache_.emplace(host, CacheEntry{resolution, expires});
    expiries_.emplace(expires, host);
  }

  void erase_expiry(const std::string& host, TimePoint expires) {
    auto [first, last] = expiries_.equal_range(expires);
    for (auto it = first; it != last; ++it) {
      if (it->second == host) {
        expiries_.erase(it);
        return;
      }
    }
  }

  // On the thread: the answer for a pending name reaches all that wait for it, and the cache.
  void finish(const std::string& host, Resolution resolution, std::chrono::milliseconds ttl,
              Ready& ready) {
    const auto it = pending_.find(host);
    if (it == pending_.end()) return;
    {
      std::lock_guard lock(mutex_);
      store_in_cache(host, resolution, ttl);
    }
    for (Callback& waiter : it->second.waiters) ready.emplace_back(std::move(waiter), resolution);
    pending_.erase(it);
  }

  static void on_answer(void* arg, int status, int /*timeouts*/, ares_addrinfo* result) {
    std::unique_ptr<Query> query(static_cast<Query*>(arg));
    Impl& self = *query->impl;
    const auto it = self.pending_.find(query->host);
    // A lookup that timed out before c-ares gave up has had its answer already.
    const bool current = it != self.pending_.end() && it->second.id == query->id;
    if (current) self.answer(query->host, status, result);
    if (result) ares_freeaddrinfo(result);
  }

  void answer(const std::string& host, int status, const ares_addrinfo* result) {
    Ready& ready = *ready_;
    if (status == ARES_SUCCESS && result) {
      Resolution r;
      int ttl_seconds = std::numeric_limits<int>::max();
      for (const ares_addrinfo_node* node = result->nodes; node; node = node->ai_next) {
        if (auto ip = security::IpAddress::from_sockaddr(node->ai_addr)) {
          if (std::find(r.addresses.begin(), r.addresses.end(), *ip) == r.addresses.end()) {
            r.addresses.push_back(*ip);
          }
          ttl_seconds = std::min(ttl_seconds, std::max(node->ai_ttl, 0));
        }
      }
      if (!r.addresses.empty()) {
        const auto ttl = std::clamp(std::chrono::milliseconds(int64_t{ttl_seconds} * 1000),
                                    options_.min_ttl, options_.max_ttl);
        return finish(host, std::move(r), ttl, ready);
      }
      status = ARES_ENODATA;
    }
    Resolution r;
    switch (status) {
      case ARES_ENOTFOUND:
      case ARES_ENODATA:
        r = failure(ResolveError::kNotFound, "does not resolve (no such name, or no address)");
        break;
      // c-ares reports servers that all answered SERVFAIL or REFUSED as ECONNREFUSED.
      case ARES_ESERVFAIL:
      case ARES_EREFUSED:
      case ARES_ECONNREFUSED:
        r = failure(ResolveError::kServerFailure,
                    "did not resolve: the name servers failed (SERVFAIL, REFUSED or unreachable)");
        break;
      case ARES_ETIMEOUT:
        r = failure(ResolveError::kTimeout,
                    "did not resolve within " + duration_text(options_.timeout));
        break;
      default:
        r = failure(ResolveError::kFailed,
                    std::string("did not resolve: ") + ares_strerror(status));
        break;
    }
    finish(host, std::move(r), options_.negative_ttl, ready);
  }

  void start_queries(std::vector<Request> requests, Ready& ready) {
    for (Request& request : requests) {
      if (auto it = pending_.find(request.host); it != pending_.end()) {
        it->second.waiters.push_back(std::move(request.callback));
        continue;
      }
      {
        std::unique_lock lock(mutex_);
        // Answered while this request waited in the queue.
        if (auto cached = lookup_cache(request.host)) {
          lock.unlock();
          ready.emplace_back(std::move(request.callback), std::move(*cached));
          continue;
        }
      }
      if (pending_.size() >= options_.max_pending) {
        ready.emplace_back(std::move(request.callback),
                           failure(ResolveError::kOverloaded,
                                   "was not looked up: too many names are being resolved"));
        continue;
      }
      const uint64_t id = ++next_id_;
      Pending& p = pending_[request.host];
      p.id = id;
      p.deadline = Steady::now() + options_.timeout;
      p.waiters.push_back(std::move(request.callback));
      ares_addrinfo_hints hints{};
      hints.ai_family = AF_UNSPEC;
      hints.ai_socktype = SOCK_STREAM;
      // Sorted by RFC 6724, as getaddrinfo does: the first address is one this host can reach
      // (no IPv6 address first on a host without IPv6).
      auto* query = new Query{this, request.host, id};
      // c-ares may answer at once (a malformed name), which finish() handles like any answer.
      ares_getaddrinfo(channel_, request.host.c_str(), nullptr, &hints, &Impl::on_answer, query);
    }
  }

  // Lookups past their deadline fail, whatever c-ares still tries.
  void expire(Ready& ready) {
    const auto now = Steady::now();
    std::vector<std::string> late;
    for (const auto& [host, p] : pending_) {
      if (p.deadline <= now) late.push_back(host);
    }
    for (const std::string& host : late) {
      finish(host,
             failure(ResolveError::kTimeout,
                     "did not resolve within " + duration_text(options_.timeout)),
             options_.negative_ttl, ready);
    }
  }

  int poll_timeout_ms() {
    auto wait = std::chrono::milliseconds(1000);
    const auto now = Steady::now();
    for (const auto& entry : pending_) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(entry.second.deadline - now);
      wait = std::min(wait, std::max(left, std::chrono::milliseconds(0)));
    }
    timeval max{};
    max.tv_sec = wait.count() / 1000;
    max.tv_usec = (wait.count() % 1000) * 1000;
    timeval tv{};
    const timeval* t = ares_timeout(channel_, &max, &tv);
    return static_cast<int>(t->tv_sec * 1000 + (t->tv_usec + 999) / 1000);
  }

  void run() {
    while (true) {
      Ready ready;
      ready_ = &ready;
      std::vector<Request> requests;
      bool stopping = false;
      {
        std::lock_guard lock(mutex_);
        requests.swap(requests_);
        stopping = stopping_;
      }
      if (stopping) {
        // Everyone still waiting hears that no answer will come.
        for (Request& r : requests) {
          ready.emplace_back(std::move(r.callback),
                             failure(ResolveError::kFailed, "was not looked up: shutting down"));
        }
        for (auto& [host, p] : pending_) {
          for (Callback& waiter : p.waiters) {
            ready.emplace_back(std::move(waiter),
                               failure(ResolveError::kFailed, "was not looked up: shutting down"));
          }
        }
        pending_.clear();
        ares_destroy(channel_);  // runs on_answer for each query, which finds nothing pending
        for (auto& [callback, resolution] : ready) callback(std::move(resolution));
        return;
      }
      start_queries(std::move(requests), ready);

      ares_socket_t sockets[ARES_GETSOCK_MAXNUM];
      const int bits = ares_getsock(channel_, sockets, ARES_GETSOCK_MAXNUM);
      std::vector<pollfd> fds;
      fds.push_back(pollfd{wake_fd_, POLLIN, 0});
      for (int i = 0; i < ARES_GETSOCK_MAXNUM; ++i) {
        short events = 0;
        if (ARES_GETSOCK_READABLE(bits, i)) events |= POLLIN;
        if (ARES_GETSOCK_WRITABLE(bits, i)) events |= POLLOUT;
        if (events) fds.push_back(pollfd{sockets[i], events, 0});
      }
      const int timeout = ready.empty() ? poll_timeout_ms() : 0;
      const int n = poll(fds.data(), fds.size(), timeout);
      if (n < 0 && errno != EINTR) log::error("resolver poll failed", {{"errno", errno}});
      if (fds[0].revents & POLLIN) {
        uint64_t count = 0;
        [[maybe_unused]] const auto read_bytes = read(wake_fd_, &count, sizeof(count));
      }
      bool any = false;
      for (size_t i = 1; i < fds.size(); ++i) {
        if (!fds[i].revents) continue;
        any = true;
        const bool readable = fds[i].revents & (POLLIN | POLLERR | POLLHUP);
        const bool writable = fds[i].revents & POLLOUT;
        ares_process_fd(channel_, readable ? fds[i].fd : ARES_SOCKET_BAD,
                        writable ? fds[i].fd : ARES_SOCKET_BAD);
      }
      // c-ares handles its own retransmits and timeouts when called without a socket.
      if (!any) ares_process_fd(channel_, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
      expire(ready);
      ready_ = nullptr;
      for (auto& [callback, resolution] : ready) callback(std::move(resolution));
    }
  }

  const ResolverOptions options_;
  const Clock& clock_;
  ares_channel channel_ = nullptr;
  int wake_fd_ = -1;

  std::mutex mutex_;  // guards requests_, stopping_ and the cache
  std::vector<Request> requests_;
  bool stopping_ = false;
  std::unordered_map<std::string, CacheEntry> cache_;
  std::multimap<TimePoint, std::string> expiries_;

  // The thread's own.
  std::unordered_map<std::string, Pending> pending_;
  uint64_t next_id_ = 0;
  Ready* ready_ = nullptr;  // where on_answer puts the callbacks to run after processing

  std::thread thread_;
};

AresResolver::AresResolver(ResolverOptions options, const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), clock)) {}

AresResolver::~AresResolver() = default;

void AresResolver::resolve(std::string_view host, Callback callback) {
  impl_->resolve(host, std::move(callback));
}

}  // namespace hookd::delivery
