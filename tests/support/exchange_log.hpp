#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::testing {

// One request a test sent to hookd and the answer it got, for the check of every answer
// against the OpenAPI document (tests/e2e/node/validate_exchanges.mjs).
struct Exchange {
  std::string base_url;
  std::string method;
  std::string path;  // with the query, as sent
  std::vector<std::string> request_header_lines;
  long status = 0;
  std::vector<std::pair<std::string, std::string>> response_headers;
  std::string response_body;
};

// Appends the exchange as one JSON line to exchanges-<pid>.jsonl in the directory that
// HOOKD_TEST_EXCHANGE_DIR names; does nothing without that variable. Authorization values
// are not written. Thread-safe.
void log_exchange(const Exchange& exchange);

}  // namespace hookd::testing
