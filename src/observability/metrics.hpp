#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace hookd::observability {

// The process's counters, updated lock-free where the work happens and rendered in the
// Prometheus text format by GET /metrics. Nothing secret is ever a label or a value.
class Metrics {
 public:
  // Attempt answers by class: 2xx, 3xx, 4xx, 5xx, and no answer at all (timeout, TLS, ...).
  enum class AttemptClass { k2xx, k3xx, k4xx, k5xx, kNoAnswer };
  // What an attempt did to its delivery.
  enum class Outcome { kSucceeded, kRetried, kFailed };

  void events_ingested(uint64_t n) { events_ingested_.fetch_add(n, std::memory_order_relaxed); }
  void attempt(AttemptClass c, Outcome o, std::chrono::milliseconds duration);
  // From the delivery's creation to its successful attempt.
  void delivered_after(std::chrono::milliseconds latency);
  void set_in_flight(int64_t n) { in_flight_.store(n, std::memory_order_relaxed); }
  // Deliveries the dispatcher took: handed off by this process's ingestion, or claimed.
  enum class Taken { kHandedOff, kClaimed };
  void deliveries_taken(Taken how, uint64_t n) {
    taken_[static_cast<size_t>(how)].fetch_add(n, std::memory_order_relaxed);
  }
  void http_response(int status);

  static AttemptClass classify(int status_code);  // 0: no answer

  // The HTTP server's connections, read at scrape time: open now, and refused at the cap.
  struct HttpConnections {
    int64_t open = 0;
    uint64_t refused = 0;
  };
  // Set once, before serving.
  void set_http_connections_source(std::function<HttpConnections()> source) {
    http_connections_ = std::move(source);
  }

  // `pending` and `oldest_pending_age` come from the store at scrape time.
  std::string render(int64_t pending, std::optional<double> oldest_pending_age_seconds) const;

  // Upper bounds of the latency histograms, in seconds.
  static constexpr std::array<double, 12> kBuckets{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                   0.5,   1,    2.5,   5,    10,  30};

 private:
  struct Histogram {
    std::array<std::atomic<uint64_t>, kBuckets.size() + 1> counts{};  // last: +Inf
    std::atomic<uint64_t> sum_micros{0};
    void observe(std::chrono::milliseconds d);
    void render(std::string& out, const std::string& name) const;
  };

  std::atomic<uint64_t> events_ingested_{0};
  std::array<std::atomic<uint64_t>, 5> attempts_by_class_{};
  std::array<std::atomic<uint64_t>, 3> attempts_by_outcome_{};
  std::array<std::atomic<uint64_t>, 5> http_by_class_{};  // 1xx..5xx
  std::atomic<int64_t> in_flight_{0};
  std::array<std::atomic<uint64_t>, 2> taken_{};
  Histogram attempt_duration_;
  Histogram delivery_latency_;
  std::function<HttpConnections()> http_connections_;
};

}  // namespace hookd::observability
