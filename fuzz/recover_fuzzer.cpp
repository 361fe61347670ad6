// POST /v2/webhooks/{id}/recover bodies, through the route with an in-memory store.
#include "api/delivery_routes.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::ApiFixture f;
  domain::Principal caller;
  caller.role = domain::Role::kAdmin;
  caller.organization = fuzz::AcceptingStore::kOrganization;
  const auto res = fuzz::run_route("POST", data, size, [&](const http::Request& req) {
    return api::delivery_routes::recover(f.context, caller, req, 1);
  });
  if (!res) {
    FUZZ_CHECK(!f.store.last_recover_since);
    return 0;
  }
  FUZZ_CHECK(res->status == 202 && f.store.last_recover_since);
  // The time the store was given reads back the same, to the millisecond it is written with.
  const auto again = parse_rfc3339(format_rfc3339(*f.store.last_recover_since));
  FUZZ_CHECK(again &&
             *again == std::chrono::floor<std::chrono::milliseconds>(*f.store.last_recover_since));
  return 0;
}
