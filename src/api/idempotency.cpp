#include "api/idempotency.hpp"

#include "api/errors.hpp"
#include "common/log.hpp"
#include "security/secrets.hpp"
#include "store/idempotency_store.hpp"

namespace hookd::api::idempotency {
namespace {

// Each field as "<length>:<bytes>", so that no two requests give the same text.
void append_field(std::string& out, std::string_view field) {
  out += std::to_string(field.size());
  out += ':';
  out += field;
}

bool kept(int status) { return status >= 200 && status < 500; }

}  // namespace

bool is_valid_key(std::string_view key) {
  if (key.empty() || key.size() > kMaxKeyLength) return false;
  for (const char c : key) {
    if (c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

std::string scope_of(const domain::Principal& caller) {
  if (caller.role == domain::Role::kPlatform || !caller.organization) return "platform";
  return "organization " + std::to_string(*caller.organization);
}

std::string key_hash(std::string_view scope, std::string_view key) {
  std::string text = "hookd idempotency key\n";
  append_field(text, scope);
  append_field(text, key);
  return security::sha256_hex(text);
}

std::string fingerprint(std::string_view method, std::string_view pattern,
                        const std::vector<std::string>& params, std::string_view body) {
  std::string text = "hookd idempotent request\n";
  append_field(text, method);
  append_field(text, pattern);
  for (const auto& p : params) append_field(text, p);
  text += '\n';
  append_field(text, body);
  return security::sha256_hex(text);
}

std::variant<http::Response, Claimed> begin(store::IdempotencyStore& store, const Clock& clock,
                                            std::string_view key_hash, std::string_view fingerprint,
                                            Language language) {
  const TimePoint now = clock.now();
  store::IdempotencyRequest request{std::string(key_hash), std::string(fingerprint), now,
                                    now + kKeyLifetime, now + kRunningBound};
  store::IdempotencyClaim claim = store.claim_idempotency_key(request);
  switch (claim.kind) {
    case store::IdempotencyClaim::Kind::kNew:
      return Claimed{std::move(request.key_hash), claim.generation};
    case store::IdempotencyClaim::Kind::kRunning:
      return to_response(errors::idempotency_key_in_use(), language);
    case store::IdempotencyClaim::Kind::kMismatch:
      return to_response(errors::idempotency_key_reused(), language);
    case store::IdempotencyClaim::Kind::kReplay:
      break;
  }
  http::Response replay{claim.answer->status, std::move(claim.answer->body)};
  replay.headers.emplace_back(kReplayedHeader, "true");
  return replay;
}

void finish(store::IdempotencyStore& store, const Claimed& claimed,
            const http::Response& response) {
  if (!kept(response.status)) {
    store.release_idempotency_key(claimed.key_hash, claimed.generation);
    return;
  }
  if (!store.complete_idempotency_key(claimed.key_hash, claimed.generation,
                                      store::StoredAnswer{response.status, response.body})) {
    log::warn("an idempotent request answered after its key was taken over",
              {{"status", response.status}});
  }
}

}  // namespace hookd::api::idempotency
