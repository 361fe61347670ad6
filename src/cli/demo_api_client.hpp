#pragma once

#include <chrono>
#include <ostream>
#include <string>
#include <string_view>

namespace hookd::cli {

// A bearer token and the shell variable that holds it in the commands shown.
struct Credential {
  std::string variable;  // "PLATFORM"
  std::string token;
};

struct ApiAnswer {
  long status = 0;
  std::string body;  // at most 1 MiB
};

// `hookd demo`'s client of the public API, over plain HTTP on libcurl. Each call can print
// itself as the curl command that does the same, and its answer, so that a newcomer can
// repeat it. Each request is bounded by `timeout`.
class DemoApiClient {
 public:
  DemoApiClient(std::string base_url, std::ostream& out,
                std::chrono::milliseconds timeout = std::chrono::seconds(5));

  // `body` empty: no body. Throws std::runtime_error when no answer comes.
  ApiAnswer call(std::string_view method, std::string_view path, const Credential& caller,
                 std::string_view body = {}, bool print = true);

  // The curl command for a call, with the token as "$VARIABLE".
  std::string curl_command(std::string_view method, std::string_view path, const Credential& caller,
                           std::string_view body) const;

  const std::string& base_url() const { return base_url_; }

 private:
  std::string base_url_;
  std::ostream& out_;
  std::chrono::milliseconds timeout_;
};

}  // namespace hookd::cli
