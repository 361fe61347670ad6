// RFC 9112 framing as the server applies it, byte by byte, without a socket.
#include "http/request_decoder.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "http/request_framing.hpp"

namespace hookd::http {
namespace {

using Event = RequestDecoder::Event;

// Feeds `bytes` in pieces of `piece` bytes, as a socket would deliver them, until the
// decoder reports a head, an error, or wants more than there is.
struct Fed {
  Event event = Event::kNeedMore;
  size_t consumed = 0;  // of `bytes`, in all
};

Fed feed(RequestDecoder& decoder, std::string_view bytes, size_t piece = 1 << 20, size_t from = 0) {
  std::string pending;
  size_t offered = from;
  Fed fed{Event::kNeedMore, from};
  for (;;) {
    size_t consumed = 0;
    fed.event = decoder.put(pending, consumed);
    pending.erase(0, consumed);
    fed.consumed += consumed;
    if (fed.event != Event::kNeedMore) return fed;
    if (offered == bytes.size()) return fed;
    const size_t n = std::min(piece, bytes.size() - offered);
    pending.append(bytes.substr(offered, n));
    offered += n;
  }
}

// The first answer the decoder gives for a request alone on a connection.
Event head_event(std::string_view bytes) {
  RequestDecoder decoder;
  return feed(decoder, bytes).event;
}

ServerError refusal(std::string_view bytes) {
  RequestDecoder decoder;
  const Fed fed = feed(decoder, bytes);
  EXPECT_EQ(fed.event, Event::kError) << bytes.substr(0, 200);
  return decoder.error();
}

TEST(RequestDecoder, DecodesAHeadAndItsBody) {
  const std::string request =
      "POST /v2/webhooks?x=1 HTTP/1.1\r\nHost: h\r\nAuthorization: Bearer abc\r\n"
      "X-Forwarded-For: 10.0.0.1\r\nX-Forwarded-For: 10.0.0.2\r\nContent-Length: 5\r\n\r\nhello";
  for (size_t piece : {size_t{1}, size_t{7}, request.size()}) {
    RequestDecoder decoder;
    Fed fed = feed(decoder, request, piece);
    ASSERT_EQ(fed.event, Event::kHead) << piece;
    EXPECT_EQ(fed.consumed, request.size() - 5) << "no body byte is read with the head";
    const RequestHead& head = decoder.head();
    EXPECT_EQ(head.method, "POST");
    EXPECT_EQ(head.target, "/v2/webhooks?x=1");
    EXPECT_TRUE(head.has_authorization);
    EXPECT_EQ(head.authorization, "Bearer abc");
    EXPECT_EQ(head.forwarded_for, "10.0.0.1, 10.0.0.2");
    EXPECT_EQ(head.content_length, 5u);
    EXPECT_FALSE(head.chunked);
    EXPECT_TRUE(head.has_body());
    EXPECT_EQ(decoder.version(), 11u);
    EXPECT_TRUE(decoder.keep_alive());
    decoder.set_body_limit(5);
    fed = feed(decoder, request, piece, fed.consumed);
    ASSERT_EQ(fed.event, Event::kComplete) << piece;
    EXPECT_EQ(decoder.take_body(), "hello");
  }
}

TEST(RequestDecoder, KeepsTheIdempotencyKeyAndJoinsRepeatedOnes) {
  RequestDecoder once;
  ASSERT_EQ(feed(once, "POST / HTTP/1.1\r\nHost: h\r\nIdempotency-Key: k-1\r\n\r\n").event,
            Event::kHead);
  EXPECT_EQ(once.head().idempotency_key, "k-1");
  RequestDecoder twice;
  ASSERT_EQ(
      feed(twice, "POST / HTTP/1.1\r\nHost: h\r\nidempotency-key: a\r\nIdempotency-Key: b\r\n\r\n")
          .event,
      Event::kHead);
  EXPECT_EQ(twice.head().idempotency_key, "a, b");
  RequestDecoder none;
  ASSERT_EQ(feed(none, "POST / HTTP/1.1\r\nHost: h\r\n\r\n").event, Event::kHead);
  EXPECT_FALSE(none.head().idempotency_key);
}

TEST(RequestDecoder, DecodesAChunkedBody) {
  const std::string request =
      "POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
  RequestDecoder decoder;
  Fed fed = feed(decoder, request, 3);
  ASSERT_EQ(fed.event, Event::kHead);
  EXPECT_TRUE(decoder.head().chunked);
  EXPECT_FALSE(decoder.head().content_length);
  decoder.set_body_limit(100);
  fed = feed(decoder, request, 3, fed.consumed);
  ASSERT_EQ(fed.event, Event::kComplete);
  EXPECT_EQ(decoder.take_body(), "abcde");
  EXPECT_EQ(fed.consumed, request.size());
}

// Found by fuzz/http_request_fuzzer.cpp: the last chunk and its trailer arriving a byte at a
// time tripped an assertion in Beast's chunk parser (debug builds).
TEST(RequestDecoder, AChunkedTailArrivingByteByByteIsDecoded) {
  const std::string request =
      "POST /v2/pls HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunKed\r\n\r\n"
      "0\r\nabc\r\n\xf8"
      "0\r\n\r\n\r\nabc\r\n0\r\n\r\n";
  for (size_t piece : {size_t{1}, size_t{2}, size_t{4}}) {
    RequestDecoder decoder;
    Fed fed = feed(decoder, request, piece);
    ASSERT_EQ(fed.event, Event::kHead);
    decoder.set_body_limit(4096);
    fed = feed(decoder, request, piece, fed.consumed);
    EXPECT_NE(fed.event, Event::kHead) << piece;
  }
  const std::string tail =
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n";
  RequestDecoder decoder;
  Fed fed = feed(decoder, tail, 1);
  ASSERT_EQ(fed.event, Event::kHead);
  decoder.set_body_limit(10);
  fed = feed(decoder, tail, 1, fed.consumed);
  ASSERT_EQ(fed.event, Event::kComplete);
  EXPECT_EQ(decoder.take_body(), "abc");
  EXPECT_EQ(fed.consumed, tail.size());
}

// Found by fuzz/http_request_fuzzer.cpp: a declared length is held to the limit too.
TEST(RequestDecoder, ADeclaredBodyOverItsLimitIs413) {
  const std::string request = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc";
  RequestDecoder decoder;
  Fed fed = feed(decoder, request);
  ASSERT_EQ(fed.event, Event::kHead);
  decoder.set_body_limit(2);
  fed = feed(decoder, request, 1 << 20, fed.consumed);
  ASSERT_EQ(fed.event, Event::kError);
  EXPECT_EQ(decoder.error(), ServerError::kPayloadTooLarge);
}

TEST(RequestDecoder, AChunkedBodyOverItsLimitIs413) {
  const std::string request =
      "POST /e HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "8\r\n12345678\r\n8\r\n12345678\r\n0\r\n\r\n";
  RequestDecoder decoder;
  Fed fed = feed(decoder, request);
  ASSERT_EQ(fed.event, Event::kHead);
  decoder.set_body_limit(10);
  fed = feed(decoder, request, 1 << 20, fed.consumed);
  ASSERT_EQ(fed.event, Event::kError);
  EXPECT_EQ(decoder.error(), ServerError::kPayloadTooLarge);
}

TEST(RequestDecoder, PipelinedRequestsComeOneAtATime) {
  const std::string first = "GET /healthz HTTP/1.1\r\nHost: h\r\n\r\n";
  const std::string second = "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\nok";
  const std::string third = "GET /c HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n";
  const std::string all = first + second + third;
  for (size_t piece : {size_t{1}, size_t{5}, all.size()}) {
    RequestDecoder decoder;
    std::vector<std::string> seen;
    Fed fed{};
    for (int i = 0; i < 3; ++i) {
      fed = feed(decoder, all, piece, fed.consumed);
      ASSERT_EQ(fed.event, Event::kHead) << i << " " << piece;
      seen.push_back(decoder.head().target);
      decoder.set_body_limit(64);
      fed = feed(decoder, all, piece, fed.consumed);
      ASSERT_EQ(fed.event, Event::kComplete) << i << " " << piece;
      seen.back() += ":" + decoder.take_body();
      if (i == 2) {
        EXPECT_FALSE(decoder.keep_alive());
      }
      decoder.reset();
    }
    EXPECT_EQ(seen, (std::vector<std::string>{"/healthz:", "/b:ok", "/c:"}));
    EXPECT_EQ(fed.consumed, all.size());
  }
}

TEST(RequestDecoder, AHeadOnHttp10NeedsNoHost) {
  RequestDecoder decoder;
  ASSERT_EQ(feed(decoder, "GET / HTTP/1.0\r\n\r\n").event, Event::kHead);
  EXPECT_EQ(decoder.version(), 10u);
  EXPECT_FALSE(decoder.keep_alive());
}

TEST(RequestDecoder, AnEmptyLineBeforeTheRequestLineIsIgnored) {
  EXPECT_EQ(head_event("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), Event::kHead);
}

// The request smuggling forms: a coding other than exactly chunked is not guessed at.
TEST(RequestDecoder, ATransferCodingOtherThanChunkedIs501) {
  for (const char* coding :
       {"xchunked", "chunked, identity", "gzip, chunked", "identity", "chunked;q=1", "gzip"}) {
    const std::string request = std::string("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ") +
                                coding + "\r\n\r\n0\r\n\r\nGET /inner HTTP/1.1\r\nHost: h\r\n\r\n";
    EXPECT_EQ(refusal(request), ServerError::kNotImplemented) << coding;
  }
  EXPECT_EQ(refusal("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: gzip\r\n"
                    "Transfer-Encoding: chunked\r\n\r\n"),
            ServerError::kNotImplemented);
}

TEST(RequestDecoder, ChunkedInAnyCaseIsChunked) {
  RequestDecoder decoder;
  ASSERT_EQ(feed(decoder, "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n").event,
            Event::kHead);
  EXPECT_TRUE(decoder.head().chunked);
}

TEST(RequestDecoder, AmbiguousLengthsAre400) {
  const std::vector<std::string> requests = {
      // Transfer-Encoding on HTTP/1.0.
      "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
      // Both, in either order, and with a coding Beast does not take for chunked.
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: xchunked\r\nContent-Length: 5\r\n\r\n",
      // Repeated Content-Length, equal or not, and a list in one field.
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5, 5\r\n\r\n",
      // Invalid Content-Length.
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: abc\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: +5\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n",
      // Transfer-Encoding: chunked twice.
      "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
      "Transfer-Encoding: chunked\r\n\r\n",
  };
  for (const auto& request : requests)
    EXPECT_EQ(refusal(request), ServerError::kBadRequest) << request;
}

TEST(RequestDecoder, Http11NeedsExactlyOneHost) {
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\n\r\n"), ServerError::kBadRequest);
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), ServerError::kBadRequest);
  EXPECT_EQ(head_event("GET / HTTP/1.1\r\nHost: a\r\n\r\n"), Event::kHead);
}

TEST(RequestDecoder, MalformedRequestLinesAre400) {
  const std::vector<std::string> requests = {
      "GET / HTTP/1.1\nHost: h\n\n",                     // bare LF
      "GET / HTTP/1.1\r\nHost: h\n\r\n",                 // bare LF in the fields
      "GET /\r\n\r\n",                                   // HTTP/0.9
      "GET / HTTP/2.0\r\nHost: h\r\n\r\n",               // another version
      "GET / HTTP/1.2\r\nHost: h\r\n\r\n",               //
      "GET / HTTP/0.9\r\nHost: h\r\n\r\n",               //
      "GET  / HTTP/1.1\r\nHost: h\r\n\r\n",              // two blanks
      "G(T / HTTP/1.1\r\nHost: h\r\n\r\n",               // not a token
      "GET / HTTP/1.1\r\nHo st: h\r\n\r\n",              // a blank in a field name
      "GET / HTTP/1.1\r\nHost : h\r\n\r\n",              // a blank before the colon
      "GET / HTTP/1.1\r\nHost: h\r\nX: a\x01z\r\n\r\n",  // a control character
  };
  for (const auto& request : requests)
    EXPECT_EQ(refusal(request), ServerError::kBadRequest) << request;
}

TEST(RequestDecoder, ATargetOverItsBoundIs414) {
  const std::string near =
      "GET /" + std::string(8 * 1024 - 1, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n";
  EXPECT_EQ(head_event(near), Event::kHead);
  EXPECT_EQ(refusal("GET /" + std::string(8 * 1024, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n"),
            ServerError::kUriTooLong);
  // Beyond the header bound too, and before the line has ended.
  EXPECT_EQ(refusal("GET /" + std::string(20 * 1024, 'a') + " HTTP/1.1\r\nHost: h\r\n\r\n"),
            ServerError::kUriTooLong);
  RequestDecoder decoder;
  EXPECT_EQ(feed(decoder, "GET /" + std::string(9 * 1024, 'a'), 512).event, Event::kError);
  EXPECT_EQ(decoder.error(), ServerError::kUriTooLong);
}

TEST(RequestDecoder, AHeaderBlockOverItsBoundIs431) {
  std::string request = "GET / HTTP/1.1\r\nHost: h\r\n";
  while (request.size() < 17 * 1024) request += "X-Filler: " + std::string(100, 'x') + "\r\n";
  request += "\r\n";
  EXPECT_EQ(refusal(request), ServerError::kHeaderTooLarge);
  // Beast consumes whole fields as they come: the bound is on the head in all, whatever the
  // pieces it arrives in.
  for (size_t piece : {size_t{100}, size_t{8000}, size_t{16 * 1024}}) {
    RequestDecoder decoder;
    EXPECT_EQ(feed(decoder, request, piece).event, Event::kError) << piece;
    EXPECT_EQ(decoder.error(), ServerError::kHeaderTooLarge) << piece;
  }
  // Just within the bound, in pieces.
  std::string fits = "GET / HTTP/1.1\r\nHost: h\r\n";
  while (fits.size() < 16 * 1024 - 300) fits += "X-Filler: " + std::string(200, 'x') + "\r\n";
  fits += "\r\n";
  RequestDecoder decoder;
  EXPECT_EQ(feed(decoder, fits, 1000).event, Event::kHead);
  // One field alone over the bound.
  EXPECT_EQ(refusal("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(17 * 1024, 'x') + "\r\n\r\n"),
            ServerError::kHeaderTooLarge);
}

TEST(RequestDecoder, ExpectContinueIsReported) {
  RequestDecoder decoder;
  ASSERT_EQ(feed(decoder,
                 "POST / HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
                .event,
            Event::kHead);
  EXPECT_TRUE(decoder.expects_continue());
}

TEST(RequestFraming, ChecksTheFactsOfAHead) {
  const FramingLimits limits;
  FramingFacts facts;
  facts.host = {"h"};
  EXPECT_EQ(check_framing(facts, limits), std::nullopt);
  facts.transfer_encoding = {" chunked "};
  EXPECT_EQ(check_framing(facts, limits), std::nullopt);
  facts.transfer_encoding = {"chunked, chunked"};
  EXPECT_EQ(check_framing(facts, limits), ServerError::kNotImplemented);
  facts.transfer_encoding = {"chunked"};
  facts.content_length = {"0"};
  EXPECT_EQ(check_framing(facts, limits), ServerError::kBadRequest);
  facts.transfer_encoding.clear();
  EXPECT_EQ(check_framing(facts, limits), std::nullopt);
  facts.content_length = {""};
  EXPECT_EQ(check_framing(facts, limits), ServerError::kBadRequest);
  facts = FramingFacts{.version = 10};
  EXPECT_EQ(check_framing(facts, limits), std::nullopt);
  facts.target_size = limits.max_target_bytes + 1;
  EXPECT_EQ(check_framing(facts, limits), ServerError::kUriTooLong);
}

}  // namespace
}  // namespace hookd::http
