// POST /v2/platform/tokens bodies, through the route with an in-memory store.
#include <boost/json/parse.hpp>

#include "api/platform_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  http::Request req;
  req.method = "POST";
  req.body.assign(fuzz::as_text(data, size));
  http::Response res;
  try {
    res = api::platform_routes::create_token(f.context, req);
  } catch (const api::ApiError& e) {
    fuzz::check_client_error(e);
    return 0;
  }
  // Issued: the answer holds the id and the token, shown this once.
  FUZZ_CHECK(res.status == 200);
  boost::system::error_code ec;
  const auto v = boost::json::parse(res.body, ec);
  FUZZ_CHECK(!ec && v.is_object());
  const auto* token = v.as_object().if_contains("token");
  FUZZ_CHECK(token && token->is_string() && !token->as_string().empty());
  return 0;
}
