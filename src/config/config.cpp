#include "config/config.hpp"

#include <toml++/toml.h>

#include <algorithm>
#include <charconv>

#include "security/ip_address.hpp"

namespace hookd::config {
namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return std::string(s);
}

std::vector<std::string> split_list(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    if (comma == std::string_view::npos) comma = s.size();
    std::string item = trim(s.substr(start, comma - start));
    if (!item.empty()) out.push_back(std::move(item));
    start = comma + 1;
  }
  return out;
}

std::vector<Duration> parse_duration_list(const std::vector<std::string>& items) {
  std::vector<Duration> out;
  for (const auto& i : items) out.push_back(parse_duration(i));
  return out;
}

// Reads a string or an array of strings from a TOML node.
std::vector<std::string> toml_string_list(const toml::node& node, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* s = node.as_string()) return split_list(s->get());
  const toml::array* arr = node.as_array();
  if (!arr) throw ConfigError("config: " + std::string(key) + " must be a list of strings");
  for (const auto& el : *arr) {
    const auto* v = el.as_string();
    if (!v) throw ConfigError("config: " + std::string(key) + " must be a list of strings");
    out.push_back(v->get());
  }
  return out;
}

Role role_from(std::string_view text, std::string_view source) {
  if (auto role = parse_role(text)) return *role;
  throw ConfigError(std::string(source) + " must be all, api or worker, not \"" +
                    std::string(text) + "\"");
}

log::Level level_from(std::string_view text, std::string_view source) {
  if (auto level = log::parse_level(text)) return *level;
  throw ConfigError(std::string(source) + " must be debug, info, warn or error, not \"" +
                    std::string(text) + "\"");
}

std::string toml_string(const toml::node& node, std::string_view key) {
  const auto* v = node.as_string();
  if (!v) throw ConfigError("config: " + std::string(key) + " must be a string");
  return v->get();
}

// A count of units as milliseconds; refused past 100 years, so that no later sum or
// conversion to microseconds overflows.
Duration checked_duration(int64_t count, int64_t ms_per_unit, std::string_view text) {
  constexpr int64_t kMaxMs = int64_t{100} * 365 * 24 * 3600 * 1000;
  if (count < 0 || count > kMaxMs / ms_per_unit) {
    throw ConfigError("invalid duration \"" + std::string(text) +
                      "\": expected 0 to 100 years, as a number and a unit such as 5s");
  }
  return Duration(count * ms_per_unit);
}

Duration toml_duration(const toml::node& node, std::string_view key) {
  if (const auto* n = node.as_integer()) {
    return checked_duration(n->get(), 1000, std::to_string(n->get()));
  }
  return parse_duration(toml_string(node, key));
}

void apply_table(Config& config, const toml::table& table);

}  // namespace

Duration parse_duration(std::string_view text) {
  std::string t = trim(text);
  int64_t value = 0;
  auto [ptr, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (ec != std::errc() || ptr == t.data() || value < 0) {
    throw ConfigError("invalid duration \"" + t + "\": expected a number and a unit such as 5s");
  }
  std::string_view unit(ptr, t.data() + t.size() - ptr);
  if (unit == "ms") return checked_duration(value, 1, t);
  if (unit == "s" || unit.empty()) return checked_duration(value, 1000, t);
  if (unit == "m") return checked_duration(value, 60'000, t);
  if (unit == "h") return checked_duration(value, 3'600'000, t);
  if (unit == "d") return checked_duration(value, 86'400'000, t);
  throw ConfigError("invalid duration \"" + t + "\": unit must be ms, s, m, h or d");
}

void apply_toml_file(Config& config, const std::string& path) {
  toml::table table;
  try {
    table = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw ConfigError("config file " + path + ", line " + std::to_string(e.source().begin.line) +
                      ": " + std::string(e.description()));
  }
  apply_table(config, table);
}

void apply_toml_text(Config& config, std::string_view text, std::string_view source_name) {
  toml::table table;
  try {
    table = toml::parse(text, source_name);
  } catch (const toml::parse_error& e) {
    throw ConfigError("config " + std::string(source_name) + ": " + std::string(e.description()));
  }
  apply_table(config, table);
}

namespace {

void apply_table(Config& config, const toml::table& table) {
  for (auto&& [key, node] : table) {
    const std::string_view k = key.str();
    if (k == "listen") {
      config.listen = toml_string(node, k);
    } else if (k == "database") {
      config.database = toml_string(node, k);
    } else if (k == "tls_cert") {
      config.tls_cert = toml_string(node, k);
    } else if (k == "tls_key") {
      config.tls_key = toml_string(node, k);
    } else if (k == "role") {
      config.role = role_from(toml_string(node, k), "config: role");
    } else if (k == "log_level") {
      config.log_level = level_from(toml_string(node, k), "config: log_level");
    } else if (k == "threads") {
      const auto* n = node.as_integer();
      if (!n || n->get() < 0 || n->get() > 256) {
        throw ConfigError("config: threads must be 0..256");
      }
      config.threads = static_cast<unsigned>(n->get());
    } else if (k == "max_connections") {
      const auto* n = node.as_integer();
      if (!n || n->get() < 1 || n->get() > 1'000'000) {
        throw ConfigError("config: max_connections must be 1..1000000");
      }
      config.max_connections = static_cast<size_t>(n->get());
    } else if (k == "max_body_buffer_bytes") {
      const auto* n = node.as_integer();
      if (!n || n->get() < 1) throw ConfigError("config: max_body_buffer_bytes must be positive");
      config.max_body_buffer_bytes = static_cast<uint64_t>(n->get());
    } else if (k == "keep_alive_timeout") {
      config.keep_alive_timeout = toml_duration(node, k);
    } else if (k == "header_timeout") {
      config.header_timeout = toml_duration(node, k);
    } else if (k == "delivery") {
      const toml::table* d = node.as_table();
      if (!d) throw ConfigError("config: [delivery] must be a table");
      for (auto&& [dkey, dnode] : *d) {
        const std::string_view dk = dkey.str();
        DeliveryConfig& dc = config.delivery;
        if (dk == "retry_schedule") {
          dc.retry_schedule = parse_duration_list(toml_string_list(dnode, dk));
        } else if (dk == "timeout") {
          dc.timeout = toml_duration(dnode, dk);
        } else if (dk == "connect_timeout") {
          dc.connect_timeout = toml_duration(dnode, dk);
        } else if (dk == "dns_timeout") {
          dc.dns_timeout = toml_duration(dnode, dk);
        } else if (dk == "dns_servers") {
          dc.dns_servers = toml_string_list(dnode, dk);
        } else if (dk == "disable_after") {
          dc.disable_after = toml_duration(dnode, dk);
        } else if (dk == "secret_rotation_grace") {
          dc.secret_rotation_grace = toml_duration(dnode, dk);
        } else if (dk == "secret_header") {
          dc.secret_header = toml_string(dnode, dk);
        } else if (dk == "allow_targets") {
          dc.allow_targets = toml_string_list(dnode, dk);
        } else if (dk == "max_in_flight_per_webhook" || dk == "max_in_flight") {
          const auto* n = dnode.as_integer();
          if (!n || n->get() < 1 || n->get() > 100'000) {
            throw ConfigError("config: delivery." + std::string(dk) + " must be 1..100000");
          }
          (dk == "max_in_flight" ? dc.max_in_flight : dc.max_in_flight_per_webhook) =
              static_cast<unsigned>(n->get());
        } else if (dk == "retention") {
          dc.retention = toml_duration(dnode, dk);
        } else if (dk == "lease") {
          dc.lease = toml_duration(dnode, dk);
        } else if (dk == "ca_file") {
          dc.ca_file = toml_string(dnode, dk);
        } else {
          throw ConfigError("config: unknown key delivery." + std::string(dk));
        }
      }
    } else if (k == "limits") {
      const toml::table* t = node.as_table();
      if (!t) throw ConfigError("config: [limits] must be a table");
      for (auto&& [lkey, lnode] : *t) {
        const std::string_view lk = lkey.str();
        if (lk != "webhooks_per_organization") {
          throw ConfigError("config: unknown key limits." + std::string(lk));
        }
        const auto* n = lnode.as_integer();
        if (!n) throw ConfigError("config: limits.webhooks_per_organization must be an integer");
        config.limits.webhooks_per_organization = n->get();
      }
    } else if (k == "sqlite") {
      const toml::table* t = node.as_table();
      if (!t) throw ConfigError("config: [sqlite] must be a table");
      for (auto&& [skey, snode] : *t) {
        const std::string_view sk = skey.str();
        if (sk != "synchronous") throw ConfigError("config: unknown key sqlite." + std::string(sk));
        config.sqlite.synchronous = toml_string(snode, sk);
      }
    } else if (k == "trusted_proxies") {
      config.trusted_proxies = toml_string_list(node, k);
    } else if (k == "auth") {
      const toml::table* a = node.as_table();
      if (!a) throw ConfigError("config: [auth] must be a table");
      for (auto&& [akey, anode] : *a) {
        if (akey.str() != "failures_per_minute") {
          throw ConfigError("config: unknown key auth." + std::string(akey.str()));
        }
        const auto* n = anode.as_integer();
        if (!n || n->get() < 0 || n->get() > 1'000'000) {
          throw ConfigError("config: auth.failures_per_minute must be 0..1000000");
        }
        config.auth.failures_per_minute = static_cast<uint32_t>(n->get());
      }
    } else if (k == "secrets") {
      const toml::table* t = node.as_table();
      if (!t) throw ConfigError("config: [secrets] must be a table");
      for (auto&& [skey, snode] : *t) {
        if (skey.str() != "key_files") {
          throw ConfigError("config: unknown key secrets." + std::string(skey.str()));
        }
        config.secrets.key_files = toml_string_list(snode, skey.str());
      }
    } else if (k == "portal") {
      const toml::table* t = node.as_table();
      if (!t) throw ConfigError("config: [portal] must be a table");
      for (auto&& [pkey, pnode] : *t) {
        const std::string_view pk = pkey.str();
        if (pk == "base_url") {
          config.portal.base_url = toml_string(pnode, pk);
        } else if (pk == "frame_ancestors") {
          config.portal.frame_ancestors = toml_string(pnode, pk);
        } else {
          throw ConfigError("config: unknown key portal." + std::string(pk));
        }
      }
    } else {
      throw ConfigError("config: unknown key " + std::string(k));
    }
  }
}

}  // namespace

void apply_environment(Config& config, const std::function<const char*(const char*)>& getenv_fn) {
  auto get = [&](const char* name) -> std::optional<std::string> {
    const char* v = getenv_fn(name);
    if (!v || !*v) return std::nullopt;
    return std::string(v);
  };
  if (auto v = get("HOOKD_LISTEN")) config.listen = *v;
  if (auto v = get("HOOKD_DATABASE")) config.database = *v;
  if (auto v = get("HOOKD_TLS_CERT")) config.tls_cert = *v;
  if (auto v = get("HOOKD_TLS_KEY")) config.tls_key = *v;
  if (auto v = get("HOOKD_ROLE")) config.role = role_from(*v, "HOOKD_ROLE");
  if (auto v = get("HOOKD_LOG_LEVEL")) config.log_level = level_from(*v, "HOOKD_LOG_LEVEL");
  if (auto v = get("HOOKD_THREADS")) {
    unsigned n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n > 256) {
      throw ConfigError("HOOKD_THREADS must be 0..256");
    }
    config.threads = n;
  }
  if (auto v = get("HOOKD_MAX_CONNECTIONS")) {
    size_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1 || n > 1'000'000) {
      throw ConfigError("HOOKD_MAX_CONNECTIONS must be 1..1000000");
    }
    config.max_connections = n;
  }
  if (auto v = get("HOOKD_MAX_BODY_BUFFER_BYTES")) {
    uint64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n < 1) {
      throw ConfigError("HOOKD_MAX_BODY_BUFFER_BYTES must be positive");
    }
    config.max_body_buffer_bytes = n;
  }
  if (auto v = get("HOOKD_KEEP_ALIVE_TIMEOUT")) config.keep_alive_timeout = parse_duration(*v);
  if (auto v = get("HOOKD_HEADER_TIMEOUT")) config.header_timeout = parse_duration(*v);
  DeliveryConfig& dc = config.delivery;
  if (auto v = get("HOOKD_DELIVERY_RETRY_SCHEDULE")) {
    dc.retry_schedule = parse_duration_list(split_list(*v));
  }
  if (auto v = get("HOOKD_DELIVERY_TIMEOUT")) dc.timeout = parse_duration(*v);
  if (auto v = get("HOOKD_DELIVERY_CONNECT_TIMEOUT")) dc.connect_timeout = parse_duration(*v);
  if (auto v = get("HOOKD_DELIVERY_DNS_TIMEOUT")) dc.dns_timeout = parse_duration(*v);
  if (auto v = get("HOOKD_DELIVERY_DNS_SERVERS")) dc.dns_servers = split_list(*v);
  if (auto v = get("HOOKD_DELIVERY_DISABLE_AFTER")) dc.disable_after = parse_duration(*v);
  if (auto v = get("HOOKD_DELIVERY_SECRET_ROTATION_GRACE")) {
    dc.secret_rotation_grace = parse_duration(*v);
  }
  if (auto v = get("HOOKD_DELIVERY_SECRET_HEADER")) dc.secret_header = *v;
  if (auto v = get("HOOKD_DELIVERY_ALLOW_TARGETS")) dc.allow_targets = split_list(*v);
  if (auto v = get("HOOKD_DELIVERY_CA_FILE")) dc.ca_file = *v;
  if (auto v = get("HOOKD_DELIVERY_RETENTION")) dc.retention = parse_duration(*v);
  if (auto v = get("HOOKD_DELIVERY_LEASE")) dc.lease = parse_duration(*v);
  if (auto v = get("HOOKD_SECRETS_KEY_FILES")) config.secrets.key_files = split_list(*v);
  auto count = [](const std::string& name, const std::string& text) {
    unsigned n = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
    if (ec != std::errc() || p != text.data() + text.size() || n < 1 || n > 100'000) {
      throw ConfigError(name + " must be 1..100000");
    }
    return n;
  };
  if (auto v = get("HOOKD_TRUSTED_PROXIES")) config.trusted_proxies = split_list(*v);
  if (auto v = get("HOOKD_AUTH_FAILURES_PER_MINUTE")) {
    uint32_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size() || n > 1'000'000) {
      throw ConfigError("HOOKD_AUTH_FAILURES_PER_MINUTE must be 0..1000000");
    }
    config.auth.failures_per_minute = n;
  }
  if (auto v = get("HOOKD_DELIVERY_MAX_IN_FLIGHT")) {
    dc.max_in_flight = count("HOOKD_DELIVERY_MAX_IN_FLIGHT", *v);
  }
  if (auto v = get("HOOKD_DELIVERY_MAX_IN_FLIGHT_PER_WEBHOOK")) {
    dc.max_in_flight_per_webhook = count("HOOKD_DELIVERY_MAX_IN_FLIGHT_PER_WEBHOOK", *v);
  }
  if (auto v = get("HOOKD_LIMITS_WEBHOOKS_PER_ORGANIZATION")) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (ec != std::errc() || p != v->data() + v->size()) {
      throw ConfigError("HOOKD_LIMITS_WEBHOOKS_PER_ORGANIZATION must be an integer");
    }
    config.limits.webhooks_per_organization = n;
  }
  if (auto v = get("HOOKD_SQLITE_SYNCHRONOUS")) config.sqlite.synchronous = *v;
  if (auto v = get("HOOKD_PORTAL_BASE_URL")) config.portal.base_url = *v;
  if (auto v = get("HOOKD_PORTAL_FRAME_ANCESTORS")) config.portal.frame_ancestors = *v;
}

std::optional<Role> parse_role(std::string_view name) {
  for (Role role : {Role::kAll, Role::kApi, Role::kWorker}) {
    if (role_name(role) == name) return role;
  }
  return std::nullopt;
}

std::string_view role_name(Role role) {
  switch (role) {
    case Role::kAll:
      return "all";
    case Role::kApi:
      return "api";
    case Role::kWorker:
      return "worker";
  }
  return "all";
}

namespace {

// Both values end up in what the server writes (a URL in a JSON body, a response header).
void validate_portal(const PortalConfig& portal) {
  const auto printable = [](std::string_view text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return c > ' ' && c < 0x7f; });
  };
  const std::string_view url = portal.base_url;
  if (!url.empty() && (url.size() > 1024 || !printable(url) ||
                       !(url.starts_with("http://") || url.starts_with("https://")) ||
                       url.find_first_of("#?") != std::string_view::npos)) {
    throw ConfigError(
        "portal.base_url must be an http:// or https:// URL without query or fragment, such as "
        "https://hooks.example.com");
  }
  const std::string_view ancestors = portal.frame_ancestors;
  const bool ancestors_ok = !ancestors.empty() && ancestors.size() <= 1024 &&
                            std::all_of(ancestors.begin(), ancestors.end(), [](char c) {
                              return c >= ' ' && c < 0x7f && c != ';' && c != ',';
                            });
  if (!ancestors_ok) {
    throw ConfigError(
        "portal.frame_ancestors must be 'none', 'self' or origins separated by spaces, such as "
        "https://app.example.com");
  }
}

}  // namespace

void validate(const Config& config) {
  if (config.tls_cert.empty() != config.tls_key.empty()) {
    throw ConfigError("tls_cert and tls_key must be set together");
  }
  if (config.keep_alive_timeout < std::chrono::milliseconds(1) ||
      config.header_timeout < std::chrono::milliseconds(1)) {
    throw ConfigError("keep_alive_timeout and header_timeout must be positive");
  }
  if (config.limits.webhooks_per_organization < 1 ||
      config.limits.webhooks_per_organization > 1'000'000) {
    throw ConfigError("limits.webhooks_per_organization must be 1..1000000");
  }
  if (config.sqlite.synchronous != "full" && config.sqlite.synchronous != "normal") {
    throw ConfigError("sqlite.synchronous must be full or normal");
  }
  const DeliveryConfig& dc = config.delivery;
  if (dc.retry_schedule.empty() || dc.retry_schedule.size() > 50) {
    throw ConfigError("delivery.retry_schedule must have 1 to 50 entries");
  }
  if (dc.retention < std::chrono::seconds(1)) {
    throw ConfigError("delivery.retention must be at least 1s");
  }
  if (dc.timeout.count() <= 0 || dc.connect_timeout.count() <= 0) {
    throw ConfigError("delivery timeouts must be positive");
  }
  if (dc.lease < std::chrono::seconds(1) || dc.lease > std::chrono::hours(1)) {
    throw ConfigError("delivery.lease must be 1s..1h");
  }
  if (dc.lease <= dc.timeout) {
    throw ConfigError("delivery.lease must be longer than delivery.timeout");
  }
  if (dc.dns_timeout.count() <= 0 || dc.dns_timeout > std::chrono::seconds(60)) {
    throw ConfigError("delivery.dns_timeout must be more than 0 and at most 60s");
  }
  // An attempt is resolved, then sent: all of it must end before another worker may claim it.
  if (dc.lease <= dc.timeout + dc.dns_timeout) {
    throw ConfigError("delivery.lease must be longer than delivery.timeout plus dns_timeout");
  }
  if (dc.dns_servers.size() > 16) {
    throw ConfigError("delivery.dns_servers must have at most 16 entries");
  }
  for (const auto& cidr : config.trusted_proxies) {
    if (!security::Cidr::parse(cidr)) {
      throw ConfigError("trusted_proxies: \"" + cidr + "\" is not a CIDR such as 10.0.0.0/8");
    }
  }
  if (dc.secret_header.empty() || dc.secret_header.find_first_of(" :\r\n") != std::string::npos) {
    throw ConfigError("delivery.secret_header must be a valid header name");
  }
  if (config.secrets.key_files.size() > 16) {
    throw ConfigError("secrets.key_files takes at most 16 files");
  }
  validate_portal(config.portal);
}

}  // namespace hookd::config
