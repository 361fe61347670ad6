// RFC 3339 date-times (parse_rfc3339, format_rfc3339): event times, recover's `since`.
#include "common/clock.hpp"
#include "fuzz_support.hpp"

using namespace hookd;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = fuzz::as_text(data, size);
  const auto t = parse_rfc3339(text);
  if (!t) return 0;
  // What hookd writes of an accepted time (in delivered bodies and the API) is RFC 3339 that
  // reads back as the same instant, to the millisecond.
  const std::string written = format_rfc3339(*t);
  FUZZ_CHECK(written.size() == 24 && written.back() == 'Z');
  const auto again = parse_rfc3339(written);
  FUZZ_CHECK(again && *again == std::chrono::floor<std::chrono::milliseconds>(*t));
  return 0;
}
