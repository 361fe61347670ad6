#include "cli/service_notify.hpp"

#include <systemd/sd-daemon.h>

#include <string>

#include "common/log.hpp"

namespace hookd::cli {
namespace {

void notify(const std::string& state) {
  // sd_notify returns 0 without NOTIFY_SOCKET; below 0 the message did not reach systemd.
  const int r = sd_notify(0, state.c_str());
  if (r < 0) log::warn("sd_notify failed", {{"errno", -r}});
}

}  // namespace

void notify_ready(std::string_view status) { notify("READY=1\nSTATUS=" + std::string(status)); }

void notify_stopping() { notify("STOPPING=1\nSTATUS=stopping: finishing deliveries in flight"); }

}  // namespace hookd::cli
