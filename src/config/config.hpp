#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "common/log.hpp"

namespace hookd::config {

using Duration = std::chrono::milliseconds;

struct DeliveryConfig {
  std::vector<Duration> retry_schedule{std::chrono::seconds(5),  std::chrono::minutes(5),
                                       std::chrono::minutes(30), std::chrono::hours(2),
                                       std::chrono::hours(5),    std::chrono::hours(10),
                                       std::chrono::hours(10)};
  Duration timeout = std::chrono::seconds(15);
  Duration connect_timeout = std::chrono::seconds(5);
  // A host name without an answer by then is a failed attempt (error class dns).
  Duration dns_timeout = std::chrono::seconds(2);
  // Name servers, "ip" or "ip:port" ("[ipv6]:port"); empty means the system's configuration.
  std::vector<std::string> dns_servers;
  Duration disable_after = std::chrono::hours(24 * 5);
  Duration secret_rotation_grace = std::chrono::hours(24);
  std::string secret_header = "x-webhook-secret";
  std::vector<std::string> allow_targets;  // CIDRs, checked when the guard is built
  std::string ca_file;
  // Finished deliveries, their attempts and events older than this are purged.
  Duration retention = std::chrono::hours(24 * 30);
  // How long a claimed delivery belongs to the worker that claimed it; a worker that dies
  // leaves its claims to the others after this long. Longer than `timeout`, so that an attempt
  // still on the wire is never claimed and sent again by another worker.
  Duration lease = std::chrono::seconds(30);
  // Attempts on the wire at once, per webhook and in all (per process).
  unsigned max_in_flight_per_webhook = 64;
  unsigned max_in_flight = 512;
};

struct LimitsConfig {
  // Webhooks one organization may hold; one more is 409 WebhookLimitExceeded.
  int64_t webhooks_per_organization = 1000;
};

struct SqliteConfig {
  // "full": every commit a client is answered for is synced first (a 202 survives a power
  // cut); "normal": syncs at checkpoints only, faster, and a power cut may lose answered commits.
  std::string synchronous = "full";
};

struct AuthConfig {
  // Failed authentications per client address and minute before 429; 0: off.
  uint32_t failures_per_minute = 50;
};

struct SecretsConfig {
  // Files of 32-byte keys (base64, one line each): the first seals, all open. Empty: on SQLite
  // a key generated beside the database (<database>.key); PostgreSQL refuses to start.
  std::vector<std::string> key_files;
};

struct PortalConfig {
  // Where integrators reach /portal/ (portal-session URLs begin with it); empty: the server's
  // own listen address.
  std::string base_url;
  // CSP frame-ancestors of the portal pages: "'none'", or the origins that may frame it.
  std::string frame_ancestors = "'none'";
};

// What one `hookd serve` process runs: the API, the delivery workers, or both.
enum class Role { kAll, kApi, kWorker };
// "all", "api", "worker"; nothing for any other text.
std::optional<Role> parse_role(std::string_view name);
std::string_view role_name(Role role);

// Everything hookd reads at start. Parsed once, validated, then passed by value.
struct Config {
  std::string listen = "127.0.0.1:8080";
  std::string database = "sqlite://hookd.db";
  std::string tls_cert;
  std::string tls_key;
  Role role = Role::kAll;
  unsigned threads = 0;  // HTTP threads; 0 means one per core
  log::Level log_level = log::Level::kInfo;
  // The HTTP edge's bounds. max_connections is clamped at start to what the descriptor
  // limit leaves after the database, deliveries and logs.
  size_t max_connections = 10'000;
  uint64_t max_body_buffer_bytes = 256ull * 1024 * 1024;   // request bodies being read, in all
  Duration keep_alive_timeout = std::chrono::seconds(60);  // an idle connection between requests
  Duration header_timeout = std::chrono::seconds(10);      // a request's head, once it begins
  DeliveryConfig delivery;
  LimitsConfig limits;
  SqliteConfig sqlite;
  AuthConfig auth;
  // CIDRs of reverse proxies whose X-Forwarded-For names the client; empty: none.
  std::vector<std::string> trusted_proxies;
  SecretsConfig secrets;
  PortalConfig portal;
};

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// "500ms", "5s", "5m", "2h", "5d" (a bare number is seconds).
Duration parse_duration(std::string_view text);

// Layers, applied in this order, each overriding the one before: defaults, the TOML file,
// HOOKD_* environment variables, then command-line flags (applied by the CLI).
void apply_toml_file(Config& config, const std::string& path);
void apply_toml_text(Config& config, std::string_view text, std::string_view source_name);
void apply_environment(Config& config, const std::function<const char*(const char*)>& getenv_fn);

// Throws ConfigError for values that cannot work (empty schedule, bad role, half a TLS pair).
void validate(const Config& config);

}  // namespace hookd::config
