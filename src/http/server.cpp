#include "http/server.hpp"

#include <sys/socket.h>

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl.hpp>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "http/request_decoder.hpp"
#include "http/security_headers.hpp"

namespace hookd::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;
using error_code = boost::system::error_code;

constexpr auto kLingerTime = std::chrono::seconds(2);
constexpr size_t kMaxLingerBytes = 64 * 1024 * 1024;
constexpr size_t kReadChunk = 16 * 1024;
constexpr auto kAcceptLogInterval = std::chrono::seconds(1);
constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";

// The seed's twelve headers, serialised once.
const std::string kSecurityHeaderBlock = [] {
  std::string block;
  for (const auto& [name, value] : kSecurityHeaders) {
    block += name;
    block += ": ";
    block += value;
    block += "\r\n";
  }
  return block;
}();

// The seed's headers with a page's own policy in place of the seed's (the portal's pages).
std::string security_header_block(const Response& response) {
  std::string block;
  for (const auto& [name, value] : kSecurityHeaders) {
    if (name == "X-Frame-Options" && !response.frame_options) continue;
    const bool own_policy =
        name == "Content-Security-Policy" && !response.content_security_policy.empty();
    block += name;
    block += ": ";
    block += own_policy ? std::string_view(response.content_security_policy) : value;
    block += "\r\n";
  }
  return block;
}

// The response as one buffer: the seed's twelve headers are a constant block, and Beast's
// field-by-field serializer cost more than the rest of a GET.
void serialize(std::string& out, const Response& response, unsigned version, bool keep_alive,
               bool head_request) {
  const int status = response.status;
  const bool bodiless_status = status == 204 || status == 304 || (status >= 100 && status < 200);
  out.clear();
  out.reserve(kSecurityHeaderBlock.size() + 128 + response.body.size());
  out += version == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
  out += std::to_string(status);
  out += ' ';
  out += bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  out += "\r\n";
  if (response.content_security_policy.empty() && response.frame_options) {
    out += kSecurityHeaderBlock;
  } else {
    out += security_header_block(response);
  }
  if (!response.content_type.empty() && !response.body.empty()) {
    out += "Content-Type: ";
    out += response.content_type;
    out += "\r\n";
  }
  if (!bodiless_status) {
    out += "Content-Length: ";
    out += std::to_string(response.body.size());
    out += "\r\n";
  }
  if (!keep_alive) {
    out += "Connection: close\r\n";
  } else if (version == 10) {
    out += "Connection: keep-alive\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    out += name;
    out += ": ";
    out += value;
    out += "\r\n";
  }
  out += "\r\n";
  if (!bodiless_status && !head_request) out += response.body;
}

// Shared by all sessions of one server.
struct SessionContext {
  const ServerOptions& options;
  const Admitter& admitter;
  const ErrorResponder& errors;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
  std::atomic<int64_t> connections{0};
  std::atomic<uint64_t> body_bytes{0};  // reserved by the bodies being read or handled

  bool reserve(uint64_t n) {
    uint64_t current = body_bytes.load(std::memory_order_relaxed);
    do {
      if (n > options.max_body_buffer_bytes - std::min(current, options.max_body_buffer_bytes)) {
        return false;
      }
    } while (!body_bytes.compare_exchange_weak(current, current + n, std::memory_order_relaxed));
    return true;
  }
  void release(uint64_t n) { body_bytes.fetch_sub(n, std::memory_order_relaxed); }

  Response error_response(ServerError error) const {
    try {
      return errors(error);
    } catch (const std::exception& e) {
      log::error("error responder failed", {{"error", e.what()}});
      return Response{500, ""};
    }
  }
};

// One connection. Derived supplies stream() and how to close it (plain or TLS).
template <class Derived>
class Session {
 public:
  Session(SessionContext& ctx, std::string peer)
      : ctx_(ctx),
        buffer_(ctx.options.max_header_bytes + kReadChunk),
        decoder_(FramingLimits{ctx.options.max_target_bytes, ctx.options.max_header_bytes}),
        peer_(std::move(peer)) {
    ctx_.connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() {
    release_body();
    if (counted_) ctx_.in_flight.fetch_sub(1);
    ctx_.connections.fetch_sub(1, std::memory_order_relaxed);
  }

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }
  auto& lowest() { return beast::get_lowest_layer(self().stream()); }

  void start_request() {
    decoder_.reset();
    handler_ = nullptr;
    release_body();
    version_ = 11;
    head_request_ = false;
    request_keep_alive_ = false;
    close_after_ = false;
    reading_body_ = false;
    // Between requests the idle bound applies; from a head's first byte, the header bound.
    awaiting_first_byte_ = requests_ > 0;
    lowest().expires_after(awaiting_first_byte_ ? ctx_.options.keep_alive_timeout
                                                : ctx_.options.header_timeout);
    decode();
  }

  void decode() {
    if (awaiting_first_byte_ && buffer_.size() > 0) {
      awaiting_first_byte_ = false;
      lowest().expires_after(ctx_.options.header_timeout);
    }
    const auto data = buffer_.data();
    size_t consumed = 0;
    const auto event = decoder_.put(
        std::string_view(static_cast<const char*>(data.data()), data.size()), consumed);
    buffer_.consume(consumed);
    // A chunked body reserves its share of the budget as it grows.
    if (reading_body_ && head_.chunked && !reserve_to(decoder_.body_size())) {
      return refuse(ServerError::kServiceUnavailable);
    }
    switch (event) {
      case RequestDecoder::Event::kNeedMore:
        return read_more();
      case RequestDecoder::Event::kHead:
        return on_head();
      case RequestDecoder::Event::kComplete:
        return on_complete();
      case RequestDecoder::Event::kError:
        return refuse(decoder_.error());
    }
  }

  void read_more() {
    const size_t room = buffer_.max_size() - buffer_.size();
    // The decoder consumes body bytes as they come and refuses a head over its bound first;
    // a full buffer is a chunk line that never ends.
    if (room == 0) return refuse(ServerError::kBadRequest);
    self().stream().async_read_some(buffer_.prepare(std::min(room, kReadChunk)),
                                    [s = self().shared_from_this()](error_code ec, size_t n) {
                                      s->buffer_.commit(n);
                                      // Closed, reset or timed out: nothing to answer.
                                      if (ec) return s->self().do_close();
                                      s->decode();
                                    });
  }

  void on_head() {
    count_in_flight();
    head_ = decoder_.head();
    head_.client_address = peer_;
    version_ = decoder_.version();
    request_keep_alive_ = decoder_.keep_alive();
    head_request_ = decoder_.head_method();
    Admission admission;
    try {
      admission = ctx_.admitter(head_);
    } catch (const std::exception& e) {
      log::error("unhandled error in request admission", {{"error", e.what()}});
      return refuse(ServerError::kInternal);
    }
    if (admission.answer) {
      // An unread body leaves the connection unusable.
      close_after_ = head_.has_body();
      return write_response(std::move(*admission.answer));
    }
    if (!admission.handler) return refuse(ServerError::kInternal);
    if (head_.content_length && *head_.content_length > admission.body_limit) {
      return refuse(ServerError::kPayloadTooLarge);
    }
    if (head_.content_length && !reserve_to(*head_.content_length)) {
      return refuse(ServerError::kServiceUnavailable);
    }
    decoder_.set_body_limit(admission.body_limit);
    handler_ = std::move(admission.handler);
    reading_body_ = true;
    if (!head_.has_body()) return decode();
    lowest().expires_after(ctx_.options.read_timeout);
    // Only an admitted request is told to send its body.
    if (decoder_.expects_continue() && buffer_.size() == 0) {
      return asio::async_write(self().stream(), asio::buffer(kContinue),
                               [s = self().shared_from_this()](error_code ec, size_t) {
                                 if (ec) return s->self().do_close();
                                 s->decode();
                               });
    }
    decode();
  }

  void on_complete() {
    reading_body_ = false;
    Request request;
    // The head is not read again once its body is in.
    request.method = std::move(head_.method);
    request.target = std::move(head_.target);
    request.authorization = std::move(head_.authorization);
    request.has_authorization = head_.has_authorization;
    request.client_address = std::move(head_.client_address);
    request.forwarded_for = std::move(head_.forwarded_for);
    request.body = decoder_.take_body();

    auto session = self().shared_from_this();
    Responder respond = [session](Response response) {
      auto* raw = session.get();
      asio::dispatch(raw->stream().get_executor(),
                     [session = std::move(session), response = std::move(response)]() mutable {
                       session->write_response(std::move(response));
                     });
    };
    Handler handler = std::move(handler_);
    try {
      handler(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      // The handler failed before it answered; it must not answer any more.
      log::error("unhandled error in request handler", {{"error", e.what()}});
      write_response(ctx_.error_response(ServerError::kInternal));
    }
  }

  // The server's own answer (framing, limits, overload); the connection closes after it.
  void refuse(ServerError error) {
    count_in_flight();
    reading_body_ = false;
    close_after_ = true;
    write_response(ctx_.error_response(error));
  }

  void write_response(Response response) {
    keep_alive_ = request_keep_alive_ && !close_after_ && !ctx_.stopping.load();
    serialize(out_, response, version_, keep_alive_, head_request_);
    lowest().expires_after(ctx_.options.write_timeout);
    asio::async_write(self().stream(), asio::buffer(out_),
                      [s = self().shared_from_this()](error_code ec, size_t) {
                        s->finish_request();
                        if (!ec && s->close_after_) return s->linger();
                        if (ec || !s->keep_alive_) return s->self().do_close();
                        ++s->requests_;
                        s->start_request();
                      });
  }

  void count_in_flight() {
    if (counted_) return;
    counted_ = true;
    ctx_.in_flight.fetch_add(1);
  }

  void finish_request() {
    release_body();
    if (counted_) {
      counted_ = false;
      ctx_.in_flight.fetch_sub(1);
    }
  }

  // Grows this request's share of the body budget to `total` bytes.
  bool reserve_to(uint64_t total) {
    if (total <= reserved_) return true;
    if (!ctx_.reserve(total - reserved_)) return false;
    reserved_ = total;
    return true;
  }

  void release_body() {
    ctx_.release(reserved_);
    reserved_ = 0;
  }

  // After refusing a request whose body is unread, read and drop what the client is still
  // sending for a little while, as nginx's lingering close does: closing at once would reset
  // the connection and the client would lose the answer it has not read yet.
  void linger() {
    self().half_close();
    lowest().expires_after(kLingerTime);
    linger_read();
  }

  void linger_read() {
    discard_.resize(16 * 1024);
    self().stream().async_read_some(asio::buffer(discard_),
                                    [s = self().shared_from_this()](error_code ec, size_t n) {
                                      s->lingered_ += n;
                                      if (ec || s->lingered_ > kMaxLingerBytes)
                                        return s->self().do_close();
                                      s->linger_read();
                                    });
  }

  SessionContext& ctx_;
  beast::flat_buffer buffer_;
  RequestDecoder decoder_;
  std::string peer_;
  RequestHead head_;
  Handler handler_;
  std::string out_;
  unsigned version_ = 11;
  uint64_t requests_ = 0;  // answered on this connection
  uint64_t reserved_ = 0;  // of the body budget
  bool awaiting_first_byte_ = false;
  bool reading_body_ = false;
  bool counted_ = false;  // in ctx_.in_flight
  bool head_request_ = false;
  bool request_keep_alive_ = false;
  bool close_after_ = false;
  bool keep_alive_ = false;
  std::vector<char> discard_;
  size_t lingered_ = 0;
};

std::string peer_of(const tcp::socket& socket) {
  error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  return ec ? std::string() : endpoint.address().to_string();
}

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, SessionContext& ctx)
      : Session(ctx, peer_of(socket)), stream_(std::move(socket)) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [s = shared_from_this()] { s->start_request(); });
  }
  beast::tcp_stream& stream() { return stream_; }
  void half_close() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  void do_close() {
    error_code ec;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    stream_.socket().close(ec);
  }

 private:
  friend class Session<PlainSession>;
  beast::tcp_stream stream_;
};

class TlsSession : public Session<TlsSession>, public std::enable_shared_from_this<TlsSession> {
 public:
  TlsSession(tcp::socket&& socket, asio::ssl::context& tls, SessionContext& ctx)
      : Session(ctx, peer_of(socket)), stream_(std::move(socket), tls) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [s = shared_from_this()] {
      beast::get_lowest_layer(s->stream_).expires_after(s->ctx_.options.header_timeout);
      s->stream_.async_handshake(asio::ssl::stream_base::server, [s](error_code ec) {
        if (ec) return s->close_socket();
        s->start_request();
      });
    });
  }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  // TLS has no half-close that keeps the session readable; the client closes on
  // "Connection: close".
  void half_close() {}
  void do_close() {
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
    stream_.async_shutdown([s = shared_from_this()](error_code) { s->close_socket(); });
  }

 private:
  void close_socket() {
    error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }
  beast::ssl_stream<beast::tcp_stream> stream_;
};

tcp::endpoint parse_endpoint(const std::string& address, uint16_t port) {
  error_code ec;
  auto addr = asio::ip::make_address(address == "localhost" ? "127.0.0.1" : address, ec);
  if (ec) throw std::runtime_error("invalid listen address \"" + address + "\"");
  return {addr, port};
}

}  // namespace

size_t clamp_max_connections(size_t configured, uint64_t descriptor_limit, size_t reserve) {
  const uint64_t available = descriptor_limit > reserve ? descriptor_limit - reserve : 1;
  return static_cast<size_t>(std::max<uint64_t>(1, std::min<uint64_t>(configured, available)));
}

class Server::Impl {
 public:
  Impl(ServerOptions options, Admitter admitter, ErrorResponder errors)
      : options_(std::move(options)),
        admitter_(std::move(admitter)),
        errors_(std::move(errors)),
        ctx_{options_, admitter_, errors_},
        threads_(options_.threads ? options_.threads
                                  : std::max(1u, std::thread::hardware_concurrency())),
        iocs_(make_contexts(threads_)),
        acceptor_(*iocs_.front()),
        accept_timer_(*iocs_.front()) {
    if (!options_.tls_cert.empty()) {
      tls_.emplace(asio::ssl::context::tls_server);
      tls_->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                        asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                        asio::ssl::context::no_tlsv1_1);
      try {
        tls_->use_certificate_chain_file(options_.tls_cert);
        tls_->use_private_key_file(options_.tls_key, asio::ssl::context::pem);
      } catch (const boost::system::system_error& e) {
        throw std::runtime_error("cannot load TLS certificate or key: " + std::string(e.what()));
      }
    }
    serialize(refusal_, ctx_.error_response(ServerError::kServiceUnavailable), 11,
              /*keep_alive=*/false, /*head_request=*/false);
    const tcp::endpoint endpoint = parse_endpoint(options_.address, options_.port);
    error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) {
      throw std::runtime_error("cannot listen on " + options_.address + ":" +
                               std::to_string(options_.port) + ": " + ec.message());
    }
    port_ = acceptor_.local_endpoint().port();
  }

  uint16_t port() const { return port_; }
  bool tls() const { return tls_.has_value(); }
  int64_t connections() const { return ctx_.connections.load(std::memory_order_relaxed); }
  uint64_t connections_refused() const { return refused_.load(std::memory_order_relaxed); }

  void run() {
    do_accept();
    // A context with no connection yet must keep its thread waiting, not return.
    std::vector<asio::executor_work_guard<asio::io_context::executor_type>> keep_running;
    for (auto& ioc : iocs_) keep_running.push_back(asio::make_work_guard(*ioc));
    std::vector<std::thread> workers;
    for (size_t i = 1; i < iocs_.size(); ++i) workers.emplace_back([this, i] { iocs_[i]->run(); });
    iocs_.front()->run();
    for (auto& t : workers) t.join();
  }

  void stop() {
    asio::post(acceptor_.get_executor(), [this] {
      if (ctx_.stopping.exchange(true)) return;
      error_code ec;
      acceptor_.close(ec);
      accept_timer_.cancel();
      drain_deadline_ = std::chrono::steady_clock::now() + options_.drain_timeout;
      drain_timer_.emplace(acceptor_.get_executor());
      wait_for_drain();
    });
  }

 private:
  void do_accept() {
    // Connections are spread over the threads' contexts; each session then lives on one thread.
    asio::io_context& next = *iocs_[next_context_++ % iocs_.size()];
    acceptor_.async_accept(next, [this](error_code ec, tcp::socket socket) {
      if (ec) {
        if (!acceptor_.is_open()) return;
        // Out of descriptors, the pending connection stays in the backlog and the next accept
        // fails at once: retrying now would spin, so accepting pauses.
        note_accept_failure(ec);
        accept_timer_.expires_after(options_.accept_pause);
        accept_timer_.async_wait([this](error_code wec) {
          if (!wec && acceptor_.is_open()) do_accept();
        });
        return;
      }
      if (ctx_.connections.load(std::memory_order_relaxed) >=
          static_cast<int64_t>(options_.max_connections)) {
        refuse_connection(socket);
      } else {
        socket.set_option(tcp::no_delay(true), ec);
        if (tls_) {
          std::make_shared<TlsSession>(std::move(socket), *tls_, ctx_)->start();
        } else {
          std::make_shared<PlainSession>(std::move(socket), ctx_)->start();
        }
      }
      do_accept();
    });
  }

  // At the cap: one non-blocking write of a prepared 503 and close, no session.
  void refuse_connection(tcp::socket& socket) {
    refused_.fetch_add(1, std::memory_order_relaxed);
    if (!tls_) {
      const int fd = socket.native_handle();
      // What the client sent already is read, so that closing does not reset the connection
      // before the client has read the answer.
      char scratch[4096];
      (void)::recv(fd, scratch, sizeof scratch, MSG_DONTWAIT);
      (void)::send(fd, refusal_.data(), refusal_.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      ::shutdown(fd, SHUT_WR);
    }
    error_code ec;
    socket.close(ec);
  }

  // At most one line a second, with the count of failures since the last one.
  void note_accept_failure(const error_code& ec) {
    ++accept_failures_;
    const auto now = std::chrono::steady_clock::now();
    if (logged_accept_failure_ && now - last_accept_log_ < kAcceptLogInterval) return;
    log::warn("accept failed", {{"error", ec.message()},
                                {"failures", accept_failures_},
                                {"connections", connections()},
                                {"pause_ms", static_cast<int64_t>(options_.accept_pause.count())}});
    accept_failures_ = 0;
    last_accept_log_ = now;
    logged_accept_failure_ = true;
  }

  // Idle keep-alive connections hold no request; once nothing is in flight, stop.
  void wait_for_drain() {
    if (ctx_.in_flight.load() == 0 || std::chrono::steady_clock::now() >= drain_deadline_) {
      for (auto& ioc : iocs_) ioc->stop();
      return;
    }
    drain_timer_->expires_after(std::chrono::milliseconds(5));
    drain_timer_->async_wait([this](error_code) { wait_for_drain(); });
  }

  ServerOptions options_;
  Admitter admitter_;
  ErrorResponder errors_;
  SessionContext ctx_;
  unsigned threads_;
  // An io_context per thread, each told it is single-threaded: no scheduler lock is shared
  // between threads.
  static std::vector<std::unique_ptr<asio::io_context>> make_contexts(unsigned n) {
    std::vector<std::unique_ptr<asio::io_context>> out;
    for (unsigned i = 0; i < n; ++i) out.push_back(std::make_unique<asio::io_context>(1));
    return out;
  }

  std::optional<asio::ssl::context> tls_;  // outlives the sessions the contexts may still hold
  std::vector<std::unique_ptr<asio::io_context>> iocs_;
  size_t next_context_ = 0;
  tcp::acceptor acceptor_;
  asio::steady_timer accept_timer_;
  std::optional<asio::steady_timer> drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  std::string refusal_;  // the 503 written at the connection cap
  std::atomic<uint64_t> refused_{0};
  uint64_t accept_failures_ = 0;  // since the last log line; the acceptor's thread only
  std::chrono::steady_clock::time_point last_accept_log_;
  bool logged_accept_failure_ = false;
  uint16_t port_ = 0;
};

Server::Server(ServerOptions options, Admitter admitter, ErrorResponder errors)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(admitter), std::move(errors))) {}
Server::~Server() = default;
uint16_t Server::port() const { return impl_->port(); }
bool Server::tls() const { return impl_->tls(); }
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }
int64_t Server::connections() const { return impl_->connections(); }
uint64_t Server::connections_refused() const { return impl_->connections_refused(); }

}  // namespace hookd::http
