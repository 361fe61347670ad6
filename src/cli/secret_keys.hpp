#pragma once

#include <memory>
#include <string>

#include "config/config.hpp"
#include "security/secret_box.hpp"
#include "store/store.hpp"

namespace hookd::cli {

// The key ring `config` names: its secrets.key_files in order; with none, on an SQLite database,
// the key beside it (<path>.key), generated at the first start. Throws std::runtime_error with
// what to do when there is no key to use (PostgreSQL without key_files, an unreadable file).
std::shared_ptr<const security::KeyRing> load_key_ring(const config::Config& config);

// Seals secrets stored before sealing and refuses (std::runtime_error naming the key ids) a
// database holding secrets sealed under keys the ring lacks: it would send unsigned or wrongly
// signed deliveries.
void check_sealed_secrets(store::Store& store, const security::KeyRing& ring);

}  // namespace hookd::cli
