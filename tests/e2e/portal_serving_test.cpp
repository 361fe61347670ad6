// /portal/ and its files, served from the binary with the seed's headers but a policy of their
// own; framing as portal.frame_ancestors allows.
#include <boost/json.hpp>

#include "api_fixture.hpp"
#include "expect_error.hpp"
#include "http/security_headers.hpp"

namespace hookd::testing {
namespace {

constexpr std::string_view kPolicyStart =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors ";
constexpr std::string_view kPolicyEnd = "; base-uri 'none'; form-action 'none'";

// Every seed header once with the seed's value, but the policy and (if `framed`) the frame option.
void expect_portal_headers(const HttpResponse& r, std::string_view frame_ancestors, bool framed) {
  for (const auto& [name, value] : http::kSecurityHeaders) {
    const auto values = r.header_values(name);
    if (name == "X-Frame-Options" && framed) {
      EXPECT_TRUE(values.empty()) << r;
      continue;
    }
    ASSERT_EQ(values.size(), 1u) << name << "\n" << r;
    if (name == "Content-Security-Policy") {
      EXPECT_EQ(values[0],
                std::string(kPolicyStart) + std::string(frame_ancestors) + std::string(kPolicyEnd));
    } else {
      EXPECT_EQ(values[0], value) << name;
    }
  }
}

TEST_F(ApiTest, PortalPageIsServedWithItsOwnPolicyAndNotFramed) {
  for (const char* path : {"/portal/", "/portal"}) {
    const HttpResponse r = client_->get(path);
    ASSERT_EQ(r.status, 200) << r;
    EXPECT_EQ(r.header("Content-Type"), "text/html; charset=utf-8");
    EXPECT_NE(r.body.find("<script type=\"module\" src=\"/portal/app.js\">"), std::string::npos);
    expect_portal_headers(r, "'none'", false);
  }
  const HttpResponse script = client_->get("/portal/app.js");
  ASSERT_EQ(script.status, 200) << script;
  EXPECT_EQ(script.header("Content-Type"), "text/javascript; charset=utf-8");
  expect_portal_headers(script, "'none'", false);
  const HttpResponse style = client_->get("/portal/style.css");
  ASSERT_EQ(style.status, 200) << style;
  EXPECT_EQ(style.header("Content-Type"), "text/css; charset=utf-8");
}

TEST_F(ApiTest, PortalHasNoInlineScriptOrStyle) {
  const std::string page = client_->get("/portal/").body;
  EXPECT_EQ(page.find("<script>"), std::string::npos);
  EXPECT_EQ(page.find("style="), std::string::npos);
  EXPECT_EQ(page.find("<style"), std::string::npos);
  EXPECT_EQ(page.find(" on"), std::string::npos) << "no inline event handler";
}

TEST_F(ApiTest, UnknownPortalFileIsNotFound) {
  for (const char* path : {"/portal/missing.js", "/portal/..%2Fapi.js", "/portal/a/b.js"}) {
    const HttpResponse r = client_->get(path);
    expect_error(r, 404, "NotFound");
  }
}

TEST_F(ApiTest, TheApiKeepsTheSeedPolicyBesideThePortal) {
  const HttpResponse r = client_->get("/v2/webhooks", admin6_);
  ASSERT_EQ(r.status, 200) << r;
  EXPECT_EQ(r.header("Content-Security-Policy"),
            "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
  EXPECT_EQ(r.header("X-Frame-Options"), "SAMEORIGIN");
}

class FramedPortalTest : public ApiTest {
 protected:
  HookdOptions server_options() override {
    HookdOptions o;
    o.config_toml = "[portal]\nframe_ancestors = \"https://app.example.com\"\n";
    return o;
  }
};

TEST_F(FramedPortalTest, AllowedFramingDropsXFrameOptions) {
  const HttpResponse r = client_->get("/portal/");
  ASSERT_EQ(r.status, 200) << r;
  expect_portal_headers(r, "https://app.example.com", true);
  // The API itself is still never framed.
  EXPECT_EQ(client_->get("/healthz").header("X-Frame-Options"), "SAMEORIGIN");
}

TEST(PortalConfigTest, AFrameAncestorsValueThatWouldBreakThePolicyIsRefusedAtStart) {
  for (const char* value :
       {"https://a.example; script-src *", "https://a.example, *", "https://a.example\tb"}) {
    const CommandResult r =
        run_hookd({"serve", "--listen", "127.0.0.1:0", "--database", "sqlite:///nonexistent/x.db"},
                  {}, std::chrono::seconds(30), {{"HOOKD_PORTAL_FRAME_ANCESTORS", value}});
    EXPECT_NE(r.exit_code, 0) << value;
    EXPECT_NE(r.err.find("portal.frame_ancestors"), std::string::npos) << r.err;
  }
}

}  // namespace
}  // namespace hookd::testing
