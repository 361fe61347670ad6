#pragma once

#include <openssl/types.h>

#include <functional>
#include <memory>

#include "common/clock.hpp"
#include "delivery/transport.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::delivery {

// Many requests in flight from one thread on libcurl's multi interface, driven by socket events:
// connections kept alive and reused, HTTP/2 where the receiver offers it, TLS always verified
// against one trust store built at start (the system's roots and delivery.ca_file), redirects
// never followed, https only. Every socket's address is checked by the guard before it connects.
class CurlTransport final : public Transport {
 public:
  // Told, on the transport's thread, which protocol a receiver answered with: true for HTTP/1.1.
  using ProtocolSeen = std::function<void(const OutgoingRequest&, bool http1)>;

  CurlTransport(SenderOptions options, const security::DestinationGuard& guard, const Clock& clock,
                ProtocolSeen seen = {});
  ~CurlTransport();
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // The trust store every TLS connection verifies against; lives as long as the transport.
  X509_STORE* trust() const;
  // Thread-safe. The callback runs on the transport's thread when the attempt has ended.
  void send(OutgoingRequest request, Callback callback) override;
  // Finishes the requests in flight (each bounded by the timeout), then stops the thread.
  void stop() override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::delivery
