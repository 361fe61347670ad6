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
};

}  // namespace

std::span<const Migration> migrations() { return kMigrations; }

}  // namespace hookd::store::sqlite
