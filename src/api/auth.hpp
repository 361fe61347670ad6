#pragma once

#include "common/clock.hpp"
#include "domain/tenancy.hpp"
#include "http/message.hpp"

namespace hookd::store {
class Store;
}
namespace hookd::security {
class TokenCache;
}

namespace hookd::api {

// Resolves `Authorization: Bearer <token>` (scheme word case-insensitive) to what the token
// grants. Throws ApiError 401 for a missing, malformed, unknown, revoked or expired token (a
// portal session past its expiry by `clock`). Tokens found in `cache` are not looked up again.
// Judged on the head alone, before any body byte is read.
domain::Principal authenticate(const http::RequestHead& head, store::Store& store,
                               security::TokenCache& cache, const Clock& clock);

}  // namespace hookd::api
