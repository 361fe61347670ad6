#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hookd::testing {

// One case of openapi/signature-vectors.json: a verifier given these must answer `valid`.
struct SignatureVector {
  std::string name;
  std::string secret;
  std::string id;
  std::string timestamp;  // as sent in webhook-timestamp; not always a number
  std::string body;
  std::string signature;  // the webhook-signature header
  bool valid = false;
  bool signature_only_valid = false;         // what a check without the timestamp window says
  std::vector<std::string> signing_secrets;  // empty: `signature` is not hookd's signer's output
};

struct SignatureVectors {
  int64_t now = 0;  // unix seconds every vector is judged at
  int64_t tolerance_seconds = 0;
  std::vector<SignatureVector> vectors;
};

// Reads openapi/signature-vectors.json of the source tree, or the file HOOKD_SIGNATURE_VECTORS
// names. Throws when it is missing or not in that shape.
SignatureVectors load_signature_vectors();

}  // namespace hookd::testing
