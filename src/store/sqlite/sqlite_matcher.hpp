#pragma once

#include "domain/tenancy.hpp"
#include "store/matcher.hpp"

namespace hookd::store::sqlite {

class Connection;

// The matcher of SqliteStore::ingest (see store::Matcher). Used under the store's write lock
// only, so nothing changes between refresh() and the commit.
class SqliteMatcher final : public Matcher {
 public:
  // Brings both up to what `c` sees: everything the first time, then only the webhooks and
  // devices changed since the generation last seen. Call in the ingest's transaction.
  void refresh(Connection& c);

 private:
  void load_all(Connection& c);
  void reload_webhook(Connection& c, domain::WebhookId id);
  void reload_device(Connection& c, domain::DeviceId id);
};

}  // namespace hookd::store::sqlite
