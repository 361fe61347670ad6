#include "http/request_decoder.hpp"

#include <boost/asio/buffer.hpp>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <optional>

namespace hookd::http {
namespace {

namespace bhttp = boost::beast::http;

// Room for the method, the version and the blanks beside a target of the largest size.
constexpr size_t kRequestLineSlack = 64;
// Empty lines ignored before a request line (RFC 9112 section 2.2), e.g. after a body.
constexpr size_t kMaxLeadingEmptyLines = 4;
constexpr size_t kMinChunkedTail = 5;

ServerError error_of(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) return ServerError::kHeaderTooLarge;
  if (ec == bhttp::error::body_limit) return ServerError::kPayloadTooLarge;
  return ServerError::kBadRequest;
}

}  // namespace

class RequestDecoder::Impl {
 public:
  explicit Impl(FramingLimits limits) : limits_(limits) { reset(); }

  void reset() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(limits_.max_header_bytes));
    // The limit is the API's to set once the head is in; Beast would otherwise refuse a large
    // Content-Length while still reading the head.
    parser_->body_limit(boost::none);
    state_ = State::kHead;
    head_ = RequestHead{};
    empty_lines_ = 0;
    head_bytes_ = 0;
    body_limit_ = 0;
  }

  Event put(std::string_view in, size_t& consumed) {
    consumed = 0;
    switch (state_) {
      case State::kFailed:
        return Event::kError;
      case State::kComplete:
        return Event::kComplete;
      case State::kHead:
        return put_head(in, consumed);
      case State::kBody:
        return put_body(in, consumed);
    }
    return Event::kError;
  }

  Event put_head(std::string_view in, size_t& consumed) {
    if (head_bytes_ == 0) {
      while (in.starts_with("\r\n") && empty_lines_ < kMaxLeadingEmptyLines) {
        in.remove_prefix(2);
        consumed += 2;
        ++empty_lines_;
      }
      if (in.empty() || in == "\r") return Event::kNeedMore;
    }
    // A request line longer than any allowed target cannot end well: 414 at once, without
    // waiting for the header bound. Beast consumes the request line whole, then whole fields.
    const size_t line_bound = limits_.max_target_bytes + kRequestLineSlack;
    if (head_bytes_ == 0 && in.size() > line_bound &&
        in.substr(0, line_bound + 1).find('\n') == std::string_view::npos) {
      return fail(ServerError::kUriTooLong);
    }
    boost::system::error_code ec;
    const size_t n = parser_->put(boost::asio::buffer(in.data(), in.size()), ec);
    consumed += n;
    head_bytes_ += n;
    // Beast's header limit bounds what one put() looks at, not the head in all.
    if (ec == bhttp::error::need_more || (!ec && !parser_->is_header_done())) {
      if (head_bytes_ + (in.size() - n) > limits_.max_header_bytes) {
        return fail(ServerError::kHeaderTooLarge);
      }
      return Event::kNeedMore;
    }
    if (ec) return fail(error_of(ec));
    if (head_bytes_ > limits_.max_header_bytes) return fail(ServerError::kHeaderTooLarge);

    const auto& req = parser_->get();
    FramingFacts facts;
    facts.version = req.version();
    facts.target_size = req.target().size();
    for (const auto& field : req) {
      switch (field.name()) {
        case bhttp::field::host:
          facts.host.push_back(field.value());
          break;
        case bhttp::field::content_length:
          facts.content_length.push_back(field.value());
          break;
        case bhttp::field::transfer_encoding:
          facts.transfer_encoding.push_back(field.value());
          break;
        case bhttp::field::accept_language:
          if (!head_.accept_language.empty()) head_.accept_language += ", ";
          head_.accept_language += field.value();
          break;
        case bhttp::field::authorization:
          // Two would leave the caller ambiguous; refused like a second Host.
          if (head_.has_authorization) return fail(ServerError::kBadRequest);
          head_.authorization = std::string(field.value());
          head_.has_authorization = true;
          break;
        default:
          if (boost::beast::iequals(field.name_string(), "x-forwarded-for")) {
            if (!head_.forwarded_for.empty()) head_.forwarded_for += ", ";
            head_.forwarded_for += field.value();
          } else if (boost::beast::iequals(field.name_string(), "idempotency-key")) {
            if (head_.idempotency_key) *head_.idempotency_key += ", ";
            head_.idempotency_key = head_.idempotency_key.value_or("") + std::string(field.value());
          }
          break;
      }
    }
    if (auto refused = check_framing(facts, limits_)) return fail(*refused);
    head_.method = std::string(req.method_string());
    head_.target = std::string(req.target());
    head_.chunked = parser_->chunked();
    if (!head_.chunked) head_.content_length = parser_->content_length().value_or(0);
    state_ = State::kBody;
    return Event::kHead;
  }

  Event put_body(std::string_view in, size_t& consumed) {
    if (head_.content_length && *head_.content_length > body_limit_) {
      return fail(ServerError::kPayloadTooLarge);
    }
    while (!parser_->is_done()) {
      if (consumed == in.size()) return Event::kNeedMore;
      // Beast asserts that a last chunk it has seen comes back whole ("0\r\n\r\n" at least),
      // and no chunked body ends in fewer bytes than that: waiting for them never stalls.
      if (head_.chunked && in.size() - consumed < kMinChunkedTail) return Event::kNeedMore;
      boost::system::error_code ec;
      const size_t n =
          parser_->put(boost::asio::buffer(in.data() + consumed, in.size() - consumed), ec);
      consumed += n;
      if (ec == bhttp::error::need_more) return Event::kNeedMore;
      if (ec) return fail(error_of(ec));
      if (n == 0) return Event::kNeedMore;
    }
    state_ = State::kComplete;
    return Event::kComplete;
  }

  Event fail(ServerError error) {
    error_ = error;
    state_ = State::kFailed;
    return Event::kError;
  }

  enum class State { kHead, kBody, kComplete, kFailed };

  FramingLimits limits_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  State state_ = State::kHead;
  RequestHead head_;
  ServerError error_ = ServerError::kBadRequest;
  size_t empty_lines_ = 0;
  size_t head_bytes_ = 0;  // of the current head, consumed by the parser
  uint64_t body_limit_ = 0;
};

RequestDecoder::RequestDecoder(FramingLimits limits) : impl_(std::make_unique<Impl>(limits)) {}
RequestDecoder::~RequestDecoder() = default;

RequestDecoder::Event RequestDecoder::put(std::string_view input, size_t& consumed) {
  return impl_->put(input, consumed);
}
const RequestHead& RequestDecoder::head() const { return impl_->head_; }
unsigned RequestDecoder::version() const { return impl_->parser_->get().version(); }
bool RequestDecoder::keep_alive() const { return impl_->parser_->get().keep_alive(); }
bool RequestDecoder::expects_continue() const {
  const auto& req = impl_->parser_->get();
  auto it = req.find(bhttp::field::expect);
  return it != req.end() && boost::beast::iequals(it->value(), "100-continue");
}
bool RequestDecoder::head_method() const {
  return impl_->parser_->get().method() == bhttp::verb::head;
}
void RequestDecoder::set_body_limit(uint64_t limit) {
  impl_->body_limit_ = limit;
  impl_->parser_->body_limit(limit);
}
uint64_t RequestDecoder::body_size() const { return impl_->parser_->get().body().size(); }
std::string RequestDecoder::take_body() { return std::move(impl_->parser_->get().body()); }
ServerError RequestDecoder::error() const { return impl_->error_; }
void RequestDecoder::reset() { impl_->reset(); }

}  // namespace hookd::http
