#include "config/config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace hookd::config {
namespace {

using namespace std::chrono_literals;

TEST(Config, DurationsTakeTheContractsUnits) {
  EXPECT_EQ(parse_duration("500ms"), 500ms);
  EXPECT_EQ(parse_duration("5s"), 5s);
  EXPECT_EQ(parse_duration("5m"), 5min);
  EXPECT_EQ(parse_duration("2h"), 2h);
  EXPECT_EQ(parse_duration("5d"), 120h);
  EXPECT_EQ(parse_duration("7"), 7s);
  EXPECT_THROW(parse_duration("five"), ConfigError);
  EXPECT_THROW(parse_duration("5y"), ConfigError);
  EXPECT_THROW(parse_duration("-5s"), ConfigError);
}

// Found by fuzz/duration_fuzzer and fuzz/config_toml_fuzzer: the conversion to milliseconds
// overflowed (undefined behaviour) for counts this large.
TEST(Config, DurationsAreBounded) {
  EXPECT_EQ(parse_duration("36500d"), 876000h);
  EXPECT_THROW(parse_duration("36501d"), ConfigError);
  EXPECT_THROW(parse_duration("106751991167d"), ConfigError);
  EXPECT_THROW(parse_duration("9223372036854775807h"), ConfigError);
  EXPECT_THROW(parse_duration("922337203922368547"), ConfigError);
  Config c;
  EXPECT_THROW(apply_toml_text(c, "[delivery]\ntimeout = 9223372036854775807\n", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[delivery]\ndisable_after = -5\n", "t"), ConfigError);
  apply_toml_text(c, "[delivery]\ntimeout = 20\n", "t");
  EXPECT_EQ(c.delivery.timeout, 20s);
}

TEST(Config, DefaultsAreTheContracts) {
  Config c;
  EXPECT_EQ(c.database, "sqlite://hookd.db");
  EXPECT_EQ(c.delivery.retry_schedule.size(), 7u);  // eight attempts in all
  EXPECT_EQ(c.delivery.timeout, 15s);
  EXPECT_EQ(c.delivery.connect_timeout, 5s);
  EXPECT_EQ(c.delivery.disable_after, 120h);
  EXPECT_EQ(c.delivery.secret_rotation_grace, 24h);
  EXPECT_NO_THROW(validate(c));
}

TEST(Config, LaterLayersWin) {
  Config c;
  apply_toml_text(c, R"(
listen = "0.0.0.0:9000"
database = "sqlite:///var/lib/hookd.db"
[delivery]
retry_schedule = ["500ms", "1s"]
timeout = "2s"
allow_targets = ["127.0.0.0/8", "::1/128"]
)",
                  "test.toml");
  EXPECT_EQ(c.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.delivery.retry_schedule, (std::vector<Duration>{500ms, 1s}));
  EXPECT_EQ(c.delivery.timeout, 2s);
  EXPECT_EQ(c.delivery.allow_targets.size(), 2u);

  std::map<std::string, std::string> env{{"HOOKD_LISTEN", "127.0.0.1:0"},
                                         {"HOOKD_DELIVERY_RETRY_SCHEDULE", "1s, 2s,3s"}};
  apply_environment(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.listen, "127.0.0.1:0");
  EXPECT_EQ(c.database, "sqlite:///var/lib/hookd.db");
  EXPECT_EQ(c.delivery.retry_schedule, (std::vector<Duration>{1s, 2s, 3s}));
}

TEST(Config, SecretKeyFilesComeFromTomlOrTheEnvironment) {
  Config c;
  EXPECT_TRUE(c.secrets.key_files.empty());
  apply_toml_text(c, "[secrets]\nkey_files = [\"/etc/hookd/new.key\", \"/etc/hookd/old.key\"]\n",
                  "test.toml");
  EXPECT_EQ(c.secrets.key_files,
            (std::vector<std::string>{"/etc/hookd/new.key", "/etc/hookd/old.key"}));
  std::map<std::string, std::string> env{{"HOOKD_SECRETS_KEY_FILES", "a.key, b.key"}};
  apply_environment(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.secrets.key_files, (std::vector<std::string>{"a.key", "b.key"}));
  EXPECT_THROW(apply_toml_text(c, "[secrets]\nkey_file = \"x\"\n", "test.toml"), ConfigError);
  c.secrets.key_files.assign(17, "k");
  EXPECT_THROW(validate(c), ConfigError);
}

TEST(Config, InFlightCapsAreBounded) {
  Config c;
  EXPECT_EQ(c.delivery.max_in_flight_per_webhook, 64u);
  apply_toml_text(c, "[delivery]\nmax_in_flight_per_webhook = 64\nmax_in_flight = 1024", "t");
  EXPECT_EQ(c.delivery.max_in_flight_per_webhook, 64u);
  EXPECT_EQ(c.delivery.max_in_flight, 1024u);
  EXPECT_THROW(apply_toml_text(c, "[delivery]\nmax_in_flight = 0", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[delivery]\nmax_in_flight_per_webhook = \"8\"", "t"),
               ConfigError);
}

TEST(Config, TheHttpEdgeBoundsComeFromEveryLayer) {
  Config c;
  EXPECT_EQ(c.max_connections, 10'000u);
  EXPECT_EQ(c.max_body_buffer_bytes, 256ull * 1024 * 1024);
  EXPECT_EQ(c.keep_alive_timeout, 60s);
  EXPECT_EQ(c.header_timeout, 10s);
  apply_toml_text(c,
                  "max_connections = 500\nmax_body_buffer_bytes = 1048576\n"
                  "keep_alive_timeout = \"5s\"\nheader_timeout = \"300ms\"\n",
                  "t");
  EXPECT_EQ(c.max_connections, 500u);
  EXPECT_EQ(c.max_body_buffer_bytes, 1048576u);
  EXPECT_EQ(c.keep_alive_timeout, 5s);
  EXPECT_EQ(c.header_timeout, 300ms);
  std::map<std::string, std::string> env{{"HOOKD_MAX_CONNECTIONS", "7"},
                                         {"HOOKD_KEEP_ALIVE_TIMEOUT", "2s"}};
  apply_environment(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.max_connections, 7u);
  EXPECT_EQ(c.keep_alive_timeout, 2s);
  EXPECT_NO_THROW(validate(c));
  EXPECT_THROW(apply_toml_text(c, "max_connections = 0", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "max_body_buffer_bytes = -1", "t"), ConfigError);
  c.header_timeout = 0ms;
  EXPECT_THROW(validate(c), ConfigError);
}

TEST(Config, TheLeaseIsBoundedAndOutlastsTheTimeout) {
  Config c;
  EXPECT_EQ(c.delivery.lease, 30s);
  c.delivery.dns_timeout = 500ms;  // the lease must also outlast the lookup before the attempt
  apply_toml_text(c, "[delivery]\nlease = \"5s\"\ntimeout = \"2s\"", "t");
  EXPECT_EQ(c.delivery.lease, 5s);
  EXPECT_NO_THROW(validate(c));
  apply_environment(c, [](const char* name) -> const char* {
    return std::string_view(name) == "HOOKD_DELIVERY_LEASE" ? "3s" : nullptr;
  });
  EXPECT_EQ(c.delivery.lease, 3s);
  EXPECT_NO_THROW(validate(c));
  c.delivery.lease = 2s;  // as long as the timeout: a slow attempt could be sent twice
  EXPECT_THROW(validate(c), ConfigError);
  c.delivery.lease = 500ms;
  c.delivery.timeout = 100ms;
  EXPECT_THROW(validate(c), ConfigError);
  c.delivery.lease = 2h;
  EXPECT_THROW(validate(c), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[delivery]\nlease = \"soon\"", "t"), ConfigError);
}

TEST(Config, NameResolutionHasATimeoutAndOptionalServers) {
  Config c;
  EXPECT_EQ(c.delivery.dns_timeout, 2s);
  EXPECT_TRUE(c.delivery.dns_servers.empty());
  apply_toml_text(c, "[delivery]\ndns_timeout = \"750ms\"\ndns_servers = [\"127.0.0.1:5353\"]",
                  "t");
  EXPECT_EQ(c.delivery.dns_timeout, 750ms);
  EXPECT_EQ(c.delivery.dns_servers, std::vector<std::string>{"127.0.0.1:5353"});
  EXPECT_NO_THROW(validate(c));
  std::map<std::string, std::string> env{{"HOOKD_DELIVERY_DNS_TIMEOUT", "1s"},
                                         {"HOOKD_DELIVERY_DNS_SERVERS", "10.0.0.2,[fd00::53]:53"}};
  apply_environment(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.delivery.dns_timeout, 1s);
  EXPECT_EQ(c.delivery.dns_servers, (std::vector<std::string>{"10.0.0.2", "[fd00::53]:53"}));
  c.delivery.dns_timeout = 0ms;
  EXPECT_THROW(validate(c), ConfigError);
  c.delivery.dns_timeout = 61s;
  EXPECT_THROW(validate(c), ConfigError);
  // Resolved, then sent: the lease must outlast both.
  c.delivery.dns_timeout = 2s;
  c.delivery.timeout = 2s;
  c.delivery.lease = 4s;
  EXPECT_THROW(validate(c), ConfigError);
  c.delivery.lease = 5s;
  EXPECT_NO_THROW(validate(c));
}

TEST(Config, UnknownKeysAndBadValuesAreRefused) {
  Config c;
  EXPECT_THROW(apply_toml_text(c, "lisen = \"x\"", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[delivery]\ntimeout = true", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "not toml at all [", "t"), ConfigError);
  c.tls_cert = "cert.pem";
  EXPECT_THROW(validate(c), ConfigError);
  c.tls_key = "key.pem";
  EXPECT_NO_THROW(validate(c));
  // Closed sets are parsed where they are read: an unknown role or level is an error.
  EXPECT_THROW(apply_toml_text(c, "role = \"leader\"", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "log_level = \"verbose\"", "t"), ConfigError);
  EXPECT_THROW(apply_environment(c,
                                 [](const char* n) -> const char* {
                                   return std::string_view(n) == "HOOKD_LOG_LEVEL" ? "INFO"
                                                                                   : nullptr;
                                 }),
               ConfigError);
  apply_toml_text(c, "role = \"worker\"\nlog_level = \"debug\"", "t");
  EXPECT_EQ(c.role, Role::kWorker);
  EXPECT_EQ(c.log_level, log::Level::kDebug);
}

TEST(Config, LimitsAndSqliteSyncHaveTheirKeysAndBounds) {
  Config c;
  EXPECT_EQ(c.limits.webhooks_per_organization, 1000);
  EXPECT_EQ(c.sqlite.synchronous, "full");
  apply_toml_text(c, "[limits]\nwebhooks_per_organization = 3\n[sqlite]\nsynchronous = \"normal\"",
                  "t");
  EXPECT_EQ(c.limits.webhooks_per_organization, 3);
  EXPECT_EQ(c.sqlite.synchronous, "normal");
  std::map<std::string, std::string> env{{"HOOKD_LIMITS_WEBHOOKS_PER_ORGANIZATION", "7"},
                                         {"HOOKD_SQLITE_SYNCHRONOUS", "full"}};
  apply_environment(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.limits.webhooks_per_organization, 7);
  EXPECT_EQ(c.sqlite.synchronous, "full");
  EXPECT_NO_THROW(validate(c));
  c.sqlite.synchronous = "off";
  EXPECT_THROW(validate(c), ConfigError);
  c.sqlite.synchronous = "full";
  c.limits.webhooks_per_organization = 0;
  EXPECT_THROW(validate(c), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[limits]\nwebhooks = 3", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[sqlite]\nsynchronous = 1", "t"), ConfigError);
}

}  // namespace
}  // namespace hookd::config

namespace hookd::config {
namespace {

TEST(Config, AuthThrottlingAndTrustedProxies) {
  Config c;
  EXPECT_EQ(c.auth.failures_per_minute, 50u);
  EXPECT_TRUE(c.trusted_proxies.empty());
  apply_toml_text(
      c, "trusted_proxies = [\"10.0.0.0/8\", \"::1\"]\n[auth]\nfailures_per_minute = 0\n", "test");
  EXPECT_EQ(c.auth.failures_per_minute, 0u);
  EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"10.0.0.0/8", "::1"}));
  EXPECT_NO_THROW(validate(c));
  std::map<std::string, std::string> env{{"HOOKD_AUTH_FAILURES_PER_MINUTE", "7"},
                                         {"HOOKD_TRUSTED_PROXIES", "192.168.0.0/16"}};
  apply_environment(c, [&](const char* name) -> const char* {
    auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
  EXPECT_EQ(c.auth.failures_per_minute, 7u);
  EXPECT_EQ(c.trusted_proxies, (std::vector<std::string>{"192.168.0.0/16"}));

  c.trusted_proxies = {"10/8"};
  EXPECT_THROW(validate(c), ConfigError);
  Config bad;
  EXPECT_THROW(apply_toml_text(bad, "[auth]\nfailures_per_minute = -1\n", "test"), ConfigError);
  EXPECT_THROW(apply_toml_text(bad, "[auth]\nlimit = 5\n", "test"), ConfigError);
}

}  // namespace
}  // namespace hookd::config
