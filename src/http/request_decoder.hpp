#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "http/message.hpp"
#include "http/request_framing.hpp"

namespace hookd::http {

// A sans-IO HTTP/1.x request decoder on Beast's parser: bytes in, a head, then a body, or
// an error out. The server drives it from its socket and the fuzzer from memory, the same
// way. One request at a time: after kComplete, reset() and present the remaining bytes
// again for the next (pipelined) request.
class RequestDecoder {
 public:
  enum class Event {
    kNeedMore,  // present the unconsumed bytes again, with more appended
    kHead,      // head() is ready and its framing checked; set_body_limit(), then put() on
    kComplete,  // the body is in (take_body())
    kError,     // error(): answer it and close the connection
  };

  explicit RequestDecoder(FramingLimits limits = {});
  ~RequestDecoder();
  RequestDecoder(const RequestDecoder&) = delete;
  RequestDecoder& operator=(const RequestDecoder&) = delete;

  // Reads from the front of `input` and sets `consumed` to the bytes it used; bytes not
  // consumed must be presented again. After kHead, no body byte has been consumed.
  Event put(std::string_view input, size_t& consumed);

  // After kHead (client_address is left for the caller to fill).
  const RequestHead& head() const;
  unsigned version() const;  // 10 or 11
  bool keep_alive() const;
  bool expects_continue() const;  // Expect: 100-continue
  bool head_method() const;       // HEAD: the answer carries no body

  // The most body bytes that may follow the head (0 until set): a longer declared or chunked
  // body is kPayloadTooLarge.
  void set_body_limit(uint64_t limit);
  // Body bytes decoded so far.
  uint64_t body_size() const;
  std::string take_body();

  // After kError.
  ServerError error() const;

  // Forgets the current request; the next byte starts a new one.
  void reset();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace hookd::http
