#pragma once

#include <string>

namespace hookd::testing {

// Runs `sql` on a test's database behind the server's back, as an older hookd, the passing of
// time or a process that died would have left it; by the URL's scheme, sqlite://PATH or
// postgresql://... Throws on failure, which fails the test.
void write_database(const std::string& database_url, const std::string& sql);

}  // namespace hookd::testing
