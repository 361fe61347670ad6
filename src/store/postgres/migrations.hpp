#pragma once

#include <span>

namespace hookd::store::postgres {

struct Migration {
  int version;
  const char* name;
  const char* sql;
};

// Every schema change, in order: the SQLite backend's migrations translated, version for
// version. Append only: an applied migration is never edited.
std::span<const Migration> migrations();

}  // namespace hookd::store::postgres
