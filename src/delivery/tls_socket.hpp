#pragma once

// Included by the HTTP/1.1 transport alone: it brings Asio.
#include <openssl/types.h>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <string_view>
#include <utility>

namespace hookd::delivery {

// TLS on a TCP socket, OpenSSL reading and writing the socket itself through a small BIO
// (recv, and send with MSG_NOSIGNAL): no BIO pair and no copy through Asio's buffers. Each SSL
// call runs until it needs the socket readable or writable, and the coroutine waits for that
// on the reactor. With read-ahead, one recv takes what the socket holds, a whole answer at once.
//
// Closing the socket (as a timeout does) fails the wait in progress, and no SSL call touches
// the descriptor after that. Errors: a close_notify is asio::error::eof; the connection ending
// without one is asio::ssl::error::stream_truncated; TLS failures are in Asio's SSL category.
class TlsSocket {
 public:
  TlsSocket(const boost::asio::any_io_executor& executor, SSL_CTX* context);
  ~TlsSocket();
  TlsSocket(const TlsSocket&) = delete;
  TlsSocket& operator=(const TlsSocket&) = delete;

  boost::asio::ip::tcp::socket& socket() { return socket_; }
  SSL* ssl() { return ssl_; }

  // Once connected: the handshake, then whole writes and reads of what has arrived.
  boost::asio::awaitable<boost::system::error_code> handshake();
  boost::asio::awaitable<boost::system::error_code> write(std::string_view data);
  boost::asio::awaitable<std::pair<boost::system::error_code, size_t>> read_some(char* data,
                                                                                 size_t size);
  // Returns once the peer may have sent something: at once when OpenSSL holds bytes of it
  // already, else when the socket is readable. Before an answer, this saves the read that would
  // only find the socket empty.
  boost::asio::awaitable<boost::system::error_code> wait_readable();

 private:
  enum class Call { kHandshake, kWrite, kRead };
  // Repeats the call until it succeeds or fails, waiting on the socket as OpenSSL asks.
  boost::asio::awaitable<std::pair<boost::system::error_code, int>> drive(Call call, void* data,
                                                                          int size);
  bool attach();

  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_;
  bool attached_ = false;
};

}  // namespace hookd::delivery
