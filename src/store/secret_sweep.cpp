#include "store/secret_sweep.hpp"

#include "security/secret_box.hpp"

namespace hookd::store {

SweepResult sweep_secrets(Store& store, const security::KeyRing& ring, SweepMode mode,
                          size_t batch) {
  SweepResult result;
  for (SecretField field : {SecretField::kHmac, SecretField::kHttp, SecretField::kHmacInGrace}) {
    std::optional<StoredSecret> after;
    while (true) {
      const std::vector<StoredSecret> page = store.stored_secrets(field, after, batch);
      std::vector<SecretReplacement> changes;
      int64_t sealing = 0;
      for (const StoredSecret& s : page) {
        ++result.examined;
        const std::string binding = secret_binding(s.webhook_id, s.field);
        const auto key_id = security::KeyRing::key_id_of(s.value);
        if (!key_id) {
          ++result.plaintext;
          if (mode == SweepMode::kCheckOnly) continue;
          changes.push_back({s, ring.seal(s.value, binding)});
          ++sealing;
        } else if (!ring.has_key(*key_id)) {
          result.missing_key_ids.insert(*key_id);
        } else if (mode == SweepMode::kReencrypt && *key_id != ring.sealing_key_id()) {
          changes.push_back({s, ring.seal(ring.open(s.value, binding), binding)});
        }
      }
      if (!changes.empty()) {
        const auto done = static_cast<int64_t>(store.replace_stored_secrets(changes));
        const auto wanted = static_cast<int64_t>(changes.size());
        // Which ones lost the race is not told; the count is what an operator needs.
        result.superseded += wanted - done;
        const int64_t sealed_done = std::min(sealing, done);
        result.sealed += sealed_done;
        result.reencrypted += done - sealed_done;
      }
      if (page.size() < batch) break;
      after = page.back();
    }
  }
  return result;
}

}  // namespace hookd::store
