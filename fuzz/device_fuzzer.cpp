// PUT /v2/platform/devices/{id} bodies, through the route with an in-memory store.
#include "api/platform_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  const auto res = fuzz::run_route("PUT", data, size, [&](const http::Request& req) {
    return api::platform_routes::put_device(f.context, req, 85);
  });
  if (!res) {
    FUZZ_CHECK(!f.store.last_device);
    return 0;
  }
  FUZZ_CHECK(res->status == 200);
  FUZZ_CHECK(f.store.last_device && f.store.last_device->id == 85);
  FUZZ_CHECK(f.store.last_device->organization_id > 0);
  FUZZ_CHECK(f.store.last_device->name.size() <= 200);
  return 0;
}
