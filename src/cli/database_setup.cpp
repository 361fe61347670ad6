#include "cli/database_setup.hpp"

#include <cstdlib>

#include "cli/secret_keys.hpp"

namespace hookd::cli {
namespace {

store::StoreOptions store_options(const config::Config& c) {
  store::StoreOptions options;
  options.webhooks_per_organization = c.limits.webhooks_per_organization;
  options.sqlite_sync_commits = c.sqlite.synchronous == "full";
  return options;
}

}  // namespace

config::Config load_config(const CommonFlags& flags) {
  config::Config c;
  if (!flags.config_file.empty()) config::apply_toml_file(c, flags.config_file);
  config::apply_environment(c, [](const char* name) { return std::getenv(name); });
  if (!flags.database.empty()) c.database = flags.database;
  return c;
}

std::unique_ptr<store::Store> open_migrated_store(
    const config::Config& c, const std::shared_ptr<const security::KeyRing>& ring) {
  auto store = store::open_store(c.database, store_options(c));
  store->use_key_ring(ring);
  store->migrate();
  check_sealed_secrets(*store, *ring);
  return store;
}

std::unique_ptr<store::Store> open_migrated_store(const config::Config& c) {
  return open_migrated_store(c, load_key_ring(c));
}

}  // namespace hookd::cli
