#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <deque>
#include <map>
#include <memory>
#include <string>

// OpenSSL's, as <openssl/ssl.h> declares it (kept out of this header).
typedef struct ssl_session_st SSL_SESSION;

namespace hookd::delivery {

// The TLS sessions a client may resume, by origin (host, port and the address connected to),
// so that a new connection to a receiver it spoke to lately skips the certificate exchange and
// its verification, as curl and browsers do: for a receiver that closes its connections after
// each answer this is most of the cost of a delivery, on both sides.
//
// A session is only ever offered to the origin whose verified handshake made it, and each one
// at most once (RFC 8446, C.4: a TLS 1.3 ticket reused would let the connections be linked);
// the tickets a resumed connection receives refill the origin's store, so an origin keeps
// about as many sessions as it has connections opening at once. A session is kept for at most
// max_age, and never past its own lifetime. Bounded: at most max_sessions in all; when full,
// the origin stored into longest ago gives up its oldest. Not thread-safe: one per transport
// thread, as its SSL_CTX.
class TlsSessionCache {
 public:
  struct Limits {
    size_t max_sessions = 1024;
    std::chrono::seconds max_age{600};
  };
  TlsSessionCache() : TlsSessionCache(Limits{}) {}
  explicit TlsSessionCache(Limits limits);
  ~TlsSessionCache();
  TlsSessionCache(const TlsSessionCache&) = delete;
  TlsSessionCache& operator=(const TlsSessionCache&) = delete;

  // Keeps `session` for `origin`, taking over the caller's reference.
  void put(const std::string& origin, SSL_SESSION* session);
  // The newest session of `origin` still resumable at `now`, removed from the cache (the caller
  // then owns its reference), or null. Sessions past their time are dropped on the way.
  SSL_SESSION* take(const std::string& origin, std::time_t now = std::time(nullptr));

  size_t origins() const { return by_origin_.size(); }
  size_t sessions() const { return count_; }

 private:
  struct Free {
    void operator()(SSL_SESSION* s) const;
  };
  using Session = std::unique_ptr<SSL_SESSION, Free>;
  struct Stored {
    std::deque<Session> sessions;  // oldest first
    uint64_t stored = 0;           // the order of its last put among all origins'
  };
  bool usable(SSL_SESSION* s, std::time_t now) const;
  // Removes `it` from by_origin_ and its place in by_stored_.
  void forget(std::map<std::string, Stored>::iterator it);

  const Limits limits_;
  std::map<std::string, Stored> by_origin_;
  std::map<uint64_t, std::string> by_stored_;  // each origin by its last put, oldest first
  uint64_t puts_ = 0;
  size_t count_ = 0;
};

}  // namespace hookd::delivery
