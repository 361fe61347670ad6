#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "support/subprocess.hpp"
#include "support/test_ca.hpp"

namespace hookd::testing {

struct ReceivedRequest {
  double received_at_ms = 0;  // Unix epoch, milliseconds
  std::string path;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  int nth_on_path = 0;       // 1 for the first request to this path
  std::string http_version;  // "1.1" or "2.0"
  int client_port = 0;       // tells the connections apart
  bool tls_resumed = false;  // its connection resumed a TLS session

  std::string header(const std::string& name) const;
};

// A real HTTPS receiver on 127.0.0.1 (tests/e2e/node/receiver.mjs on Node.js) whose answer is
// chosen by the path: /ok, /fail/N, /status/CODE, /retry-after/S/N, /hang, /slow/MS,
// /then-close, /then-end, /close, /drop, /big/BYTES, /big-header/BYTES.
class WebhookReceiver {
 public:
  enum class Protocols { kHttp1, kHttp2AndHttp1 };
  explicit WebhookReceiver(const TestCertificates& certificates,
                           Protocols protocols = Protocols::kHttp1);

  uint16_t port() const { return port_; }
  // "https://127.0.0.1:PORT" + path
  std::string url(std::string_view path) const;

  std::vector<ReceivedRequest> received() const;
  // Everything the receiver wrote, for failure messages.
  std::string log() const;
  // Waits until `count` requests whose path starts with `prefix` have arrived.
  bool wait_for(size_t count, std::string_view prefix = "/",
                std::chrono::milliseconds deadline = std::chrono::seconds(20));

 private:
  std::unique_ptr<Process> process_;
  uint16_t port_ = 0;
};

struct SignatureCheck {
  bool standardwebhooks = false;
  bool svix = false;
  std::string error;
};

// Verifies each request's signature with the npm packages standardwebhooks and svix.
std::vector<SignatureCheck> verify_with_npm(const std::vector<ReceivedRequest>& requests,
                                            const std::string& secret);

// The folder with the Node.js receiver, verifier and their node_modules.
std::string node_dir();

}  // namespace hookd::testing
