// The HTTP edge against hostile clients (issue 10): strict framing, the connection cap,
// descriptor exhaustion and idle bounds, over raw TCP so that the test controls every byte.
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "http/security_headers.hpp"
#include "support/hookd_process.hpp"
#include "support/raw_connection.hpp"

namespace hookd::testing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct ParsedResponse {
  int status = 0;
  std::multimap<std::string, std::string> headers;  // names in lower case
  std::string body;
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? std::string() : it->second;
  }
};

ParsedResponse parse_response(const std::string& raw) {
  ParsedResponse r;
  const size_t end = raw.find("\r\n\r\n");
  if (raw.rfind("HTTP/1.", 0) != 0 || end == std::string::npos) return r;
  r.status = std::stoi(raw.substr(9, 3));
  std::istringstream lines(raw.substr(0, end));
  std::string line;
  std::getline(lines, line);
  while (std::getline(lines, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const size_t colon = line.find(':');
    if (colon == std::string::npos) continue;
    std::string name = line.substr(0, colon);
    for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    std::string value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.erase(0, 1);
    r.headers.emplace(name, value);
  }
  r.body = raw.substr(end + 4);
  return r;
}

size_t count_of(const std::string& haystack, std::string_view needle) {
  size_t n = 0;
  for (size_t at = haystack.find(needle); at != std::string::npos;
       at = haystack.find(needle, at + 1)) {
    ++n;
  }
  return n;
}

// The twelve headers, the seed's error body with `code`, and Connection: close.
void expect_refusal(const std::string& raw, int status, const std::string& code) {
  SCOPED_TRACE(raw.substr(0, 600));
  const ParsedResponse r = parse_response(raw);
  ASSERT_EQ(r.status, status);
  for (const auto& [name, value] : http::kSecurityHeaders) {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    EXPECT_EQ(r.header(lower), value) << name;
  }
  EXPECT_EQ(r.header("connection"), "close");
  EXPECT_EQ(r.header("content-type"), "application/json");
  const auto body = boost::json::parse(r.body).as_object();
  EXPECT_EQ(body.at("code").as_string(), code);
  EXPECT_EQ(body.at("errorCode").as_string(), code);
  EXPECT_EQ(body.at("message"), body.at("errorMessage"));
  EXPECT_EQ(body.size(), 4u);
}

class HttpEdgeTest : public ::testing::Test {
 protected:
  // Sends `request` alone on a new connection: what the server wrote before it closed.
  std::string exchange(HookdServer& server, std::string_view request) {
    RawConnection connection(server.port());
    connection.send(request);
    std::string out = connection.read_until_close();
    EXPECT_TRUE(connection.closed()) << "the server kept the connection open";
    return out;
  }
};

// Behind a proxy that forwards such a header, the body would be read as a second request.
TEST_F(HttpEdgeTest, BothSmugglingFormsAreRefusedAndTheInnerRequestIsNeverAnswered) {
  HookdServer server;
  const std::string inner = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n";
  for (const char* coding : {"xchunked", "chunked, identity"}) {
    SCOPED_TRACE(coding);
    const std::string raw = exchange(server, std::string("POST /v2/webhooks HTTP/1.1\r\nHost: x\r\n"
                                                         "Transfer-Encoding: ") +
                                                 coding + "\r\n\r\n0\r\n\r\n" + inner);
    expect_refusal(raw, 501, "NotImplemented");
    EXPECT_EQ(count_of(raw, "HTTP/1.1 "), 1u) << raw;
  }
  // The same with a Content-Length beside it: 400.
  const std::string raw = exchange(server,
                                   "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
                                   "Transfer-Encoding: xchunked\r\n\r\n0\r\n\r\n" +
                                       inner);
  expect_refusal(raw, 400, "BadRequest");
  EXPECT_EQ(count_of(raw, "HTTP/1.1 "), 1u) << raw;
}

TEST_F(HttpEdgeTest, MalformedHeadsGetTheirAnswerAndTheConnectionCloses) {
  HookdServer server;
  std::string big_headers = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  while (big_headers.size() < 17 * 1024)
    big_headers += "X-Filler: " + std::string(200, 'y') + "\r\n";
  big_headers += "\r\n";
  struct Case {
    std::string name;
    std::string request;
    int status;
    std::string code;
  };
  const std::vector<Case> cases = {
      {"target over 8 KiB", "GET /" + std::string(9000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", 414,
       "UriTooLong"},
      {"target over 16 KiB", "GET /" + std::string(17000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
       414, "UriTooLong"},
      {"header block over 16 KiB", big_headers, 431, "RequestHeaderFieldsTooLarge"},
      {"bare LF", "GET /healthz HTTP/1.1\nHost: x\n\n", 400, "BadRequest"},
      {"HTTP/0.9", "GET /healthz\r\n\r\n", 400, "BadRequest"},
      {"HTTP/2.0 request line", "GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 400, "BadRequest"},
      {"missing Host", "GET /healthz HTTP/1.1\r\n\r\n", 400, "BadRequest"},
      {"two Hosts", "GET /healthz HTTP/1.1\r\nHost: x\r\nHost: y\r\n\r\n", 400, "BadRequest"},
      {"Transfer-Encoding on HTTP/1.0",
       "POST /v2/webhooks HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400,
       "BadRequest"},
      {"Content-Length and Transfer-Encoding",
       "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
       "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
       400, "BadRequest"},
      {"duplicate Content-Length",
       "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
       400, "BadRequest"},
      {"invalid Content-Length",
       "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: 2x\r\n\r\n{}", 400, "BadRequest"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    expect_refusal(exchange(server, c.request), c.status, c.code);
  }
  // Still serving.
  RawConnection ok(server.port());
  ok.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(parse_response(ok.read_response()).status, 200);
}

TEST_F(HttpEdgeTest, PipelinedRequestsAreAnsweredInOrder) {
  HookdServer server;
  RawConnection connection(server.port());
  connection.send(
      "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /nowhere HTTP/1.1\r\nHost: x\r\n\r\n"
      "GET /readyz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(parse_response(connection.read_response()).status, 200);
  EXPECT_EQ(parse_response(connection.read_response()).status, 404);
  const ParsedResponse last = parse_response(connection.read_response());
  EXPECT_EQ(last.status, 200);
  EXPECT_EQ(last.header("connection"), "close");
  EXPECT_TRUE(connection.wait_closed(3s));
}

// The scrape, once a connection is let in for it.
std::string metrics_text(uint16_t port) {
  const auto until = Clock::now() + 5s;
  while (Clock::now() < until) {
    RawConnection connection(port);
    connection.send("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    const ParsedResponse r = parse_response(connection.read_response());
    if (r.status == 200) return r.body;
  }
  return {};
}

double metric(const std::string& text, const std::string& name) {
  const size_t at = text.find("\n" + name + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + name.size() + 2));
}

TEST_F(HttpEdgeTest, TheConnectionCapAnswers503WithRetryAfter) {
  HookdServer server(HookdOptions{.config_toml = "max_connections = 3\n"});
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 3; ++i) {
    held.push_back(std::make_unique<RawConnection>(server.port()));
    held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(parse_response(held.back()->read_response()).status, 200) << i;
  }
  RawConnection refused(server.port());
  const std::string raw = refused.read_until_close();
  EXPECT_TRUE(refused.closed());
  expect_refusal(raw, 503, "ServiceUnavailable");
  EXPECT_EQ(parse_response(raw).header("retry-after"), "1");

  held.pop_back();  // room for the scrape itself
  const std::string text = metrics_text(server.port());
  EXPECT_GE(metric(text, "hookd_http_connections_refused_total"), 1) << text;
  EXPECT_EQ(metric(text, "hookd_http_connections"), 3) << text;
}

TEST_F(HttpEdgeTest, AnIdleKeepAliveConnectionIsClosedAfterItsBound) {
  HookdServer server(HookdOptions{.config_toml = "keep_alive_timeout = \"300ms\"\n"});
  RawConnection connection(server.port());
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(parse_response(connection.read_response()).status, 200);
  const auto idle_since = Clock::now();
  EXPECT_TRUE(connection.wait_closed(5s));
  const auto idle = Clock::now() - idle_since;
  EXPECT_GE(idle, 250ms);
  EXPECT_LT(idle, 3s);
}

// The slow-header defence: a head that never ends is dropped after its own bound.
TEST_F(HttpEdgeTest, AHeadThatNeverEndsIsDroppedAfterItsBound) {
  HookdServer server(HookdOptions{.config_toml = "header_timeout = \"300ms\"\n"});
  RawConnection connection(server.port());
  connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n");
  const auto since = Clock::now();
  // A slow client trickles a byte every 100 ms: the bound runs from the head's first byte,
  // not from the last read, so the trickle does not keep the connection open.
  while (!connection.wait_closed(100ms) && Clock::now() - since < 5s) connection.send("X");
  EXPECT_TRUE(connection.closed());
  EXPECT_GE(Clock::now() - since, 250ms);
  EXPECT_LT(Clock::now() - since, 2s);
}

// A create with `length` body bytes to come; with a token, the head is admitted.
std::string post_head(size_t length, std::string_view token = {}, std::string_view extra = {}) {
  std::string head =
      "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) +
      "\r\n" + std::string(extra);
  if (!token.empty()) head += "Authorization: Bearer " + std::string(token) + "\r\n";
  return head + "\r\n";
}

// Bodies being read share one budget: one that does not fit is refused before it is read,
// and what a finished request reserved is free again.
TEST_F(HttpEdgeTest, BodiesBeyondTheBudgetAre503UntilTheBudgetIsFree) {
  HookdServer server(HookdOptions{.config_toml = "max_body_buffer_bytes = 100000\n"});
  const std::string token = server.create_token("platform");
  // The first body's head is admitted (told to go on) before a second one arrives, which
  // then no longer fits.
  RawConnection first(server.port());
  first.send(post_head(60000, token, "Expect: 100-continue\r\n"));
  ASSERT_EQ(first.read_response(), "HTTP/1.1 100 Continue\r\n\r\n");
  first.send(std::string(1000, ' '));
  RawConnection second(server.port());
  second.send(post_head(60000, token));
  const std::string refused = second.read_until_close();
  expect_refusal(refused, 503, "ServiceUnavailable");
  EXPECT_EQ(parse_response(refused).header("retry-after"), "1");

  // A chunked body reserves as it grows: 60,000 bytes, within its route's limit, not within
  // the 40,000 left.
  RawConnection chunked(server.port());
  chunked.send(
      "POST /v2/webhooks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
      "Authorization: Bearer " +
      token + "\r\n\r\n7530\r\n" + std::string(30000, ' ') + "\r\n7530\r\n" +
      std::string(30000, ' ') + "\r\n0\r\n\r\n");
  expect_refusal(chunked.read_until_close(), 503, "ServiceUnavailable");

  // The first request completes (its body is no JSON: 400), and frees its share: the same
  // body is read again.
  first.send(std::string(59000, ' '));
  EXPECT_EQ(parse_response(first.read_response()).status, 400);
  RawConnection third(server.port());
  third.send(post_head(60000, token) + std::string(60000, ' '));
  EXPECT_EQ(parse_response(third.read_response()).status, 400);
}

// A refused head is answered at once, without `100 Continue`; an admitted one is told to go on.
TEST_F(HttpEdgeTest, OnlyAnAdmittedRequestGets100Continue) {
  HookdServer server;
  const std::string token = server.create_token("platform");
  RawConnection refused(server.port());
  refused.send(post_head(100000, {}, "Expect: 100-continue\r\n"));
  const std::string raw = refused.read_until_close();
  EXPECT_EQ(raw.find("100 Continue"), std::string::npos) << raw;
  EXPECT_EQ(parse_response(raw).status, 401) << raw;

  RawConnection admitted(server.port());
  admitted.send(post_head(2, token, "Expect: 100-continue\r\n"));
  EXPECT_EQ(admitted.read_response(), "HTTP/1.1 100 Continue\r\n\r\n");
  admitted.send("{}");
  EXPECT_EQ(parse_response(admitted.read_response()).status, 400);
}

// utime + stime of a process, in clock ticks.
long cpu_ticks(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), {});
  std::istringstream fields(text.substr(text.rfind(')') + 2));
  std::string field;
  long utime = 0, stime = 0;
  for (int i = 3; fields >> field; ++i) {
    if (i == 14) utime = std::stol(field);
    if (i == 15) {
      stime = std::stol(field);
      break;
    }
  }
  return utime + stime;
}

size_t open_descriptors(pid_t pid) {
  size_t n = 0;
  for (const auto& entry :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd")) {
    (void)entry;
    ++n;
  }
  return n;
}

// The attack of issue 10: with no descriptor left, accepting used to spin and flood the log.
TEST_F(HttpEdgeTest, OutOfDescriptorsAcceptingPausesAndRecovers) {
#ifdef HOOKD_SANITIZED
  // UBSan checks a pointer's memory through a pipe it opens (IsAccessibleMemoryRange): with no
  // descriptor left that fails, and it reports a valid Asio error category as a bad vptr and
  // ends the process. The release build runs this test.
  GTEST_SKIP() << "needs descriptors the sanitizer runtime takes for itself at the limit";
#endif
  HookdServer server;
  const pid_t pid = server.process().pid();
  const size_t base = open_descriptors(pid);
  const rlimit low{base + 8, base + 8};
  ASSERT_EQ(::prlimit(pid, RLIMIT_NOFILE, &low, nullptr), 0);

  std::vector<std::unique_ptr<RawConnection>> clients;
  for (int i = 0; i < 40; ++i) clients.push_back(std::make_unique<RawConnection>(server.port()));
  ASSERT_TRUE(server.process().wait_for_stderr_line(
      [](std::string_view line) { return line.find("\"msg\":\"accept failed\"") != line.npos; },
      5s))
      << "no descriptor ran out";

  const size_t log_before = server.process().stderr_size();
  const long ticks_before = cpu_ticks(pid);
  const auto measured_from = Clock::now();
  // Two seconds of the server at its limit, 32 connections waiting in the backlog.
  RawConnection probe(server.port());
  probe.wait_closed(2s);
  const double seconds = std::chrono::duration<double>(Clock::now() - measured_from).count();
  const double cpu = static_cast<double>(cpu_ticks(pid) - ticks_before) /
                     static_cast<double>(sysconf(_SC_CLK_TCK)) / seconds;
  const std::string log = server.process().stderr_text().substr(log_before);
  EXPECT_LT(cpu, 0.2) << "CPU share of one core at the descriptor limit";
  EXPECT_LE(count_of(log, "\n"), 4u) << log.substr(0, 2000);

  // As soon as the connections close, the server answers again.
  clients.clear();
  const auto closed_at = Clock::now();
  int status = 0;
  while (status != 200 && Clock::now() - closed_at < 5s) {
    RawConnection health(server.port());
    health.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    status = parse_response(health.read_response(2s)).status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_LT(Clock::now() - closed_at, 3s);
}

// Started under a low descriptor limit, the cap is clamped below it: connections beyond the
// cap are answered 503 instead of exhausting the process.
TEST_F(HttpEdgeTest, TheCapIsClampedToTheDescriptorLimit) {
  TempDir dir;
  Process hookd({"prlimit", "--nofile=96:96", "--", hookd_binary(), "serve", "--role", "api",
                 "--listen", "127.0.0.1:0", "--database", "sqlite://" + dir.file("hookd.db")},
                SpawnOptions{.env_remove_prefixes = {"HOOKD_"}});
  std::string cap_line, listening_line;
  ASSERT_TRUE(hookd.wait_for_stderr_line(
      [](std::string_view l) { return l.find("\"msg\":\"connection cap\"") != l.npos; }, 20s,
      &cap_line))
      << hookd.stderr_text();
  // 96 descriptors less the reserve of 64.
  EXPECT_NE(cap_line.find("\"max_connections\":32,"), std::string::npos) << cap_line;
  ASSERT_TRUE(hookd.wait_for_stderr_line(
      [](std::string_view l) { return l.find("\"msg\":\"listening\"") != l.npos; }, 20s,
      &listening_line));
  const uint16_t port =
      static_cast<uint16_t>(boost::json::parse(listening_line).at("port").to_number<int64_t>());
  std::vector<std::unique_ptr<RawConnection>> held;
  for (int i = 0; i < 32; ++i) {
    held.push_back(std::make_unique<RawConnection>(port));
    held.back()->send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_EQ(parse_response(held.back()->read_response()).status, 200) << i;
  }
  RawConnection refused(port);
  expect_refusal(refused.read_until_close(), 503, "ServiceUnavailable");
}

}  // namespace
}  // namespace hookd::testing
