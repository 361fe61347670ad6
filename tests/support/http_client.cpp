#include "support/http_client.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <memory>
#include <mutex>
#include <ostream>
#include <stdexcept>

#include "support/exchange_log.hpp"

namespace hookd::testing {
namespace {

void global_init() {
  static std::once_flag once;
  std::call_once(once, [] {
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
      throw std::runtime_error("curl_global_init failed");
    }
  });
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

// A header line as libcurl expects it; "Name;" is its spelling of an empty value.
std::string header_line(const std::string& name, const std::string& value) {
  return value.empty() ? name + ";" : name + ": " + value;
}

bool has_header(const std::vector<std::string>& lines, std::string_view name) {
  return std::any_of(lines.begin(), lines.end(), [&](const std::string& line) {
    const size_t end = line.find_first_of(":;");
    return end != std::string::npos && iequals(trim(std::string_view(line).substr(0, end)), name);
  });
}

HttpHeaders bearer(std::string_view token) {
  if (token.empty()) return {};
  return {{"Authorization", "Bearer " + std::string(token)}};
}

size_t on_body(char* data, size_t size, size_t count, void* user) {
  static_cast<std::string*>(user)->append(data, size * count);
  return size * count;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* headers = static_cast<HttpHeaders*>(user);
  const std::string_view line(data, size * count);
  // A status line starts a new header block (after a 1xx); only the final block counts.
  if (line.starts_with("HTTP/")) {
    headers->clear();
  } else if (const size_t colon = line.find(':'); colon != std::string_view::npos) {
    headers->emplace_back(std::string(line.substr(0, colon)),
                          std::string(trim(line.substr(colon + 1))));
  }
  return size * count;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};

}  // namespace

std::optional<std::string> HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) return value;
  }
  return std::nullopt;
}

std::vector<std::string> HttpResponse::header_values(std::string_view name) const {
  std::vector<std::string> values;
  for (const auto& [key, value] : headers) {
    if (iequals(key, name)) values.push_back(value);
  }
  return values;
}

boost::json::value HttpResponse::json() const {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(body, ec);
  if (ec) {
    throw std::runtime_error("response body is not JSON (" + ec.message() + "): " + body);
  }
  return value;
}

std::ostream& operator<<(std::ostream& out, const HttpResponse& response) {
  out << "HTTP " << response.status << "\n";
  for (const auto& [name, value] : response.headers) out << name << ": " << value << "\n";
  return out << "\n" << response.body;
}

void PrintTo(const HttpResponse& response, std::ostream* out) { *out << response; }

HttpClient::HttpClient(std::string base_url) : base_url_(std::move(base_url)) {
  global_init();
  handle_ = curl_easy_init();
  if (handle_ == nullptr) throw std::runtime_error("curl_easy_init failed");
}

HttpClient::~HttpClient() {
  if (handle_ != nullptr) curl_easy_cleanup(handle_);
}

HttpClient::HttpClient(HttpClient&& other) noexcept
    : base_url_(std::move(other.base_url_)),
      handle_(std::exchange(other.handle_, nullptr)),
      timeout_(other.timeout_),
      ca_file_(std::move(other.ca_file_)) {}

HttpClient& HttpClient::operator=(HttpClient&& other) noexcept {
  if (this != &other) {
    if (handle_ != nullptr) curl_easy_cleanup(handle_);
    base_url_ = std::move(other.base_url_);
    handle_ = std::exchange(other.handle_, nullptr);
    timeout_ = other.timeout_;
    ca_file_ = std::move(other.ca_file_);
  }
  return *this;
}

HttpResponse HttpClient::request(std::string_view method, std::string_view path,
                                 std::optional<std::string> body, HttpHeaders headers) {
  std::vector<std::string> lines;
  for (const auto& [name, value] : headers) lines.push_back(header_line(name, value));
  if (body && !has_header(lines, "Content-Type"))
    lines.emplace_back("Content-Type: application/json");
  return perform(method, path, body, lines);
}

HttpResponse HttpClient::request_raw(std::string_view method, std::string_view path,
                                     std::optional<std::string> body,
                                     std::vector<std::string> header_lines) {
  return perform(method, path, body, header_lines);
}

HttpResponse HttpClient::get(std::string_view path, std::string_view bearer_token) {
  return request("GET", path, std::nullopt, bearer(bearer_token));
}

HttpResponse HttpClient::post(std::string_view path, std::optional<std::string> body,
                              std::string_view bearer_token) {
  return request("POST", path, std::move(body), bearer(bearer_token));
}

HttpResponse HttpClient::put(std::string_view path, std::optional<std::string> body,
                             std::string_view bearer_token) {
  return request("PUT", path, std::move(body), bearer(bearer_token));
}

HttpResponse HttpClient::del(std::string_view path, std::string_view bearer_token) {
  return request("DELETE", path, std::nullopt, bearer(bearer_token));
}

HttpResponse HttpClient::perform(std::string_view method, std::string_view path,
                                 const std::optional<std::string>& body,
                                 const std::vector<std::string>& header_lines) {
  CURL* curl = handle_;
  if (curl == nullptr) throw std::logic_error("HttpClient used after move");
  // Reset forgets the previous request's options but keeps the connection cache.
  curl_easy_reset(curl);

  const std::string url = base_url_ + std::string(path);
  const std::string verb(method);
  HttpResponse response;
  char error[CURL_ERROR_SIZE] = {};

  std::vector<std::string> lines = header_lines;
  // 100-continue would stall large bodies (the 413 tests) waiting for an interim response.
  if (!has_header(lines, "Expect")) lines.emplace_back("Expect:");
  const bool sends_body = body.has_value() || verb == "POST" || verb == "PUT" || verb == "PATCH";
  // libcurl would otherwise label every body application/x-www-form-urlencoded.
  if (sends_body && !has_header(lines, "Content-Type")) lines.emplace_back("Content-Type:");
  std::unique_ptr<curl_slist, SlistDeleter> list;
  for (const std::string& line : lines) {
    curl_slist* appended = curl_slist_append(list.get(), line.c_str());
    if (appended == nullptr) throw std::runtime_error("curl_slist_append failed");
    list.release();
    list.reset(appended);
  }

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM tricks in a threaded test binary
  curl_easy_setopt(curl, CURLOPT_PROXY, "");     // http_proxy in the environment must not apply
  curl_easy_setopt(curl, CURLOPT_PATH_AS_IS, 1L);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  // HTTP/1.1 always, so header names arrive spelled as the server wrote them (h2 lowercases).
  curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_1_1));
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_.count()));
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &response.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &response.headers);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list.get());
  if (!ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());

  static const std::string kEmpty;
  if (verb == "HEAD") {
    curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  } else if (verb == "GET" && !body) {
    curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  } else if (sends_body) {
    const std::string& data = body ? *body : kEmpty;
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(data.size()));
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, data.data());
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, verb.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, verb.c_str());
  }

  const CURLcode rc = curl_easy_perform(curl);
  // The buffer and header list die with this frame; the handle must not keep pointers to them.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) {
    throw std::runtime_error(verb + " " + url + ": " + curl_easy_strerror(rc) +
                             (error[0] != '\0' ? std::string(" (") + error + ")" : ""));
  }
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &response.status);
  log_exchange(Exchange{base_url_, verb, std::string(path), lines, response.status,
                        response.headers, response.body});
  return response;
}

}  // namespace hookd::testing
