#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "store/store.hpp"

// The checks of `hookd doctor`, each saying in words what it found and, when something is
// wrong, how to mend it. They read and change nothing: no database or key file is created, no
// migration applied, no secret sealed.
namespace hookd::cli::checkup {

enum class Verdict {
  kOk,
  kNote,     // works, with something worth knowing (e.g. a file made at first start)
  kFail,     // hookd serve would refuse to start or could not deliver
  kSkipped,  // an earlier check failed that this one needs
};

struct Check {
  std::string name;  // "config", "database", ...
  Verdict verdict = Verdict::kOk;
  std::string found;  // what was found, in words
  std::string fix;    // how to mend it, when it failed
};

// What the checks learn and later ones use.
struct State {
  std::string config_file;  // empty: defaults and HOOKD_* variables only
  std::optional<config::Config> config;
  std::unique_ptr<store::Store> store;  // open, migrated
  bool database_exists = false;
};

// The configuration loads (TOML, HOOKD_* variables, --database) and every value is valid.
Check check_config(State& state, const CommonFlags& flags);
// The database is reachable and no migration is pending. An SQLite file that does not exist
// yet is no failure: hookd serve creates it at first start.
Check check_database(State& state);
// The key files load, and hold every key the database's sealed secrets name.
Check check_secrets(const State& state);
// The system's trusted roots and delivery.ca_file load, as the sender loads them.
Check check_trust_store(const State& state);
// The resolver (delivery.dns_servers, else /etc/resolv.conf) answers for `name`. With
// `required_address` false (the default probe, localhost) an answer "no such name" passes:
// it shows a server answered, without needing the internet.
Check check_dns(const State& state, const std::string& name, bool required_address);
// `url` passes the webhookUrl rules, every address it resolves to passes the destination
// guard, and a TLS handshake with it verifies against the trust store.
Check check_url(const State& state, const std::string& url);

}  // namespace hookd::cli::checkup
