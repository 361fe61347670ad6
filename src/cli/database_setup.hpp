#pragma once

#include <memory>

#include "cli/commands.hpp"
#include "config/config.hpp"
#include "security/secret_box.hpp"
#include "store/store.hpp"

namespace hookd::cli {

// Defaults, the TOML file, HOOKD_* variables, then the --database flag, later ones winning.
config::Config load_config(const CommonFlags& flags);

// Every command that opens the database opens it migrated, with the key ring, and with what
// stored before sealing sealed.
std::unique_ptr<store::Store> open_migrated_store(
    const config::Config& config, const std::shared_ptr<const security::KeyRing>& ring);
std::unique_ptr<store::Store> open_migrated_store(const config::Config& config);

}  // namespace hookd::cli
