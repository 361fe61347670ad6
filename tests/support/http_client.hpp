#pragma once

#include <boost/json/fwd.hpp>
#include <chrono>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hookd::testing {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

struct HttpResponse {
  long status = 0;
  std::string body;
  HttpHeaders headers;  // in received order, names spelled as the server sent them

  // The first header of that name, compared case-insensitively.
  std::optional<std::string> header(std::string_view name) const;
  // Every header of that name, in received order.
  std::vector<std::string> header_values(std::string_view name) const;
  // The body parsed as JSON; throws std::runtime_error (quoting the body) when it is not.
  // Only <boost/json/fwd.hpp> is included here: include <boost/json.hpp> to use the result.
  boost::json::value json() const;
};

// Status, headers and body, for assertion messages: `EXPECT_EQ(r.status, 200) << r;`.
std::ostream& operator<<(std::ostream& out, const HttpResponse& response);
// GoogleTest prints values through this.
void PrintTo(const HttpResponse& response, std::ostream* out);

// A blocking HTTP/1.1 client over one libcurl easy handle, so consecutive requests reuse the
// kept-alive connection. Redirects are never followed, proxies from the environment are
// ignored, and dot segments in paths are sent as written. Not thread-safe: one per thread.
// Transport errors (refused, timed out, reset) throw std::runtime_error.
class HttpClient {
 public:
  // `base_url` such as "http://127.0.0.1:8080"; request paths are appended to it verbatim.
  explicit HttpClient(std::string base_url);
  ~HttpClient();

  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  HttpClient(HttpClient&& other) noexcept;
  HttpClient& operator=(HttpClient&& other) noexcept;

  // A body adds `Content-Type: application/json` unless `headers` has a Content-Type. A header
  // with an empty value is sent empty ("Name:"). POST, PUT and PATCH without a body send
  // `Content-Length: 0`.
  HttpResponse request(std::string_view method, std::string_view path,
                       std::optional<std::string> body = {}, HttpHeaders headers = {});

  // Sends exactly these header lines beside libcurl's Host and Accept: no Authorization and no
  // Content-Type are added (for malformed-header tests). libcurl's line syntax applies:
  // "Name: value" sends it, "Name;" sends it empty, "Name:" suppresses a default header.
  HttpResponse request_raw(std::string_view method, std::string_view path,
                           std::optional<std::string> body, std::vector<std::string> header_lines);

  // A non-empty token adds `Authorization: Bearer <token>`.
  HttpResponse get(std::string_view path, std::string_view bearer_token = {});
  HttpResponse post(std::string_view path, std::optional<std::string> body,
                    std::string_view bearer_token = {});
  HttpResponse put(std::string_view path, std::optional<std::string> body,
                   std::string_view bearer_token = {});
  HttpResponse del(std::string_view path, std::string_view bearer_token = {});

  const std::string& base_url() const { return base_url_; }
  // Whole-request timeout (default 10 s).
  void set_timeout(std::chrono::milliseconds timeout) { timeout_ = timeout; }
  // Extra trust for https:// servers with a test certificate.
  void set_ca_file(std::string path) { ca_file_ = std::move(path); }

 private:
  HttpResponse perform(std::string_view method, std::string_view path,
                       const std::optional<std::string>& body,
                       const std::vector<std::string>& header_lines);

  std::string base_url_;
  void* handle_ = nullptr;  // CURL*, kept opaque so tests need not include curl.h
  std::chrono::milliseconds timeout_{10000};
  std::string ca_file_;
};

}  // namespace hookd::testing
