#pragma once

#include "domain/tenancy.hpp"
#include "store/matcher.hpp"

namespace hookd::store::postgres {

class Connection;

// The matcher of PostgresStore::ingest (see store::Matcher). Changes are numbered in commit
// order, whichever process made them, so one generation read tells what is new.
class PostgresMatcher final : public Matcher {
 public:
  // Brings both up to what `c` sees now: everything the first time, then only the webhooks
  // and devices changed since the generation last seen. Call in the ingest's transaction.
  void refresh(Connection& c);

 private:
  void load_all(Connection& c);
};

}  // namespace hookd::store::postgres
