#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace hookd::cli {

// One request as the receiver read it off the wire.
struct ReceivedRequest {
  std::string request_line;                                  // "POST /webhook HTTP/1.1"
  std::vector<std::pair<std::string, std::string>> headers;  // in the order sent, names as sent
  std::string body;

  // The first header of that name (case-insensitive); empty when absent.
  std::string header(std::string_view name) const;
};

// `hookd demo`'s webhook receiver: HTTPS on 127.0.0.1 (a port of its own), HTTP/1.1, which
// answers every request 204 and keeps it for next(). Bounded: 64 KiB of headers, 1 MiB of
// body, 10 s per request, 16 connections, 1,000 requests kept. Beast stays in the .cpp.
class DemoReceiver {
 public:
  // Binds at once; serves on a thread of its own until destroyed. Throws std::runtime_error.
  DemoReceiver(const std::string& certificate_chain_file, const std::string& private_key_file);
  ~DemoReceiver();
  DemoReceiver(const DemoReceiver&) = delete;
  DemoReceiver& operator=(const DemoReceiver&) = delete;

  uint16_t port() const;

  // The oldest request not yet taken; nullopt when none arrives before `deadline`.
  std::optional<ReceivedRequest> next(std::chrono::steady_clock::time_point deadline);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::cli
