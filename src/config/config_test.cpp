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

TEST(Config, TheLeaseIsBoundedAndOutlastsTheTimeout) {
  Config c;
  EXPECT_EQ(c.delivery.lease, 30s);
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

TEST(Config, UnknownKeysAndBadValuesAreRefused) {
  Config c;
  EXPECT_THROW(apply_toml_text(c, "lisen = \"x\"", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "[delivery]\ntimeout = true", "t"), ConfigError);
  EXPECT_THROW(apply_toml_text(c, "not toml at all [", "t"), ConfigError);
  c.tls_cert = "cert.pem";
  EXPECT_THROW(validate(c), ConfigError);
  c.tls_key = "key.pem";
  c.role = "leader";
  EXPECT_THROW(validate(c), ConfigError);
}

}  // namespace
}  // namespace hookd::config
