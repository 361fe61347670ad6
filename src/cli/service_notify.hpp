#pragma once

#include <string_view>

// What `hookd serve` tells systemd when it runs as a Type=notify service (sd_notify(3)). Each
// call does nothing when NOTIFY_SOCKET is unset, as outside systemd.
namespace hookd::cli {

// READY=1: the database is migrated and reachable, and the listener is bound (the API role) or
// the dispatcher runs (the worker role). `status` becomes the unit's STATUS= line.
void notify_ready(std::string_view status);

// STOPPING=1: a stop signal arrived and the graceful shutdown began.
void notify_stopping();

}  // namespace hookd::cli
