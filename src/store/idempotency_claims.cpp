#include "store/store.hpp"

namespace hookd::store {

IdempotencyClaim Store::found_idempotency_claim(const IdempotencyRequest& request,
                                                std::string_view stored_fingerprint,
                                                std::optional<int64_t> status,
                                                std::string_view sealed_body) const {
  IdempotencyClaim claim;
  if (stored_fingerprint != request.fingerprint) {
    claim.kind = IdempotencyClaim::Kind::kMismatch;
  } else if (!status) {
    claim.kind = IdempotencyClaim::Kind::kRunning;
  } else {
    claim.kind = IdempotencyClaim::Kind::kReplay;
    claim.answer = StoredAnswer{static_cast<int>(*status),
                                open_idempotent_answer(request.key_hash, sealed_body)};
  }
  return claim;
}

}  // namespace hookd::store
