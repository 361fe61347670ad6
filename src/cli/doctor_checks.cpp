#include "cli/doctor_checks.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "cli/database_setup.hpp"
#include "cli/delivery_setup.hpp"
#include "cli/listen_address.hpp"
#include "security/secret_box.hpp"
#include "store/secret_sweep.hpp"

namespace hookd::cli::checkup {
namespace {

constexpr std::string_view kSqlite = "sqlite://";

bool is_sqlite(const config::Config& c) { return c.database.starts_with(kSqlite); }

std::string sqlite_path(const config::Config& c) { return c.database.substr(kSqlite.size()); }

// The database URL without the password a PostgreSQL URL may carry.
std::string shown_url(const std::string& url) {
  const size_t scheme_end = url.find("://");
  const size_t at = url.find('@');
  if (scheme_end == std::string::npos || at == std::string::npos) return url;
  const size_t colon = url.find(':', scheme_end + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon) + ":***" + url.substr(at);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out += (out.empty() ? "" : ", ") + item;
  return out;
}

std::string readable_file_problem(const std::string& key, const std::string& path) {
  if (path.empty() || ::access(path.c_str(), R_OK) == 0) return {};
  return key + " " + path + " cannot be read: " + std::strerror(errno);
}

Check fail(std::string name, std::string found, std::string fix) {
  return Check{std::move(name), Verdict::kFail, std::move(found), std::move(fix)};
}

std::string config_source(const State& state) {
  return state.config_file.empty() ? "no --config: the defaults and HOOKD_* variables"
                                   : state.config_file;
}

std::string migrate_command(const State& state) {
  return "hookd migrate" + (state.config_file.empty() ? std::string(" --database URL")
                                                      : " --config " + state.config_file);
}

}  // namespace

Check check_config(State& state, const CommonFlags& flags) {
  state.config_file = flags.config_file;
  const std::string fix_where =
      flags.config_file.empty() ? "the HOOKD_* variable or flag" : flags.config_file;
  config::Config c;
  try {
    c = load_config(flags);
    config::validate(c);
    parse_listen_address(c.listen);
    build_guard(c.delivery);
    resolver_options(c.delivery);
  } catch (const std::exception& e) {
    return fail("config", std::string(e.what()), "correct " + fix_where + " and run doctor again");
  }
  for (const auto& [key, path] : {std::pair{"tls_cert", c.tls_cert}, {"tls_key", c.tls_key}}) {
    if (std::string problem = readable_file_problem(key, path); !problem.empty()) {
      return fail("config", problem,
                  "make the file readable by the user hookd runs as, or correct " + fix_where);
    }
  }
  state.config = c;
  return Check{"config", Verdict::kOk, config_source(state) + ": parsed, every value valid", {}};
}

Check check_database(State& state) {
  const config::Config& c = *state.config;
  const std::string shown = shown_url(c.database);
  if (is_sqlite(c)) {
    const std::filesystem::path path(sqlite_path(c));
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) {
      const std::filesystem::path dir = path.has_parent_path() ? path.parent_path() : ".";
      if (!std::filesystem::is_directory(dir, ec)) {
        return Check{"database",
                     Verdict::kNote,
                     path.string() + " and its directory " + dir.string() +
                         " do not exist yet: hookd.service creates the directory "
                         "(StateDirectory=hookd) and hookd serve the database at first start; "
                         "run elsewhere, create the directory (mkdir -p " +
                         dir.string() + ")",
                     {}};
      }
      if (::access(dir.c_str(), W_OK) != 0) {
        return fail("database",
                    path.string() + " does not exist and its directory " + dir.string() +
                        " is not writable: " + std::strerror(errno),
                    "let the user hookd runs as write to " + dir.string() +
                        ", or set database to a writable place");
      }
      return Check{
          "database",
          Verdict::kNote,
          path.string() + " does not exist yet: it will be created and migrated at first start",
          {}};
    }
  }
  state.database_exists = true;
  try {
    state.store = store::open_store(c.database);
  } catch (const std::exception& e) {
    return fail("database", "cannot open " + shown + ": " + e.what(),
                is_sqlite(c) ? "check the path and that the file is an SQLite database hookd made"
                             : "check the URL, that the server runs and that it accepts this "
                               "role from here (pg_hba.conf)");
  }
  std::vector<int> pending;
  try {
    pending = state.store->pending_migrations();
  } catch (const std::exception& e) {
    state.store.reset();
    return fail("database", "cannot read the migrations of " + shown + ": " + e.what(),
                "check that the database is one hookd made");
  }
  if (!pending.empty()) {
    state.store.reset();
    return fail("database",
                shown + " is reachable but " + std::to_string(pending.size()) +
                    " migration(s) are not applied (versions " + std::to_string(pending.front()) +
                    " to " + std::to_string(pending.back()) + ")",
                "run `" + migrate_command(state) + "` (hookd serve also applies them at start)");
  }
  return Check{"database", Verdict::kOk, shown + " is reachable and migrated", {}};
}

Check check_secrets(const State& state) {
  const config::Config& c = *state.config;
  std::vector<security::SecretKey> keys;
  std::vector<std::string> notes;
  for (const std::string& path : c.secrets.key_files) {
    try {
      keys.push_back(security::load_secret_key_file(path));
    } catch (const std::exception& e) {
      return fail("secrets", e.what(),
                  "make the key file readable by the user hookd runs as, or create it with "
                  "`openssl rand -base64 32 > " +
                      path + " && chmod 600 " + path + "`, or correct secrets.key_files");
    }
    if (security::readable_by_others(path)) notes.push_back(path + " is readable by others");
  }
  std::string source = "secrets.key_files";
  if (c.secrets.key_files.empty()) {
    if (!is_sqlite(c)) {
      return fail("secrets",
                  "secrets.key_files is empty: a PostgreSQL database needs a key file every "
                  "hookd process shares",
                  "create one with `openssl rand -base64 32 > /etc/hookd/secrets.key && chmod "
                  "600 /etc/hookd/secrets.key` and list it in secrets.key_files");
    }
    const std::string path = sqlite_path(c) + ".key";
    source = path;
    std::error_code ec;
    if (std::filesystem::exists(path, ec)) {
      try {
        keys.push_back(security::load_secret_key_file(path));
      } catch (const std::exception& e) {
        return fail("secrets", e.what(),
                    "make " + path +
                        " readable by the user hookd runs as (it seals the secrets "
                        "in the database: restore it from a backup, never delete it)");
      }
      if (security::readable_by_others(path)) notes.push_back(path + " is readable by others");
    } else if (!state.database_exists) {
      return Check{"secrets",
                   Verdict::kNote,
                   path +
                       " does not exist yet: it will be generated beside the database at "
                       "first start (back it up with the database)",
                   {}};
    }
  }
  std::string found = source + ": " + std::to_string(keys.size()) + " key(s) loaded";
  if (!state.store) {
    if (state.database_exists) found += "; not compared with the database, which did not open";
    return Check{"secrets",
                 notes.empty() ? Verdict::kOk : Verdict::kNote,
                 found + (notes.empty() ? "" : "; " + join(notes) + ": chmod 600 it"),
                 {}};
  }
  // With no key at all (an SQLite database whose key file went), a key of no file stands in:
  // every sealed secret then shows as sealed under a missing key.
  std::vector<std::string> held;
  for (const security::SecretKey& key : keys) held.push_back(key.id);
  if (keys.empty()) keys.push_back(security::generate_secret_key());
  const security::KeyRing ring(std::move(keys));
  store::SweepResult r;
  try {
    r = store::sweep_secrets(*state.store, ring, store::SweepMode::kCheckOnly);
  } catch (const std::exception& e) {
    return fail("secrets", std::string("cannot read the stored secrets: ") + e.what(),
                "check the database");
  }
  if (!r.missing_key_ids.empty()) {
    const std::vector<std::string> missing(r.missing_key_ids.begin(), r.missing_key_ids.end());
    return fail("secrets",
                "the database holds secrets sealed with the key id " + join(missing) +
                    ", which no key file holds (" + source + " holds " +
                    (held.empty() ? std::string("none") : join(held)) + ")",
                "add the key file with that id to secrets.key_files (restore it from a backup)");
  }
  found += "; each of the " + std::to_string(r.examined) +
           " secret(s) in the database is sealed with one of them";
  if (r.plaintext > 0) {
    found += " (" + std::to_string(r.plaintext) +
             " stored before sealing, which hookd serve seals at start)";
  }
  if (!notes.empty()) found += "; " + join(notes) + ": chmod 600 it";
  return Check{"secrets", notes.empty() ? Verdict::kOk : Verdict::kNote, found, {}};
}

}  // namespace hookd::cli::checkup
