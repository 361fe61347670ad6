#include "observability/metrics.hpp"

#include <cstdio>

namespace hookd::observability {
namespace {

void line(std::string& out, const std::string& name, const std::string& labels, double value) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.17g", value);
  out += name;
  if (!labels.empty()) out += "{" + labels + "}";
  out += ' ';
  out += buf;
  out += '\n';
}

void header(std::string& out, const std::string& name, const char* type, const char* help) {
  out += "# HELP " + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
}

}  // namespace

void Metrics::Histogram::observe(std::chrono::milliseconds d) {
  const double seconds = static_cast<double>(d.count()) / 1000.0;
  size_t i = 0;
  while (i < kBuckets.size() && seconds > kBuckets[i]) ++i;
  counts[i].fetch_add(1, std::memory_order_relaxed);
  sum_micros.fetch_add(static_cast<uint64_t>(d.count()) * 1000, std::memory_order_relaxed);
}

void Metrics::Histogram::render(std::string& out, const std::string& name) const {
  uint64_t cumulative = 0;
  char le[32];
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    cumulative += counts[i].load(std::memory_order_relaxed);
    std::snprintf(le, sizeof le, "%g", kBuckets[i]);
    line(out, name + "_bucket", std::string("le=\"") + le + "\"", static_cast<double>(cumulative));
  }
  cumulative += counts[kBuckets.size()].load(std::memory_order_relaxed);
  line(out, name + "_bucket", "le=\"+Inf\"", static_cast<double>(cumulative));
  line(out, name + "_sum", "",
       static_cast<double>(sum_micros.load(std::memory_order_relaxed)) / 1e6);
  line(out, name + "_count", "", static_cast<double>(cumulative));
}

Metrics::AttemptClass Metrics::classify(int status_code) {
  if (status_code >= 200 && status_code < 300) return AttemptClass::k2xx;
  if (status_code >= 300 && status_code < 400) return AttemptClass::k3xx;
  if (status_code >= 400 && status_code < 500) return AttemptClass::k4xx;
  if (status_code >= 500 && status_code < 600) return AttemptClass::k5xx;
  return AttemptClass::kNoAnswer;
}

void Metrics::attempt(AttemptClass c, Outcome o, std::chrono::milliseconds duration) {
  attempts_by_class_[static_cast<size_t>(c)].fetch_add(1, std::memory_order_relaxed);
  attempts_by_outcome_[static_cast<size_t>(o)].fetch_add(1, std::memory_order_relaxed);
  attempt_duration_.observe(duration);
}

void Metrics::delivered_after(std::chrono::milliseconds latency) {
  delivery_latency_.observe(latency);
}

void Metrics::http_response(int status) {
  const int c = status / 100;
  if (c >= 1 && c <= 5)
    http_by_class_[static_cast<size_t>(c - 1)].fetch_add(1, std::memory_order_relaxed);
}

std::string Metrics::render(int64_t pending,
                            std::optional<double> oldest_pending_age_seconds) const {
  std::string out;
  out.reserve(4096);
  header(out, "hookd_events_ingested_total", "counter", "Device events accepted and stored.");
  line(out, "hookd_events_ingested_total", "",
       static_cast<double>(events_ingested_.load(std::memory_order_relaxed)));

  header(out, "hookd_deliveries_taken_total", "counter",
         "Deliveries the dispatcher took: handed off by this process's ingestion as it stored"
         " them, or claimed from the queue.");
  line(out, "hookd_deliveries_taken_total", "how=\"handed_off\"",
       static_cast<double>(taken_[0].load(std::memory_order_relaxed)));
  line(out, "hookd_deliveries_taken_total", "how=\"claimed\"",
       static_cast<double>(taken_[1].load(std::memory_order_relaxed)));

  header(out, "hookd_delivery_attempts_total", "counter",
         "Delivery attempts by the class of the receiver's answer.");
  static constexpr const char* kClasses[] = {"2xx", "3xx", "4xx", "5xx", "no_answer"};
  for (size_t i = 0; i < 5; ++i) {
    line(out, "hookd_delivery_attempts_total", std::string("class=\"") + kClasses[i] + "\"",
         static_cast<double>(attempts_by_class_[i].load(std::memory_order_relaxed)));
  }

  header(
      out, "hookd_deliveries_total", "counter",
      "Attempts by what they did to their delivery: succeeded, retried later, or failed for good.");
  static constexpr const char* kOutcomes[] = {"succeeded", "retried", "failed"};
  for (size_t i = 0; i < 3; ++i) {
    line(out, "hookd_deliveries_total", std::string("outcome=\"") + kOutcomes[i] + "\"",
         static_cast<double>(attempts_by_outcome_[i].load(std::memory_order_relaxed)));
  }

  header(out, "hookd_delivery_attempt_duration_seconds", "histogram",
         "How long each delivery attempt took.");
  attempt_duration_.render(out, "hookd_delivery_attempt_duration_seconds");
  header(out, "hookd_delivery_latency_seconds", "histogram",
         "From a delivery's creation to its successful attempt.");
  delivery_latency_.render(out, "hookd_delivery_latency_seconds");

  header(out, "hookd_deliveries_pending", "gauge", "Deliveries waiting for an attempt.");
  line(out, "hookd_deliveries_pending", "", static_cast<double>(pending));
  header(out, "hookd_oldest_pending_delivery_age_seconds", "gauge",
         "Age of the oldest pending delivery (0 when none).");
  line(out, "hookd_oldest_pending_delivery_age_seconds", "",
       oldest_pending_age_seconds.value_or(0.0));
  header(out, "hookd_deliveries_in_flight", "gauge", "Attempts on the wire in this process.");
  line(out, "hookd_deliveries_in_flight", "",
       static_cast<double>(in_flight_.load(std::memory_order_relaxed)));

  header(out, "hookd_http_responses_total", "counter", "API responses by status class.");
  for (size_t i = 0; i < 5; ++i) {
    line(out, "hookd_http_responses_total", "class=\"" + std::to_string(i + 1) + "xx\"",
         static_cast<double>(http_by_class_[i].load(std::memory_order_relaxed)));
  }
  if (http_connections_) {
    const HttpConnections connections = http_connections_();
    header(out, "hookd_http_connections", "gauge", "HTTP connections open now.");
    line(out, "hookd_http_connections", "", static_cast<double>(connections.open));
    header(out, "hookd_http_connections_refused_total", "counter",
           "HTTP connections answered 503 and closed at the connection cap.");
    line(out, "hookd_http_connections_refused_total", "", static_cast<double>(connections.refused));
  }
  return out;
}

}  // namespace hookd::observability
