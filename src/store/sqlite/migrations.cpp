#include "store/sqlite/migrations.hpp"

namespace hookd::store::sqlite {
namespace {

// Times are INTEGER microseconds since the Unix epoch, UTC.
constexpr Migration kMigrations[] = {
    {1, "tenancy and webhooks", R"sql(
CREATE TABLE organizations (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  modified_at INTEGER NOT NULL
);

CREATE TABLE devices (
  id              INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL
);
CREATE INDEX devices_by_organization ON devices(organization_id);

CREATE TABLE device_groups (
  id              INTEGER PRIMARY KEY,
  organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL
);

CREATE TABLE device_group_members (
  group_id  INTEGER NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
  device_id INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, device_id)
) WITHOUT ROWID;
CREATE INDEX device_group_members_by_device ON device_group_members(device_id);

CREATE TABLE tokens (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  token_hash      TEXT NOT NULL UNIQUE,
  role            TEXT NOT NULL CHECK (role IN ('admin', 'read', 'platform')),
  organization_id INTEGER,
  created_at      INTEGER NOT NULL,
  revoked_at      INTEGER
);

CREATE TABLE webhooks (
  id              INTEGER PRIMARY KEY AUTOINCREMENT,
  organization_id INTEGER NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  url             TEXT NOT NULL,
  topics          INTEGER NOT NULL,
  secret_hmac     TEXT NOT NULL,
  secret_http     TEXT,
  status          TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  disabled_reason TEXT,
  created_at      INTEGER NOT NULL,
  modified_at     INTEGER NOT NULL
);
CREATE INDEX webhooks_by_organization ON webhooks(organization_id, id);

CREATE TABLE webhook_devices (
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  device_id  INTEGER NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  PRIMARY KEY (webhook_id, device_id)
) WITHOUT ROWID;
CREATE INDEX webhook_devices_by_device ON webhook_devices(device_id);

CREATE TABLE webhook_device_groups (
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  group_id   INTEGER NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
  PRIMARY KEY (webhook_id, group_id)
) WITHOUT ROWID;
CREATE INDEX webhook_device_groups_by_group ON webhook_device_groups(group_id);
)sql"},
    {2, "events and deliveries", R"sql(
-- Organization-wide webhooks are found through this flag, so that matching an event never
-- walks the webhooks that name other devices.
ALTER TABLE webhooks ADD COLUMN organization_wide INTEGER NOT NULL DEFAULT 0;
UPDATE webhooks SET organization_wide = 1
 WHERE id NOT IN (SELECT webhook_id FROM webhook_devices)
   AND id NOT IN (SELECT webhook_id FROM webhook_device_groups);
CREATE INDEX webhooks_organization_wide ON webhooks(organization_id) WHERE organization_wide = 1;

CREATE TABLE events (
  id              TEXT PRIMARY KEY,
  producer_id     TEXT,
  organization_id INTEGER NOT NULL,
  device_id       INTEGER NOT NULL,
  topic           INTEGER NOT NULL,
  type            TEXT,
  time            INTEGER NOT NULL,
  data            TEXT NOT NULL,
  created_at      INTEGER NOT NULL
) WITHOUT ROWID;

-- The last event stored for each producer id; older than 24 h it no longer deduplicates.
CREATE TABLE producer_ids (
  producer_id TEXT PRIMARY KEY,
  event_id    TEXT NOT NULL,
  created_at  INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE deliveries (
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id       INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id         TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'skipped')),
  attempt_count    INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  INTEGER,
  lease_owner      TEXT,
  lease_until      INTEGER,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       INTEGER NOT NULL,
  updated_at       INTEGER NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, id);

CREATE TABLE attempts (
  id            INTEGER PRIMARY KEY,
  delivery_id   INTEGER NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  at            INTEGER NOT NULL,
  duration_ms   INTEGER NOT NULL,
  status_code   INTEGER,
  error         TEXT,
  response_body TEXT NOT NULL
);
CREATE INDEX attempts_by_delivery ON attempts(delivery_id, attempt);
)sql"},
    {3, "delivery log by status", R"sql(
-- A webhook's log filtered by status pages through this index alone, however many
-- deliveries the webhook has.
CREATE INDEX deliveries_by_webhook_status ON deliveries(webhook_id, status, id);
)sql"},
    {4, "secret rotation and auto-disable", R"sql(
-- Secrets replaced by a rotation, signing beside the current one until they expire.
CREATE TABLE webhook_secrets (
  webhook_id INTEGER NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  secret     TEXT NOT NULL,
  expires_at INTEGER NOT NULL
);
CREATE INDEX webhook_secrets_by_webhook ON webhook_secrets(webhook_id, expires_at);

-- When the run of failed attempts without a success began; NULL after any success.
ALTER TABLE webhooks ADD COLUMN failing_since INTEGER;
)sql"},
    {5, "retention", R"sql(
-- The purge finds what is past retention through these, a batch at a time.
CREATE INDEX deliveries_by_event ON deliveries(event_id);
CREATE INDEX events_by_created_at ON events(created_at);
CREATE INDEX producer_ids_by_created_at ON producer_ids(created_at);
)sql"},
    {6, "pending deliveries by webhook", R"sql(
-- A claim visits each webhook with pending deliveries and takes its oldest due ones, as many
-- as it has free slots; a webhook at its cap costs one look, however long its backlog.
CREATE INDEX deliveries_pending_by_webhook ON deliveries(webhook_id, next_attempt_at)
  WHERE status = 'pending';
)sql"},
    {7, "matching index changes", R"sql(
-- Each process keeps webhooks and devices in memory for matching. Every change to what
-- matching reads (a webhook's organization, topics, status, devices and groups; a device's
-- organization and groups; cascades included) takes the next generation, in the transaction
-- of the change, and records it against the webhook or device; an ingestion first reloads
-- what changed since the generation it last saw.
CREATE TABLE matching_generation (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value INTEGER NOT NULL
);
INSERT INTO matching_generation (id, value) VALUES (1, 0);

CREATE TABLE webhook_changes (
  webhook_id INTEGER PRIMARY KEY,
  generation INTEGER NOT NULL
);
CREATE INDEX webhook_changes_by_generation ON webhook_changes(generation);

CREATE TABLE device_changes (
  device_id  INTEGER PRIMARY KEY,
  generation INTEGER NOT NULL
);
CREATE INDEX device_changes_by_generation ON device_changes(generation);

CREATE TRIGGER webhooks_inserted_for_matching AFTER INSERT ON webhooks BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT NEW.id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER webhooks_updated_for_matching
  AFTER UPDATE OF organization_id, topics, status, organization_wide ON webhooks BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT NEW.id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER webhooks_deleted_for_matching AFTER DELETE ON webhooks BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT OLD.id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER webhook_devices_inserted_for_matching AFTER INSERT ON webhook_devices BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT NEW.webhook_id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER webhook_devices_deleted_for_matching AFTER DELETE ON webhook_devices BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT OLD.webhook_id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER webhook_device_groups_inserted_for_matching AFTER INSERT ON webhook_device_groups
BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT NEW.webhook_id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER webhook_device_groups_deleted_for_matching AFTER DELETE ON webhook_device_groups
BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO webhook_changes (webhook_id, generation)
    SELECT OLD.webhook_id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER devices_inserted_for_matching AFTER INSERT ON devices BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO device_changes (device_id, generation)
    SELECT NEW.id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (device_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER devices_moved_for_matching AFTER UPDATE OF organization_id ON devices BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO device_changes (device_id, generation)
    SELECT NEW.id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (device_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER devices_deleted_for_matching AFTER DELETE ON devices BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO device_changes (device_id, generation)
    SELECT OLD.id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (device_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER device_group_members_inserted_for_matching AFTER INSERT ON device_group_members BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO device_changes (device_id, generation)
    SELECT NEW.device_id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (device_id) DO UPDATE SET generation = excluded.generation;
END;
CREATE TRIGGER device_group_members_deleted_for_matching AFTER DELETE ON device_group_members BEGIN
  UPDATE matching_generation SET value = value + 1 WHERE id = 1;
  INSERT INTO device_changes (device_id, generation)
    SELECT OLD.device_id, value FROM matching_generation WHERE id = 1
    ON CONFLICT (device_id) DO UPDATE SET generation = excluded.generation;
END;
)sql"},
    {8, "due deliveries with their webhook", R"sql(
-- A claim walks the due deliveries oldest first and skips, in memory, those of webhooks at
-- their cap and those already leased: the index covers the walk (status too, which SQLite
-- does not take from the WHERE of a partial index), so a skipped row costs no table read.
-- Within one time and webhook, the index keeps the deliveries in id order. Leases are held in the process's memory (one process uses this database), so
-- none is left in the table.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, webhook_id, status)
  WHERE status = 'pending';
UPDATE deliveries SET lease_owner = NULL, lease_until = NULL WHERE lease_owner IS NOT NULL;
)sql"},
    {9, "idempotency keys", R"sql(
-- A POST's Idempotency-Key: the key only as a SHA-256 with its caller's scope, the request as a
-- fingerprint, and once answered its status and body, sealed like the secrets. status is NULL
-- while the request runs; generation names the claim that holds the key.
CREATE TABLE idempotency_keys (
  key_hash      TEXT PRIMARY KEY,
  fingerprint   TEXT NOT NULL,
  generation    INTEGER NOT NULL,
  running_until INTEGER NOT NULL,
  expires_at    INTEGER NOT NULL,
  status        INTEGER,
  body          TEXT
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys(expires_at);
)sql"},
    {10, "portal sessions", R"sql(
-- A portal session is a token that expires and is valid on its organization's webhooks only.
ALTER TABLE tokens ADD COLUMN expires_at INTEGER;
ALTER TABLE tokens ADD COLUMN portal_session INTEGER NOT NULL DEFAULT 0;
)sql"},
    {11, "one index fewer for every delivery", R"sql(
-- A webhook's log pages through deliveries_by_webhook_status, one status at a time, merged
-- (SqliteStore::list_deliveries); deleting a webhook finds its deliveries there too. The index
-- on (webhook_id, id) only cost every ingestion a b-tree insert per delivery.
DROP INDEX deliveries_by_webhook;
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace hookd::store::sqlite
