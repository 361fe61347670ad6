// Beast's request_parser<string_body> as the server drives it: header limit 16 KiB, then the
// body limit (64 KiB) set once the head is in, a declared length over it refused before the
// body, pipelined requests on one connection until one asks to close. The input arrives once
// whole and once cut at points the fuzzer chooses; both must give the same requests and end
// the same way.
#include <algorithm>
#include <boost/asio/buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "fuzz_support.hpp"

namespace bhttp = boost::beast::http;

namespace {

constexpr uint32_t kHeaderLimit = 16 * 1024;
constexpr uint64_t kBodyLimit = 64 * 1024;
// The server has no such bound (one connection parses requests until it closes); this keeps
// one input's run short.
constexpr size_t kMaxRequests = 64;

struct Outcome {
  std::vector<std::string> requests;  // what a handler would see, one line each
  std::string end;                    // why the connection ended
  bool operator==(const Outcome&) const = default;
};

class Connection {
 public:
  void receive(std::string_view bytes) {
    if (closed_) return;
    pending_.append(bytes);
    drain();
  }

  Outcome finish() {
    if (!closed_) {
      if (parser_ && parser_->got_some()) {
        boost::system::error_code ec;
        parser_->put_eof(ec);
        close(ec ? "eof: " + ec.message() : "eof");
      } else {
        close("eof");
      }
    }
    return out_;
  }

 private:
  void drain() {
    while (!closed_) {
      if (!parser_) {
        if (pending_.empty()) return;
        parser_.emplace();
        parser_->header_limit(kHeaderLimit);
        parser_->body_limit(std::numeric_limits<uint64_t>::max());
        head_seen_ = false;
      }
      boost::system::error_code ec;
      const size_t n = parser_->put(boost::asio::buffer(pending_), ec);
      FUZZ_CHECK(n <= pending_.size());
      pending_.erase(0, n);
      if (ec == bhttp::error::need_more) return;
      if (ec) return close("error: " + ec.message());
      if (!head_seen_ && parser_->is_header_done()) {
        head_seen_ = true;
        if (!check_head()) return;
      }
      if (parser_->is_done()) {
        complete();
        continue;
      }
      if (n == 0) return;
    }
  }

  bool check_head() {
    const auto& req = parser_->get();
    FUZZ_CHECK(!req.method_string().empty());
    FUZZ_CHECK(!req.target().empty());
    FUZZ_CHECK(req.version() == 10 || req.version() == 11);
    // No space or control byte gets into a target (Beast lets bytes of 0x80 and up through).
    for (unsigned char c : req.target()) FUZZ_CHECK(c > 0x20 && c != 0x7f);
    parser_->body_limit(kBodyLimit);
    const auto length = parser_->content_length();
    if (length && *length > kBodyLimit) {
      close("413 declared");
      return false;
    }
    FUZZ_CHECK(!(parser_->chunked() && length));
    return true;
  }

  void complete() {
    const auto& req = parser_->get();
    FUZZ_CHECK(req.body().size() <= kBodyLimit);
    std::string line(req.method_string());
    line += ' ';
    line += req.target();
    line += ' ' + std::to_string(req.version()) + (parser_->chunked() ? " chunked " : " ") +
            std::to_string(req.body().size()) + ' ' + req.body();
    out_.requests.push_back(std::move(line));
    const bool keep_alive = req.keep_alive();
    parser_.reset();
    if (!keep_alive) return close("close");
    if (out_.requests.size() >= kMaxRequests) return close("request bound");
  }

  void close(std::string why) {
    closed_ = true;
    out_.end = std::move(why);
  }

  std::string pending_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  bool head_seen_ = false;
  bool closed_ = false;
  Outcome out_;
};

// The same requests, ended the same way. Two exceptions, both Beast's own and both refusals:
// a head that runs past the header limit is refused by whichever check the cut-off text fails
// first (a 17 KiB target is "bad target" whole and "header limit exceeded" in pieces), and
// once a head arrived in pieces, Beast reads its fields only when the blank line is in, so a
// bad field in a head that never ends is an error whole and an unfinished message in pieces.
bool same_connection(const Outcome& a, const Outcome& b) {
  if (a.requests != b.requests) return false;
  if (a.end == b.end) return true;
  if (!a.end.starts_with("error: ") && !b.end.starts_with("error: ")) return false;
  const std::string limit = "error: " + make_error_code(bhttp::error::header_limit).message();
  const std::string partial = "eof: " + make_error_code(bhttp::error::partial_message).message();
  for (const std::string* end : {&a.end, &b.end}) {
    const std::string& other = end == &a.end ? b.end : a.end;
    if (*end == limit && other.starts_with("error: ")) return true;
    if (*end == partial) return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The first byte says how many cut points (up to 8) follow, two bytes each, big-endian;
  // the rest is what arrives.
  if (size == 0) return 0;
  const size_t count = std::min<size_t>(data[0] % 9, (size - 1) / 2);
  std::vector<size_t> cuts;
  for (size_t i = 0; i < count; ++i) cuts.push_back(size_t{data[1 + 2 * i]} << 8 | data[2 + 2 * i]);
  const std::string input(reinterpret_cast<const char*>(data) + 1 + 2 * count,
                          size - 1 - 2 * count);

  Connection whole;
  whole.receive(input);
  const Outcome expected = whole.finish();

  std::sort(cuts.begin(), cuts.end());
  Connection split;
  size_t at = 0;
  for (size_t cut : cuts) {
    if (cut <= at || cut >= input.size()) continue;
    split.receive(std::string_view(input).substr(at, cut - at));
    at = cut;
  }
  split.receive(std::string_view(input).substr(at));
  const Outcome got = split.finish();
  if (!same_connection(got, expected)) {
    std::fprintf(stderr, "whole: %zu requests, %s; split: %zu requests, %s\n",
                 expected.requests.size(), expected.end.c_str(), got.requests.size(),
                 got.end.c_str());
    std::abort();
  }
  return 0;
}
