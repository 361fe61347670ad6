// PUT /v2/platform/devices/{id} bodies, through the route with an in-memory store.
#include "api/platform_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  http::Request req;
  req.method = "PUT";
  req.body.assign(fuzz::as_text(data, size));
  http::Response res;
  try {
    res = api::platform_routes::put_device(f.context, req, 85);
  } catch (const api::ApiError& e) {
    fuzz::check_client_error(e);
    FUZZ_CHECK(!f.store.last_device);
    return 0;
  }
  FUZZ_CHECK(res.status == 200);
  FUZZ_CHECK(f.store.last_device && f.store.last_device->id == 85);
  FUZZ_CHECK(f.store.last_device->organization_id > 0);
  FUZZ_CHECK(f.store.last_device->name.size() <= 200);
  return 0;
}
