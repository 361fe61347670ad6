#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "common/clock.hpp"

namespace hookd::store {

// The answer a request with an Idempotency-Key got, kept to be given again.
struct StoredAnswer {
  int status = 0;
  std::string body;  // as sent; sealed at rest, bound to its key's row
};

// One request's claim on its key.
struct IdempotencyRequest {
  std::string key_hash;     // SHA-256 of the caller's scope and the key: the key is never stored
  std::string fingerprint;  // SHA-256 of the method, the route and the body
  TimePoint now;
  TimePoint expires_at;     // from then on the key is free again (24 h after its first use)
  TimePoint running_until;  // an unfinished claim past this is taken over (its process died)
};

// What a claim found.
struct IdempotencyClaim {
  enum class Kind {
    kNew,       // this request holds the key now: act, then complete or release
    kRunning,   // another request with this key is still running
    kReplay,    // answered before: `answer` is what it got
    kMismatch,  // the key was used for another request (method, route or body)
  };
  Kind kind = Kind::kNew;
  int64_t generation = 0;  // kNew: names this claim to complete and release
  std::optional<StoredAnswer> answer;
};

// Idempotency keys of the API's POSTs, shared by every process on the database.
class IdempotencyStore {
 public:
  virtual ~IdempotencyStore() = default;

  // Atomic across processes: of concurrent claims on one key, one is kNew. kNew when the key is
  // unused or expired, or held by an unfinished claim past its running_until for the same
  // fingerprint; otherwise kMismatch for another fingerprint, kRunning while unfinished, kReplay.
  virtual IdempotencyClaim claim_idempotency_key(const IdempotencyRequest& request) = 0;
  // Keeps the answer of claim `generation`; false when the claim was taken over meanwhile.
  virtual bool complete_idempotency_key(std::string_view key_hash, int64_t generation,
                                        const StoredAnswer& answer) = 0;
  // Frees the key of unfinished claim `generation`, so that the request may be sent again.
  virtual void release_idempotency_key(std::string_view key_hash, int64_t generation) = 0;
  // Deletes up to `limit` keys expired at `now`; returns how many.
  virtual int64_t purge_idempotency_keys(TimePoint now, size_t limit) = 0;
};

}  // namespace hookd::store
