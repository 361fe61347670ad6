#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <string>

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
};

// Decoded query parameters; a repeated name keeps its last value.
using Query = std::map<std::string, std::string, std::less<>>;

}  // namespace hookd::api
