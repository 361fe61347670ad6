#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.hpp"
#include "delivery/transport.hpp"

namespace hookd::security {
class DestinationGuard;
}

namespace hookd::delivery {

// Many requests in flight from few threads: connections kept alive and reused, HTTP/2 where the
// receiver offers it, TLS always verified, redirects never followed, https only, and every
// connection to an address the guard allows. libcurl (curl_transport.hpp) carries the first
// requests to a receiver and every HTTP/2 one; a receiver seen answering over HTTP/1.1 gets the
// next ones through a lighter transport (http1_transport.hpp).
class HttpSender final : public Transport {
 public:
  HttpSender(SenderOptions options, const security::DestinationGuard& guard, const Clock& clock);
  ~HttpSender();
  HttpSender(const HttpSender&) = delete;
  HttpSender& operator=(const HttpSender&) = delete;

  void send(OutgoingRequest request, Callback callback) override;
  void stop() override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::delivery
