// POST /v2/platform/tokens bodies, through the route with an in-memory store.
#include <boost/json/parse.hpp>

#include "api/platform_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  const auto res = fuzz::run_route("POST", data, size, [&](const http::Request& req) {
    return api::platform_routes::create_token(f.context, req);
  });
  if (!res) {
    return 0;
  }
  // Issued: the answer holds the id and the token, shown this once.
  FUZZ_CHECK(res->status == 200);
  boost::system::error_code ec;
  const auto v = boost::json::parse(res->body, ec);
  FUZZ_CHECK(!ec && v.is_object());
  const auto* token = v.as_object().if_contains("token");
  FUZZ_CHECK(token && token->is_string() && !token->as_string().empty());
  return 0;
}
