#include "cli/demo_receiver.hpp"

#include <strings.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace hookd::cli {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

constexpr size_t kMaxHeaderBytes = 64 * 1024;
constexpr size_t kMaxBodyBytes = 1024 * 1024;
constexpr std::chrono::seconds kRequestTimeout{10};
constexpr int kMaxConnections = 16;
constexpr size_t kMaxKept = 1000;

}  // namespace

std::string ReceivedRequest::header(std::string_view name) const {
  for (const auto& [field, value] : headers) {
    if (field.size() == name.size() && strncasecmp(field.data(), name.data(), name.size()) == 0) {
      return value;
    }
  }
  return {};
}

class DemoReceiver::Impl {
 public:
  Impl(const std::string& certificate_chain_file, const std::string& private_key_file)
      : tls_(asio::ssl::context::tls_server), acceptor_(io_) {
    tls_.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1);
    boost::system::error_code ec;
    tls_.use_certificate_chain_file(certificate_chain_file, ec);
    if (!ec) tls_.use_private_key_file(private_key_file, asio::ssl::context::pem, ec);
    if (ec) throw std::runtime_error("receiver: cannot load its certificate: " + ec.message());
    const tcp::endpoint endpoint(asio::ip::make_address_v4("127.0.0.1"), 0);
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error("receiver: cannot listen on 127.0.0.1: " + ec.message());
    port_ = acceptor_.local_endpoint().port();
    asio::co_spawn(io_, accept_loop(), asio::detached);
    thread_ = std::thread([this] { io_.run(); });
  }

  ~Impl() {
    io_.stop();
    thread_.join();
  }

  uint16_t port() const { return port_; }

  std::optional<ReceivedRequest> next(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock lock(mutex_);
    if (!arrived_.wait_until(lock, deadline, [this] { return !kept_.empty(); })) {
      return std::nullopt;
    }
    ReceivedRequest request = std::move(kept_.front());
    kept_.pop_front();
    return request;
  }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      boost::system::error_code ec;
      tcp::socket socket =
          co_await acceptor_.async_accept(asio::redirect_error(asio::use_awaitable, ec));
      if (ec == asio::error::operation_aborted) co_return;
      if (ec) continue;
      if (connections_ >= kMaxConnections) continue;  // the socket closes as it goes
      asio::co_spawn(io_, session(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> session(tcp::socket socket) {
    ++connections_;
    struct Leave {
      int& count;
      ~Leave() { --count; }
    } leave{connections_};
    beast::ssl_stream<beast::tcp_stream> stream(std::move(socket), tls_);
    boost::system::error_code ec;
    beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
    co_await stream.async_handshake(asio::ssl::stream_base::server,
                                    asio::redirect_error(asio::use_awaitable, ec));
    if (ec) co_return;
    beast::flat_buffer buffer;
    for (;;) {
      beast::get_lowest_layer(stream).expires_after(kRequestTimeout);
      beast::http::request_parser<beast::http::string_body> parser;
      parser.header_limit(kMaxHeaderBytes);
      parser.body_limit(kMaxBodyBytes);
      co_await beast::http::async_read(stream, buffer, parser,
                                       asio::redirect_error(asio::use_awaitable, ec));
      if (ec) co_return;
      const auto& request = parser.get();
      keep(request);
      beast::http::response<beast::http::string_body> response{beast::http::status::ok,
                                                               request.version()};
      response.set(beast::http::field::content_type, "text/plain");
      response.body() = "received";
      response.keep_alive(request.keep_alive());
      response.prepare_payload();
      co_await beast::http::async_write(stream, response,
                                        asio::redirect_error(asio::use_awaitable, ec));
      if (ec || !response.keep_alive()) break;
    }
    co_await stream.async_shutdown(asio::redirect_error(asio::use_awaitable, ec));
  }

  void keep(const beast::http::request<beast::http::string_body>& request) {
    ReceivedRequest kept;
    kept.request_line = std::string(request.method_string()) + " " + std::string(request.target()) +
                        " HTTP/" + std::to_string(request.version() / 10) + "." +
                        std::to_string(request.version() % 10);
    for (const auto& field : request) {
      kept.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    }
    kept.body = request.body();
    {
      std::lock_guard lock(mutex_);
      if (kept_.size() >= kMaxKept) return;
      kept_.push_back(std::move(kept));
    }
    arrived_.notify_all();
  }

  // Destroyed after io_, which destroys the sessions that still use them.
  asio::ssl::context tls_;
  int connections_ = 0;  // on io_'s thread only
  asio::io_context io_;
  tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<ReceivedRequest> kept_;
};

DemoReceiver::DemoReceiver(const std::string& certificate_chain_file,
                           const std::string& private_key_file)
    : impl_(std::make_unique<Impl>(certificate_chain_file, private_key_file)) {}

DemoReceiver::~DemoReceiver() = default;

uint16_t DemoReceiver::port() const { return impl_->port(); }

std::optional<ReceivedRequest> DemoReceiver::next(std::chrono::steady_clock::time_point deadline) {
  return impl_->next(deadline);
}

}  // namespace hookd::cli
