#include "http/server.hpp"

#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <limits>
#include <thread>
#include <vector>

#include "common/log.hpp"
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

// Shared by all sessions of one server.
struct SessionContext {
  const ServerOptions& options;
  const Handler& handler;
  std::atomic<int> in_flight{0};
  std::atomic<bool> stopping{false};
};

Response internal_error() {
  return Response{500,
                  R"({"message":"Internal server error","code":"InternalServerError",)"
                  R"("errorMessage":"Internal server error","errorCode":"InternalServerError"})"};
}

bool expects_continue(const bhttp::request_parser<bhttp::string_body>& parser) {
  auto it = parser.get().find(bhttp::field::expect);
  return it != parser.get().end() && beast::iequals(it->value(), "100-continue");
}

// One connection. Derived supplies stream() and how to close it (plain or TLS).
template <class Derived>
class Session {
 public:
  explicit Session(SessionContext& ctx) : ctx_(ctx) {}

 protected:
  Derived& self() { return static_cast<Derived&>(*this); }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(static_cast<uint32_t>(ctx_.options.max_header_bytes));
    // The real limit depends on the target and is set once the header is in; Beast would
    // otherwise fail the header itself on a large Content-Length, before auth is judged.
    parser_->body_limit(std::numeric_limits<std::uint64_t>::max());
    beast::get_lowest_layer(self().stream()).expires_after(ctx_.options.read_timeout);
    bhttp::async_read_header(
        self().stream(), buffer_, *parser_,
        [s = self().shared_from_this()](error_code ec, size_t) { s->on_header(ec); });
  }

  void on_header(error_code ec) {
    if (ec) return self().do_close();  // closed, timed out, or a malformed header
    ctx_.in_flight.fetch_add(1);
    const size_t limit = ctx_.options.body_limit_for
                             ? ctx_.options.body_limit_for(parser_->get().target())
                             : ctx_.options.max_body_bytes;
    parser_->body_limit(limit);
    const auto length = parser_->content_length();
    if (length && *length > limit) return handle(/*too_large=*/true);
    if (parser_->is_done()) return handle(false);
    if (expects_continue(*parser_)) {
      continue_.emplace(bhttp::status::continue_, parser_->get().version());
      bhttp::async_write(self().stream(), *continue_,
                         [s = self().shared_from_this()](error_code wec, size_t) {
                           if (wec) {
                             s->ctx_.in_flight.fetch_sub(1);
                             return s->do_close();
                           }
                           s->read_body();
                         });
      return;
    }
    read_body();
  }

  void read_body() {
    bhttp::async_read(self().stream(), buffer_, *parser_,
                      [s = self().shared_from_this()](error_code ec, size_t) {
                        if (ec == bhttp::error::body_limit) return s->handle(true);
                        if (ec) {
                          s->ctx_.in_flight.fetch_sub(1);
                          return s->self().do_close();
                        }
                        s->handle(false);
                      });
  }

  void handle(bool too_large) {
    auto& req = parser_->get();
    version_ = req.version();
    request_keep_alive_ = req.keep_alive();
    head_request_ = req.method() == bhttp::verb::head;
    too_large_ = too_large;
    Request request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    if (auto it = req.find(bhttp::field::authorization); it != req.end()) {
      request.authorization = std::string(it->value());
      request.has_authorization = true;
    }
    request.body_too_large = too_large;
    if (!too_large) request.body = std::move(req.body());

    auto session = self().shared_from_this();
    Responder respond = [session](Response response) {
      auto* raw = session.get();
      asio::dispatch(raw->stream().get_executor(),
                     [session = std::move(session), response = std::move(response)]() mutable {
                       session->write_response(std::move(response));
                     });
    };
    try {
      ctx_.handler(std::move(request), std::move(respond));
    } catch (const std::exception& e) {
      // The handler failed before it answered; it must not answer any more.
      log::error("unhandled error in request handler", {{"error", e.what()}});
      write_response(internal_error());
    }
  }

  // The response is written as one buffer built here: the seed's twelve headers are a
  // constant block, and Beast's field-by-field serializer cost more than the rest of a GET.
  void write_response(Response response) {
    // An unread body leaves the connection unusable; shutdown ends keep-alive too.
    keep_alive_ = request_keep_alive_ && !too_large_ && !ctx_.stopping.load();
    const int status = response.status;
    const bool bodiless_status = status == 204 || status == 304 || (status >= 100 && status < 200);
    out_.clear();
    out_.reserve(kSecurityHeaderBlock.size() + 128 + response.body.size());
    out_ += version_ == 10 ? "HTTP/1.0 " : "HTTP/1.1 ";
    out_ += std::to_string(status);
    out_ += ' ';
    out_ += bhttp::obsolete_reason(static_cast<bhttp::status>(status));
    out_ += "\r\n";
    out_ += kSecurityHeaderBlock;
    if (!response.content_type.empty() && !response.body.empty()) {
      out_ += "Content-Type: ";
      out_ += response.content_type;
      out_ += "\r\n";
    }
    if (!bodiless_status) {
      out_ += "Content-Length: ";
      out_ += std::to_string(response.body.size());
      out_ += "\r\n";
    }
    if (!keep_alive_) {
      out_ += "Connection: close\r\n";
    } else if (version_ == 10) {
      out_ += "Connection: keep-alive\r\n";
    }
    for (const auto& [name, value] : response.headers) {
      out_ += name;
      out_ += ": ";
      out_ += value;
      out_ += "\r\n";
    }
    out_ += "\r\n";
    if (!bodiless_status && !head_request_) out_ += response.body;

    beast::get_lowest_layer(self().stream()).expires_after(ctx_.options.write_timeout);
    asio::async_write(self().stream(), asio::buffer(out_),
                      [s = self().shared_from_this()](error_code ec, size_t) {
                        s->ctx_.in_flight.fetch_sub(1);
                        if (!ec && s->too_large_) return s->linger();
                        if (ec || !s->keep_alive_) return s->self().do_close();
                        s->do_read();
                      });
  }

  // After refusing an oversized body, read and drop what the client is still sending for a
  // little while, as nginx's lingering close does: closing at once would reset the connection
  // and the client would lose the answer it has not read yet.
  void linger() {
    self().half_close();
    beast::get_lowest_layer(self().stream()).expires_after(kLingerTime);
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
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::empty_body>> continue_;
  std::string out_;
  unsigned version_ = 11;
  bool head_request_ = false;
  bool request_keep_alive_ = false;
  bool too_large_ = false;
  bool keep_alive_ = false;
  std::vector<char> discard_;
  size_t lingered_ = 0;
};

class PlainSession : public Session<PlainSession>,
                     public std::enable_shared_from_this<PlainSession> {
 public:
  PlainSession(tcp::socket&& socket, SessionContext& ctx)
      : Session(ctx), stream_(std::move(socket)) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [s = shared_from_this()] { s->do_read(); });
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
      : Session(ctx), stream_(std::move(socket), tls) {}

  void start() {
    asio::dispatch(stream_.get_executor(), [s = shared_from_this()] {
      beast::get_lowest_layer(s->stream_).expires_after(s->ctx_.options.read_timeout);
      s->stream_.async_handshake(asio::ssl::stream_base::server, [s](error_code ec) {
        if (ec) return s->close_socket();
        s->do_read();
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

class Server::Impl {
 public:
  Impl(ServerOptions options, Handler handler)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        ctx_{options_, handler_},
        threads_(options_.threads ? options_.threads
                                  : std::max(1u, std::thread::hardware_concurrency())),
        iocs_(make_contexts(threads_)),
        acceptor_(*iocs_.front()),
        signals_(*iocs_.front(), SIGINT, SIGTERM) {
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

  void run() {
    signals_.async_wait([this](error_code ec, int sig) {
      if (ec) return;
      log::info("shutting down", {{"signal", sig}});
      stop();
    });
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
      signals_.cancel(ec);
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
        log::warn("accept failed", {{"error", ec.message()}});
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
  Handler handler_;
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
  asio::signal_set signals_;
  std::optional<asio::steady_timer> drain_timer_;
  std::chrono::steady_clock::time_point drain_deadline_;
  uint16_t port_ = 0;
};

Server::Server(ServerOptions options, Handler handler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler))) {}
Server::~Server() = default;
uint16_t Server::port() const { return impl_->port(); }
bool Server::tls() const { return impl_->tls(); }
void Server::run() { impl_->run(); }
void Server::stop() { impl_->stop(); }

}  // namespace hookd::http
