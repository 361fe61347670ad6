#include "store/sqlite/sqlite_store.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>

#include "store/id_list.hpp"
#include "store/sqlite/connection.hpp"
#include "store/sqlite/migrations.hpp"

namespace hookd::store::sqlite {
namespace {

using domain::Webhook;

constexpr auto kAcquireTimeout = std::chrono::seconds(10);

constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
constexpr const char* kAppliedVersions = "SELECT version FROM schema_migrations";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";
constexpr const char* kMigrationsTableExists =
    "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'";

constexpr const char* kInsertToken =
    "INSERT INTO tokens (token_hash, role, organization_id, created_at, expires_at, portal_session)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?5 IS NOT NULL)";
constexpr const char* kFindActiveToken =
    "SELECT id, role, organization_id, token_hash, portal_session, expires_at FROM tokens"
    " WHERE token_hash = ?1 AND revoked_at IS NULL";
constexpr const char* kRevokeToken =
    "UPDATE tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL";

constexpr const char* kUpsertOrganization =
    "INSERT INTO organizations (id, name, created_at, modified_at) VALUES (?1, ?2, ?3, ?3)"
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, modified_at = excluded.modified_at";
constexpr const char* kOrganizationExists = "SELECT 1 FROM organizations WHERE id = ?1";

constexpr const char* kDeviceOrganization = "SELECT organization_id FROM devices WHERE id = ?1";
constexpr const char* kUpsertDevice =
    "INSERT INTO devices (id, organization_id, name) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,"
    " name = excluded.name";
// A device that changes organization leaves its old organization's groups and webhooks.
constexpr const char* kDetachDeviceFromGroups =
    "DELETE FROM device_group_members WHERE device_id = ?1";
constexpr const char* kDetachDeviceFromWebhooks =
    "DELETE FROM webhook_devices WHERE device_id = ?1";
constexpr const char* kDeleteDevice = "DELETE FROM devices WHERE id = ?1";
constexpr const char* kDeviceInOrganization =
    "SELECT 1 FROM devices WHERE id = ?1 AND organization_id = ?2";

constexpr const char* kGroupOrganization =
    "SELECT organization_id FROM device_groups WHERE id = ?1";
constexpr const char* kUpsertGroup =
    "INSERT INTO device_groups (id, organization_id, name) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,"
    " name = excluded.name";
constexpr const char* kDetachGroupFromWebhooks =
    "DELETE FROM webhook_device_groups WHERE group_id = ?1";
constexpr const char* kClearGroupMembers = "DELETE FROM device_group_members WHERE group_id = ?1";
constexpr const char* kInsertGroupMember =
    "INSERT OR IGNORE INTO device_group_members (group_id, device_id) VALUES (?1, ?2)";
constexpr const char* kDeleteGroup = "DELETE FROM device_groups WHERE id = ?1";
constexpr const char* kGroupInOrganization =
    "SELECT 1 FROM device_groups WHERE id = ?1 AND organization_id = ?2";

// A webhook's devices and groups as comma-separated ids, in the same statement as its row:
// one read of the database per webhook.
#define WEBHOOK_LISTS                                                                \
  " (SELECT group_concat(device_id) FROM (SELECT device_id FROM webhook_devices"     \
  "   WHERE webhook_id = webhooks.id ORDER BY device_id)),"                          \
  " (SELECT group_concat(group_id) FROM (SELECT group_id FROM webhook_device_groups" \
  "   WHERE webhook_id = webhooks.id ORDER BY group_id))"

constexpr const char* kInsertWebhook =
    "INSERT INTO webhooks (organization_id, url, topics, secret_hmac, secret_http, status,"
    " disabled_reason, modified_at, organization_wide, created_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?8)";
constexpr const char* kCountOrganizationWebhooks =
    "SELECT count(*) FROM webhooks WHERE organization_id = ?1";
constexpr const char* kFindWebhook =
    "SELECT id, organization_id, url, topics, secret_hmac, secret_http, status,"
    " disabled_reason, created_at, modified_at," WEBHOOK_LISTS " FROM webhooks WHERE id = ?1";
constexpr const char* kListWebhooks =
    "SELECT id, organization_id, url, topics, secret_hmac, secret_http, status,"
    " disabled_reason, created_at, modified_at," WEBHOOK_LISTS
    " FROM webhooks ORDER BY id DESC LIMIT ?1 OFFSET ?2";
constexpr const char* kListOrganizationWebhooks =
    "SELECT id, organization_id, url, topics, secret_hmac, secret_http, status,"
    " disabled_reason, created_at, modified_at," WEBHOOK_LISTS
    " FROM webhooks WHERE organization_id = ?3"
    " ORDER BY id DESC LIMIT ?1 OFFSET ?2";
// secret_hmac (?4) changes only by rotate_secret, so that an update racing a rotation cannot
// put the rotated-out secret back.
constexpr const char* kUpdateWebhook =
    "UPDATE webhooks SET url = ?2, topics = ?3, secret_http = ?5, status = ?6,"
    " disabled_reason = ?7, modified_at = ?8, organization_wide = ?9,"
    " failing_since = CASE WHEN ?6 = 'enabled' THEN NULL ELSE failing_since END WHERE id = ?1";
// Disabling keeps what was still to be sent as skipped, for a later recover.
constexpr const char* kSkipPendingOfDisabledWebhook =
    "UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, lease_owner = NULL,"
    " lease_until = NULL, updated_at = ?2 WHERE webhook_id = ?1 AND status = 'pending'";
constexpr const char* kDeleteWebhook = "DELETE FROM webhooks WHERE id = ?1";
constexpr const char* kClearWebhookDevices = "DELETE FROM webhook_devices WHERE webhook_id = ?1";
constexpr const char* kClearWebhookGroups =
    "DELETE FROM webhook_device_groups WHERE webhook_id = ?1";
constexpr const char* kInsertWebhookDevice =
    "INSERT INTO webhook_devices (webhook_id, device_id) VALUES (?1, ?2)";
// Secrets are sealed for the row's id, which exists once the row does: the insert stores
// placeholders and this sets them in the same transaction.
constexpr const char* kSetWebhookSecrets =
    "UPDATE webhooks SET secret_hmac = ?2, secret_http = ?3 WHERE id = ?1";
constexpr const char* kInsertWebhookGroup =
    "INSERT INTO webhook_device_groups (webhook_id, group_id) VALUES (?1, ?2)";

Webhook read_webhook(const Statement& s) {
  Webhook w;
  w.id = s.column_int(0);
  w.organization_id = s.column_int(1);
  w.url = s.column_text(2);
  w.topics = domain::TopicSet::from_mask(static_cast<uint32_t>(s.column_int(3)));
  w.secret_hmac = s.column_text(4);
  w.secret_http = s.column_optional_text(5);
  w.status = s.column_text(6) == "enabled" ? domain::WebhookStatus::kEnabled
                                           : domain::WebhookStatus::kDisabled;
  w.disabled_reason = s.column_optional_text(7);
  w.created_at = from_unix_micros(s.column_int(8));
  w.modified_at = from_unix_micros(s.column_int(9));
  w.device_ids = parse_id_list(s.column_optional_text(10));
  w.device_group_ids = parse_id_list(s.column_optional_text(11));
  return w;
}

std::optional<int64_t> single_int(Connection& c, const char* sql, int64_t arg) {
  Statement s = c.prepare(sql);
  s.bind(1, arg);
  if (!s.step()) return std::nullopt;
  return s.column_int(0);
}

}  // namespace

const Clock& SqliteStore::default_clock() {
  static const SystemClock clock;
  return clock;
}

SqliteStore::SqliteStore(std::string path, const Clock& clock, size_t pool_size,
                         StoreOptions options)
    : path_(std::move(path)),
      clock_(clock),
      pool_size_(std::max<size_t>(pool_size, 1)),
      options_(options) {
  make_files_private(path_);
  checkpointer_ = std::make_unique<WalCheckpointer>(
      std::make_unique<Connection>(path_, options_.sqlite_sync_commits));
  // Open one connection now so that a bad path fails at start, not at the first request.
  release(open_connection());
  open_ = 1;
}

std::unique_ptr<Connection> SqliteStore::open_connection() const {
  auto c = std::make_unique<Connection>(path_, options_.sqlite_sync_commits);
  checkpointer_->watch(*c);
  return c;
}

SqliteStore::~SqliteStore() = default;

SqliteStore::Lease::Lease(SqliteStore& store, std::unique_ptr<Connection> c)
    : store_(store), conn_(std::move(c)) {}

SqliteStore::Lease::~Lease() { store_.release(std::move(conn_)); }

SqliteStore::Lease SqliteStore::acquire() {
  std::unique_lock lock(mutex_);
  if (idle_.empty() && open_ < pool_size_) {
    ++open_;
    lock.unlock();
    try {
      return Lease(*this, open_connection());
    } catch (...) {
      std::lock_guard relock(mutex_);
      --open_;
      throw;
    }
  }
  if (!available_.wait_for(lock, kAcquireTimeout, [&] { return !idle_.empty(); })) {
    throw StoreError("timed out waiting for a database connection");
  }
  auto c = std::move(idle_.back());
  idle_.pop_back();
  return Lease(*this, std::move(c));
}

void SqliteStore::release(std::unique_ptr<Connection> c) {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }
  available_.notify_one();
}

void SqliteStore::migrate() {
  Lease c = acquire();
  c->exec(kCreateMigrationsTable);
  std::vector<int64_t> applied;
  {
    Statement s = c->prepare(kAppliedVersions);
    while (s.step()) applied.push_back(s.column_int(0));
  }
  for (const Migration& m : migrations()) {
    if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
    WriteTransaction tx(*c, write_mutex_);
    c->exec(m.sql);
    c->prepare(kRecordMigration)
        .bind(1, int64_t{m.version})
        .bind(2, std::string_view(m.name))
        .bind(3, to_unix_micros(clock_.now()))
        .run();
    tx.commit();
  }
}

std::vector<int> SqliteStore::pending_migrations() {
  Lease c = acquire();
  std::vector<int64_t> applied;
  if (c->prepare(kMigrationsTableExists).step()) {
    Statement s = c->prepare(kAppliedVersions);
    while (s.step()) applied.push_back(s.column_int(0));
  }
  std::vector<int> pending;
  for (const Migration& m : migrations()) {
    if (std::find(applied.begin(), applied.end(), m.version) == applied.end()) {
      pending.push_back(m.version);
    }
  }
  return pending;
}

bool SqliteStore::ping() {
  try {
    Lease c = acquire();
    c->exec("SELECT 1");
    return true;
  } catch (const StoreError&) {
    return false;
  }
}

domain::TokenId SqliteStore::create_token(domain::Role role,
                                          std::optional<domain::OrganizationId> organization,
                                          std::string_view token_hash) {
  return insert_token(role, organization, token_hash, std::nullopt);
}

domain::TokenId SqliteStore::create_portal_session(domain::Role role,
                                                   domain::OrganizationId organization,
                                                   std::string_view token_hash,
                                                   TimePoint expires_at) {
  return insert_token(role, organization, token_hash, expires_at);
}

// A token with an expiry is a portal session.
domain::TokenId SqliteStore::insert_token(domain::Role role,
                                          std::optional<domain::OrganizationId> organization,
                                          std::string_view token_hash,
                                          std::optional<TimePoint> expires_at) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  std::optional<int64_t> expires;
  if (expires_at) expires = to_unix_micros(*expires_at);
  c->prepare(kInsertToken)
      .bind(1, token_hash)
      .bind(2, domain::role_name(role))
      .bind(3, organization)
      .bind(4, to_unix_micros(clock_.now()))
      .bind(5, expires)
      .run();
  const domain::TokenId id = c->last_insert_rowid();
  tx.commit();
  return id;
}

std::optional<TokenRecord> SqliteStore::find_active_token(std::string_view token_hash) {
  Lease c = acquire();
  Statement s = c->prepare(kFindActiveToken);
  s.bind(1, token_hash);
  if (!s.step()) return std::nullopt;
  auto role = domain::parse_role(s.column_text(1));
  if (!role) return std::nullopt;
  domain::Principal principal{s.column_int(0), *role, s.column_optional_int(2)};
  principal.portal_session = s.column_int(4) != 0;
  if (auto expires = s.column_optional_int(5)) principal.expires_at = from_unix_micros(*expires);
  return TokenRecord{principal, s.column_text(3)};
}

bool SqliteStore::revoke_token(domain::TokenId id) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kRevokeToken).bind(1, id).bind(2, to_unix_micros(clock_.now())).run();
  const bool changed = c->changes() > 0;
  tx.commit();
  return changed;
}

bool SqliteStore::put_organization(const domain::Organization& organization) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  const bool existed = single_int(*c, kOrganizationExists, organization.id).has_value();
  c->prepare(kUpsertOrganization)
      .bind(1, organization.id)
      .bind(2, std::string_view(organization.name))
      .bind(3, to_unix_micros(clock_.now()))
      .run();
  tx.commit();
  return !existed;
}

bool SqliteStore::organization_exists(domain::OrganizationId id) {
  Lease c = acquire();
  return single_int(*c, kOrganizationExists, id).has_value();
}

PutOutcome SqliteStore::put_device(const domain::Device& device) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  if (!single_int(*c, kOrganizationExists, device.organization_id)) {
    return {PutOutcome::Kind::kOrganizationNotFound, device.organization_id};
  }
  const auto previous_org = single_int(*c, kDeviceOrganization, device.id);
  if (domain::leaves_organization(previous_org, device.organization_id)) {
    c->prepare(kDetachDeviceFromGroups).bind(1, device.id).run();
    c->prepare(kDetachDeviceFromWebhooks).bind(1, device.id).run();
  }
  c->prepare(kUpsertDevice)
      .bind(1, device.id)
      .bind(2, device.organization_id)
      .bind(3, std::string_view(device.name))
      .run();
  tx.commit();
  return {PutOutcome::Kind::kOk, 0, !previous_org.has_value()};
}

bool SqliteStore::delete_device(domain::DeviceId id) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kDeleteDevice).bind(1, id).run();
  const bool changed = c->changes() > 0;
  tx.commit();
  return changed;
}

PutOutcome SqliteStore::put_device_group(const domain::DeviceGroup& group) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  if (!single_int(*c, kOrganizationExists, group.organization_id)) {
    return {PutOutcome::Kind::kOrganizationNotFound, group.organization_id};
  }
  for (domain::DeviceId d : group.device_ids) {
    Statement s = c->prepare(kDeviceInOrganization);
    s.bind(1, d).bind(2, group.organization_id);
    if (!s.step()) return {PutOutcome::Kind::kDeviceNotFound, d};
  }
  const auto previous_org = single_int(*c, kGroupOrganization, group.id);
  if (previous_org && *previous_org != group.organization_id) {
    c->prepare(kDetachGroupFromWebhooks).bind(1, group.id).run();
  }
  c->prepare(kUpsertGroup)
      .bind(1, group.id)
      .bind(2, group.organization_id)
      .bind(3, std::string_view(group.name))
      .run();
  c->prepare(kClearGroupMembers).bind(1, group.id).run();
  for (domain::DeviceId d : group.device_ids) {
    c->prepare(kInsertGroupMember).bind(1, group.id).bind(2, d).run();
  }
  tx.commit();
  return {PutOutcome::Kind::kOk, 0, !previous_org.has_value()};
}

bool SqliteStore::delete_device_group(domain::DeviceGroupId id) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  c->prepare(kDeleteGroup).bind(1, id).run();
  const bool changed = c->changes() > 0;
  tx.commit();
  return changed;
}

std::optional<domain::DeviceId> SqliteStore::first_missing_device(
    domain::OrganizationId organization, const std::vector<domain::DeviceId>& ids) {
  Lease c = acquire();
  for (domain::DeviceId d : ids) {
    Statement s = c->prepare(kDeviceInOrganization);
    s.bind(1, d).bind(2, organization);
    if (!s.step()) return d;
  }
  return std::nullopt;
}

std::optional<domain::DeviceGroupId> SqliteStore::first_missing_device_group(
    domain::OrganizationId organization, const std::vector<domain::DeviceGroupId>& ids) {
  Lease c = acquire();
  for (domain::DeviceGroupId g : ids) {
    Statement s = c->prepare(kGroupInOrganization);
    s.bind(1, g).bind(2, organization);
    if (!s.step()) return g;
  }
  return std::nullopt;
}

void SqliteStore::write_lists(Connection& c, const Webhook& w) {
  c.prepare(kClearWebhookDevices).bind(1, w.id).run();
  c.prepare(kClearWebhookGroups).bind(1, w.id).run();
  for (domain::DeviceId d : w.device_ids) {
    c.prepare(kInsertWebhookDevice).bind(1, w.id).bind(2, d).run();
  }
  for (domain::DeviceGroupId g : w.device_group_ids) {
    c.prepare(kInsertWebhookGroup).bind(1, w.id).bind(2, g).run();
  }
}

// Parameters ?2 to ?9 are the same in kInsertWebhook and kUpdateWebhook; ?1 is the
// organization for an insert and the webhook's id for an update. The secrets come sealed.
static void bind_webhook_fields(Statement& s, const Webhook& w, std::string_view secret_hmac,
                                const std::optional<std::string>& secret_http) {
  s.bind(2, std::string_view(w.url))
      .bind(3, int64_t{w.topics.mask()})
      .bind(4, secret_hmac)
      .bind(5, secret_http)
      .bind(6, domain::webhook_status_name(w.status))
      .bind(7, w.disabled_reason)
      .bind(8, to_unix_micros(w.modified_at))
      .bind(9, int64_t{w.organization_wide()});
}

Webhook SqliteStore::create_webhook(const Webhook& webhook) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  // Counted under the write lock the insert holds: two creates cannot both see room for one.
  if (single_int(*c, kCountOrganizationWebhooks, webhook.organization_id).value_or(0) >=
      options_.webhooks_per_organization) {
    throw WebhookLimitExceeded(options_.webhooks_per_organization);
  }
  {
    // A new webhook was created when it was last modified.
    Statement s = c->prepare(kInsertWebhook);
    s.bind(1, webhook.organization_id);
    bind_webhook_fields(s, webhook, "", std::nullopt);
    s.run();
  }
  Webhook created = webhook;
  created.id = c->last_insert_rowid();
  c->prepare(kSetWebhookSecrets)
      .bind(1, created.id)
      .bind(2, std::string_view(seal_secret(created.id, SecretField::kHmac,
                                            std::string_view(created.secret_hmac))))
      .bind(3, seal_secret(created.id, SecretField::kHttp, created.secret_http))
      .run();
  write_lists(*c, created);
  tx.commit();
  return created;
}

std::optional<Webhook> SqliteStore::find_webhook(domain::WebhookId id) {
  Lease c = acquire();
  Statement s = c->prepare(kFindWebhook);
  s.bind(1, id);
  if (!s.step()) return std::nullopt;
  Webhook w = read_webhook(s);
  open_webhook_secrets(w);
  return w;
}

std::vector<Webhook> SqliteStore::list_webhooks(const WebhookQuery& query) {
  Lease c = acquire();
  std::vector<Webhook> out;
  {
    Statement s = c->prepare(query.organization ? kListOrganizationWebhooks : kListWebhooks);
    s.bind(1, query.size).bind(2, query.offset);
    if (query.organization) s.bind(3, *query.organization);
    while (s.step()) {
      out.push_back(read_webhook(s));
      open_webhook_secrets(out.back());
    }
  }
  return out;
}

bool SqliteStore::update_webhook(const Webhook& webhook) {
  Lease c = acquire();
  WriteTransaction tx(*c, write_mutex_);
  {
    Statement s = c->prepare(kUpdateWebhook);
    s.bind(1, webhook.id);
    bind_webhook_fields(s, webhook, "",
                        seal_secret(webhook.id, SecretField::kHttp, webhook.secret_http));
    s.run();
  }
  if (c->changes() == 0) return false;
  if (webhook.status == domain::WebhookStatus::kDisabled) {
    c->prepare(kSkipPendingOfDisabledWebhook)
        .bind(1, webhook.id)
        .bind(2, to_unix_micros(webhook.modified_at))
        .run();
  }
  write_lists(*c, webhook);
  tx.commit();
  return true;
}

bool SqliteStore::delete_webhook(domain::WebhookId id) {
  Lease c = acquire();
  bool changed = false;
  {
    WriteTransaction tx(*c, write_mutex_);
    c->prepare(kDeleteWebhook).bind(1, id).run();
    changed = c->changes() > 0;
    tx.commit();
  }
  // secure_delete zeroed the freed cells; the WAL still holds the pages as they were.
  if (changed) checkpoint_truncate(*c);
  return changed;
}

}  // namespace hookd::store::sqlite
