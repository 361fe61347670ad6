#pragma once

#include <openssl/types.h>

#include <memory>
#include <vector>

#include "common/clock.hpp"
#include "delivery/transport.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::delivery {

// HTTPS/1.1 on Asio, Beast's parser and OpenSSL (TlsSocket), for receivers known to answer
// over HTTP/1.1: kept-alive connections from a pool per origin, one request at a time on each,
// a few system calls per request, and a new connection resuming the TLS session of an earlier
// one to its origin (TlsSessionCache). SenderOptions::http1_threads threads, each with its own
// connections and pools, take the requests in turn. libcurl stays the way in for every other
// receiver (HTTP/2, or not yet known); HttpSender chooses. The same rules as libcurl's path: TLS
// verified against `trust`, the connection only to the address the guard checked, connect and
// total timeouts, redirects never followed, at most 64 KiB of an answer read.
class Http1Transport final : public Transport {
 public:
  Http1Transport(const SenderOptions& options, const security::DestinationGuard& guard,
                 const Clock& clock, X509_STORE* trust);
  ~Http1Transport();
  Http1Transport(const Http1Transport&) = delete;
  Http1Transport& operator=(const Http1Transport&) = delete;

  // Thread-safe. `request.address` must be set. The callback runs on the transport's thread.
  void send(OutgoingRequest request, Callback callback) override;
  // Finishes the requests in flight, closes the idle connections, stops the thread.
  void stop() override;

 private:
  class Impl;
  std::vector<std::unique_ptr<Impl>> shards_;
};

}  // namespace hookd::delivery
