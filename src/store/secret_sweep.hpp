#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>

#include "store/store.hpp"

namespace hookd::store {

enum class SweepMode {
  kSealPlaintext,  // at every start: seal what was stored before sealing, note missing keys
  kReencrypt,      // `hookd secrets reencrypt`: also move every secret to the sealing key
  kCheckOnly,      // `hookd doctor`: count and note, change nothing
};

struct SweepResult {
  int64_t examined = 0;
  int64_t sealed = 0;       // plaintext sealed
  int64_t plaintext = 0;    // plaintext found (kCheckOnly: left as it is)
  int64_t reencrypted = 0;  // moved from another key to the sealing key
  int64_t superseded = 0;   // changed meanwhile (a rotation, an update): left as the writer left it
  std::set<std::string> missing_key_ids;  // keys secrets are sealed with that the ring lacks
};

// Walks every stored secret in batches of `batch`, each batch's changes one short transaction
// that replaces a secret only if it is still the text read (so a rotation meanwhile is never
// undone): hookd keeps serving while it runs.
SweepResult sweep_secrets(Store& store, const security::KeyRing& ring, SweepMode mode,
                          size_t batch = 100);

}  // namespace hookd::store
