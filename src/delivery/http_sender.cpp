#include "delivery/http_sender.hpp"

#include <mutex>
#include <unordered_map>

#include "delivery/curl_transport.hpp"
#include "delivery/http1_transport.hpp"

namespace hookd::delivery {
namespace {

// How long a receiver seen answering over HTTP/1.1 is taken to keep doing so: after that, one
// request goes through libcurl again, which takes HTTP/2 if the receiver now offers it.
constexpr auto kProtocolRemembered = std::chrono::minutes(10);
// Receivers remembered before the expired ones are forgotten.
constexpr size_t kMaxRemembered = 10'000;

}  // namespace

// Sends through libcurl until a receiver has answered over HTTP/1.1, then through the lighter
// HTTP/1.1 transport; HTTP/2 receivers stay with libcurl.
class HttpSender::Impl {
 public:
  Impl(SenderOptions options, const security::DestinationGuard& guard, const Clock& clock)
      : curl_(options, guard, clock,
              [this](const OutgoingRequest& r, bool http1) { seen(r, http1); }),
        http1_(options, guard, clock, curl_.trust()) {}

  void send(OutgoingRequest request, Callback callback) {
    if (request.address && speaks_http1(origin_of(request))) {
      return http1_.send(std::move(request), std::move(callback));
    }
    curl_.send(std::move(request), std::move(callback));
  }

  void stop() {
    curl_.stop();
    http1_.stop();
  }

 private:
  bool speaks_http1(const std::string& origin) {
    std::lock_guard lock(mutex_);
    auto it = http1_until_.find(origin);
    if (it == http1_until_.end()) return false;
    if (std::chrono::steady_clock::now() < it->second) return true;
    http1_until_.erase(it);
    return false;
  }

  void seen(const OutgoingRequest& r, bool http1) {
    if (!r.address) return;
    std::lock_guard lock(mutex_);
    if (http1) {
      const auto now = std::chrono::steady_clock::now();
      if (http1_until_.size() >= kMaxRemembered) {
        std::erase_if(http1_until_, [now](const auto& entry) { return entry.second <= now; });
      }
      if (http1_until_.size() < kMaxRemembered)
        http1_until_[origin_of(r)] = now + kProtocolRemembered;
    } else {
      http1_until_.erase(origin_of(r));
    }
  }

  CurlTransport curl_;
  Http1Transport http1_;
  std::mutex mutex_;
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> http1_until_;
};

HttpSender::HttpSender(SenderOptions options, const security::DestinationGuard& guard,
                       const Clock& clock)
    : impl_(std::make_unique<Impl>(std::move(options), guard, clock)) {}
HttpSender::~HttpSender() = default;
void HttpSender::send(OutgoingRequest request, Callback callback) {
  impl_->send(std::move(request), std::move(callback));
}
void HttpSender::stop() { impl_->stop(); }

}  // namespace hookd::delivery
