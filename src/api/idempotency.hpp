#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/language.hpp"
#include "common/clock.hpp"
#include "domain/tenancy.hpp"
#include "http/message.hpp"

namespace hookd::store {
class IdempotencyStore;
}

// Idempotency-Key on the POSTs that create or act (a Route's `idempotent` flag): the first answer
// to a key is kept for 24 h and given again, with Idempotent-Replayed: true, to the same request
// from the same caller scope, without acting again.
namespace hookd::api::idempotency {

inline constexpr size_t kMaxKeyLength = 255;
// How long a key holds its answer, from its first use.
inline constexpr std::chrono::hours kKeyLifetime{24};
// A claim whose request has not answered by then is taken over by the next request with its
// key, so that a process that died does not hold the key for a day. Well above what a request
// takes (a store call gives up after 30 s); until then, a retry is told 409.
inline constexpr std::chrono::seconds kRunningBound{60};

inline constexpr std::string_view kHeader = "Idempotency-Key";
inline constexpr std::string_view kReplayedHeader = "Idempotent-Replayed";

// 1 to 255 visible ASCII characters (0x21-0x7E).
bool is_valid_key(std::string_view key);

// Whose keys these are: an organization for its admin tokens (portal sessions included), the
// platform for every platform token. Keys of different scopes never meet.
std::string scope_of(const domain::Principal& caller);

// SHA-256 (hex) of the scope and the key: the only form in which a key is stored.
std::string key_hash(std::string_view scope, std::string_view key);

// SHA-256 (hex) of the method, the route (its pattern and path parameters) and the body.
std::string fingerprint(std::string_view method, std::string_view pattern,
                        const std::vector<std::string>& params, std::string_view body);

// A key this request holds, to finish once it has its answer.
struct Claimed {
  std::string key_hash;
  int64_t generation = 0;
};

// Before the handler acts: the answer to give instead (a replay, 409 IdempotencyKeyInUse,
// 422 IdempotencyKeyReused, in `language`), or the claim this request now holds. Throws
// StoreError.
std::variant<http::Response, Claimed> begin(store::IdempotencyStore& store, const Clock& clock,
                                            std::string_view key_hash, std::string_view fingerprint,
                                            Language language = Language::kEn);

// After the handler answered: keeps a 2xx or 4xx answer for replay; after a 5xx (nothing was
// done, or the client cannot tell) frees the key so that the request can be sent again.
void finish(store::IdempotencyStore& store, const Claimed& claimed, const http::Response& response);

}  // namespace hookd::api::idempotency
