// `hookd verify`: checks a delivery's signature as a receiver would.
#include <charconv>
#include <chrono>
#include <iostream>
#include <iterator>

#include "cli/commands.hpp"
#include "common/clock.hpp"
#include "security/signature.hpp"

namespace hookd::cli {

int verify(const VerifyFlags& flags) {
  const std::string& timestamp = flags.timestamp;
  const int64_t tolerance_seconds = flags.tolerance_seconds;
  const std::string body{std::istreambuf_iterator<char>(std::cin), {}};
  const int64_t now = flags.now_unix.value_or(
      std::chrono::duration_cast<std::chrono::seconds>(SystemClock().now().time_since_epoch())
          .count());
  int64_t reference = now;
  // A tolerance of 0 checks the signature alone, e.g. for a body taken from a log.
  if (tolerance_seconds == 0) {
    reference = 0;
    std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), reference);
  }
  const auto result = security::verify(flags.secret, flags.id, timestamp, flags.signature, body,
                                       reference, std::chrono::seconds(tolerance_seconds));
  std::cout << security::verify_result_text(result) << '\n';
  return result == security::VerifyResult::kValid ? 0 : 1;
}

}  // namespace hookd::cli
