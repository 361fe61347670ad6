#pragma once

#include <string>
#include <vector>

namespace hookd::testing {

// Every row of every table of the database a sqlite:// or postgresql:// URL names, as text,
// tables by name and rows ordered by all their columns. Two equal snapshots mean nothing was
// written in between.
std::string database_snapshot(const std::string& database_url);

// The rows of a query; each column is followed by '|' (NULL for nulls). Keep the SQL portable
// between SQLite and PostgreSQL: the same text must come back from both.
std::vector<std::string> database_rows(const std::string& database_url, const std::string& sql);

}  // namespace hookd::testing
