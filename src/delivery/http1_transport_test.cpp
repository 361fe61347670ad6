// The HTTP/1.1 transport against a real HTTPS receiver (tests/e2e/node/receiver.mjs) with a
// certificate from a test CA made at test time.
#include "delivery/http1_transport.hpp"

#include <gtest/gtest.h>
#include <openssl/x509.h>

#include <future>

#include "security/destination_guard.hpp"
#include "support/temp_dir.hpp"
#include "support/test_ca.hpp"
#include "support/webhook_receiver.hpp"

namespace hookd::delivery {
namespace {

using testing::TempDir;
using testing::TestCertificates;
using testing::WebhookReceiver;

security::DestinationGuard loopback_allowed() {
  return security::DestinationGuard({*security::Cidr::parse("127.0.0.0/8")});
}

class Http1TransportTest : public ::testing::Test {
 protected:
  Http1TransportTest() : certs_(testing::make_test_certificates(dir_.path())), receiver_(certs_) {}

  ~Http1TransportTest() override { X509_STORE_free(trust_); }

  // A transport that trusts the test CA (or only `ca_file`), with a short total timeout.
  std::unique_ptr<Http1Transport> transport(const security::DestinationGuard& guard,
                                            const std::string& ca_file = "") {
    X509_STORE_free(trust_);
    trust_ = X509_STORE_new();
    X509_STORE_load_file(trust_, (ca_file.empty() ? certs_.ca_cert : ca_file).c_str());
    SenderOptions options;
    options.timeout = std::chrono::milliseconds(1500);
    options.connect_timeout = std::chrono::milliseconds(1000);
    options.user_agent = "hookd/test";
    return std::make_unique<Http1Transport>(options, guard, clock_, trust_);
  }

  static OutgoingRequest request(uint16_t port, const std::string& path,
                                 const std::string& host = "127.0.0.1") {
    OutgoingRequest r;
    r.url = "https://" + host + ":" + std::to_string(port) + path;
    r.host = host;
    r.port = port;
    r.target = path;
    r.address = security::IpAddress::parse("127.0.0.1");
    r.headers = {"content-type: application/json", "webhook-id: evt_1"};
    r.body = R"({"n":1})";
    return r;
  }

  static domain::AttemptResult send(Http1Transport& t, OutgoingRequest r) {
    std::promise<domain::AttemptResult> done;
    auto result = done.get_future();
    t.send(std::move(r), [&done](domain::AttemptResult a) { done.set_value(std::move(a)); });
    EXPECT_EQ(result.wait_for(std::chrono::seconds(10)), std::future_status::ready);
    return result.get();
  }

  // The attempt failed with `error`, and its logged text names that class.
  static bool failed_as(const domain::AttemptResult& r, domain::AttemptError error) {
    return r.error_class == error && r.error &&
           r.error->starts_with(std::string(domain::attempt_error_name(error)) + ": ");
  }

  const security::DestinationGuard guard_ = loopback_allowed();
  TempDir dir_;
  TestCertificates certs_;
  WebhookReceiver receiver_;
  SystemClock clock_;
  X509_STORE* trust_ = nullptr;
};

TEST_F(Http1TransportTest, PostsTheRequestAndReadsTheAnswer) {
  auto t = transport(guard_);
  const auto r = send(*t, request(receiver_.port(), "/ok/a?x=1"));
  EXPECT_EQ(r.status_code, 200);
  EXPECT_FALSE(r.error) << *r.error;
  EXPECT_EQ(r.response_body, "ok");
  // The receiver's log line of a request may come after its answer.
  ASSERT_TRUE(receiver_.wait_for(1));
  const auto got = receiver_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].path, "/ok/a?x=1");
  EXPECT_EQ(got[0].http_version, "1.1");
  EXPECT_EQ(got[0].body, R"({"n":1})");
  EXPECT_EQ(got[0].header("host"), "127.0.0.1:" + std::to_string(receiver_.port()));
  EXPECT_EQ(got[0].header("content-type"), "application/json");
  EXPECT_EQ(got[0].header("content-length"), "7");
  EXPECT_EQ(got[0].header("webhook-id"), "evt_1");
  EXPECT_EQ(got[0].header("user-agent"), "hookd/test");
}

// A header line with a CR or LF in its name or value would end the header early and start
// another: such a line is left out, the rest of the request goes as it is.
TEST_F(Http1TransportTest, AHeaderWithALineBreakIsLeftOut) {
  auto t = transport(guard_);
  OutgoingRequest r = request(receiver_.port(), "/ok/crlf");
  r.headers.push_back("x-value-cr: a\rinjected-cr: 1");
  r.headers.push_back("x-value-lf: a\ninjected-lf: 1");
  r.headers.push_back("x-name\r\ninjected-name: 1");
  r.headers.push_back("x-kept: fine");
  EXPECT_EQ(send(*t, r).status_code, 200);
  ASSERT_TRUE(receiver_.wait_for(1));
  const auto got = receiver_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].header("x-kept"), "fine");
  EXPECT_EQ(got[0].header("webhook-id"), "evt_1");
  for (const char* name :
       {"x-value-cr", "x-value-lf", "injected-cr", "injected-lf", "injected-name", "x-name"}) {
    EXPECT_EQ(got[0].header(name), "") << name;
  }
  EXPECT_EQ(got[0].body, R"({"n":1})");
}

TEST_F(Http1TransportTest, RequestsOneAfterAnotherShareOneConnection) {
  auto t = transport(guard_);
  for (int i = 0; i < 3; ++i)
    EXPECT_EQ(send(*t, request(receiver_.port(), "/ok/b")).status_code, 200);
  ASSERT_TRUE(receiver_.wait_for(3));
  const auto got = receiver_.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[1].client_port, got[0].client_port);
  EXPECT_EQ(got[2].client_port, got[0].client_port);
}

// The receiver closes a kept-alive connection after answering, without a close_notify
// (/then-close) or with one (/then-end); the next request on it fails before any answer and
// goes again on a new connection.
class Http1KeptAliveClosedTest : public Http1TransportTest,
                                 public ::testing::WithParamInterface<std::string> {};

TEST_P(Http1KeptAliveClosedTest, AKeptAliveConnectionTheReceiverClosedIsReplacedByANewOne) {
  auto t = transport(guard_);
  ASSERT_EQ(send(*t, request(receiver_.port(), GetParam() + "/c")).status_code, 200);
  // The receiver closes that connection 20 ms after answering; the transport does not know.
  ASSERT_TRUE(receiver_.wait_for(1, GetParam()));
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  domain::AttemptResult second;
  // The close may not have happened yet on the first tries: each must still be answered.
  size_t sent = 1;
  do {
    second = send(*t, request(receiver_.port(), "/ok/c"));
    ASSERT_EQ(second.status_code, 200) << second.error.value_or("");
    ASSERT_TRUE(receiver_.wait_for(++sent));
  } while (receiver_.received().back().client_port == receiver_.received().front().client_port &&
           std::chrono::steady_clock::now() < deadline);
  EXPECT_NE(receiver_.received().back().client_port, receiver_.received().front().client_port);
}

INSTANTIATE_TEST_SUITE_P(Closes, Http1KeptAliveClosedTest,
                         ::testing::Values("/then-close", "/then-end"), [](const auto& info) {
                           return info.param == "/then-end" ? std::string("WithCloseNotify")
                                                            : std::string("WithoutCloseNotify");
                         });

// A receiver that closes each connection with its answer: every request opens a new one, which
// resumes the TLS session the last one left (no certificate exchange, no verification).
TEST_F(Http1TransportTest, AReconnectResumesTheTlsSessionOfItsOrigin) {
  auto t = transport(guard_);
  for (int i = 0; i < 3; ++i) {
    const auto r = send(*t, request(receiver_.port(), "/close/l"));
    ASSERT_EQ(r.status_code, 200) << r.error.value_or("");
  }
  ASSERT_TRUE(receiver_.wait_for(3));
  const auto got = receiver_.received();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_NE(got[1].client_port, got[0].client_port);
  EXPECT_NE(got[2].client_port, got[1].client_port);
  EXPECT_FALSE(got[0].tls_resumed);
  EXPECT_TRUE(got[1].tls_resumed);
  EXPECT_TRUE(got[2].tls_resumed);
}

// A session is offered only where its verified handshake was made: another name on the same
// receiver makes a full handshake (its certificate checked for that name), and so does another
// receiver; each then resumes its own.
TEST_F(Http1TransportTest, ASessionIsOfferedOnlyToTheOriginThatMadeIt) {
  auto t = transport(guard_);
  WebhookReceiver other(certs_);
  ASSERT_EQ(send(*t, request(receiver_.port(), "/close/m")).status_code, 200);
  ASSERT_EQ(send(*t, request(receiver_.port(), "/close/m", "localhost")).status_code, 200);
  ASSERT_EQ(send(*t, request(other.port(), "/close/m")).status_code, 200);
  ASSERT_EQ(send(*t, request(receiver_.port(), "/close/m", "localhost")).status_code, 200);
  ASSERT_EQ(send(*t, request(other.port(), "/close/m")).status_code, 200);
  ASSERT_TRUE(receiver_.wait_for(3));
  ASSERT_TRUE(other.wait_for(2));
  const auto here = receiver_.received();
  const auto there = other.received();
  EXPECT_EQ(here[0].header("host"), "127.0.0.1:" + std::to_string(receiver_.port()));
  EXPECT_FALSE(here[0].tls_resumed);
  EXPECT_EQ(here[1].header("host"), "localhost:" + std::to_string(receiver_.port()));
  EXPECT_FALSE(here[1].tls_resumed);
  EXPECT_TRUE(here[2].tls_resumed);
  EXPECT_FALSE(there[0].tls_resumed);
  EXPECT_TRUE(there[1].tls_resumed);
}

// The receiver ends the connection (with a close_notify) without answering: a network failure
// that says the stream ended, not one that reads as a broken answer.
TEST_F(Http1TransportTest, AReceiverThatEndsTheConnectionWithoutAnAnswerFailsAsNetwork) {
  auto t = transport(guard_);
  const auto r = send(*t, request(receiver_.port(), "/drop/n"));
  EXPECT_FALSE(r.status_code);
  EXPECT_TRUE(failed_as(r, domain::AttemptError::kNetwork)) << r.error.value_or("");
  EXPECT_EQ(r.error, "network: end of stream");
  // The next request gets its answer on a new connection.
  EXPECT_EQ(send(*t, request(receiver_.port(), "/ok/n")).status_code, 200);
}

// A request larger than the socket's send buffer is written whole: the writes wait for the
// socket to drain and go on where they stopped.
TEST_F(Http1TransportTest, ARequestLargerThanTheSocketBufferArrivesWhole) {
  auto t = transport(guard_);
  OutgoingRequest r = request(receiver_.port(), "/ok/large");
  r.body = "{\"data\":\"" + std::string(4 * 1024 * 1024, 'y') + "\"}";
  const auto answer = send(*t, r);
  ASSERT_EQ(answer.status_code, 200) << answer.error.value_or("");
  ASSERT_TRUE(receiver_.wait_for(1));
  const auto got = receiver_.received();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].body.size(), r.body.size());
  EXPECT_EQ(got[0].body, r.body);
}

TEST_F(Http1TransportTest, ARedirectIsNotFollowed) {
  auto t = transport(guard_);
  const auto r = send(*t, request(receiver_.port(), "/status/302/d"));
  EXPECT_EQ(r.status_code, 302);
  EXPECT_EQ(r.error, "redirect: 302 is not followed");
  EXPECT_EQ(r.error_class, domain::AttemptError::kRedirect);
  // A followed redirect would have reached the receiver before the next request does.
  ASSERT_EQ(send(*t, request(receiver_.port(), "/ok/after")).status_code, 200);
  ASSERT_TRUE(receiver_.wait_for(2));
  for (const auto& got : receiver_.received()) EXPECT_NE(got.path, "/ok/redirected");
}

TEST_F(Http1TransportTest, AFailureStatusCarriesRetryAfter) {
  auto t = transport(guard_);
  const auto r = send(*t, request(receiver_.port(), "/retry-after/7/5/e"));
  EXPECT_EQ(r.status_code, 429);
  EXPECT_EQ(r.error, "http_status: 429");
  EXPECT_EQ(r.error_class, domain::AttemptError::kHttpStatus);
  EXPECT_EQ(r.retry_after_seconds, 7);
  EXPECT_EQ(r.response_body, "slow down");
}

TEST_F(Http1TransportTest, ALongAnswerIsReadUpTo64KiBAndItsFirst4KiBKept) {
  auto t = transport(guard_);
  for (const size_t bytes : {size_t{5000}, size_t{10'000'000}}) {
    const auto r = send(*t, request(receiver_.port(), "/big/" + std::to_string(bytes) + "/k"));
    EXPECT_EQ(r.status_code, 200) << bytes;
    EXPECT_FALSE(r.error) << r.error.value_or("");
    EXPECT_EQ(r.response_body, std::string(domain::kMaxLoggedResponseBytes, 'x')) << bytes;
  }
  // The connection cut short is not reused; the next request still gets its answer.
  EXPECT_EQ(send(*t, request(receiver_.port(), "/ok/k")).status_code, 200);
}

// An answer's header is read up to 16 KiB: one within it is taken, a longer one fails the
// attempt, however much the receiver would send.
TEST_F(Http1TransportTest, AnAnswersHeaderIsReadUpTo16KiB) {
  auto t = transport(guard_);
  const auto within = send(*t, request(receiver_.port(), "/big-header/12000/o"));
  EXPECT_EQ(within.status_code, 200) << within.error.value_or("");
  const auto beyond = send(*t, request(receiver_.port(), "/big-header/40000/o"));
  EXPECT_FALSE(beyond.status_code);
  EXPECT_TRUE(failed_as(beyond, domain::AttemptError::kNetwork)) << beyond.error.value_or("");
  EXPECT_EQ(send(*t, request(receiver_.port(), "/ok/o")).status_code, 200);
}

TEST_F(Http1TransportTest, AHungReceiverTimesOut) {
  auto t = transport(guard_);
  const auto r = send(*t, request(receiver_.port(), "/hang/f"));
  EXPECT_FALSE(r.status_code);
  EXPECT_TRUE(failed_as(r, domain::AttemptError::kTimeout)) << r.error.value_or("");
  EXPECT_GE(r.duration_ms, 1400);
  // The connection it hung on is not reused.
  EXPECT_EQ(send(*t, request(receiver_.port(), "/ok/f")).status_code, 200);
}

TEST_F(Http1TransportTest, AnUnknownCaAWrongHostAndAnExpiredCertificateFailAsTls) {
  TempDir other_dir;
  const TestCertificates other = testing::make_test_certificates(other_dir.path());
  auto unknown_ca = transport(guard_, other.ca_cert);
  EXPECT_TRUE(
      failed_as(send(*unknown_ca, request(receiver_.port(), "/ok/g")), domain::AttemptError::kTls));

  const TestCertificates wrong_host =
      testing::make_server_certificate(other_dir.path(), certs_, {"elsewhere.example"});
  WebhookReceiver wrong(wrong_host);
  auto t = transport(guard_);
  EXPECT_TRUE(failed_as(send(*t, request(wrong.port(), "/ok/g")), domain::AttemptError::kTls));

  TempDir expired_dir;
  const TestCertificates expired =
      testing::make_server_certificate(expired_dir.path(), certs_, {"127.0.0.1"}, true);
  WebhookReceiver old(expired);
  EXPECT_TRUE(failed_as(send(*t, request(old.port(), "/ok/g")), domain::AttemptError::kTls));
  EXPECT_TRUE(wrong.received().empty());
  EXPECT_TRUE(old.received().empty());
}

TEST_F(Http1TransportTest, TheHostNameIsVerifiedAndSentAsServerName) {
  auto t = transport(guard_);
  // The certificate names localhost and 127.0.0.1; the connection goes to 127.0.0.1.
  EXPECT_EQ(send(*t, request(receiver_.port(), "/ok/h", "localhost")).status_code, 200);
  EXPECT_TRUE(failed_as(send(*t, request(receiver_.port(), "/ok/h", "other.localhost")),
                        domain::AttemptError::kTls));
}

TEST_F(Http1TransportTest, TheGuardIsAskedBeforeConnecting) {
  const security::DestinationGuard refuses_loopback;
  auto t = transport(refuses_loopback);
  const auto r = send(*t, request(receiver_.port(), "/ok/i"));
  EXPECT_TRUE(failed_as(r, domain::AttemptError::kForbiddenDestination)) << r.error.value_or("");
  EXPECT_TRUE(receiver_.received().empty());
}

TEST_F(Http1TransportTest, NothingListeningFailsToConnect) {
  auto t = transport(guard_);
  // Port 1 on loopback: nothing listens there.
  const auto r = send(*t, request(1, "/ok/j"));
  EXPECT_TRUE(failed_as(r, domain::AttemptError::kConnect)) << r.error.value_or("");
}

}  // namespace
}  // namespace hookd::delivery
