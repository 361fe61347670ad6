#include "delivery/tls_socket.hpp"

// GCC 12 takes the sized operator delete of Asio's coroutine frames for a mismatch with their
// allocation (a false positive, gone in later versions).
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cerrno>
#include <climits>
#include <cstdint>

namespace hookd::delivery {
namespace {

namespace asio = boost::asio;
using boost::system::error_code;

int descriptor(BIO* bio) { return static_cast<int>(reinterpret_cast<intptr_t>(BIO_get_data(bio))); }

bool would_block(int e) { return e == EAGAIN || e == EWOULDBLOCK || e == EINTR; }

int bio_write(BIO* bio, const char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::send(descriptor(bio), data, static_cast<size_t>(size), MSG_NOSIGNAL);
  if (n < 0 && would_block(errno)) BIO_set_retry_write(bio);
  return static_cast<int>(n);
}

int bio_read(BIO* bio, char* data, int size) {
  BIO_clear_retry_flags(bio);
  const ssize_t n = ::recv(descriptor(bio), data, static_cast<size_t>(size), 0);
  if (n < 0 && would_block(errno)) BIO_set_retry_read(bio);
  return static_cast<int>(n);
}

long bio_ctrl(BIO*, int command, long, void*) {
  // Nothing is buffered here: a flush is done at once. OpenSSL asks other things (kTLS,
  // datagram sizes) that a plain socket answers with "no".
  return command == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

// The BIO never owns the descriptor: the Asio socket opens and closes it.
const BIO_METHOD* socket_method() {
  static BIO_METHOD* const method = [] {
    BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "hookd socket");
    BIO_meth_set_write(m, bio_write);
    BIO_meth_set_read(m, bio_read);
    BIO_meth_set_ctrl(m, bio_ctrl);
    BIO_meth_set_create(m, bio_create);
    return m;
  }();
  return method;
}

// The failure of an SSL call that is neither done nor waiting, as Asio's SSL stream reports it.
error_code failure(int ssl_error, int result, int saved_errno) {
  const unsigned long queued = ERR_get_error();
  if (ssl_error == SSL_ERROR_ZERO_RETURN) return asio::error::eof;
  if (ERR_GET_REASON(queued) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
    return asio::ssl::error::stream_truncated;
  }
  if (ssl_error == SSL_ERROR_SYSCALL && queued == 0) {
    if (result == 0 || saved_errno == 0) return asio::ssl::error::stream_truncated;
    return error_code(saved_errno, boost::system::system_category());
  }
  if (queued != 0) return error_code(static_cast<int>(queued), asio::error::get_ssl_category());
  return asio::error::fault;
}

}  // namespace

TlsSocket::TlsSocket(const asio::any_io_executor& executor, SSL_CTX* context)
    : socket_(executor), ssl_(SSL_new(context)) {
  if (!ssl_) throw std::bad_alloc();
}

TlsSocket::~TlsSocket() { SSL_free(ssl_); }

bool TlsSocket::attach() {
  if (attached_) return true;
  BIO* bio = BIO_new(socket_method());
  if (!bio) return false;
  BIO_set_data(bio, reinterpret_cast<void*>(static_cast<intptr_t>(socket_.native_handle())));
  SSL_set_bio(ssl_, bio, bio);  // one reference, for both directions
  SSL_set_connect_state(ssl_);
  attached_ = true;
  return true;
}

asio::awaitable<std::pair<error_code, int>> TlsSocket::drive(Call call, void* data, int size) {
  error_code ec;
  auto on = asio::redirect_error(asio::use_awaitable, ec);
  for (;;) {
    // A timeout closes the socket: its descriptor may already belong to another connection.
    if (!socket_.is_open()) co_return std::pair{error_code(asio::error::operation_aborted), 0};
    if (!attach()) co_return std::pair{error_code(asio::error::no_memory), 0};
    ERR_clear_error();
    errno = 0;
    int r = 0;
    switch (call) {
      case Call::kHandshake:
        r = SSL_do_handshake(ssl_);
        break;
      case Call::kWrite:
        r = SSL_write(ssl_, data, size);
        break;
      case Call::kRead:
        r = SSL_read(ssl_, data, size);
        break;
    }
    if (r > 0) co_return std::pair{error_code(), r};
    const int saved_errno = errno;
    const int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      co_await socket_.async_wait(e == SSL_ERROR_WANT_READ ? asio::ip::tcp::socket::wait_read
                                                           : asio::ip::tcp::socket::wait_write,
                                  on);
      if (ec) co_return std::pair{ec, 0};
      continue;
    }
    co_return std::pair{failure(e, r, saved_errno), 0};
  }
}

asio::awaitable<error_code> TlsSocket::handshake() {
  co_return (co_await drive(Call::kHandshake, nullptr, 0)).first;
}

asio::awaitable<error_code> TlsSocket::write(std::string_view data) {
  // SSL_write returns once all of it is written (no partial writes asked for); one at most
  // INT_MAX bytes at a time.
  while (!data.empty()) {
    const int chunk = static_cast<int>(std::min<size_t>(data.size(), INT_MAX));
    auto [ec, n] = co_await drive(Call::kWrite, const_cast<char*>(data.data()), chunk);
    if (ec) co_return ec;
    data.remove_prefix(static_cast<size_t>(n));
  }
  co_return error_code();
}

asio::awaitable<error_code> TlsSocket::wait_readable() {
  if (!socket_.is_open()) co_return error_code(asio::error::operation_aborted);
  if (attached_ && SSL_has_pending(ssl_) == 1) co_return error_code();
  error_code ec;
  co_await socket_.async_wait(asio::ip::tcp::socket::wait_read,
                              asio::redirect_error(asio::use_awaitable, ec));
  co_return ec;
}

asio::awaitable<std::pair<error_code, size_t>> TlsSocket::read_some(char* data, size_t size) {
  const int chunk = static_cast<int>(std::min<size_t>(size, INT_MAX));
  auto [ec, n] = co_await drive(Call::kRead, data, chunk);
  co_return std::pair{ec, static_cast<size_t>(n)};
}

}  // namespace hookd::delivery
