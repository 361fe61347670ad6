// Secrets at rest (CONTRACT §6a), on the real binary: what the database files hold, their
// modes, key rotation with `hookd secrets reencrypt`, and a start refused for a missing key.
#include <sqlite3.h>
#include <sys/stat.h>

#include <fstream>
#include <iterator>

#include "delivery_fixture.hpp"
#include "security/secret_box.hpp"

namespace hookd::testing {
namespace {

constexpr const char* kSecretHttpA = "HttpSecretOfWebhookA-9f2c7e";
constexpr const char* kSecretHttpB = "HttpSecretOfWebhookB-41d0aa";

std::string sqlite_path(const std::string& url) {
  return url.substr(std::string("sqlite://").size());
}

std::string file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), {}};
}

unsigned file_mode(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 01000;  // no file: never equal to a mode
  return st.st_mode & 0777;
}

bool is_sqlite() { return test_backend() == TestBackend::kSqlite; }

class SecretsAtRestTest : public DeliveryTest {
 protected:
  // Two hooks with a secretHttp each, both rotated once: every kind of stored secret exists.
  struct Hooks {
    Created a, b;
    std::string a_rotated, b_rotated;
  };

  Hooks create_rotated_hooks() {
    Hooks h;
    h.a = create_hook("/ok/a", R"("deviceIds":[85])", R"(["DeviceStatusEvents"])",
                      std::string(R"(,"secretHttp":")") + kSecretHttpA + "\"");
    h.b = create_hook("/ok/b", R"("deviceIds":[86])", R"(["DeviceStatusEvents"])",
                      std::string(R"(,"secretHttp":")") + kSecretHttpB + "\"");
    h.a_rotated = rotate(h.a.id);
    h.b_rotated = rotate(h.b.id);
    return h;
  }

  std::string rotate(int64_t id) {
    auto r = client_->post("/v2/webhooks/" + std::to_string(id) + "/rotate-secret", std::nullopt,
                           admin6_);
    EXPECT_EQ(r.status, 200) << r;
    return std::string(r.json().at("secretHmac").as_string());
  }

  // One status event of `device`, delivered; the request the receiver got.
  ReceivedRequest deliver(int device, const std::string& path) {
    const size_t before = received_on(path);
    EXPECT_EQ(post_events(R"({"deviceId":)" + std::to_string(device) +
                          R"(,"topic":"DeviceStatusEvents"})")
                  .status,
              202);
    EXPECT_TRUE(receiver_->wait_for(before + 1, path)) << receiver_->log();
    ReceivedRequest last;
    for (const ReceivedRequest& r : receiver_->received()) {
      if (r.path.starts_with(path)) last = r;
    }
    return last;
  }

  size_t received_on(const std::string& path) const {
    size_t n = 0;
    for (const ReceivedRequest& r : receiver_->received()) n += r.path.starts_with(path) ? 1 : 0;
    return n;
  }

  // Every stored secret, as the database holds it.
  std::vector<std::string> stored_secrets() const {
    std::vector<std::string> out;
    for (const char* sql : {"SELECT secret_hmac FROM webhooks ORDER BY id",
                            "SELECT secret_http FROM webhooks WHERE secret_http IS NOT NULL",
                            "SELECT secret FROM webhook_secrets ORDER BY secret"}) {
      for (std::string row : database_rows(server_->database_url(), sql)) {
        row.pop_back();  // the column separator
        out.push_back(row);
      }
    }
    return out;
  }

  static void expect_verified(const ReceivedRequest& got, const std::string& secret) {
    const auto checks = verify_with_npm({got}, secret);
    ASSERT_EQ(checks.size(), 1u);
    EXPECT_TRUE(checks[0].standardwebhooks) << checks[0].error;
    EXPECT_TRUE(checks[0].svix) << checks[0].error;
  }
};

TEST_F(SecretsAtRestTest, TheDatabaseFilesHoldNoSecretInTheClearBeforeOrAfterADelete) {
  if (!is_sqlite()) GTEST_SKIP() << "the database files are SQLite's";
  const Hooks h = create_rotated_hooks();
  expect_verified(deliver(85, "/ok/a"), h.a_rotated);
  const std::string db = sqlite_path(server_->database_url());
  const std::vector<std::string> plaintexts{h.a.secret, h.a_rotated, kSecretHttpA,
                                            h.b.secret, h.b_rotated, kSecretHttpB};
  auto expect_absent = [&](const std::vector<std::string>& needles, const std::string& when) {
    for (const std::string& file : {db, db + "-wal"}) {
      const std::string bytes = file_bytes(file);
      for (const std::string& needle : needles) {
        EXPECT_EQ(bytes.find(needle), std::string::npos) << needle << " in " << file << " " << when;
      }
    }
  };
  ASSERT_FALSE(file_bytes(db + "-wal").empty()) << "the server keeps a WAL while it runs";
  expect_absent(plaintexts, "before the delete");

  // Only the owner may read the database, its WAL and shared memory, and the generated key.
  for (const std::string& file : {db, db + "-wal", db + "-shm", db + ".key"}) {
    EXPECT_EQ(file_mode(file), 0600u) << file;
  }

  // A's sealed texts (current, secretHttp, rotated out) are gone from both files after it goes.
  const std::vector<std::string> sealed_a{
      database_rows(server_->database_url(),
                    "SELECT secret_hmac FROM webhooks WHERE id = " + std::to_string(h.a.id))
          .at(0),
      database_rows(server_->database_url(),
                    "SELECT secret_http FROM webhooks WHERE id = " + std::to_string(h.a.id))
          .at(0),
      database_rows(
          server_->database_url(),
          "SELECT secret FROM webhook_secrets WHERE webhook_id = " + std::to_string(h.a.id))
          .at(0)};
  std::vector<std::string> sealed_texts;
  for (std::string s : sealed_a) {
    s.pop_back();
    ASSERT_TRUE(security::KeyRing::is_sealed(s)) << s;
    sealed_texts.push_back(s);
  }
  const std::string before_delete = file_bytes(db) + file_bytes(db + "-wal");
  for (const std::string& s : sealed_texts) ASSERT_NE(before_delete.find(s), std::string::npos);
  ASSERT_EQ(client_->del("/v2/webhooks/" + std::to_string(h.a.id), admin6_).status, 204);
  expect_absent(sealed_texts, "after the delete");
  expect_absent(plaintexts, "after the delete");
  // B still delivers, signed by both its secrets, its secretHttp as sent.
  const ReceivedRequest got = deliver(86, "/ok/b");
  expect_verified(got, h.b_rotated);
  expect_verified(got, h.b.secret);
  EXPECT_EQ(got.header("x-webhook-secret"), kSecretHttpB);
  // Nor do the logs hold one.
  const std::string log = server_->process().stderr_text();
  for (const std::string& p : plaintexts) EXPECT_EQ(log.find(p), std::string::npos) << p;
}

TEST_F(SecretsAtRestTest, AGeneratedKeyIsKeptAndASecondStartUsesIt) {
  if (!is_sqlite()) GTEST_SKIP() << "a key is generated for an SQLite database only";
  const Created hook = create_hook("/ok/kept");
  const std::string key_path = sqlite_path(server_->database_url()) + ".key";
  const std::string key_text = file_bytes(key_path);
  ASSERT_EQ(key_text.size(), 45u);
  EXPECT_NE(server_->process().stderr_text().find(key_path), std::string::npos)
      << "the first start logs where the key is";
  server_->stop();
  server_->start();
  client_ = std::make_unique<HttpClient>(server_->base_url());
  EXPECT_EQ(file_bytes(key_path), key_text);
  expect_verified(deliver(85, "/ok/kept"), hook.secret);
}

TEST_F(SecretsAtRestTest, SecretsStoredBeforeSealingAreSealedAtStart) {
  if (!is_sqlite()) GTEST_SKIP() << "writes the SQLite file directly";
  const Created hook = create_hook("/ok/old", R"("deviceIds":[85])", R"(["DeviceStatusEvents"])",
                                   std::string(R"(,"secretHttp":")") + kSecretHttpA + "\"");
  server_->stop();
  // The row as a hookd from before sealing left it.
  const std::string db = sqlite_path(server_->database_url());
  sqlite3* conn = nullptr;
  ASSERT_EQ(sqlite3_open(db.c_str(), &conn), SQLITE_OK);
  const std::string sql = "UPDATE webhooks SET secret_hmac = '" + hook.secret +
                          "', secret_http = '" + kSecretHttpA + "'";
  ASSERT_EQ(sqlite3_exec(conn, sql.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
  sqlite3_close(conn);
  ASSERT_NE(file_bytes(db).find(hook.secret) + file_bytes(db + "-wal").find(hook.secret),
            2 * std::string::npos);

  server_->start();
  client_ = std::make_unique<HttpClient>(server_->base_url());
  for (const std::string& s : stored_secrets()) EXPECT_TRUE(security::KeyRing::is_sealed(s)) << s;
  const ReceivedRequest got = deliver(85, "/ok/old");
  expect_verified(got, hook.secret);
  EXPECT_EQ(got.header("x-webhook-secret"), kSecretHttpA);
  for (const std::string& file : {db, db + "-wal"}) {
    EXPECT_EQ(file_bytes(file).find(hook.secret), std::string::npos) << file;
    EXPECT_EQ(file_bytes(file).find(kSecretHttpA), std::string::npos) << file;
  }
}

// Keys named by HOOKD_SECRETS_KEY_FILES, on either backend.
class KeyRotationTest : public SecretsAtRestTest {
 protected:
  HookdOptions server_options() override {
    old_key_ = security::create_secret_key_file(keys_.file("old.key"));
    new_key_ = security::create_secret_key_file(keys_.file("new.key"));
    HookdOptions o = DeliveryTest::server_options();
    o.env = {{"HOOKD_SECRETS_KEY_FILES", keys_.file("old.key")}};
    return o;
  }

  std::vector<std::string> key_ids_in_database() const {
    std::vector<std::string> ids;
    for (const std::string& s : stored_secrets()) {
      ids.push_back(security::KeyRing::key_id_of(s).value_or("plaintext:" + s));
    }
    return ids;
  }

  // A server on the same database with other key files; the first one owns the database, so
  // it is kept (stopped) until the test ends.
  void replace_server(const std::string& key_files, bool dump_stderr = true) {
    server_->stop();
    retired_.push_back(std::move(server_));
    server_ = std::make_unique<HookdServer>(options_with(key_files, dump_stderr));
    client_ = std::make_unique<HttpClient>(server_->base_url());
  }

  HookdOptions options_with(const std::string& key_files, bool dump_stderr = true) {
    HookdOptions o = DeliveryTest::server_options();
    o.database_url = (server_ ? server_ : retired_.front())->database_url();
    o.env = {{"HOOKD_SECRETS_KEY_FILES", key_files}};
    o.dump_stderr_on_failure = dump_stderr;
    return o;
  }

  CommandResult reencrypt(const std::string& key_files) {
    return run_hookd({"secrets", "reencrypt", "--database", retired_.front()->database_url()}, {},
                     std::chrono::seconds(30), {{"HOOKD_SECRETS_KEY_FILES", key_files}});
  }

  TempDir keys_;
  security::SecretKey old_key_, new_key_;
  std::vector<std::unique_ptr<HookdServer>> retired_;
};

TEST_F(KeyRotationTest, ReencryptionMovesEverySecretToTheNewKeyAndTheOldOneCanGo) {
  const Hooks h = create_rotated_hooks();
  for (const std::string& id : key_ids_in_database()) EXPECT_EQ(id, old_key_.id);

  // 1. The new key first, the old one still listed: the server runs on both.
  const std::string both = keys_.file("new.key") + "," + keys_.file("old.key");
  replace_server(both);
  expect_verified(deliver(85, "/ok/a"), h.a_rotated);

  // 2. Re-encryption while it serves.
  const CommandResult r = reencrypt(both);
  ASSERT_EQ(r.exit_code, 0) << r.out << r.err;
  EXPECT_NE(r.out.find("re-encrypted 6 secrets with the key " + new_key_.id), std::string::npos)
      << r.out;
  const auto ids = key_ids_in_database();
  EXPECT_EQ(ids.size(), 6u);
  for (const std::string& id : ids) EXPECT_EQ(id, new_key_.id);
  // Once more: nothing is left to move.
  EXPECT_NE(reencrypt(both).out.find("re-encrypted 0 secrets"), std::string::npos);

  // 3. The old key removed, a restart: both webhooks deliver, signed by both secrets each.
  replace_server(keys_.file("new.key"));
  const ReceivedRequest a = deliver(85, "/ok/a");
  expect_verified(a, h.a_rotated);
  expect_verified(a, h.a.secret);
  EXPECT_EQ(a.header("x-webhook-secret"), kSecretHttpA);
  const ReceivedRequest b = deliver(86, "/ok/b");
  expect_verified(b, h.b_rotated);
  expect_verified(b, h.b.secret);
  EXPECT_EQ(b.header("x-webhook-secret"), kSecretHttpB);
}

TEST_F(KeyRotationTest, ADatabaseWhoseKeyIsMissingRefusesToStart) {
  const Hooks h = create_rotated_hooks();
  server_->stop();
  retired_.push_back(std::move(server_));
  try {
    HookdServer refused(options_with(keys_.file("new.key"), false));
    FAIL() << "started without the key its secrets are sealed with";
  } catch (const std::runtime_error& e) {
    const std::string text = e.what();
    EXPECT_NE(text.find("sealed with the key id " + old_key_.id), std::string::npos) << text;
    EXPECT_NE(text.find("no file of secrets.key_files holds"), std::string::npos) << text;
  }
  // So does re-encryption, which could not open them either.
  const CommandResult r = reencrypt(keys_.file("new.key"));
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.err.find(old_key_.id), std::string::npos) << r.err;
  // With its key back it starts and delivers.
  server_ = std::make_unique<HookdServer>(options_with(keys_.file("old.key")));
  client_ = std::make_unique<HttpClient>(server_->base_url());
  expect_verified(deliver(85, "/ok/a"), h.a_rotated);
}

TEST(SecretsKeyFiles, PostgresqlWithoutAKeyFileRefusesToStart) {
  const CommandResult r =
      run_hookd({"migrate", "--database", "postgresql://hookd@127.0.0.1:1/none"}, {},
                std::chrono::seconds(30), {{"HOOKD_SECRETS_KEY_FILES", ""}});
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.err.find("a PostgreSQL database needs a key file"), std::string::npos) << r.err;
}

}  // namespace
}  // namespace hookd::testing
