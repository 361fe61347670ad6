#include "security/secret_box.hpp"
#include "store/store.hpp"

namespace hookd::store {

std::string secret_binding(domain::WebhookId webhook, SecretField field) {
  return "webhook " + std::to_string(webhook) +
         (field == SecretField::kHttp ? " secretHttp" : " secretHmac");
}

std::string idempotency_answer_binding(std::string_view key_hash) {
  return "idempotency key " + std::string(key_hash) + " answer";
}

std::string Store::seal_secret(domain::WebhookId webhook, SecretField field,
                               std::string_view plaintext) const {
  if (!key_ring_) throw StoreError("no key ring: secrets cannot be stored");
  return key_ring_->seal(plaintext, secret_binding(webhook, field));
}

std::string Store::open_secret(domain::WebhookId webhook, SecretField field,
                               std::string_view stored) const {
  if (!key_ring_) throw StoreError("no key ring: secrets cannot be read");
  // Rows from before sealing, until the start-up sweep reaches them.
  if (!security::KeyRing::is_sealed(stored)) return std::string(stored);
  try {
    return key_ring_->open(stored, secret_binding(webhook, field));
  } catch (const security::SecretBoxError& e) {
    throw SecretUnavailable("a secret of webhook " + std::to_string(webhook) + ": " + e.what());
  }
}

std::optional<std::string> Store::seal_secret(domain::WebhookId webhook, SecretField field,
                                              const std::optional<std::string>& plaintext) const {
  if (!plaintext) return std::nullopt;
  return seal_secret(webhook, field, std::string_view(*plaintext));
}

std::optional<std::string> Store::open_secret(domain::WebhookId webhook, SecretField field,
                                              const std::optional<std::string>& stored) const {
  if (!stored) return std::nullopt;
  return open_secret(webhook, field, std::string_view(*stored));
}

void Store::open_webhook_secrets(domain::Webhook& webhook) const {
  webhook.secret_hmac =
      open_secret(webhook.id, SecretField::kHmac, std::string_view(webhook.secret_hmac));
  webhook.secret_http = open_secret(webhook.id, SecretField::kHttp, webhook.secret_http);
}

// A replayed create answer shows the secretHmac it showed first: every answer is sealed.
std::string Store::seal_idempotent_answer(std::string_view key_hash, std::string_view body) const {
  if (!key_ring_) throw StoreError("no key ring: answers cannot be stored");
  return key_ring_->seal(body, idempotency_answer_binding(key_hash));
}

std::string Store::open_idempotent_answer(std::string_view key_hash,
                                          std::string_view sealed) const {
  if (!key_ring_) throw StoreError("no key ring: answers cannot be read");
  try {
    return key_ring_->open(sealed, idempotency_answer_binding(key_hash));
  } catch (const security::SecretBoxError& e) {
    throw SecretUnavailable(std::string("a stored idempotent answer: ") + e.what());
  }
}

}  // namespace hookd::store
