#include "domain/webhook_health.hpp"

namespace hookd::domain {

HealthChange health_after(std::span<const AttemptVerdict> attempts, WebhookHealth before,
                          TimePoint now, std::chrono::milliseconds disable_after) {
  HealthChange change;
  bool enabled = before.enabled;
  std::optional<TimePoint> failing_since = before.failing_since;
  const TimePoint cutoff = now - disable_after;
  for (size_t k = 0; k < attempts.size(); ++k) {
    if (attempts[k].succeeded) {
      failing_since.reset();
    } else {
      if (!failing_since) failing_since = now;
      if (enabled && *failing_since <= cutoff) {
        enabled = false;
        change.disabled_by = k;
        change.disabled_reason = failing_reason(*failing_since, now);
      }
    }
    if (attempts[k].gone && enabled) {
      enabled = false;
      change.disabled_by = k;
      change.disabled_reason = gone_reason(now);
    }
  }
  change.failing_since = failing_since;
  return change;
}

std::string gone_reason(TimePoint now) {
  return "The receiver answered 410 Gone at " + format_rfc3339(now);
}

std::string failing_reason(TimePoint failing_since, TimePoint now) {
  // The start of the run to the second: "2027-01-15T08:00:00Z".
  std::string since = format_rfc3339(std::chrono::floor<std::chrono::seconds>(failing_since));
  since.erase(since.size() - 5, 4);  // ".000"
  return "Every delivery failed from " + since + " until " + format_rfc3339(now);
}

}  // namespace hookd::domain
