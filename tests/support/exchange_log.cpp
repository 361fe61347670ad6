#include "support/exchange_log.hpp"

#include <unistd.h>

#include <boost/json.hpp>
#include <cctype>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <stdexcept>

namespace hookd::testing {
namespace {

// The header line with its value left out when it carries a credential.
std::string redacted(std::string_view line) {
  const size_t colon = line.find_first_of(":;");
  std::string name(line.substr(0, colon));
  std::string lower = name;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "authorization" && colon != std::string_view::npos) return name + ": <redacted>";
  return std::string(line);
}

}  // namespace

void log_exchange(const Exchange& exchange) {
  const char* dir = std::getenv("HOOKD_TEST_EXCHANGE_DIR");
  if (dir == nullptr || *dir == '\0') return;
  boost::json::array request_headers;
  for (const auto& line : exchange.request_header_lines)
    request_headers.emplace_back(redacted(line));
  boost::json::array response_headers;
  for (const auto& [name, value] : exchange.response_headers) {
    response_headers.emplace_back(
        boost::json::array{boost::json::string(name), boost::json::string(value)});
  }
  const boost::json::object line{
      {"baseUrl", exchange.base_url},  {"method", exchange.method},
      {"path", exchange.path},         {"requestHeaders", std::move(request_headers)},
      {"status", exchange.status},     {"headers", std::move(response_headers)},
      {"body", exchange.response_body}};
  const std::string text = boost::json::serialize(line) + "\n";
  static std::mutex mutex;
  const std::lock_guard lock(mutex);
  const std::string file = std::string(dir) + "/exchanges-" + std::to_string(::getpid()) + ".jsonl";
  std::ofstream out(file, std::ios::app | std::ios::binary);
  out << text;
  if (!out.flush()) throw std::runtime_error("cannot append to " + file);
}

}  // namespace hookd::testing
