#include "cli/demo_api_client.hpp"

#include <curl/curl.h>

#include <memory>
#include <stdexcept>

namespace hookd::cli {
namespace {

constexpr size_t kMaxAnswerBytes = 1024 * 1024;

size_t append_bounded(char* data, size_t size, size_t count, void* user) {
  auto* body = static_cast<std::string*>(user);
  const size_t bytes = size * count;
  if (body->size() + bytes > kMaxAnswerBytes) return 0;  // ends the transfer with an error
  body->append(data, bytes);
  return bytes;
}

// A word for a POSIX shell, in single quotes.
std::string shell_quoted(std::string_view text) {
  std::string quoted = "'";
  for (const char c : text) {
    if (c == '\'') {
      quoted += "'\\''";
    } else {
      quoted += c;
    }
  }
  return quoted + "'";
}

}  // namespace

DemoApiClient::DemoApiClient(std::string base_url, std::ostream& out,
                             std::chrono::milliseconds timeout)
    : base_url_(std::move(base_url)), out_(out), timeout_(timeout) {}

std::string DemoApiClient::curl_command(std::string_view method, std::string_view path,
                                        const Credential& caller, std::string_view body) const {
  std::string command = "curl -s";
  if (method != "GET") command += " -X " + std::string(method);
  command += " " + base_url_ + std::string(path);
  command += " -H \"Authorization: Bearer $" + caller.variable + "\"";
  if (!body.empty()) {
    command += " -H 'Content-Type: application/json' -d " + shell_quoted(body);
  }
  return command;
}

ApiAnswer DemoApiClient::call(std::string_view method, std::string_view path,
                              const Credential& caller, std::string_view body, bool print) {
  if (print) out_ << "$ " << curl_command(method, path, caller, body) << '\n' << std::flush;
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), curl_easy_cleanup);
  if (!curl) throw std::runtime_error("libcurl: cannot make a handle");
  const std::string url = base_url_ + std::string(path);
  const std::string method_text(method);
  const std::string authorization = "Authorization: Bearer " + caller.token;
  std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> headers(
      curl_slist_append(nullptr, authorization.c_str()), curl_slist_free_all);
  // Appending returns the list's head, or null (and leaves the list as it was) out of memory.
  if (!headers || (!body.empty() &&
                   curl_slist_append(headers.get(), "Content-Type: application/json") == nullptr)) {
    throw std::runtime_error("libcurl: out of memory");
  }
  ApiAnswer answer;
  bool set = curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str()) == CURLE_OK &&
             curl_easy_setopt(curl.get(), CURLOPT_CUSTOMREQUEST, method_text.c_str()) == CURLE_OK &&
             curl_easy_setopt(curl.get(), CURLOPT_HTTPHEADER, headers.get()) == CURLE_OK &&
             // A proxy from the environment must not stand between the demo and its server.
             curl_easy_setopt(curl.get(), CURLOPT_PROXY, "") == CURLE_OK &&
             curl_easy_setopt(curl.get(), CURLOPT_NOSIGNAL, 1L) == CURLE_OK &&
             curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT_MS,
                              static_cast<long>(timeout_.count())) == CURLE_OK &&
             curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, append_bounded) == CURLE_OK &&
             curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &answer.body) == CURLE_OK;
  if (set && !body.empty()) {
    set = curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDS, body.data()) == CURLE_OK &&
          curl_easy_setopt(curl.get(), CURLOPT_POSTFIELDSIZE_LARGE,
                           static_cast<curl_off_t>(body.size())) == CURLE_OK;
  }
  if (!set) throw std::runtime_error("libcurl: cannot set up the request");
  const CURLcode code = curl_easy_perform(curl.get());
  if (code != CURLE_OK) {
    throw std::runtime_error(method_text + " " + url + ": " + curl_easy_strerror(code));
  }
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &answer.status);
  if (print) out_ << answer.status << ' ' << answer.body << "\n\n" << std::flush;
  return answer;
}

}  // namespace hookd::cli
