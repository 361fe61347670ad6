#include "delivery/curl_transport.hpp"

#include <curl/curl.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "common/log.hpp"
#include "delivery/trust_store.hpp"
#include "security/destination_guard.hpp"
#include "security/ip_address.hpp"

namespace hookd::delivery {
namespace {

// One attempt on the wire. Its easy handle is borrowed from the sender's pool.
struct Transfer {
  CURL* easy = nullptr;
  curl_slist* headers = nullptr;
  curl_slist* resolve = nullptr;
  OutgoingRequest request;
  Transport::Callback callback;
  long http_version = 0;
  std::string response;
  size_t response_bytes = 0;
  std::optional<int64_t> retry_after;
  bool refused_destination = false;
  const security::DestinationGuard* guard = nullptr;
  std::chrono::steady_clock::time_point started;
  TimePoint at;

  ~Transfer() {
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
  }
};

size_t on_body(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t n = size * count;
  if (t->response.size() < domain::kMaxLoggedResponseBytes) {
    t->response.append(data, std::min(n, domain::kMaxLoggedResponseBytes - t->response.size()));
  }
  t->response_bytes += n;
  // The status is known; reading a huge body further would only cost time.
  return t->response_bytes > kMaxResponseBytesRead ? 0 : n;
}

size_t on_header(char* data, size_t size, size_t count, void* user) {
  auto* t = static_cast<Transfer*>(user);
  std::string_view line(data, size * count);
  constexpr std::string_view kName = "retry-after:";
  if (line.size() > kName.size()) {
    bool match = true;
    for (size_t i = 0; i < kName.size(); ++i) {
      if (std::tolower(static_cast<unsigned char>(line[i])) != kName[i]) match = false;
    }
    if (match) {
      if (auto seconds = retry_after_seconds(line.substr(kName.size()))) t->retry_after = seconds;
    }
  }
  return size * count;
}

// The last word on where a connection goes: the address curl is about to connect to.
curl_socket_t on_open_socket(void* user, curlsocktype purpose, curl_sockaddr* address) {
  auto* t = static_cast<Transfer*>(user);
  if (purpose != CURLSOCKTYPE_IPCXN) return CURL_SOCKET_BAD;
  auto ip = security::IpAddress::from_sockaddr(&address->addr);
  if (!ip || !t->guard->allows(*ip)) {
    t->refused_destination = true;
    return CURL_SOCKET_BAD;
  }
  return socket(address->family, address->socktype, address->protocol);
}

// Every connection gets the one trust store built at start. Loading the system's bundle for
// each new connection, as curl would, costs tens of milliseconds of CPU per TLS handshake.
CURLcode on_ssl_context(CURL*, void* ssl_ctx, void* store) {
  SSL_CTX_set1_cert_store(static_cast<SSL_CTX*>(ssl_ctx), static_cast<X509_STORE*>(store));
  return CURLE_OK;
}

domain::AttemptError error_class(CURLcode code) {
  switch (code) {
    case CURLE_OPERATION_TIMEDOUT:
      return domain::AttemptError::kTimeout;
    case CURLE_COULDNT_RESOLVE_HOST:
      return domain::AttemptError::kDns;
    case CURLE_COULDNT_CONNECT:
      return domain::AttemptError::kConnect;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
      return domain::AttemptError::kTls;
    default:
      return domain::AttemptError::kNetwork;
  }
}

}  // namespace

// Many transfers on one thread: libcurl's multi interface driven by socket events (epoll), so a
// wake-up touches only the connections that are ready, not every transfer in flight. Easy handles
// are kept for the next transfer rather than made and freed for each.
class CurlTransport::Impl {
 public:
  Impl(SenderOptions options, const security::DestinationGuard& guard, const Clock& clock,
       ProtocolSeen seen)
      : options_(std::move(options)), guard_(guard), clock_(clock), seen_(std::move(seen)) {
    curl_global_init(CURL_GLOBAL_DEFAULT);
    trust_ = build_trust_store(options_.ca_file);
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    wakeup_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    epoll_event wake{};
    wake.events = EPOLLIN;
    wake.data.fd = wakeup_;
    if (epoll_ < 0 || wakeup_ < 0 || epoll_ctl(epoll_, EPOLL_CTL_ADD, wakeup_, &wake) != 0) {
      close_descriptors();
      X509_STORE_free(trust_);
      throw std::runtime_error("cannot set up the sender's event loop");
    }
    multi_ = curl_multi_init();
    curl_multi_setopt(multi_, CURLMOPT_MAXCONNECTS, static_cast<long>(options_.max_connections));
    curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, on_socket);
    curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
    curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, on_timer);
    curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
    thread_ = std::thread([this] { run(); });
  }

  ~Impl() {
    stop();
    for (CURL* e : idle_) curl_easy_cleanup(e);
    curl_multi_cleanup(multi_);  // closes the cached connections, through on_socket
    close_descriptors();
    X509_STORE_free(trust_);
  }

  X509_STORE* trust() const { return trust_; }

  void send(OutgoingRequest request, Transport::Callback callback) {
    auto t = std::make_unique<Transfer>();
    t->request = std::move(request);
    t->callback = std::move(callback);
    bool first = false;
    {
      std::lock_guard lock(mutex_);
      first = incoming_.empty();
      incoming_.push_back(std::move(t));
    }
    // One wake-up per batch: the thread takes the whole queue when it wakes.
    if (first) wake();
  }

  void stop() {
    if (stopping_.exchange(true)) return;
    wake();
    if (thread_.joinable()) thread_.join();
  }

 private:
  void wake() {
    const uint64_t one = 1;
    [[maybe_unused]] const ssize_t n = write(wakeup_, &one, sizeof one);
  }

  void close_descriptors() {
    if (epoll_ >= 0) close(epoll_);
    if (wakeup_ >= 0) close(wakeup_);
    epoll_ = wakeup_ = -1;
  }

  // libcurl says which sockets it waits on, and for what.
  static int on_socket(CURL*, curl_socket_t socket, int what, void* user, void* registered) {
    auto* self = static_cast<Impl*>(user);
    if (what == CURL_POLL_REMOVE) {
      epoll_ctl(self->epoll_, EPOLL_CTL_DEL, socket, nullptr);
      return 0;
    }
    epoll_event ev{};
    ev.data.fd = socket;
    if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
    if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
    if (registered) {
      epoll_ctl(self->epoll_, EPOLL_CTL_MOD, socket, &ev);
    } else {
      if (epoll_ctl(self->epoll_, EPOLL_CTL_ADD, socket, &ev) != 0 && errno == EEXIST) {
        epoll_ctl(self->epoll_, EPOLL_CTL_MOD, socket, &ev);
      }
      curl_multi_assign(self->multi_, socket, self);
    }
    return 0;
  }

  // libcurl's next deadline (connect and total timeouts, its own retries): -1 means none.
  static int on_timer(CURLM*, long timeout_ms, void* user) {
    auto* self = static_cast<Impl*>(user);
    if (timeout_ms < 0) {
      self->timer_.reset();
    } else {
      self->timer_ = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    }
    return 0;
  }

  CURL* take_easy() {
    if (idle_.empty()) return curl_easy_init();
    CURL* e = idle_.back();
    idle_.pop_back();
    return e;
  }

  void give_back_easy(CURL* e) {
    if (idle_.size() >= options_.max_connections) return curl_easy_cleanup(e);
    curl_easy_reset(e);
    idle_.push_back(e);
  }

  void start(std::unique_ptr<Transfer> t) {
    CURL* e = take_easy();
    t->easy = e;
    t->guard = &guard_;
    for (const std::string& h : t->request.headers)
      t->headers = curl_slist_append(t->headers, h.c_str());
    t->headers = curl_slist_append(t->headers, "Expect:");
    // A host name resolves to the address the guard checked, whatever DNS says by the time
    // the connection opens.
    if (t->request.address && !security::IpAddress::parse(t->request.host)) {
      const security::IpAddress& a = *t->request.address;
      const std::string pin = t->request.host + ":" + std::to_string(t->request.port) + ":" +
                              (a.is_v4() ? a.to_string() : "[" + a.to_string() + "]");
      t->resolve = curl_slist_append(nullptr, pin.c_str());
      curl_easy_setopt(e, CURLOPT_RESOLVE, t->resolve);
    }
    curl_easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
    curl_easy_setopt(e, CURLOPT_POST, 1L);
    curl_easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.data());
    curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
                     static_cast<curl_off_t>(t->request.body.size()));
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);
    curl_easy_setopt(e, CURLOPT_USERAGENT, options_.user_agent.c_str());
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_PROXY, "");
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, t.get());
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, t.get());
    curl_easy_setopt(e, CURLOPT_OPENSOCKETFUNCTION, on_open_socket);
    curl_easy_setopt(e, CURLOPT_OPENSOCKETDATA, t.get());
    curl_easy_setopt(e, CURLOPT_CAINFO, nullptr);
    curl_easy_setopt(e, CURLOPT_CAPATH, nullptr);
    curl_easy_setopt(e, CURLOPT_SSL_CTX_FUNCTION, on_ssl_context);
    curl_easy_setopt(e, CURLOPT_SSL_CTX_DATA, trust_);
    curl_easy_setopt(e, CURLOPT_PRIVATE, t.get());
    t->started = std::chrono::steady_clock::now();
    t->at = clock_.now();
    curl_multi_add_handle(multi_, e);
    t.release();  // owned by the multi handle until it completes
    ++active_;
  }

  void finish(Transfer* raw, CURLcode code) {
    std::unique_ptr<Transfer> t(raw);
    curl_multi_remove_handle(multi_, t->easy);
    --active_;
    domain::AttemptResult r;
    r.at = t->at;
    r.duration_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        std::chrono::steady_clock::now() - t->started)
                        .count();
    long status = 0;
    curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(t->easy, CURLINFO_HTTP_VERSION, &t->http_version);
    give_back_easy(t->easy);
    t->easy = nullptr;
    // The answer counts once its status arrived: we cut a long body short ourselves
    // (WRITE_ERROR), and an HTTP/2 receiver may answer before reading the body and then reset
    // the stream with NO_ERROR, which libcurl 7.88 reports as a stream error.
    const bool answered =
        code == CURLE_OK || code == CURLE_WRITE_ERROR || code == CURLE_HTTP2_STREAM;
    if (status > 0 && answered) {
      if (seen_) seen_(t->request, t->http_version == CURL_HTTP_VERSION_1_1);
      r.status_code = static_cast<int>(status);
      r.response_body = std::move(t->response);
      r.retry_after_seconds = t->retry_after;
      classify_answer(r);
    } else if (t->refused_destination) {
      r.fail(domain::AttemptError::kForbiddenDestination, "the address is not public");
    } else {
      r.fail(error_class(code), curl_easy_strerror(code));
    }
    t->callback(std::move(r));
  }

  void start_incoming() {
    std::deque<std::unique_ptr<Transfer>> incoming;
    {
      std::lock_guard lock(mutex_);
      incoming.swap(incoming_);
    }
    for (auto& t : incoming) start(std::move(t));
  }

  void finish_completed() {
    int left = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi_, &left)) {
      if (msg->msg != CURLMSG_DONE) continue;
      Transfer* t = nullptr;
      curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
      finish(t, msg->data.result);
    }
  }

  // Until libcurl's deadline, at most a second (stop is also seen through the wake-up).
  int wait_ms() const {
    if (!timer_) return 1000;
    const auto left =
        std::chrono::ceil<std::chrono::milliseconds>(*timer_ - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<int64_t>(left.count(), 0, 1000));
  }

  void run() {
    std::vector<epoll_event> ready(256);
    int running = 0;
    while (true) {
      start_incoming();
      if (stopping_ && active_ == 0) {
        std::lock_guard lock(mutex_);
        if (incoming_.empty()) return;
      }
      const int n = epoll_wait(epoll_, ready.data(), static_cast<int>(ready.size()), wait_ms());
      for (int i = 0; i < n; ++i) {
        const int fd = ready[i].data.fd;
        if (fd == wakeup_) {
          uint64_t count = 0;
          [[maybe_unused]] const ssize_t r = read(wakeup_, &count, sizeof count);
          continue;
        }
        int mask = 0;
        if (ready[i].events & EPOLLIN) mask |= CURL_CSELECT_IN;
        if (ready[i].events & EPOLLOUT) mask |= CURL_CSELECT_OUT;
        if (ready[i].events & (EPOLLERR | EPOLLHUP)) mask |= CURL_CSELECT_ERR;
        curl_multi_socket_action(multi_, fd, mask, &running);
      }
      if (timer_ && *timer_ <= std::chrono::steady_clock::now()) {
        timer_.reset();
        curl_multi_socket_action(multi_, CURL_SOCKET_TIMEOUT, 0, &running);
      }
      finish_completed();
    }
  }

  SenderOptions options_;
  const security::DestinationGuard& guard_;
  const Clock& clock_;
  const ProtocolSeen seen_;
  X509_STORE* trust_ = nullptr;
  int epoll_ = -1;
  int wakeup_ = -1;
  CURLM* multi_ = nullptr;
  // Touched by the sender's thread alone.
  std::optional<std::chrono::steady_clock::time_point> timer_;
  std::vector<CURL*> idle_;
  size_t active_ = 0;

  std::mutex mutex_;
  std::deque<std::unique_ptr<Transfer>> incoming_;
  std::atomic<bool> stopping_{false};
  std::thread thread_;
};

CurlTransport::CurlTransport(SenderOptions options, const security::DestinationGuard& guard,
                             const Clock& clock, ProtocolSeen seen)
    : impl_(std::make_unique<Impl>(std::move(options), guard, clock, std::move(seen))) {}
CurlTransport::~CurlTransport() = default;
X509_STORE* CurlTransport::trust() const { return impl_->trust(); }
void CurlTransport::send(OutgoingRequest request, Transport::Callback callback) {
  impl_->send(std::move(request), std::move(callback));
}
void CurlTransport::stop() { impl_->stop(); }

}  // namespace hookd::delivery
