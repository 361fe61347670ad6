#include "security/webhook_url.hpp"

#include <gtest/gtest.h>

#include <string>

namespace hookd::security {
namespace {

DestinationGuard guard_allowing(std::initializer_list<std::string_view> cidrs) {
  std::vector<Cidr> ranges;
  for (std::string_view text : cidrs) {
    auto cidr = Cidr::parse(text);
    EXPECT_TRUE(cidr.has_value()) << text;
    if (cidr) ranges.push_back(*cidr);
  }
  return DestinationGuard(std::move(ranges));
}

// Hosts the default guard must refuse, each tried as https://<host>/ and https://<host>:8443/x.
constexpr const char* kForbiddenHosts[] = {
    "127.0.0.1",          "127.1",
    "0x7f000001",         "2130706433",
    "0177.0.0.1",         "0x7f.0.0.1",
    "127.0.0.1.",         "[::1]",
    "[::ffff:127.0.0.1]", "[::ffff:7f00:1]",
    "10.1.2.3",           "172.16.0.1",
    "172.31.255.255",     "192.168.1.1",
    "169.254.169.254",    "100.64.0.1",
    "[fc00::1]",          "[fd00:ec2::254]",
    "[fe80::1]",          "0.0.0.0",
    "224.0.0.1",          "240.0.0.1",
    "255.255.255.255",    "[::]",
    "[64:ff9b::7f00:1]",  "localhost",
    "LOCALHOST.",         "foo.localhost",
    "Foo.LocalHost.",     "0",
    "[0:0:0:0:0:0:0:1]",  "[::FFFF:A9FE:A9FE]",
};

TEST(WebhookUrlTest, RefusesNonPublicDestinations) {
  const DestinationGuard guard;
  for (const char* host : kForbiddenHosts) {
    for (const std::string& url :
         {"https://" + std::string(host) + "/", "https://" + std::string(host) + ":8443/x"}) {
      SCOPED_TRACE(url);
      const UrlCheck check = check_webhook_url(url, guard);
      EXPECT_EQ(check.problem, UrlProblem::kForbiddenDestination);
      EXPECT_FALSE(check.target.has_value());
    }
  }
}

TEST(WebhookUrlTest, AllowsPublicDestinations) {
  const DestinationGuard guard;
  for (const char* url :
       {"https://8.8.8.8/", "https://1.1.1.1/hook", "https://[2606:4700:4700::1111]/",
        "https://172.32.0.1:8443/", "https://example.com", "https://example.com./",
        "https://exa_mple.com", "https://localhost.example.com/", "https://mylocalhost/",
        "https://1.2.3.4x.com/", "https://1.2.3.4-x.com/", "https://10.0.0.1.sslip.io/",
        "https://127.0.0.1.nip.io:8443/x"}) {
    SCOPED_TRACE(url);
    const UrlCheck check = check_webhook_url(url, guard);
    EXPECT_EQ(check.problem, UrlProblem::kNone) << check.detail;
    EXPECT_TRUE(check.target.has_value());
  }
}

TEST(WebhookUrlTest, TakesTheUrlApart) {
  const UrlCheck check = check_webhook_url("HTTPS://Example.com/a?b=c", DestinationGuard());
  ASSERT_EQ(check.problem, UrlProblem::kNone);
  ASSERT_TRUE(check.target.has_value());
  EXPECT_EQ(check.target->scheme, "https");
  EXPECT_EQ(check.target->host, "example.com");
  EXPECT_EQ(check.target->port, 443);
  EXPECT_EQ(check.target->target, "/a?b=c");
  EXPECT_FALSE(check.target->literal.has_value());
  EXPECT_FALSE(check.target->is_localhost);

  const auto literal = check_webhook_url("https://[2606:4700:4700::1111]:8443", DestinationGuard());
  ASSERT_TRUE(literal.target.has_value());
  EXPECT_EQ(literal.target->host, "[2606:4700:4700::1111]");
  EXPECT_EQ(literal.target->port, 8443);
  EXPECT_EQ(literal.target->target, "/");
  EXPECT_EQ(literal.target->literal, IpAddress::parse("2606:4700:4700::1111"));

  // Boost.URL 1.81 alone would take 1.2.3.4 as the host and ".nip.io:8443/x" as the path.
  const auto nip = check_webhook_url("https://1.2.3.4.nip.io:8443/x?y", DestinationGuard());
  ASSERT_TRUE(nip.target.has_value());
  EXPECT_EQ(nip.target->host, "1.2.3.4.nip.io");
  EXPECT_EQ(nip.target->port, 8443);
  EXPECT_EQ(nip.target->target, "/x?y");
  EXPECT_FALSE(nip.target->literal.has_value());

  const auto legacy = check_webhook_url("https://134744072/", DestinationGuard());
  ASSERT_TRUE(legacy.target.has_value());
  EXPECT_EQ(legacy.target->literal, IpAddress::parse("8.8.8.8"));

  EXPECT_EQ(check_webhook_url("https://x.com?q=1", DestinationGuard()).target->target, "/?q=1");
  EXPECT_EQ(check_webhook_url("https://x.com/p%20q?", DestinationGuard()).target->target,
            "/p%20q?");
  EXPECT_EQ(check_webhook_url("https://x.com:/", DestinationGuard()).target->port, 443);
  EXPECT_EQ(check_webhook_url("https://x.com:0443/", DestinationGuard()).target->port, 443);
  EXPECT_EQ(check_webhook_url("https://x.com:65535/", DestinationGuard()).target->port, 65535);
  EXPECT_EQ(check_webhook_url("https://x.com:1/", DestinationGuard()).target->port, 1);
}

TEST(WebhookUrlTest, AllowTargetsLetLoopbackThrough) {
  const DestinationGuard v4_only = guard_allowing({"127.0.0.1/32"});
  for (const char* url : {"https://127.0.0.1:8080/hook", "https://127.1:8080/hook",
                          "https://2130706433:8080/hook", "https://[::ffff:127.0.0.1]:8080/hook"}) {
    SCOPED_TRACE(url);
    const UrlCheck check = check_webhook_url(url, v4_only);
    ASSERT_EQ(check.problem, UrlProblem::kNone);
    EXPECT_EQ(check.target->port, 8080);
    EXPECT_EQ(check.target->target, "/hook");
    ASSERT_TRUE(check.target->literal.has_value());
  }
  // localhost may resolve to ::1, which the guard still refuses.
  EXPECT_EQ(check_webhook_url("https://localhost:8080/", v4_only).problem,
            UrlProblem::kForbiddenDestination);
  EXPECT_EQ(check_webhook_url("https://[::1]:8080/", v4_only).problem,
            UrlProblem::kForbiddenDestination);
  EXPECT_EQ(check_webhook_url("https://127.0.0.2/", v4_only).problem,
            UrlProblem::kForbiddenDestination);

  const DestinationGuard both = guard_allowing({"127.0.0.1/32", "::1/128"});
  const UrlCheck check = check_webhook_url("https://LocalHost:8080/", both);
  ASSERT_EQ(check.problem, UrlProblem::kNone);
  EXPECT_TRUE(check.target->is_localhost);
  EXPECT_EQ(check.target->host, "localhost");
  EXPECT_FALSE(check.target->literal.has_value());
  EXPECT_EQ(check_webhook_url("https://api.localhost/", both).problem, UrlProblem::kNone);
}

TEST(WebhookUrlTest, RefusesOtherSchemes) {
  const DestinationGuard guard;
  for (const char* url : {"ftp://x.com", "http://x.com", "HTTP://x.com/", "wss://x.com/",
                          "httpss://x.com/", "http://127.0.0.1/", "http://localhost/"}) {
    SCOPED_TRACE(url);
    const UrlCheck check = check_webhook_url(url, guard);
    EXPECT_EQ(check.problem, UrlProblem::kUnsupportedProtocol);
    EXPECT_FALSE(check.target.has_value());
  }
}

TEST(WebhookUrlTest, RefusesMalformedUrls) {
  const DestinationGuard guard;
  const std::string long_host(64, 'a');
  const std::string long_name = std::string(63, 'a') + '.' + std::string(63, 'b') + '.' +
                                std::string(63, 'c') + '.' + std::string(63, 'd');
  for (const std::string& url : {
           std::string("javascript:alert(1)"),
           std::string("https://user:pw@x.com/"),
           std::string("https://@x.com/"),
           std::string("http://user@x.com/"),
           std::string("https://x.com/#frag"),
           std::string("https://x.com/#"),
           std::string("https:///path"),
           std::string("https://"),
           std::string("https://exa mple.com"),
           std::string("https://x.com:0/"),
           std::string("https://x.com:99999/"),
           std::string("https://x.com:65536/"),
           std::string("https://x.com:00000000000000000000443x/"),
           std::string(""),
           std::string("x.com"),
           std::string("//x.com/"),
           std::string("/path"),
           std::string(" https://x.com/"),
           std::string("https://x.com/\n"),
           std::string("https://x.com\\@y.com/"),
           std::string("https://%6cocalhost/"),
           std::string("https://127%2e0.0.1/"),
           std::string("https://a..b/"),
           std::string("https://./"),
           std::string("https://x!.com/"),
           std::string("https://x~y.com/"),
           std::string("https://" + long_host + ".com/"),
           std::string("https://" + long_name + "/"),
           std::string("https://1.2.3.256/"),
           std::string("https://08.0.0.1/"),
           std::string("https://1.2.3.4.5/"),
           std::string("https://example.0x/"),
           std::string("https://[v1.x]/"),
           std::string("https://[fe80::1%25eth0]/"),
           std::string("https://[127.0.0.1]/"),
           std::string("ftp://user@x.com/"),
           // Boost.URL 1.81 ends these authorities early; the rest must not become the path.
           std::string("https://[::1]x/"),
           std::string("https://x.com:443:80/"),
           std::string("https://x.com:44a3/"),
           std::string("https://a@b@c/"),
           std::string("https://x.com@/"),
           std::string("https:x.com"),
           std::string("https:/x.com"),
       }) {
    SCOPED_TRACE(url);
    const UrlCheck check = check_webhook_url(url, guard);
    EXPECT_EQ(check.problem, UrlProblem::kInvalid);
    EXPECT_FALSE(check.detail.empty());
    EXPECT_FALSE(check.target.has_value());
  }
}

TEST(WebhookUrlTest, ExplainsWhatIsWrong) {
  const DestinationGuard guard;
  EXPECT_EQ(check_webhook_url("https://user:pw@x.com/", guard).detail,
            "credentials are not allowed in webhookUrl");
  EXPECT_EQ(check_webhook_url("https://x.com/#frag", guard).detail,
            "a fragment is not allowed in webhookUrl");
  EXPECT_EQ(check_webhook_url("https:///path", guard).detail, "webhookUrl has no host");
  EXPECT_EQ(check_webhook_url("https://x.com:0/", guard).detail,
            "webhookUrl port must be between 1 and 65535");
}

TEST(WebhookUrlTest, LimitsTheLength) {
  const DestinationGuard guard;
  const std::string prefix = "https://example.com/";
  const std::string longest = prefix + std::string(kMaxWebhookUrlLength - prefix.size(), 'a');
  ASSERT_EQ(longest.size(), 2048u);
  EXPECT_EQ(check_webhook_url(longest, guard).problem, UrlProblem::kNone);

  const std::string too_long = longest + 'a';
  ASSERT_EQ(too_long.size(), 2049u);
  const UrlCheck check = check_webhook_url(too_long, guard);
  EXPECT_EQ(check.problem, UrlProblem::kInvalid);
  EXPECT_EQ(check.detail, "webhookUrl is longer than 2048 characters");
}

TEST(WebhookUrlTest, AcceptsLongestHostName) {
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters, the most DNS allows.
  const std::string name = std::string(63, 'a') + '.' + std::string(63, 'b') + '.' +
                           std::string(63, 'c') + '.' + std::string(61, 'd');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_EQ(check_webhook_url("https://" + name + "/", DestinationGuard()).problem,
            UrlProblem::kNone);
  EXPECT_EQ(check_webhook_url("https://" + name + "./", DestinationGuard()).problem,
            UrlProblem::kNone);
  EXPECT_EQ(check_webhook_url("https://" + name + "d/", DestinationGuard()).problem,
            UrlProblem::kInvalid);
}

}  // namespace
}  // namespace hookd::security
