#include "store/postgres/migrations.hpp"

namespace hookd::store::postgres {
namespace {

// Times are BIGINT microseconds since the Unix epoch, UTC, as in the SQLite backend, so that
// both backends share their time arithmetic. Event data is TEXT, not JSONB: the delivered body
// is signed, and JSONB would not keep its bytes.
constexpr Migration kMigrations[] = {
    {1, "tenancy and webhooks", R"sql(
CREATE TABLE organizations (
  id          BIGINT PRIMARY KEY,
  name        TEXT NOT NULL,
  created_at  BIGINT NOT NULL,
  modified_at BIGINT NOT NULL
);

CREATE TABLE devices (
  id              BIGINT PRIMARY KEY,
  organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL
);
CREATE INDEX devices_by_organization ON devices(organization_id);

CREATE TABLE device_groups (
  id              BIGINT PRIMARY KEY,
  organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name            TEXT NOT NULL
);

CREATE TABLE device_group_members (
  group_id  BIGINT NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
  device_id BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  PRIMARY KEY (group_id, device_id)
);
CREATE INDEX device_group_members_by_device ON device_group_members(device_id);

CREATE TABLE tokens (
  id              BIGSERIAL PRIMARY KEY,
  token_hash      TEXT NOT NULL UNIQUE,
  role            TEXT NOT NULL CHECK (role IN ('admin', 'read', 'platform')),
  organization_id BIGINT,
  created_at      BIGINT NOT NULL,
  revoked_at      BIGINT
);

CREATE TABLE webhooks (
  id              BIGSERIAL PRIMARY KEY,
  organization_id BIGINT NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  url             TEXT NOT NULL,
  topics          INTEGER NOT NULL,
  secret_hmac     TEXT NOT NULL,
  secret_http     TEXT,
  status          TEXT NOT NULL CHECK (status IN ('enabled', 'disabled')),
  disabled_reason TEXT,
  created_at      BIGINT NOT NULL,
  modified_at     BIGINT NOT NULL
);
CREATE INDEX webhooks_by_organization ON webhooks(organization_id, id);

CREATE TABLE webhook_devices (
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  device_id  BIGINT NOT NULL REFERENCES devices(id) ON DELETE CASCADE,
  PRIMARY KEY (webhook_id, device_id)
);
CREATE INDEX webhook_devices_by_device ON webhook_devices(device_id);

CREATE TABLE webhook_device_groups (
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  group_id   BIGINT NOT NULL REFERENCES device_groups(id) ON DELETE CASCADE,
  PRIMARY KEY (webhook_id, group_id)
);
CREATE INDEX webhook_device_groups_by_group ON webhook_device_groups(group_id);
)sql"},
    {2, "events and deliveries", R"sql(
-- Organization-wide webhooks are found through this flag, so that matching an event never
-- walks the webhooks that name other devices.
ALTER TABLE webhooks ADD COLUMN organization_wide BOOLEAN NOT NULL DEFAULT false;
UPDATE webhooks SET organization_wide = true
 WHERE id NOT IN (SELECT webhook_id FROM webhook_devices)
   AND id NOT IN (SELECT webhook_id FROM webhook_device_groups);
CREATE INDEX webhooks_organization_wide ON webhooks(organization_id) WHERE organization_wide;

CREATE TABLE events (
  id              TEXT PRIMARY KEY,
  producer_id     TEXT,
  organization_id BIGINT NOT NULL,
  device_id       BIGINT NOT NULL,
  topic           INTEGER NOT NULL,
  type            TEXT,
  time            BIGINT NOT NULL,
  data            TEXT NOT NULL,
  created_at      BIGINT NOT NULL
);

-- The last event stored for each producer id; older than 24 h it no longer deduplicates.
CREATE TABLE producer_ids (
  producer_id TEXT PRIMARY KEY,
  event_id    TEXT NOT NULL,
  created_at  BIGINT NOT NULL
);

CREATE TABLE deliveries (
  id               BIGSERIAL PRIMARY KEY,
  webhook_id       BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  event_id         TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'skipped')),
  attempt_count    INTEGER NOT NULL DEFAULT 0,
  next_attempt_at  BIGINT,
  lease_owner      TEXT,
  lease_until      BIGINT,
  last_status_code INTEGER,
  last_error       TEXT,
  created_at       BIGINT NOT NULL,
  updated_at       BIGINT NOT NULL
);
CREATE INDEX deliveries_due ON deliveries(next_attempt_at) WHERE status = 'pending';
CREATE INDEX deliveries_by_webhook ON deliveries(webhook_id, id);

CREATE TABLE attempts (
  id            BIGSERIAL PRIMARY KEY,
  delivery_id   BIGINT NOT NULL REFERENCES deliveries(id) ON DELETE CASCADE,
  attempt       INTEGER NOT NULL,
  at            BIGINT NOT NULL,
  duration_ms   BIGINT NOT NULL,
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
  webhook_id BIGINT NOT NULL REFERENCES webhooks(id) ON DELETE CASCADE,
  secret     TEXT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX webhook_secrets_by_webhook ON webhook_secrets(webhook_id, expires_at);

-- When the run of failed attempts without a success began; NULL after any success.
ALTER TABLE webhooks ADD COLUMN failing_since BIGINT;
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
-- organization and groups; cascades included) takes the next generation and records it
-- against the webhook or device, in the transaction of the change; an ingestion first reloads
-- what changed since the generation it last saw. The triggers are deferred to the commit, so the generation row is locked last and
-- briefly: generations are taken in commit order (a reader never sees a later one without the
-- earlier ones), and no transaction waits for it while holding a webhook another one needs.
CREATE TABLE matching_generation (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  value BIGINT NOT NULL
);
INSERT INTO matching_generation (id, value) VALUES (1, 0);

CREATE TABLE webhook_changes (
  webhook_id BIGINT PRIMARY KEY,
  generation BIGINT NOT NULL
);
CREATE INDEX webhook_changes_by_generation ON webhook_changes(generation);

CREATE TABLE device_changes (
  device_id  BIGINT PRIMARY KEY,
  generation BIGINT NOT NULL
);
CREATE INDEX device_changes_by_generation ON device_changes(generation);

CREATE FUNCTION record_webhook_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed BIGINT;
  next_generation BIGINT;
BEGIN
  IF TG_TABLE_NAME = 'webhooks' THEN
    changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
  ELSE
    changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.webhook_id ELSE NEW.webhook_id END;
  END IF;
  UPDATE matching_generation SET value = value + 1 WHERE id = 1 RETURNING value
    INTO next_generation;
  INSERT INTO webhook_changes (webhook_id, generation) VALUES (changed, next_generation)
    ON CONFLICT (webhook_id) DO UPDATE SET generation = excluded.generation;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER webhooks_changed_for_matching
  AFTER INSERT OR DELETE OR UPDATE OF organization_id, topics, status, organization_wide
  ON webhooks DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION record_webhook_change();
CREATE CONSTRAINT TRIGGER webhook_devices_changed_for_matching
  AFTER INSERT OR DELETE OR UPDATE ON webhook_devices DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION record_webhook_change();
CREATE CONSTRAINT TRIGGER webhook_device_groups_changed_for_matching
  AFTER INSERT OR DELETE OR UPDATE ON webhook_device_groups DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION record_webhook_change();

CREATE FUNCTION record_device_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed BIGINT;
  next_generation BIGINT;
BEGIN
  IF TG_TABLE_NAME = 'devices' THEN
    changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END;
  ELSE
    changed := CASE WHEN TG_OP = 'DELETE' THEN OLD.device_id ELSE NEW.device_id END;
  END IF;
  UPDATE matching_generation SET value = value + 1 WHERE id = 1 RETURNING value
    INTO next_generation;
  INSERT INTO device_changes (device_id, generation) VALUES (changed, next_generation)
    ON CONFLICT (device_id) DO UPDATE SET generation = excluded.generation;
  RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER devices_changed_for_matching
  AFTER INSERT OR DELETE OR UPDATE OF organization_id ON devices
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION record_device_change();
CREATE CONSTRAINT TRIGGER device_group_members_changed_for_matching
  AFTER INSERT OR DELETE OR UPDATE ON device_group_members DEFERRABLE INITIALLY DEFERRED
  FOR EACH ROW EXECUTE FUNCTION record_device_change();
)sql"},
    {8, "due deliveries in order", R"sql(
-- A claim walks the due deliveries oldest first, by id within one time.
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due ON deliveries(next_attempt_at, id) WHERE status = 'pending';
)sql"},
    {9, "idempotency keys", R"sql(
-- A POST's Idempotency-Key: the key only as a SHA-256 with its caller's scope, the request as a
-- fingerprint, and once answered its status and body, sealed like the secrets. status is NULL
-- while the request runs; generation names the claim that holds the key. The primary key makes
-- concurrent claims from any number of processes meet on one row.
CREATE TABLE idempotency_keys (
  key_hash      TEXT PRIMARY KEY,
  fingerprint   TEXT NOT NULL,
  generation    BIGINT NOT NULL,
  running_until BIGINT NOT NULL,
  expires_at    BIGINT NOT NULL,
  status        INTEGER,
  body          TEXT
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys(expires_at);
)sql"},
    {10, "portal sessions", R"sql(
-- A portal session is a token that expires and is valid on its organization's webhooks only.
ALTER TABLE tokens ADD COLUMN expires_at BIGINT;
ALTER TABLE tokens ADD COLUMN portal_session BOOLEAN NOT NULL DEFAULT FALSE;
)sql"},
    {11, "room for leases in place", R"sql(
-- A claim's lease writes no indexed column: with room left on its row's page, PostgreSQL
-- writes it there as a heap-only update, and none of the six indexes of deliveries gets a new
-- entry. Pages written from now on keep half their room for that (at 70, most leases of a
-- page claimed at once found none left), at the price of a table up to twice as large.
ALTER TABLE deliveries SET (fillfactor = 50);
)sql"},
    {12, "one index fewer for every delivery", R"sql(
-- A webhook's log pages through deliveries_by_webhook_status, one status at a time, merged
-- (PostgresStore::list_deliveries); deleting a webhook finds its deliveries there too. The
-- index on (webhook_id, id) cost every ingestion an insert per delivery, and every recorded
-- attempt another (a change of status is never a heap-only update).
DROP INDEX deliveries_by_webhook;
)sql"},
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace hookd::store::postgres
