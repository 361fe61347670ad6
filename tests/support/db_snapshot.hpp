#pragma once

#include <string>

namespace hookd::testing {

// Every row of every table of a SQLite database, as text, in a stable order. Two equal
// snapshots mean nothing was written in between.
std::string sqlite_snapshot(const std::string& database_url);

}  // namespace hookd::testing
