// The request decoder as the server drives it: bytes arrive in pieces of any size, requests
// follow one another on one connection, and every body is admitted with some limit.
//
//   clang++-14 -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I src \
//     fuzz/http_request_fuzzer.cpp src/http/request_decoder.cpp src/http/request_framing.cpp \
//     -o http_request_fuzzer && ./http_request_fuzzer -max_total_time=60 corpus_copy/
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "http/request_decoder.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  // The first two bytes choose the piece size and the admitted body limit.
  const size_t piece = 1 + data[0] % 64;
  const uint64_t body_limit = uint64_t{data[1]} * 64;
  std::string_view input(reinterpret_cast<const char*>(data) + 2, size - 2);

  hookd::http::RequestDecoder decoder(hookd::http::FramingLimits{512, 2048});
  std::string pending;
  size_t offered = 0;
  for (int requests = 0; requests < 64;) {
    size_t consumed = 0;
    const auto event = decoder.put(pending, consumed);
    if (consumed > pending.size()) __builtin_trap();
    pending.erase(0, consumed);
    using Event = hookd::http::RequestDecoder::Event;
    if (event == Event::kError) break;
    if (event == Event::kHead) {
      const auto& head = decoder.head();
      if (head.chunked && head.content_length) __builtin_trap();
      if (head.target.size() > 512) __builtin_trap();
      decoder.set_body_limit(body_limit);
      continue;
    }
    if (event == Event::kComplete) {
      if (decoder.take_body().size() > body_limit) __builtin_trap();
      decoder.reset();
      ++requests;
      continue;
    }
    if (offered == input.size()) break;
    const size_t n = std::min(piece, input.size() - offered);
    pending.append(input.substr(offered, n));
    offered += n;
  }
  return 0;
}
