#include "store/postgres/postgres_store.hpp"

#include <algorithm>
#include <charconv>

#include "store/id_list.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/work_listener.hpp"

namespace hookd::store::postgres {
namespace {

using domain::Webhook;

// Serialises migrate() across every process on the database: the first applies what is
// missing while the others wait, then find nothing left to do. The key is "hookd" in ASCII.
constexpr int64_t kMigrationLockKey = 0x686f6f6b64;

constexpr const char* kLockMigrations = "SELECT pg_advisory_xact_lock($1::bigint)";
constexpr const char* kCreateMigrationsTable =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
constexpr const char* kAppliedVersions = "SELECT version FROM schema_migrations";
constexpr const char* kMigrationsTableExists =
    "SELECT to_regclass('schema_migrations') IS NOT NULL";
constexpr const char* kRecordMigration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

constexpr const char* kInsertToken =
    "INSERT INTO tokens (token_hash, role, organization_id, created_at, expires_at, portal_session)"
    " VALUES ($1, $2, $3, $4, $5::bigint, $5::bigint IS NOT NULL) RETURNING id";
constexpr const char* kFindActiveToken =
    "SELECT id, role, organization_id, token_hash, portal_session::int, expires_at FROM tokens"
    " WHERE token_hash = $1 AND revoked_at IS NULL";
constexpr const char* kRevokeToken =
    "UPDATE tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL";

// Locks the row, if any, so that the upsert after it knows whether it creates.
constexpr const char* kLockOrganization = "SELECT 1 FROM organizations WHERE id = $1 FOR UPDATE";
constexpr const char* kUpsertOrganization =
    "INSERT INTO organizations (id, name, created_at, modified_at) VALUES ($1, $2, $3, $3)"
    " ON CONFLICT (id) DO UPDATE SET name = excluded.name, modified_at = excluded.modified_at";
constexpr const char* kOrganizationExists = "SELECT 1 FROM organizations WHERE id = $1";

constexpr const char* kLockDeviceOrganization =
    "SELECT organization_id FROM devices WHERE id = $1 FOR UPDATE";
constexpr const char* kUpsertDevice =
    "INSERT INTO devices (id, organization_id, name) VALUES ($1, $2, $3)"
    " ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,"
    " name = excluded.name";
// A device that changes organization leaves its old organization's groups and webhooks.
constexpr const char* kDetachDeviceFromGroups =
    "DELETE FROM device_group_members WHERE device_id = $1";
constexpr const char* kDetachDeviceFromWebhooks =
    "DELETE FROM webhook_devices WHERE device_id = $1";
constexpr const char* kDeleteDevice = "DELETE FROM devices WHERE id = $1";
// The first of the ids, in their order, that is not a device (group) of the organization:
// one round trip for the whole list.
constexpr const char* kFirstMissingDevice =
    "SELECT t.id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n)"
    " WHERE NOT EXISTS (SELECT 1 FROM devices d WHERE d.id = t.id AND d.organization_id = $2)"
    " ORDER BY t.n LIMIT 1";
constexpr const char* kFirstMissingGroup =
    "SELECT t.id FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n)"
    " WHERE NOT EXISTS (SELECT 1 FROM device_groups g WHERE g.id = t.id"
    "   AND g.organization_id = $2)"
    " ORDER BY t.n LIMIT 1";

constexpr const char* kLockGroupOrganization =
    "SELECT organization_id FROM device_groups WHERE id = $1 FOR UPDATE";
constexpr const char* kUpsertGroup =
    "INSERT INTO device_groups (id, organization_id, name) VALUES ($1, $2, $3)"
    " ON CONFLICT (id) DO UPDATE SET organization_id = excluded.organization_id,"
    " name = excluded.name";
constexpr const char* kDetachGroupFromWebhooks =
    "DELETE FROM webhook_device_groups WHERE group_id = $1";
constexpr const char* kClearGroupMembers = "DELETE FROM device_group_members WHERE group_id = $1";
constexpr const char* kInsertGroupMembers =
    "INSERT INTO device_group_members (group_id, device_id)"
    " SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING";
constexpr const char* kDeleteGroup = "DELETE FROM device_groups WHERE id = $1";

// A webhook's devices and groups as comma-separated ids, in the same statement as its row:
// one round trip per webhook.
#define WEBHOOK_COLUMNS                                                                   \
  "id, organization_id, url, topics, secret_hmac, secret_http, status, disabled_reason,"  \
  " created_at, modified_at,"                                                             \
  " (SELECT string_agg(device_id::text, ',' ORDER BY device_id) FROM webhook_devices"     \
  "   WHERE webhook_id = webhooks.id),"                                                   \
  " (SELECT string_agg(group_id::text, ',' ORDER BY group_id) FROM webhook_device_groups" \
  "   WHERE webhook_id = webhooks.id)"

constexpr const char* kInsertWebhook =
    "INSERT INTO webhooks (organization_id, url, topics, secret_hmac, secret_http, status,"
    " disabled_reason, modified_at, organization_wide, created_at)"
    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id";
constexpr const char* kSynchronousCommit = "SELECT current_setting('synchronous_commit')";
// Locks the organization's row for the length of a create, so that concurrent creates in one
// organization count its webhooks one after the other (NO KEY: inserts that refer to the row
// are not blocked).
constexpr const char* kLockOrganizationWebhooks =
    "SELECT 1 FROM organizations WHERE id = $1 FOR NO KEY UPDATE";
constexpr const char* kCountOrganizationWebhooks =
    "SELECT count(*) FROM webhooks WHERE organization_id = $1";
constexpr const char* kFindWebhook = "SELECT " WEBHOOK_COLUMNS " FROM webhooks WHERE id = $1";
constexpr const char* kListWebhooks =
    "SELECT " WEBHOOK_COLUMNS " FROM webhooks ORDER BY id DESC LIMIT $1 OFFSET $2";
constexpr const char* kListOrganizationWebhooks =
    "SELECT " WEBHOOK_COLUMNS
    " FROM webhooks WHERE organization_id = $3 ORDER BY id DESC LIMIT $1 OFFSET $2";
// secret_hmac changes only by rotate_secret, so that an update racing a rotation cannot put
// the rotated-out secret back.
constexpr const char* kUpdateWebhook =
    "UPDATE webhooks SET url = $2, topics = $3, secret_http = $4,"
    " status = $5::text, disabled_reason = $6, modified_at = $7, organization_wide = $8,"
    " failing_since = CASE WHEN $5::text = 'enabled' THEN NULL ELSE failing_since END"
    " WHERE id = $1";
// Secrets are sealed for the row's id, which exists once the row does: the insert stores
// placeholders and this sets them in the same transaction.
constexpr const char* kSetWebhookSecrets =
    "UPDATE webhooks SET secret_hmac = $2, secret_http = $3 WHERE id = $1";
// Disabling keeps what was still to be sent as skipped, for a later recover.
constexpr const char* kSkipPendingOfDisabledWebhook =
    "UPDATE deliveries SET status = 'skipped', next_attempt_at = NULL, lease_owner = NULL,"
    " lease_until = NULL, updated_at = $2 WHERE webhook_id = $1 AND status = 'pending'";
constexpr const char* kDeleteWebhook = "DELETE FROM webhooks WHERE id = $1";
constexpr const char* kClearWebhookDevices = "DELETE FROM webhook_devices WHERE webhook_id = $1";
constexpr const char* kClearWebhookGroups =
    "DELETE FROM webhook_device_groups WHERE webhook_id = $1";
constexpr const char* kInsertWebhookDevices =
    "INSERT INTO webhook_devices (webhook_id, device_id)"
    " SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING";
constexpr const char* kInsertWebhookGroups =
    "INSERT INTO webhook_device_groups (webhook_id, group_id)"
    " SELECT $1, unnest($2::bigint[]) ON CONFLICT DO NOTHING";

Webhook read_webhook(const Result& r, int row) {
  Webhook w;
  w.id = r.get_int(row, 0);
  w.organization_id = r.get_int(row, 1);
  w.url = r.get_text(row, 2);
  w.topics = domain::TopicSet::from_mask(static_cast<uint32_t>(r.get_int(row, 3)));
  w.secret_hmac = r.get_text(row, 4);
  w.secret_http = r.get_optional_text(row, 5);
  w.status = r.get_text(row, 6) == "enabled" ? domain::WebhookStatus::kEnabled
                                             : domain::WebhookStatus::kDisabled;
  w.disabled_reason = r.get_optional_text(row, 7);
  w.created_at = from_unix_micros(r.get_int(row, 8));
  w.modified_at = from_unix_micros(r.get_int(row, 9));
  w.device_ids = parse_id_list(r.get_optional_text(row, 10));
  w.device_group_ids = parse_id_list(r.get_optional_text(row, 11));
  return w;
}

// kInsertWebhook's parameters, with placeholders for the secrets.
Params insert_params(const Webhook& w) {
  Params p;
  p.add(w.organization_id)
      .add(w.url)
      .add(int64_t{w.topics.mask()})
      .add(std::string_view())
      .add(std::nullopt)
      .add(domain::webhook_status_name(w.status))
      .add(w.disabled_reason)
      .add(to_unix_micros(w.modified_at))
      .add(w.organization_wide());
  return p;
}

// kUpdateWebhook's parameters; `secret_http` comes sealed.
Params update_params(const Webhook& w, const std::optional<std::string>& secret_http) {
  Params p;
  p.add(w.id)
      .add(w.url)
      .add(int64_t{w.topics.mask()})
      .add(secret_http)
      .add(domain::webhook_status_name(w.status))
      .add(w.disabled_reason)
      .add(to_unix_micros(w.modified_at))
      .add(w.organization_wide());
  return p;
}

std::optional<int64_t> first_missing(Connection& c, const char* sql,
                                     domain::OrganizationId organization,
                                     const std::vector<int64_t>& ids) {
  if (ids.empty()) return std::nullopt;
  Result r = c.exec(sql, Params().add(ids).add(organization));
  if (r.rows() == 0) return std::nullopt;
  return r.get_int(0, 0);
}

}  // namespace

const Clock& PostgresStore::default_clock() {
  static const SystemClock clock;
  return clock;
}

PostgresStore::PostgresStore(std::string url, const Clock& clock, PoolOptions options,
                             StoreOptions store_options)
    : url_(std::move(url)),
      options_(options),
      store_options_(store_options),
      clock_(clock),
      pool_(url_, options_) {
  // Connect now (the connection then waits in the pool) so that a wrong URL fails at start.
  auto c = pool_.acquire();
  // A 202 follows a commit: with synchronous_commit off PostgreSQL answers COMMIT before the
  // WAL is flushed, and a crash of the server loses it. hookd turns it off only for a claim's
  // lease (see kHeadTransaction), which may be lost.
  if (c->exec(kSynchronousCommit, Params()).get_text(0, 0) == "off") {
    throw StoreError(
        "PostgreSQL runs with synchronous_commit=off: commits answered 202 could be lost;"
        " set it to on (or local, remote_write, remote_apply) for hookd's role or database");
  }
}

PostgresStore::~PostgresStore() = default;

std::unique_ptr<WorkWatch> PostgresStore::watch_new_work(std::function<void()> on_new_work) {
  return std::make_unique<WorkListener>(url_, options_.connection, std::move(on_new_work));
}

void PostgresStore::migrate() {
  auto c = pool_.acquire();
  // One transaction for all: PostgreSQL's DDL is transactional, so a migration that fails
  // leaves nothing half applied, and the advisory lock is held until the commit.
  Transaction tx(*c);
  c->exec(kLockMigrations, Params().add(kMigrationLockKey));
  c->exec(kCreateMigrationsTable);
  std::vector<int64_t> applied;
  {
    Result r = c->exec(kAppliedVersions);
    for (int i = 0; i < r.rows(); ++i) applied.push_back(r.get_int(i, 0));
  }
  for (const Migration& m : migrations()) {
    if (std::find(applied.begin(), applied.end(), m.version) != applied.end()) continue;
    c->exec_script(m.sql);
    c->exec(kRecordMigration,
            Params().add(int64_t{m.version}).add(m.name).add(to_unix_micros(clock_.now())));
  }
  tx.commit();
}

std::vector<int> PostgresStore::pending_migrations() {
  auto c = pool_.acquire();
  std::vector<int64_t> applied;
  if (c->exec(kMigrationsTableExists).get_text(0, 0) == "t") {
    Result r = c->exec(kAppliedVersions);
    for (int i = 0; i < r.rows(); ++i) applied.push_back(r.get_int(i, 0));
  }
  std::vector<int> pending;
  for (const Migration& m : migrations()) {
    if (std::find(applied.begin(), applied.end(), m.version) == applied.end()) {
      pending.push_back(m.version);
    }
  }
  return pending;
}

bool PostgresStore::ping() {
  try {
    auto c = pool_.acquire();
    c->exec("SELECT 1");
    return true;
  } catch (const StoreError&) {
    return false;
  }
}

domain::TokenId PostgresStore::create_token(domain::Role role,
                                            std::optional<domain::OrganizationId> organization,
                                            std::string_view token_hash) {
  return insert_token(role, organization, token_hash, std::nullopt);
}

domain::TokenId PostgresStore::create_portal_session(domain::Role role,
                                                     domain::OrganizationId organization,
                                                     std::string_view token_hash,
                                                     TimePoint expires_at) {
  return insert_token(role, organization, token_hash, expires_at);
}

// A token with an expiry is a portal session.
domain::TokenId PostgresStore::insert_token(domain::Role role,
                                            std::optional<domain::OrganizationId> organization,
                                            std::string_view token_hash,
                                            std::optional<TimePoint> expires_at) {
  std::optional<int64_t> expires;
  if (expires_at) expires = to_unix_micros(*expires_at);
  auto c = pool_.acquire();
  Result r = c->exec(kInsertToken, Params()
                                       .add(token_hash)
                                       .add(domain::role_name(role))
                                       .add(organization)
                                       .add(to_unix_micros(clock_.now()))
                                       .add(expires));
  return r.get_int(0, 0);
}

std::optional<TokenRecord> PostgresStore::find_active_token(std::string_view token_hash) {
  auto c = pool_.acquire();
  Result r = c->exec(kFindActiveToken, Params().add(token_hash));
  if (r.rows() == 0) return std::nullopt;
  auto role = domain::parse_role(r.get_text(0, 1));
  if (!role) return std::nullopt;
  domain::Principal principal{r.get_int(0, 0), *role, r.get_optional_int(0, 2)};
  principal.portal_session = r.get_int(0, 4) != 0;
  if (auto expires = r.get_optional_int(0, 5)) principal.expires_at = from_unix_micros(*expires);
  return TokenRecord{principal, r.get_text(0, 3)};
}

bool PostgresStore::revoke_token(domain::TokenId id) {
  auto c = pool_.acquire();
  return c->exec(kRevokeToken, Params().add(id).add(to_unix_micros(clock_.now()))).affected() > 0;
}

bool PostgresStore::put_organization(const domain::Organization& organization) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  const bool existed = c->exec(kLockOrganization, Params().add(organization.id)).rows() > 0;
  c->exec(kUpsertOrganization,
          Params().add(organization.id).add(organization.name).add(to_unix_micros(clock_.now())));
  tx.commit();
  return !existed;
}

bool PostgresStore::organization_exists(domain::OrganizationId id) {
  auto c = pool_.acquire();
  return c->exec(kOrganizationExists, Params().add(id)).rows() > 0;
}

PutOutcome PostgresStore::put_device(const domain::Device& device) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  if (c->exec(kOrganizationExists, Params().add(device.organization_id)).rows() == 0) {
    return {PutOutcome::Kind::kOrganizationNotFound, device.organization_id};
  }
  Result previous = c->exec(kLockDeviceOrganization, Params().add(device.id));
  const bool existed = previous.rows() > 0;
  const std::optional<domain::OrganizationId> previous_org =
      existed ? std::optional(previous.get_int(0, 0)) : std::nullopt;
  if (domain::leaves_organization(previous_org, device.organization_id)) {
    c->exec(kDetachDeviceFromGroups, Params().add(device.id));
    c->exec(kDetachDeviceFromWebhooks, Params().add(device.id));
  }
  c->exec(kUpsertDevice, Params().add(device.id).add(device.organization_id).add(device.name));
  tx.commit();
  return {PutOutcome::Kind::kOk, 0, !existed};
}

bool PostgresStore::delete_device(domain::DeviceId id) {
  auto c = pool_.acquire();
  return c->exec(kDeleteDevice, Params().add(id)).affected() > 0;
}

PutOutcome PostgresStore::put_device_group(const domain::DeviceGroup& group) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  if (c->exec(kOrganizationExists, Params().add(group.organization_id)).rows() == 0) {
    return {PutOutcome::Kind::kOrganizationNotFound, group.organization_id};
  }
  if (auto missing =
          first_missing(*c, kFirstMissingDevice, group.organization_id, group.device_ids)) {
    return {PutOutcome::Kind::kDeviceNotFound, *missing};
  }
  Result previous = c->exec(kLockGroupOrganization, Params().add(group.id));
  const bool existed = previous.rows() > 0;
  if (existed && previous.get_int(0, 0) != group.organization_id) {
    c->exec(kDetachGroupFromWebhooks, Params().add(group.id));
  }
  c->exec(kUpsertGroup, Params().add(group.id).add(group.organization_id).add(group.name));
  c->exec(kClearGroupMembers, Params().add(group.id));
  if (!group.device_ids.empty()) {
    c->exec(kInsertGroupMembers, Params().add(group.id).add(group.device_ids));
  }
  tx.commit();
  return {PutOutcome::Kind::kOk, 0, !existed};
}

bool PostgresStore::delete_device_group(domain::DeviceGroupId id) {
  auto c = pool_.acquire();
  return c->exec(kDeleteGroup, Params().add(id)).affected() > 0;
}

std::optional<domain::DeviceId> PostgresStore::first_missing_device(
    domain::OrganizationId organization, const std::vector<domain::DeviceId>& ids) {
  auto c = pool_.acquire();
  return first_missing(*c, kFirstMissingDevice, organization, ids);
}

std::optional<domain::DeviceGroupId> PostgresStore::first_missing_device_group(
    domain::OrganizationId organization, const std::vector<domain::DeviceGroupId>& ids) {
  auto c = pool_.acquire();
  return first_missing(*c, kFirstMissingGroup, organization, ids);
}

void PostgresStore::write_lists(Connection& c, const Webhook& w) {
  c.exec(kClearWebhookDevices, Params().add(w.id));
  c.exec(kClearWebhookGroups, Params().add(w.id));
  if (!w.device_ids.empty()) {
    c.exec(kInsertWebhookDevices, Params().add(w.id).add(w.device_ids));
  }
  if (!w.device_group_ids.empty()) {
    c.exec(kInsertWebhookGroups, Params().add(w.id).add(w.device_group_ids));
  }
}

Webhook PostgresStore::create_webhook(const Webhook& webhook) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  c->exec(kLockOrganizationWebhooks, Params().add(webhook.organization_id));
  if (c->exec(kCountOrganizationWebhooks, Params().add(webhook.organization_id)).get_int(0, 0) >=
      store_options_.webhooks_per_organization) {
    throw WebhookLimitExceeded(store_options_.webhooks_per_organization);
  }
  // A new webhook was created when it was last modified.
  Result r = c->exec(kInsertWebhook, insert_params(webhook));
  Webhook created = webhook;
  created.id = r.get_int(0, 0);
  c->exec(
      kSetWebhookSecrets,
      Params()
          .add(created.id)
          .add(seal_secret(created.id, SecretField::kHmac, std::string_view(created.secret_hmac)))
          .add(seal_secret(created.id, SecretField::kHttp, created.secret_http)));
  write_lists(*c, created);
  tx.commit();
  return created;
}

std::optional<Webhook> PostgresStore::find_webhook(domain::WebhookId id) {
  auto c = pool_.acquire();
  Result r = c->exec(kFindWebhook, Params().add(id));
  if (r.rows() == 0) return std::nullopt;
  Webhook w = read_webhook(r, 0);
  open_webhook_secrets(w);
  return w;
}

std::vector<Webhook> PostgresStore::list_webhooks(const WebhookQuery& query) {
  auto c = pool_.acquire();
  Params p;
  p.add(query.size).add(query.offset);
  if (query.organization) p.add(*query.organization);
  Result r = c->exec(query.organization ? kListOrganizationWebhooks : kListWebhooks, p);
  std::vector<Webhook> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    out.push_back(read_webhook(r, i));
    open_webhook_secrets(out.back());
  }
  return out;
}

bool PostgresStore::update_webhook(const Webhook& webhook) {
  auto c = pool_.acquire();
  Transaction tx(*c);
  const Params params =
      update_params(webhook, seal_secret(webhook.id, SecretField::kHttp, webhook.secret_http));
  if (c->exec(kUpdateWebhook, params).affected() == 0) return false;
  if (webhook.status == domain::WebhookStatus::kDisabled) {
    c->exec(kSkipPendingOfDisabledWebhook,
            Params().add(webhook.id).add(to_unix_micros(webhook.modified_at)));
  }
  write_lists(*c, webhook);
  tx.commit();
  return true;
}

bool PostgresStore::delete_webhook(domain::WebhookId id) {
  auto c = pool_.acquire();
  return c->exec(kDeleteWebhook, Params().add(id)).affected() > 0;
}

}  // namespace hookd::store::postgres
