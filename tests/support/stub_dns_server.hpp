#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace hookd::testing {

// A DNS server for tests: UDP on 127.0.0.1, port 0, on a thread of its own. Each name either
// has A (and AAAA) records with a TTL, or is never answered, or is answered SERVFAIL; every
// other name is NXDOMAIN. Counts the queries it receives.
class StubDnsServer {
 public:
  StubDnsServer();
  ~StubDnsServer();
  StubDnsServer(const StubDnsServer&) = delete;
  StubDnsServer& operator=(const StubDnsServer&) = delete;

  uint16_t port() const { return port_; }
  // "127.0.0.1:PORT", as delivery.dns_servers takes it.
  std::string address() const;

  // Names are matched without case and without a trailing dot.
  void answer(std::string_view name, std::vector<std::string> addresses, uint32_t ttl_seconds = 60);
  void never_answer(std::string_view name);
  void servfail(std::string_view name);
  // Back to NXDOMAIN.
  void forget(std::string_view name);

  // Queries received for `name` (A and AAAA each count), or for every name.
  size_t queries(std::string_view name) const;
  size_t queries() const;

 private:
  enum class Behaviour { kAnswer, kNever, kServfail };
  struct Entry {
    Behaviour behaviour = Behaviour::kAnswer;
    std::vector<std::string> addresses;
    uint32_t ttl = 60;
  };
  void run();
  // The reply to one datagram; empty when there is to be none.
  std::string reply_to(std::string_view query);

  int socket_ = -1;
  int stop_fd_ = -1;
  uint16_t port_ = 0;
  mutable std::mutex mutex_;
  std::map<std::string, Entry> names_;
  std::map<std::string, size_t> counts_;
  size_t total_ = 0;
  std::thread thread_;
};

}  // namespace hookd::testing
