// The commands that work on the database alone: migrate, token create, secrets reencrypt.
#include <iostream>
#include <stdexcept>

#include "cli/commands.hpp"
#include "cli/database_setup.hpp"
#include "cli/secret_keys.hpp"
#include "common/log.hpp"
#include "domain/tenancy.hpp"
#include "security/secrets.hpp"
#include "store/secret_sweep.hpp"
#include "store/store.hpp"

namespace hookd::cli {

int migrate(const CommonFlags& flags) {
  const config::Config c = load_config(flags);
  open_migrated_store(c);
  log::info("migrations applied");
  return 0;
}

int create_token(const CommonFlags& flags, const std::string& role_name, int64_t organization) {
  const config::Config c = load_config(flags);
  const auto role = domain::parse_role(role_name);
  if (!role) throw std::invalid_argument("--role must be admin, read or platform");
  std::optional<domain::OrganizationId> org;
  if (organization > 0) org = organization;
  if (*role != domain::Role::kPlatform && !org) {
    throw std::invalid_argument("--organization is required for admin and read tokens");
  }
  auto store = open_migrated_store(c);
  const std::string token = security::generate_token();
  store->create_token(*role, org, security::hash_token(token));
  std::cout << token << '\n';
  return 0;
}

int reencrypt_secrets(const CommonFlags& flags) {
  const config::Config c = load_config(flags);
  const auto ring = cli::load_key_ring(c);
  auto store = open_migrated_store(c, ring);
  // A secret a rotation replaced meanwhile was sealed by that process's first key: go again,
  // a bounded number of times, until nothing was superseded.
  store::SweepResult total;
  for (int pass = 0; pass < 5; ++pass) {
    const store::SweepResult r = store::sweep_secrets(*store, *ring, store::SweepMode::kReencrypt);
    total.reencrypted += r.reencrypted;
    total.sealed += r.sealed;
    total.superseded = r.superseded;
    if (r.superseded == 0) break;
  }
  log::info("secrets re-encrypted", {{"key_id", ring->sealing_key_id()},
                                     {"reencrypted", total.reencrypted},
                                     {"sealed", total.sealed},
                                     {"superseded", total.superseded}});
  std::cout << "re-encrypted " << total.reencrypted << " secrets with the key "
            << ring->sealing_key_id() << '\n';
  return total.superseded == 0 ? 0 : 1;
}

}  // namespace hookd::cli
