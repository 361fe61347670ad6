#pragma once

#include <string>
#include <vector>

namespace hookd::testing {

// Every row of every table of a SQLite database, as text, in a stable order. Two equal
// snapshots mean nothing was written in between.
std::string sqlite_snapshot(const std::string& database_url);

// The rows of a query; each column is followed by '|' (NULL for nulls).
std::vector<std::string> sqlite_rows(const std::string& database_url, const std::string& sql);

}  // namespace hookd::testing
