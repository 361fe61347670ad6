#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "domain/delivery.hpp"
#include "security/ip_address.hpp"

namespace hookd::delivery {

enum class ResolveError {
  kNone,
  kNotFound,       // NXDOMAIN, or the name has no A or AAAA record
  kServerFailure,  // SERVFAIL or REFUSED from every server asked
  kTimeout,        // no answer within the resolver's timeout
  kOverloaded,     // too many names being looked up at once
  kFailed,         // anything else: a malformed name, no usable server
};

// The answer to one lookup: every A and AAAA address, or why there is none.
struct Resolution {
  std::vector<security::IpAddress> addresses;  // non-empty exactly when error is kNone
  ResolveError error = ResolveError::kNone;
  std::string detail;  // what went wrong, e.g. "did not resolve within 2s"
};

// An attempt that ended in a failed lookup: AttemptError::kDns, with a text such as
// "dns: example.invalid did not resolve within 2s".
void fail_lookup(domain::AttemptResult& result, std::string_view host,
                 const Resolution& resolution);

// Host names to addresses without blocking the caller.
class Resolver {
 public:
  using Callback = std::function<void(Resolution)>;
  virtual ~Resolver() = default;

  // Thread-safe and never blocks. The callback runs exactly once: at once on the caller's thread
  // when the answer is known (cached, or an IP literal), else later on the resolver's thread.
  virtual void resolve(std::string_view host, Callback callback) = 0;
};

struct ResolverOptions {
  // A name without an answer by then is a failed lookup (ResolveError::kTimeout).
  std::chrono::milliseconds timeout{2'000};
  // Name servers as "ip", "ip:port" or "[ipv6]:port"; empty means the system's configuration.
  std::vector<std::string> servers;
  // Answers are kept for their TTL, but never less than min_ttl or more than max_ttl.
  std::chrono::milliseconds min_ttl{1'000};
  std::chrono::milliseconds max_ttl{300'000};
  // A name that does not resolve (NXDOMAIN, SERVFAIL, timeout) is not asked again for this long.
  std::chrono::milliseconds negative_ttl{5'000};
  size_t max_cache_entries = 10'000;
  // Distinct names being looked up at once; beyond that a lookup fails at once (kOverloaded).
  size_t max_pending = 4'096;
};

// "ip", "ip:port" or "[ipv6]:port" as an address and port (53 when absent); empty when malformed.
std::optional<std::pair<security::IpAddress, uint16_t>> parse_name_server(std::string_view text);

// c-ares on a thread of its own: A and AAAA queries at once, lookups of the same name share one
// query, and answers are cached by TTL within bounds.
class AresResolver final : public Resolver {
 public:
  // Throws std::runtime_error when c-ares cannot start or a server is malformed.
  AresResolver(ResolverOptions options, const Clock& clock);
  ~AresResolver() override;
  AresResolver(const AresResolver&) = delete;
  AresResolver& operator=(const AresResolver&) = delete;

  void resolve(std::string_view host, Callback callback) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::delivery
