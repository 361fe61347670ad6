// PUT /v2/platform/device-groups/{id} bodies, through the route with an in-memory store.
#include <algorithm>

#include "api/platform_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  const auto res = fuzz::run_route("PUT", data, size, [&](const http::Request& req) {
    return api::platform_routes::put_device_group(f.context, req, 1);
  });
  if (!res) {
    FUZZ_CHECK(!f.store.last_group);
    return 0;
  }
  FUZZ_CHECK(res->status == 200);
  const auto& g = f.store.last_group;
  FUZZ_CHECK(g && g->id == 1 && g->organization_id > 0 && g->name.size() <= 200);
  // The whole membership: at most 10,000 positive ids, sorted and without repeats.
  FUZZ_CHECK(g->device_ids.size() <= 10'000);
  FUZZ_CHECK(std::adjacent_find(g->device_ids.begin(), g->device_ids.end(),
                                [](int64_t a, int64_t b) { return a >= b; }) ==
             g->device_ids.end());
  FUZZ_CHECK(g->device_ids.empty() || g->device_ids.front() > 0);
  return 0;
}
