// TlsSocket against peers that misbehave at the TCP level: one that resets, one that stays
// silent, one that goes away after the handshake. A real OpenSSL server on a thread of the test
// where TLS is needed, with a certificate from a test CA made at test time.
#include "delivery/tls_socket.hpp"

// GCC 12 takes the sized operator delete of Asio's coroutine frames for a mismatch with their
// allocation (a false positive, gone in later versions).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <thread>

#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"

namespace hookd::delivery {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;

// A client context that trusts the test CA.
struct ClientContext {
  explicit ClientContext(const std::string& ca_file) : ctx(SSL_CTX_new(TLS_client_method())) {
    SSL_CTX_load_verify_locations(ctx, ca_file.c_str(), nullptr);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  }
  ~ClientContext() { SSL_CTX_free(ctx); }
  SSL_CTX* ctx;
};

// A server context with the test CA's server certificate; `ready` once both files loaded.
struct ServerContext {
  explicit ServerContext(const testing::TestCertificates& certs)
      : ctx(SSL_CTX_new(TLS_server_method())),
        ready(SSL_CTX_use_certificate_chain_file(ctx, certs.server_cert.c_str()) == 1 &&
              SSL_CTX_use_PrivateKey_file(ctx, certs.server_key.c_str(), SSL_FILETYPE_PEM) == 1) {}
  ~ServerContext() { SSL_CTX_free(ctx); }
  // The server's side of a TLS handshake on `s`; null when it failed.
  std::unique_ptr<SSL, decltype(&SSL_free)> accept(tcp::socket& s) const {
    std::unique_ptr<SSL, decltype(&SSL_free)> ssl(SSL_new(ctx), SSL_free);
    SSL_set_fd(ssl.get(), s.native_handle());
    if (SSL_accept(ssl.get()) != 1) ssl.reset();
    return ssl;
  }
  SSL_CTX* ctx;
  bool ready;
};

class TlsSocketTest : public ::testing::Test {
 protected:
  TlsSocketTest()
      : certs_(testing::make_test_certificates(dir_.path())),
        client_(certs_.ca_cert),
        acceptor_(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {}

  // Runs `body` on a TlsSocket connected to the acceptor; returns what it returned.
  error_code run(std::function<asio::awaitable<error_code>(TlsSocket&)> body) {
    std::optional<error_code> result;
    asio::co_spawn(
        io_,
        [&]() -> asio::awaitable<void> {
          TlsSocket s(io_.get_executor(), client_.ctx);
          error_code ec;
          co_await s.socket().async_connect(acceptor_.local_endpoint(),
                                            asio::redirect_error(asio::use_awaitable, ec));
          if (!ec) ec = co_await body(s);
          result = ec;
        },
        asio::detached);
    io_.run_for(std::chrono::seconds(10));
    EXPECT_TRUE(result.has_value()) << "did not end within 10 s";
    return result.value_or(error_code(asio::error::timed_out));
  }

  testing::TempDir dir_;
  testing::TestCertificates certs_;
  ClientContext client_;
  asio::io_context io_;
  tcp::acceptor acceptor_;
};

TEST_F(TlsSocketTest, APeerThatResetsFailsTheHandshakeWithAnError) {
  std::thread peer([this] {
    tcp::socket s = acceptor_.accept();
    s.set_option(asio::socket_base::linger(true, 0));  // the close sends a reset
    s.close();
  });
  const error_code ec = run([](TlsSocket& s) { return s.handshake(); });
  peer.join();
  EXPECT_TRUE(ec);
}

// What a timeout does: the socket is closed while the handshake waits for the silent peer.
TEST_F(TlsSocketTest, ClosingTheSocketEndsTheWaitAndNoCallTouchesItAfter) {
  std::promise<void> done;
  std::thread peer([&] {
    tcp::socket s = acceptor_.accept();
    done.get_future().wait();
  });
  asio::steady_timer timer(io_);
  const auto started = std::chrono::steady_clock::now();
  const error_code ec = run([&](TlsSocket& s) -> asio::awaitable<error_code> {
    timer.expires_after(std::chrono::milliseconds(50));
    timer.async_wait([&s](const error_code&) { s.socket().close(); });
    error_code first = co_await s.handshake();
    // Closed: another call fails at once, without the descriptor.
    const error_code again = co_await s.write("after the close");
    EXPECT_EQ(again, asio::error::operation_aborted);
    co_return first;
  });
  done.set_value();
  peer.join();
  EXPECT_EQ(ec, asio::error::operation_aborted);
  EXPECT_LT(std::chrono::steady_clock::now() - started, std::chrono::seconds(5));
}

// Writes into a connection the peer has closed fail with an error: the first is answered with a
// reset, and the next one, into a socket the reset ended, raises SIGPIPE unless sent with
// MSG_NOSIGNAL (the test binary does not ignore it: it would die).
TEST_F(TlsSocketTest, WritingToAPeerThatClosedFailsWithoutASignal) {
  ServerContext server(certs_);
  ASSERT_TRUE(server.ready);
  std::promise<void> closed;
  std::thread peer([&] {
    tcp::socket s = acceptor_.accept();
    server.accept(s);
    s.close();  // a FIN: nothing of the client's is left unread
    closed.set_value();
  });
  const error_code ec = run([&](TlsSocket& s) -> asio::awaitable<error_code> {
    error_code e = co_await s.handshake();
    if (e) co_return error_code(asio::error::fault);  // not the failure this test is about
    closed.get_future().wait();
    for (int i = 0; i < 1000 && !e; ++i) e = co_await s.write("a request");
    co_return e;
  });
  peer.join();
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, asio::error::fault) << "the handshake failed";
}

// Bytes OpenSSL has taken from the socket and not yet handed over are there to read: the wait
// returns at once, though the socket has nothing more and the peer stays silent. Without that
// check the wait lasts until the test's timer closes the socket.
TEST_F(TlsSocketTest, AWaitForBytesOpenSSLHoldsAlreadyReturnsAtOnce) {
  ServerContext server(certs_);
  ASSERT_TRUE(server.ready);
  std::promise<void> finished;
  std::thread peer([&] {
    tcp::socket s = acceptor_.accept();
    const auto ssl = server.accept(s);
    if (ssl) SSL_write(ssl.get(), "an answer", 9);  // one record
    finished.get_future().wait();
  });
  asio::steady_timer timer(io_);
  std::string got;
  const error_code ec = run([&](TlsSocket& s) -> asio::awaitable<error_code> {
    if (error_code e = co_await s.handshake()) co_return e;
    char c = 0;
    auto [e, n] = co_await s.read_some(&c, 1);  // the record is taken whole, one byte given
    if (e) co_return e;
    got.assign(&c, n);
    timer.expires_after(std::chrono::seconds(2));
    timer.async_wait([&s](const error_code& fired) {
      if (!fired) s.socket().close();
    });
    e = co_await s.wait_readable();
    timer.cancel();
    if (e) co_return e;
    char rest[16];
    auto [e2, m] = co_await s.read_some(rest, sizeof rest);
    got.append(rest, m);
    co_return e2;
  });
  finished.set_value();
  peer.join();
  EXPECT_FALSE(ec) << ec.message();
  EXPECT_EQ(got, "an answer");
}

}  // namespace
}  // namespace hookd::delivery
