#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/clock.hpp"

namespace hookd::store {
class Store;
}
namespace hookd::security {
class DestinationGuard;
}
namespace hookd::ingest {
class Ingestor;
}
namespace hookd::observability {
class Metrics;
}

namespace hookd::api {

// What every route may use. Built once by the composition root.
struct ApiContext {
  store::Store& store;
  const Clock& clock;
  const security::DestinationGuard& guard;
  size_t max_body_bytes = 64 * 1024;
  ingest::Ingestor* ingestor = nullptr;  // absent on a worker-only process
  // Deliveries were made due now (a retry, a recovery): the local delivery engine may look.
  std::function<void()> work_queued;
  // How long a rotated-out secret keeps signing beside the new one.
  std::chrono::milliseconds secret_rotation_grace{std::chrono::hours(24)};
  observability::Metrics* metrics = nullptr;
  // Failed authentications per client address and minute before 429; 0: no throttling.
  uint32_t auth_failures_per_minute = 50;
  // Peers whose X-Forwarded-For names the client (CIDRs, validated at start).
  std::vector<std::string> trusted_proxies;
  // The pool that runs the handlers that use the store, off the I/O threads.
  unsigned handler_threads = 4;
  size_t handler_queue = 256;  // queued beyond that: 503 with Retry-After
  std::chrono::milliseconds readiness_timeout{2000};
  // Where the portal is reached (no trailing slash): portal-session URLs begin with it.
  std::string portal_base_url;
  // The portal pages' CSP frame-ancestors; anything but 'none' lets them be framed.
  std::string portal_frame_ancestors = "'none'";
};

// Decoded query parameters; a repeated name is refused (400) before any route sees them.
using Query = std::map<std::string, std::string, std::less<>>;

}  // namespace hookd::api
