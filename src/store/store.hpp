#pragma once

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "domain/tenancy.hpp"
#include "domain/webhook.hpp"

namespace hookd::store {

// The database failed or is unreachable; the API answers 503 and changes nothing.
struct StoreError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// What putting a device or a group can run into, besides success.
struct PutOutcome {
  enum class Kind { kOk, kOrganizationNotFound, kDeviceNotFound } kind = Kind::kOk;
  int64_t missing_id = 0;  // the organization or device that was not found
  bool created = false;
};

// A live token as stored: what it grants and the hash it is kept under.
struct TokenRecord {
  domain::Principal principal;
  std::string token_hash;
};

struct WebhookQuery {
  std::optional<domain::OrganizationId> organization;  // empty: every organization
  int64_t offset = 0;
  int64_t size = 50;
};

// The persistence boundary. One implementation per database backend, each in its own
// folder; nothing outside store/ knows which one is in use.
class Store {
 public:
  virtual ~Store() = default;

  // Applies every migration not yet applied; safe to call on every start.
  virtual void migrate() = 0;
  // True when the database answers a trivial query.
  virtual bool ping() = 0;

  // Tokens are stored and looked up by hash only.
  virtual domain::TokenId create_token(domain::Role role,
                                       std::optional<domain::OrganizationId> organization,
                                       std::string_view token_hash) = 0;
  virtual std::optional<TokenRecord> find_active_token(std::string_view token_hash) = 0;
  virtual bool revoke_token(domain::TokenId id) = 0;

  virtual bool put_organization(const domain::Organization& organization) = 0;  // true: created
  virtual bool organization_exists(domain::OrganizationId id) = 0;
  virtual PutOutcome put_device(const domain::Device& device) = 0;
  virtual bool delete_device(domain::DeviceId id) = 0;
  virtual PutOutcome put_device_group(const domain::DeviceGroup& group) = 0;
  virtual bool delete_device_group(domain::DeviceGroupId id) = 0;

  // The first of `ids` that is not a device (group) of `organization`, if any.
  virtual std::optional<domain::DeviceId> first_missing_device(
      domain::OrganizationId organization, const std::vector<domain::DeviceId>& ids) = 0;
  virtual std::optional<domain::DeviceGroupId> first_missing_device_group(
      domain::OrganizationId organization, const std::vector<domain::DeviceGroupId>& ids) = 0;

  // Inserts `webhook` (its id is ignored) and returns it with the id the database gave it.
  virtual domain::Webhook create_webhook(const domain::Webhook& webhook) = 0;
  virtual std::optional<domain::Webhook> find_webhook(domain::WebhookId id) = 0;
  // Newest first.
  virtual std::vector<domain::Webhook> list_webhooks(const WebhookQuery& query) = 0;
  // Replaces every mutable field; false when the webhook no longer exists.
  virtual bool update_webhook(const domain::Webhook& webhook) = 0;
  virtual bool delete_webhook(domain::WebhookId id) = 0;
};

// Opens the store a database URL names: sqlite://PATH (postgresql:// is not built yet).
// Throws StoreError for an unknown scheme or a database that cannot be opened.
std::unique_ptr<Store> open_store(const std::string& url);

}  // namespace hookd::store
