#include "cli/secret_keys.hpp"

#include <sys/stat.h>

#include <stdexcept>

#include "common/log.hpp"
#include "store/secret_sweep.hpp"

namespace hookd::cli {
namespace {

constexpr std::string_view kSqlite = "sqlite://";

security::SecretKey load_checked(const std::string& path) {
  security::SecretKey key = security::load_secret_key_file(path);
  if (security::readable_by_others(path)) {
    log::warn("a key file is readable by others than its owner: chmod 600 it",
              {{"path", path}, {"key_id", key.id}});
  }
  return key;
}

std::string join(const std::vector<std::string>& ids) {
  std::string out;
  for (const std::string& id : ids) out += (out.empty() ? "" : ", ") + id;
  return out;
}

}  // namespace

std::shared_ptr<const security::KeyRing> load_key_ring(const config::Config& config) {
  std::vector<security::SecretKey> keys;
  for (const std::string& path : config.secrets.key_files) keys.push_back(load_checked(path));
  if (!keys.empty()) return std::make_shared<const security::KeyRing>(std::move(keys));

  if (!config.database.starts_with(kSqlite)) {
    throw std::runtime_error(
        "secrets.key_files (HOOKD_SECRETS_KEY_FILES) is empty: a PostgreSQL database needs a key "
        "file that every hookd process shares; make one with `openssl rand -base64 32 > "
        "hookd.key && chmod 600 hookd.key` and list it");
  }
  const std::string path = config.database.substr(kSqlite.size()) + ".key";
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0) {
    keys.push_back(load_checked(path));
  } else {
    keys.push_back(security::create_secret_key_file(path));
    log::info("generated the key that seals secrets at rest; back it up with the database",
              {{"path", path}, {"key_id", keys.back().id}});
  }
  return std::make_shared<const security::KeyRing>(std::move(keys));
}

void check_sealed_secrets(store::Store& store, const security::KeyRing& ring) {
  const store::SweepResult r = store::sweep_secrets(store, ring, store::SweepMode::kSealPlaintext);
  if (r.sealed > 0) {
    log::info("sealed secrets stored before sealing",
              {{"secrets", r.sealed}, {"key_id", ring.sealing_key_id()}});
  }
  if (!r.missing_key_ids.empty()) {
    const std::vector<std::string> missing(r.missing_key_ids.begin(), r.missing_key_ids.end());
    throw std::runtime_error("the database holds secrets sealed with the key id " + join(missing) +
                             ", which no file of secrets.key_files holds (" + "they hold " +
                             join(ring.key_ids()) +
                             "); add the key file with that id and start again");
  }
}

}  // namespace hookd::cli
