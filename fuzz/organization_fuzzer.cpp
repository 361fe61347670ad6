// PUT /v2/platform/organizations/{id} bodies, through the route with an in-memory store.
#include "api/platform_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  const auto res = fuzz::run_route("PUT", data, size, [&](const http::Request& req) {
    return api::platform_routes::put_organization(f.context, req, 6);
  });
  if (!res) {
    FUZZ_CHECK(!f.store.last_organization);
    return 0;
  }
  FUZZ_CHECK(res->status == 200);
  FUZZ_CHECK(f.store.last_organization && f.store.last_organization->id == 6);
  FUZZ_CHECK(f.store.last_organization->name.size() <= 200);
  return 0;
}
