#include "delivery/http1_transport.hpp"

// GCC 12 takes the sized operator delete of Asio's coroutine frames for a mismatch with their
// allocation (a false positive, gone in later versions).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <map>
#include <thread>
#include <vector>

#include "common/log.hpp"
#include "delivery/tls_session_cache.hpp"
#include "delivery/tls_socket.hpp"
#include "security/destination_guard.hpp"

namespace hookd::delivery {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

constexpr size_t kMaxResponseHeaderBytes = 16 * 1024;
// A kept-alive connection idle longer than this is closed rather than reused: receivers close
// idle connections after a while (nginx after 75 s), and a request written into a connection
// the receiver is closing is lost.
constexpr auto kMaxIdle = std::chrono::seconds(30);
// How often idle connections past kMaxIdle are closed, for origins no request goes to any more.
constexpr auto kPruneEvery = std::chrono::seconds(5);

// Where the sessions a connection's handshake and tickets bring go: its origin's store.
struct SessionSink {
  TlsSessionCache* cache = nullptr;
  std::string origin;
};

// The SSL ex_data slot holding a connection's SessionSink.
int session_sink_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

// OpenSSL's new-session callback: a verified handshake, or a ticket received after one. The
// cache keeps a copy: the session the connection holds is marked not resumable when it is freed
// without a close_notify sent (as after a receiver's Connection: close), a rule of TLS 1.0 that
// TLS 1.1 and later dropped (RFC 4346 and RFC 5246, 7.2.1).
int keep_session(SSL* ssl, SSL_SESSION* session) {
  auto* sink = static_cast<SessionSink*>(SSL_get_ex_data(ssl, session_sink_index()));
  if (sink && sink->cache) {
    if (SSL_SESSION* copy = SSL_SESSION_dup(session)) sink->cache->put(sink->origin, copy);
  }
  return 0;  // OpenSSL frees the reference it passed
}

struct Connection {
  Connection(asio::io_context& io, SSL_CTX* tls) : stream(io.get_executor(), tls) {}
  TlsSocket stream;
  beast::flat_buffer buffer;
  std::chrono::steady_clock::time_point idle_since;
  SessionSink sessions;
};
using ConnectionPtr = std::shared_ptr<Connection>;

// Shared with a timer's handler, which may run after the attempt has ended.
struct Watch {
  ConnectionPtr connection;
  bool done = false;
  bool fired = false;
};

// Closes the connection when `after` passes before the attempt ends: what it waits on fails.
void arm(asio::steady_timer& timer, std::chrono::milliseconds after, std::shared_ptr<Watch> watch) {
  timer.expires_after(after);
  timer.async_wait([watch](const boost::system::error_code& ec) {
    if (ec || watch->done) return;
    watch->fired = true;
    boost::system::error_code ignored;
    watch->connection->stream.socket().close(ignored);
  });
}

// What went wrong, in the classes the delivery log uses (as libcurl's path does).
enum class Stage { kConnect, kHandshake, kExchange };

// An attempt that ended without an answer, by the stage it reached.
void fail(domain::AttemptResult& result, Stage stage, const boost::system::error_code& ec,
          bool timed_out) {
  if (timed_out) {
    return result.fail(domain::AttemptError::kTimeout, "the receiver did not answer in time");
  }
  switch (stage) {
    case Stage::kConnect:
      return result.fail(domain::AttemptError::kConnect, ec.message());
    case Stage::kHandshake:
      return result.fail(domain::AttemptError::kTls, ec.message());
    case Stage::kExchange:
      break;
  }
  result.fail(domain::AttemptError::kNetwork, ec.message());
}

}  // namespace

class Http1Transport::Impl {
 public:
  Impl(const SenderOptions& options, const security::DestinationGuard& guard, const Clock& clock,
       X509_STORE* trust)
      : options_(options),
        guard_(guard),
        clock_(clock),
        tls_(SSL_CTX_new(TLS_client_method()), SSL_CTX_free),
        work_(asio::make_work_guard(io_)),
        prune_timer_(io_) {
    SSL_CTX* ctx = tls_.get();
    if (!ctx) throw std::runtime_error("cannot make a TLS context");
    SSL_CTX_set1_cert_store(ctx, trust);
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
    // A read takes all the socket holds (an answer's records at once), not one record.
    SSL_CTX_set_read_ahead(ctx, 1);
    static const unsigned char kAlpn[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx, kAlpn, sizeof kAlpn);
    // Sessions are kept by TlsSessionCache alone, by origin, and offered on reconnecting.
    SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT | SSL_SESS_CACHE_NO_INTERNAL_STORE);
    SSL_CTX_sess_set_new_cb(ctx, keep_session);
    schedule_prune();
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() { stop(); }

  // Requests sent to this thread and not yet answered (Http1Transport::send chooses by it).
  std::atomic<size_t> in_flight{0};

  void send(OutgoingRequest request, Transport::Callback callback) {
    asio::co_spawn(io_, exchange(std::move(request), std::move(callback)), asio::detached);
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    asio::post(io_, [this] {
      prune_timer_.cancel();
      idle_.clear();
      idle_count_ = 0;
      work_.reset();
    });
    if (thread_.joinable()) thread_.join();
  }

 private:
  struct Outcome {
    domain::AttemptResult result;
    bool keep = false;         // the connection may carry another request
    bool nothing_read = true;  // no byte of an answer arrived
  };

  // The most recently used idle connection to `origin` (the likeliest to be still open).
  ConnectionPtr take_idle(const std::string& origin) {
    auto it = idle_.find(origin);
    if (it == idle_.end()) return nullptr;
    auto& pool = it->second;
    const auto now = std::chrono::steady_clock::now();
    ConnectionPtr found;
    while (!pool.empty() && !found) {
      ConnectionPtr c = std::move(pool.back());
      pool.pop_back();
      --idle_count_;
      if (now - c->idle_since < kMaxIdle) found = std::move(c);
    }
    if (pool.empty()) idle_.erase(it);
    return found;
  }

  // At most max_connections idle connections are kept, over all origins.
  void give_back(const std::string& origin, ConnectionPtr c) {
    if (stopped_ || idle_count_ >= options_.max_connections) return;
    c->idle_since = std::chrono::steady_clock::now();
    idle_[origin].push_back(std::move(c));
    ++idle_count_;
  }

  void schedule_prune() {
    prune_timer_.expires_after(kPruneEvery);
    prune_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;
      const auto now = std::chrono::steady_clock::now();
      for (auto it = idle_.begin(); it != idle_.end();) {
        auto& pool = it->second;
        // Oldest first: each pool is in the order its connections were given back.
        size_t stale = 0;
        while (stale < pool.size() && now - pool[stale]->idle_since >= kMaxIdle) ++stale;
        pool.erase(pool.begin(), pool.begin() + static_cast<std::ptrdiff_t>(stale));
        idle_count_ -= stale;
        it = pool.empty() ? idle_.erase(it) : std::next(it);
      }
      schedule_prune();
    });
  }

  asio::awaitable<void> exchange(OutgoingRequest request, Transport::Callback callback) {
    const auto started = std::chrono::steady_clock::now();
    const TimePoint at = clock_.now();
    Outcome outcome;
    try {
      const std::string origin = origin_of(request);
      const std::string wire = to_wire(request);
      ConnectionPtr connection = take_idle(origin);
      const bool reused = connection != nullptr;
      outcome = co_await attempt(connection, reused, origin, request, wire, options_.timeout);
      // A kept-alive connection the receiver closed meanwhile fails before any answer: the
      // request goes once more on a new connection, as HTTP clients do.
      // Within what is left of the timeout, so that an attempt never outlasts delivery.timeout
      // (and so its lease, which is longer).
      const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
          std::chrono::steady_clock::now() - started);
      if (reused && outcome.nothing_read && !outcome.result.status_code &&
          elapsed < options_.timeout / 2) {
        connection.reset();
        outcome =
            co_await attempt(connection, false, origin, request, wire, options_.timeout - elapsed);
      }
      if (outcome.keep && connection) give_back(origin, std::move(connection));
    } catch (const std::exception& e) {
      outcome = Outcome{};
      outcome.result.fail(domain::AttemptError::kNetwork, e.what());
    }
    outcome.result.at = at;
    outcome.result.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::steady_clock::now() - started)
                                     .count();
    callback(std::move(outcome.result));
  }

  // The whole request in one buffer: written at once, it travels in one TLS record and one
  // send (Beast's serializer hands the TLS stream the header and the body apart, which made two
  // of each). Header lines with a line break in them are left out.
  std::string to_wire(const OutgoingRequest& r) const {
    std::string wire;
    wire.reserve(256 + r.target.size() + r.body.size());
    // Two memchr scans each (find_first_of with a set calls memchr once per character).
    const auto breaks = [](std::string_view s) {
      return s.find('\r') != std::string_view::npos || s.find('\n') != std::string_view::npos;
    };
    const auto line = [&wire, &breaks](std::string_view name, std::string_view value) {
      if (breaks(name) || breaks(value)) return;
      wire.append(name).append(": ").append(value).append("\r\n");
    };
    wire.append("POST ").append(r.target).append(" HTTP/1.1\r\n");
    line("host", r.port == 443 ? r.host : r.host + ":" + std::to_string(r.port));
    line("user-agent", options_.user_agent);
    line("accept", "*/*");
    for (const std::string& h : r.headers) {
      const size_t colon = h.find(':');
      if (colon == std::string::npos) continue;
      std::string_view value = std::string_view(h).substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      line(std::string_view(h).substr(0, colon), value);
    }
    line("content-length", std::to_string(r.body.size()));
    wire.append("\r\n").append(r.body);
    return wire;
  }

  // One try on `connection` (a new one is opened when it is null), bounded by `timeout`.
  asio::awaitable<Outcome> attempt(ConnectionPtr& connection, bool reused,
                                   const std::string& origin, const OutgoingRequest& request,
                                   const std::string& wire, std::chrono::milliseconds timeout) {
    Outcome out;
    if (!connection) connection = std::make_shared<Connection>(io_, tls_.get());
    Connection& c = *connection;
    auto watch = std::make_shared<Watch>(Watch{connection});
    // The total timeout covers connecting, the handshake, writing and reading.
    asio::steady_timer deadline(io_);
    arm(deadline, timeout, watch);
    Stage stage = Stage::kExchange;
    boost::system::error_code ec;
    auto on = asio::redirect_error(asio::use_awaitable, ec);
    if (!reused) {
      stage = Stage::kConnect;
      const security::IpAddress& ip = *request.address;
      if (!guard_.allows(ip)) {
        watch->done = true;
        out.result.fail(domain::AttemptError::kForbiddenDestination, "the address is not public");
        co_return out;
      }
      const tcp::endpoint endpoint(asio::ip::make_address(ip.to_string()), request.port);
      asio::steady_timer connect_deadline(io_);
      arm(connect_deadline, options_.connect_timeout, watch);
      co_await c.stream.socket().async_connect(endpoint, on);
      connect_deadline.cancel();
      if (!ec) {
        c.stream.socket().set_option(tcp::no_delay(true), ec);
        stage = Stage::kHandshake;
        const std::string name = certificate_name(request.host);
        boost::system::error_code not_an_address;
        asio::ip::make_address(name, not_an_address);
        SSL* ssl = c.stream.ssl();
        // The certificate must name the host (or the address) the URL names.
        const bool named =
            not_an_address ? SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
                                 SSL_set1_host(ssl, name.c_str()) == 1
                           : X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1;
        if (!named) {
          watch->done = true;
          out.result.fail(domain::AttemptError::kTls, "the host name cannot be checked");
          co_return out;
        }
        // A session of this origin's (host, port, address) is offered once; the server takes it
        // or makes a full handshake.
        c.sessions = SessionSink{&sessions_, origin};
        SSL_set_ex_data(ssl, session_sink_index(), &c.sessions);
        if (SSL_SESSION* session = sessions_.take(origin)) {
          SSL_set_session(ssl, session);
          SSL_SESSION_free(session);
        }
        ec = co_await c.stream.handshake();
      }
    }
    if (!ec) {
      stage = Stage::kExchange;
      ec = co_await c.stream.write(wire);
    }
    // The answer is read until it ends or kMaxResponseBytesRead of its body have arrived: the
    // status is known by then, and the log keeps the first 4 KiB.
    http::response_parser<http::string_body> parser;
    parser.body_limit(boost::none);
    parser.header_limit(kMaxResponseHeaderBytes);
    bool cut_short = false;
    if (!ec) ec = co_await read_answer(c, parser, cut_short);
    out.nothing_read = !parser.got_some();
    watch->done = true;
    deadline.cancel();
    if ((!ec || cut_short) && parser.is_header_done()) {
      const auto& response = parser.get();
      const int status = static_cast<int>(response.result_int());
      out.result.status_code = status;
      std::string body = response.body();
      if (body.size() > domain::kMaxLoggedResponseBytes) {
        body.resize(domain::kMaxLoggedResponseBytes);
      }
      out.result.response_body = std::move(body);
      if (auto it = response.find(http::field::retry_after); it != response.end()) {
        out.result.retry_after_seconds = retry_after_seconds(it->value());
      }
      classify_answer(out.result);
      out.keep = !ec && !cut_short && response.keep_alive();
    } else {
      fail(out.result, stage, ec, watch->fired);
    }
    co_return out;
  }

  // Reads into `parser` until the answer is complete, or kMaxResponseBytesRead of its body have
  // arrived (`cut_short`).
  asio::awaitable<boost::system::error_code> read_answer(
      Connection& c, http::response_parser<http::string_body>& parser, bool& cut_short) {
    constexpr size_t kReadSize = 16 * 1024;
    boost::system::error_code ec;
    // The request was just written: its answer cannot be there before the socket is readable.
    if (c.buffer.size() == 0) {
      ec = co_await c.stream.wait_readable();
      if (ec) co_return ec;
    }
    for (;;) {
      if (c.buffer.size() > 0) {
        const size_t used = parser.put(c.buffer.data(), ec);
        c.buffer.consume(used);
        if (ec == http::error::need_more) {
          ec = {};
        } else if (ec) {
          co_return ec;
        }
        if (parser.is_done()) co_return ec;
        if (parser.is_header_done() && parser.get().body().size() >= kMaxResponseBytesRead) {
          cut_short = true;
          co_return ec;
        }
        if (used > 0 && c.buffer.size() > 0) continue;
      }
      auto space = c.buffer.prepare(kReadSize);
      auto [read_ec, n] =
          co_await c.stream.read_some(static_cast<char*>(space.data()), space.size());
      if (read_ec == asio::error::eof) {
        // A close_notify, as Beast's read takes it: before any byte, the end of the stream; then
        // the end of an answer only where the answer may end. An end without one
        // (stream_truncated) fails the read, as libcurl's does.
        if (!parser.got_some()) co_return http::error::end_of_stream;
        parser.put_eof(ec);
        co_return ec ? ec : (parser.is_done() ? boost::system::error_code() : read_ec);
      }
      if (read_ec) co_return read_ec;
      c.buffer.commit(n);
    }
  }

  // The name the certificate must carry: the host without brackets or a trailing dot.
  static std::string certificate_name(std::string host) {
    if (host.size() >= 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
    if (!host.empty() && host.back() == '.') host.pop_back();
    return host;
  }

  const SenderOptions options_;
  const security::DestinationGuard& guard_;
  const Clock& clock_;
  asio::io_context io_{1};
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> tls_{nullptr, SSL_CTX_free};
  // Touched on the transport's thread alone; outlives every connection of idle_.
  TlsSessionCache sessions_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  // Touched on the transport's thread alone.
  asio::steady_timer prune_timer_;
  std::map<std::string, std::vector<ConnectionPtr>> idle_;
  size_t idle_count_ = 0;
  std::atomic<bool> stopped_{false};
  std::thread thread_;
};

Http1Transport::Http1Transport(const SenderOptions& options,
                               const security::DestinationGuard& guard, const Clock& clock,
                               X509_STORE* trust) {
  const size_t threads = std::max<size_t>(options.http1_threads, 1);
  SenderOptions shard = options;
  shard.max_connections = std::max<size_t>(options.max_connections / threads, 1);
  for (size_t i = 0; i < threads; ++i) {
    shards_.push_back(std::make_unique<Impl>(shard, guard, clock, trust));
  }
}
Http1Transport::~Http1Transport() = default;
void Http1Transport::send(OutgoingRequest request, Transport::Callback callback) {
  // The thread with the fewest requests in flight, the first on a tie: requests one after
  // another stay on one thread and its kept-alive connection; under load all threads send.
  Impl* least = shards_.front().get();
  for (const auto& shard : shards_) {
    if (shard->in_flight.load(std::memory_order_relaxed) <
        least->in_flight.load(std::memory_order_relaxed)) {
      least = shard.get();
    }
  }
  least->in_flight.fetch_add(1, std::memory_order_relaxed);
  least->send(std::move(request),
              [least, callback = std::move(callback)](domain::AttemptResult result) {
                least->in_flight.fetch_sub(1, std::memory_order_relaxed);
                callback(std::move(result));
              });
}
void Http1Transport::stop() {
  for (auto& shard : shards_) shard->stop();
}

}  // namespace hookd::delivery
