// openapi/signature-vectors.json against the two verifiers a receiver runs as programs:
// `hookd verify` and examples/verify_signature.py, one run per vector.
#include "support/signature_vectors.hpp"

#include <gtest/gtest.h>

#include "support/hookd_process.hpp"
#include "support/subprocess.hpp"

namespace hookd::testing {
namespace {

TEST(SignatureVectors, HookdVerifyExitsZeroForEveryValidVectorOnly) {
  const auto file = load_signature_vectors();
  for (const auto& v : file.vectors) {
    const auto r =
        run_hookd({"verify", "--secret", v.secret, "--id", v.id, "--timestamp", v.timestamp,
                   "--signature", v.signature, "--now", std::to_string(file.now), "--tolerance",
                   std::to_string(file.tolerance_seconds)},
                  v.body);
    EXPECT_EQ(r.exit_code == 0, v.valid) << v.name << ": " << r.out << r.err;
  }
}

TEST(SignatureVectors, HookdVerifyWithoutATimestampWindowChecksTheSignatureAlone) {
  const auto file = load_signature_vectors();
  for (const auto& v : file.vectors) {
    const auto r = run_hookd({"verify", "--secret", v.secret, "--id", v.id, "--timestamp",
                              v.timestamp, "--signature", v.signature, "--tolerance", "0"},
                             v.body);
    EXPECT_EQ(r.exit_code == 0, v.signature_only_valid) << v.name << ": " << r.out << r.err;
  }
}

TEST(SignatureVectors, ThePythonExampleExitsZeroForEveryValidVectorOnly) {
  const auto file = load_signature_vectors();
  const std::string script = hookd_source_dir() + "/examples/verify_signature.py";
  for (const auto& v : file.vectors) {
    const auto r = run_command({"python3", script, "--now", std::to_string(file.now), v.secret,
                                v.id, v.timestamp, v.signature},
                               v.body);
    EXPECT_EQ(r.exit_code == 0, v.valid) << v.name << ": " << r.out << r.err;
  }
}

}  // namespace
}  // namespace hookd::testing
