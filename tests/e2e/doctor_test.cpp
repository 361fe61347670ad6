// `hookd doctor` on the real binary: each check passes on a working configuration and fails, in
// words that say what is wrong, on a broken one; it creates and migrates nothing.
#include <sqlite3.h>
#include <sys/stat.h>

#include <cctype>
#include <fstream>
#include <regex>
#include <sstream>

#include "api_fixture.hpp"
#include "security/secret_box.hpp"
#include "support/test_ca.hpp"

namespace hookd::testing {
namespace {

bool exists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.flush()) << path;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// `hookd doctor --config <dir>/hookd.toml` with `toml` written there, then `extra` arguments.
CommandResult doctor(const TempDir& dir, const std::string& toml,
                     std::vector<std::string> extra = {},
                     std::vector<std::pair<std::string, std::string>> env = {}) {
  const std::string config = dir.file("hookd.toml");
  write_file(config, toml);
  std::vector<std::string> args{"doctor", "--config", config};
  args.insert(args.end(), extra.begin(), extra.end());
  return run_hookd(args, {}, std::chrono::seconds(30), std::move(env));
}

std::string sqlite_url(const TempDir& dir, const std::string& name) {
  return "sqlite://" + dir.file(name);
}

// The exit code, and each of `words` in what doctor printed.
void expect_output(const CommandResult& r, int exit_code,
                   std::initializer_list<std::string> words) {
  EXPECT_EQ(r.exit_code, exit_code) << r.out << r.err;
  for (const std::string& word : words)
    EXPECT_NE(r.out.find(word), std::string::npos) << word << "\n" << r.out;
}

void migrate(const std::string& url) {
  const CommandResult r = run_hookd({"migrate", "--database", url});
  ASSERT_EQ(r.exit_code, 0) << r.err;
}

TEST(DoctorTest, PassesOnAMigratedDatabaseOfEitherBackend) {
  TestDatabase db;
  migrate(db.url());
  TempDir dir;
  const CommandResult r = doctor(dir, "listen = \"127.0.0.1:8080\"\n", {"--database", db.url()});
  expect_output(r, 0,
                {"ok   config", "is reachable and migrated", "ok   secrets", "ok   trust store",
                 "ok   dns", "every check passed"});
}

TEST(DoctorTest, ADatabaseNotCreatedYetPassesAndIsNotCreated) {
  TempDir dir;
  const CommandResult r = doctor(dir, "database = \"" + sqlite_url(dir, "new.db") + "\"\n");
  expect_output(
      r, 0,
      {"will be created and migrated at first start", "will be generated beside the database"});
  EXPECT_FALSE(exists(dir.file("new.db")));
  EXPECT_FALSE(exists(dir.file("new.db.key")));
}

TEST(DoctorTest, ASyntaxErrorFailsTheConfigAndSkipsTheRest) {
  TempDir dir;
  const CommandResult r = doctor(dir, "listen = \"127.0.0.1:8080\"\n[delivery\ntimeout = \"5s\"\n");
  expect_output(
      r, 1, {"FAIL config", "line 2", "fix: correct " + dir.file("hookd.toml"), "skip database"});
}

TEST(DoctorTest, AnInvalidValueFailsTheConfig) {
  TempDir dir;
  const CommandResult r = doctor(dir, "[delivery]\nallow_targets = [\"10.0.0.0/33\"]\n");
  expect_output(r, 1, {"FAIL config", "10.0.0.0/33"});
}

TEST(DoctorTest, AnUnreachablePostgresqlServerFailsTheDatabaseWithoutShowingItsPassword) {
  TempDir dir;
  // Port 1 on loopback: nothing listens, the connection is refused at once.
  const CommandResult r =
      doctor(dir, "database = \"postgresql://hookd:Sup3rSecretPw@127.0.0.1:1/hookd\"\n");
  expect_output(r, 1,
                {"FAIL database", "cannot open postgresql://hookd:***@127.0.0.1:1/hookd",
                 "that the server runs"});
  EXPECT_EQ(r.out.find("Sup3rSecretPw"), std::string::npos) << r.out;
  EXPECT_EQ(r.err.find("Sup3rSecretPw"), std::string::npos) << r.err;
}

TEST(DoctorTest, AnUnmigratedSqliteFileFailsTheDatabaseAndStaysUnmigrated) {
  TempDir dir;
  const std::string path = dir.file("old.db");
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "CREATE TABLE notes (text TEXT)", nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);

  const CommandResult r = doctor(dir, "database = \"sqlite://" + path + "\"\n");
  expect_output(r, 1, {"FAIL database", "migration(s) are not applied"});
  EXPECT_NE(r.out.find("run `hookd migrate --config " + dir.file("hookd.toml") + "`"),
            std::string::npos)
      << r.out;

  ASSERT_EQ(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr), SQLITE_OK);
  int tables = -1;
  sqlite3_exec(
      db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'",
      [](void* out, int, char** values, char**) {
        *static_cast<int*>(out) = std::atoi(values[0]);
        return 0;
      },
      &tables, nullptr);
  sqlite3_close(db);
  EXPECT_EQ(tables, 1) << "doctor migrated the database";
}

TEST(DoctorTest, AMissingKeyFileFailsTheSecrets) {
  TempDir dir;
  const std::string url = sqlite_url(dir, "hookd.db");
  migrate(url);
  const std::string missing = dir.file("absent.key");
  const CommandResult r =
      doctor(dir, "database = \"" + url + "\"\n[secrets]\nkey_files = [\"" + missing + "\"]\n");
  expect_output(r, 1, {"FAIL secrets", missing, "openssl rand -base64 32 > " + missing});
  EXPECT_FALSE(exists(missing));
}

TEST(DoctorTest, ABadCaFileFailsTheTrustStore) {
  TempDir dir;
  const std::string not_pem = dir.file("not-a-ca.pem");
  write_file(not_pem, "this is no certificate\n");
  const std::string base = "database = \"" + sqlite_url(dir, "hookd.db") + "\"\n[delivery]\n";
  CommandResult r = doctor(dir, base + "ca_file = \"" + not_pem + "\"\n");
  expect_output(r, 1, {"FAIL trust store", not_pem + " holds no certificate OpenSSL can load"});

  r = doctor(dir, base + "ca_file = \"" + dir.file("absent.pem") + "\"\n");
  expect_output(r, 1, {"absent.pem cannot be read: No such file or directory"});
}

TEST(DoctorTest, AUrlToAPrivateAddressIsRefusedByTheGuard) {
  TempDir dir;
  const CommandResult r = doctor(dir, "database = \"" + sqlite_url(dir, "hookd.db") + "\"\n",
                                 {"--url", "https://10.20.30.40/hook"});
  expect_output(r, 1, {"FAIL url", "refused by the destination guard", "delivery.allow_targets"});
}

TEST(DoctorTest, ANameThatDoesNotResolveFailsTheDns) {
  TempDir dir;
  const CommandResult r = doctor(dir, "database = \"" + sqlite_url(dir, "hookd.db") + "\"\n",
                                 {"--resolve", "no-such-host.invalid"});
  expect_output(r, 1, {"FAIL dns", "no-such-host.invalid does not resolve"});
}

// A receiver let through allow_targets passes with its CA in ca_file, and fails the handshake
// without it. hookd itself, serving HTTPS, is the receiver.
TEST(DoctorTest, AUrlPassesTheGuardAndAVerifiedTlsHandshake) {
  TempDir certs_dir;
  const TestCertificates certs = make_test_certificates(certs_dir.path());
  HookdOptions options;
  options.config_toml =
      "tls_cert = \"" + certs.server_cert + "\"\ntls_key = \"" + certs.server_key + "\"\n";
  HookdServer receiver(options);
  const std::string url = "https://127.0.0.1:" + std::to_string(receiver.port()) + "/hook";

  TempDir dir;
  const std::string base = "database = \"" + sqlite_url(dir, "hookd.db") +
                           "\"\n[delivery]\nallow_targets = [\"127.0.0.0/8\"]\n";
  CommandResult r = doctor(dir, base + "ca_file = \"" + certs.ca_cert + "\"\n", {"--url", url});
  EXPECT_EQ(r.exit_code, 0) << r.out;
  EXPECT_NE(r.out.find("passes the destination guard and completes a verified TLS handshake"),
            std::string::npos)
      << r.out;

  r = doctor(dir, base, {"--url", url});
  expect_output(r, 1, {"FAIL url", "the TLS handshake with 127.0.0.1"});
}

// Secrets sealed under a key no file holds: hookd serve would refuse to start.
class DoctorSecretsTest : public ApiTest {};

TEST_F(DoctorSecretsTest, SecretsSealedUnderAMissingKeyFailTheSecrets) {
  create_webhook(seed_body(), admin6_);
  server_->stop();
  TempDir dir;
  const std::string other_key = dir.file("other.key");
  security::create_secret_key_file(other_key);
  const std::vector<std::string> args{"--database", server_->database_url()};

  CommandResult r = doctor(dir, "", args, {{"HOOKD_SECRETS_KEY_FILES", other_key}});
  expect_output(r, 1,
                {"FAIL secrets", "the database holds secrets sealed with the key id",
                 security::load_secret_key_file(other_key).id});

  r = doctor(dir, "", args);  // the key the server used
  expect_output(r, 0, {"secret(s) in the database is sealed with one of them"});
}

// The packaged configuration: it passes as shipped, every key its comments show is valid when
// uncommented, and `hookd --help` names each of them with its variable.
std::string packaged_config() { return read_file(hookd_source_dir() + "/packaging/hookd.toml"); }

TEST(PackagedConfigTest, PassesDoctorAsShipped) {
  TempDir dir;
  const CommandResult r =
      doctor(dir, packaged_config(), {"--database", sqlite_url(dir, "hookd.db")});
  EXPECT_EQ(r.exit_code, 0) << r.out;
}

// "# key = value" lines become "key = value"; the other comments stay. The TLS pair gets real
// files, which the config check reads.
std::string uncommented(const std::string& toml, const TestCertificates& certs) {
  std::string out =
      std::regex_replace(toml, std::regex("^# ([a-z_]+ = )", std::regex::multiline), "$1");
  out = std::regex_replace(out, std::regex("^tls_cert = .*$", std::regex::multiline),
                           "tls_cert = \"" + certs.server_cert + "\"");
  return std::regex_replace(out, std::regex("^tls_key = .*$", std::regex::multiline),
                            "tls_key = \"" + certs.server_key + "\"");
}

// Each key of `toml` with its variable: HOOKD_<KEY>, or HOOKD_<SECTION>_<KEY> in a [section].
std::vector<std::pair<std::string, std::string>> keys_of(const std::string& toml) {
  std::istringstream in(toml);
  std::vector<std::pair<std::string, std::string>> keys;
  std::string line, section;
  auto upper = [](std::string text) {
    for (char& c : text) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    return text;
  };
  while (std::getline(in, line)) {
    if (line.starts_with("[")) section = line.substr(1, line.find(']') - 1);
    const size_t eq = line.find(" = ");
    if (eq == std::string::npos || line.front() == '#') continue;
    const std::string key = line.substr(0, eq);
    keys.emplace_back(key, "HOOKD_" + upper(section.empty() ? key : section + "_" + key));
  }
  return keys;
}

TEST(PackagedConfigTest, EveryKeyItShowsIsValidAndInTheHelp) {
  TempDir dir;
  const TestCertificates certs = make_test_certificates(dir.path());
  const std::string all = uncommented(packaged_config(), certs);
  const auto keys = keys_of(all);
  ASSERT_GE(keys.size(), 30u) << all;
  // Only the config check: the key file the example names does not exist here.
  const CommandResult r = doctor(dir, all, {"--database", sqlite_url(dir, "hookd.db")});
  EXPECT_NE(r.out.find("ok   config"), std::string::npos) << r.out << "\n" << all;

  const CommandResult help = run_hookd({"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const auto& [key, variable] : keys) {
    EXPECT_NE(help.out.find("  " + key + " "), std::string::npos) << key << "\n" << help.out;
    EXPECT_NE(help.out.find(variable), std::string::npos) << variable << "\n" << help.out;
  }
  for (const char* section : {"Subcommands", "doctor", "CONFIGURATION", "ENVIRONMENT",
                              "NOTIFY_SOCKET", "FILES", "/etc/hookd/hookd.toml", "EXIT STATUS"}) {
    EXPECT_NE(help.out.find(section), std::string::npos) << section << "\n" << help.out;
  }
}

}  // namespace
}  // namespace hookd::testing
