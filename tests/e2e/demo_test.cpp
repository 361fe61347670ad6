// `hookd demo`, as a newcomer runs it: a throwaway hookd and HTTPS receiver, an event sent
// through the public API, and the delivery printed with its signature verified.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <regex>

#include "security/signature.hpp"
#include "support/hookd_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"
#include "support/webhook_receiver.hpp"

namespace hookd::testing {
namespace {

// The first capture of `pattern` in `text`, or "" (case-insensitive: header names as sent).
std::string capture(const std::string& text, const std::string& pattern) {
  std::smatch match;
  if (!std::regex_search(text, match, std::regex(pattern, std::regex::icase))) return {};
  return match[1];
}

bool accepts_connections(uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool connected =
      ::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return connected;
}

class DemoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (test_backend() != TestBackend::kSqlite) {
      GTEST_SKIP() << "the demo makes an SQLite database of its own, whatever the backend";
    }
  }
};

TEST_F(DemoTest, PrintsTheDeliveryAsTheReceiverGotItWithItsSignatureVerified) {
  const TempDir tmp;
  const auto began = std::chrono::steady_clock::now();
  const CommandResult demo =
      run_hookd({"demo"}, {}, std::chrono::seconds(60), {{"TMPDIR", tmp.path()}});
  const auto took = std::chrono::steady_clock::now() - began;
  const std::string& out = demo.out;
  ASSERT_EQ(demo.exit_code, 0) << "stdout:\n" << out << "\nstderr:\n" << demo.err;
  EXPECT_LT(took, std::chrono::seconds(20)) << "the demo's own bound is 15 s for the delivery";

  // Each step is shown as the curl command that does it, then its answer.
  EXPECT_NE(out.find("$ curl -s -X PUT http://127.0.0.1:"), std::string::npos) << out;
  EXPECT_NE(out.find("/v2/platform/organizations/6 -H \"Authorization: Bearer $PLATFORM\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find("/v2/platform/events"), std::string::npos) << out;

  // The delivery as the receiver got it: request line, every header, the body.
  const std::string secret = capture(out, R"re("secretHmac":"([A-Za-z0-9]{32})")re");
  const std::string event_id = capture(out, R"re(202 \{"events":\[\{"id":"([^"]+)")re");
  const std::string id = capture(out, R"(\n  webhook-id: (\S+)\n)");
  const std::string timestamp = capture(out, R"(\n  webhook-timestamp: (\d+)\n)");
  const std::string signature = capture(out, R"(\n  webhook-signature: (v1,[^\n]+)\n)");
  const std::string body = capture(out, "\n\n  (\\{\"id\":\"evt_[^\n]*)\n");
  ASSERT_FALSE(secret.empty()) << out;
  EXPECT_NE(out.find("\n  POST /webhook HTTP/1.1\n"), std::string::npos) << out;
  EXPECT_EQ(id, event_id) << out;
  EXPECT_NE(out.find("\n  x-webhook-topic: DeviceTamperEvents\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  x-webhook-attempt: 1\n"), std::string::npos) << out;
  EXPECT_NE(out.find("\n  x-webhook-secret: PoWJFA11inptkbGz\n"), std::string::npos) << out;
  EXPECT_NE(capture(out, R"(\n  (content-type: application/json)\n)"), "") << out;
  EXPECT_NE(body.find("\"topic\":\"DeviceTamperEvents\""), std::string::npos) << body;
  EXPECT_NE(body.find("\"deviceId\":85"), std::string::npos) << body;
  EXPECT_NE(body.find("\"data\":{\"level\":3}"), std::string::npos) << body;
  EXPECT_NE(out.find("\nsignature verified"), std::string::npos) << out;

  // What the demo printed verifies on its own, with hookd's verifier and the npm libraries:
  // the demo showed the bytes it received, not others.
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  EXPECT_EQ(security::verify(secret, id, timestamp, signature, body, now),
            security::VerifyResult::kValid)
      << out;
  ReceivedRequest printed;
  printed.headers = {
      {"webhook-id", id}, {"webhook-timestamp", timestamp}, {"webhook-signature", signature}};
  printed.body = body;
  const auto checks = verify_with_npm({printed}, secret);
  ASSERT_EQ(checks.size(), 1u);
  EXPECT_TRUE(checks[0].standardwebhooks && checks[0].svix) << checks[0].error;

  // The delivery log shows the attempt the receiver answered.
  EXPECT_NE(out.find("/v2/webhooks/1/deliveries/1 -H \"Authorization: Bearer $ADMIN\""),
            std::string::npos)
      << out;
  EXPECT_NE(out.find(R"("status":"succeeded","attemptCount":1)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("attempts":[{"attempt":1,)"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("statusCode":200)"), std::string::npos) << out;

  // Throwaway: nothing is left behind, no server keeps running.
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "the demo left files in " << tmp.path();
  const std::string port = capture(out, R"(listening on http://127\.0\.0\.1:(\d+) )");
  ASSERT_FALSE(port.empty()) << out;
  EXPECT_FALSE(accepts_connections(static_cast<uint16_t>(std::stoi(port))))
      << "hookd still listens on " << port;
}

}  // namespace
}  // namespace hookd::testing
