// The request decoder as the server drives it: bytes arrive in pieces of any size, requests
// follow one another on one connection, and every body is admitted with some limit. What the
// decoder makes of a connection must not depend on how TCP cut its bytes: the same input fed
// in pieces and fed whole gives the same requests and ends the same way (but for a head the
// bytes stop inside, below).
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "http/request_decoder.hpp"

namespace {

using hookd::http::RequestDecoder;

// Each request as method, target and body, then how the connection ended.
std::vector<std::string> decode(std::string_view input, size_t piece, uint64_t body_limit) {
  RequestDecoder decoder(hookd::http::FramingLimits{512, 2048});
  std::vector<std::string> seen;
  std::string pending;
  size_t offered = 0;
  for (int requests = 0; requests < 64;) {
    size_t consumed = 0;
    const auto event = decoder.put(pending, consumed);
    if (consumed > pending.size()) __builtin_trap();
    pending.erase(0, consumed);
    if (event == RequestDecoder::Event::kError) {
      seen.push_back("error " + std::to_string(static_cast<int>(decoder.error())));
      return seen;
    }
    if (event == RequestDecoder::Event::kHead) {
      const auto& head = decoder.head();
      if (head.chunked && head.content_length) __builtin_trap();
      if (head.target.size() > 512) __builtin_trap();
      seen.push_back(head.method + " " + head.target);
      decoder.set_body_limit(body_limit);
      continue;
    }
    if (event == RequestDecoder::Event::kComplete) {
      std::string body = decoder.take_body();
      if (body.size() > body_limit) __builtin_trap();
      seen.push_back("body " + body);
      decoder.reset();
      ++requests;
      continue;
    }
    if (offered == input.size()) break;
    const size_t n = std::min(piece, input.size() - offered);
    pending.append(input.substr(offered, n));
    offered += n;
  }
  seen.push_back("end");
  return seen;
}

// Two things may differ with the cut, both only in how a connection ends. One whose bytes stop
// inside a head: Beast reads a request line it has whole at once, but waits for the blank line
// before judging a head that came in pieces, so the server answers 400 at once, or waits for
// the rest until header_timeout.
bool same_connection(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  if (a == b) return true;
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i + 1 < a.size(); ++i) {
    if (a[i] != b[i]) return false;
  }
  const std::string& x = a.back();
  const std::string& y = b.back();
  // Malformed and over-long at once, a request line is refused by whichever check trips
  // first, which the cut decides (400 for a bad method in the first piece, 414 for the
  // length): either way an error is answered and the connection closed.
  auto ends = [](const std::string& e) { return e == "end" || e.starts_with("error"); };
  return ends(x) && ends(y);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the piece size and the admitted body limit.
  const size_t piece = 1 + data[0] % 64;
  const uint64_t body_limit = uint64_t{data[1]} * 64;
  const std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  const auto in_pieces = decode(input, piece, body_limit);
  const auto whole = decode(input, input.size() + 1, body_limit);
  if (!same_connection(in_pieces, whole)) {
    std::fprintf(stderr, "in pieces of %zu: %zu events, last \"%s\"; whole: %zu, last \"%s\"\n",
                 piece, in_pieces.size(), in_pieces.back().c_str(), whole.size(),
                 whole.back().c_str());
    std::abort();
  }
  return 0;
}
