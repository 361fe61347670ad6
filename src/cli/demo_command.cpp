// `hookd demo`: a newcomer watches a delivery arrive. A throwaway hookd (SQLite in a temporary
// directory) and an HTTPS receiver of the demo's own, trusted through a CA made for this run;
// then, through the public API alone, the calls an integration makes, each shown as curl.
#include <stdlib.h>
#include <toml++/toml.h>

#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "cli/child_process.hpp"
#include "cli/commands.hpp"
#include "cli/demo_api_client.hpp"
#include "cli/demo_receiver.hpp"
#include "cli/stop_signals.hpp"
#include "security/certificate_authority.hpp"
#include "security/signature.hpp"

namespace hookd::cli {
namespace {

using Clock = std::chrono::steady_clock;

constexpr std::chrono::seconds kStartDeadline{15};
constexpr std::chrono::seconds kDeliveryDeadline{15};
constexpr std::chrono::milliseconds kSignalCheck{200};
constexpr size_t kLogTailLines = 20;

struct DemoFailure : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// A directory of its own under $TMPDIR (else /tmp), removed with everything in it.
class DemoDirectory {
 public:
  DemoDirectory() {
    const char* base = std::getenv("TMPDIR");
    std::string pattern = std::string(base && *base ? base : "/tmp") + "/hookd-demo-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw std::runtime_error("cannot make a temporary directory under " + pattern);
    }
    path_ = pattern;
  }
  ~DemoDirectory() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  DemoDirectory(const DemoDirectory&) = delete;
  DemoDirectory& operator=(const DemoDirectory&) = delete;

  const std::string& path() const { return path_; }
  std::string file(std::string_view name) const { return path_ + "/" + std::string(name); }

 private:
  std::string path_;
};

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!(out << text).flush()) throw std::runtime_error("cannot write " + path);
}

std::string log_tail(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) {
    lines.push_back(std::move(line));
    if (lines.size() > kLogTailLines) lines.erase(lines.begin());
  }
  std::string tail;
  for (const std::string& line : lines) tail += "  " + line + "\n";
  return tail;
}

// SIGINT or SIGTERM, seen by whoever waits.
class StopRequest {
 public:
  StopRequest()
      : watcher_([this] {
          {
            std::lock_guard lock(mutex_);
            requested_ = true;
          }
          changed_.notify_all();
        }) {}

  bool requested() {
    std::lock_guard lock(mutex_);
    return requested_;
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return requested_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool requested_ = false;
  StopSignalWatcher watcher_;  // last: it calls back into the members above
};

// Each demo step, in the words a newcomer reads.
void heading(std::ostream& out, int step, std::string_view what) {
  out << "== " << step << ". " << what << "\n";
}

boost::json::object expect_object(const ApiAnswer& answer, long status, std::string_view what) {
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(answer.body, ec);
  if (answer.status != status || ec || !value.is_object()) {
    throw DemoFailure(std::string(what) + ": expected " + std::to_string(status) +
                      " and an object, got " + std::to_string(answer.status) + " " + answer.body);
  }
  return std::move(value.get_object());
}

std::string string_field(const boost::json::object& object, std::string_view key,
                         std::string_view what) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_string()) {
    throw DemoFailure(std::string(what) + ": the answer has no \"" + std::string(key) + "\"");
  }
  return std::string(value->get_string());
}

int64_t integer_field(const boost::json::object& object, std::string_view key,
                      std::string_view what) {
  const boost::json::value* value = object.if_contains(key);
  if (value == nullptr || !value->is_int64()) {
    throw DemoFailure(std::string(what) + ": the answer has no integer \"" + std::string(key) +
                      "\"");
  }
  return value->get_int64();
}

void print_request(std::ostream& out, const ReceivedRequest& request) {
  out << "  " << request.request_line << "\n";
  for (const auto& [name, value] : request.headers) out << "  " << name << ": " << value << "\n";
  out << "\n  " << request.body << "\n\n";
}

// Checks the delivery as a receiver must, with the verifier `hookd verify` uses.
security::VerifyResult verify_delivery(const ReceivedRequest& request, const std::string& secret) {
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  return security::verify(secret, request.header("webhook-id"), request.header("webhook-timestamp"),
                          request.header("webhook-signature"), request.body, now);
}

std::optional<ReceivedRequest> wait_for_delivery(DemoReceiver& receiver, StopRequest& stop,
                                                 Clock::time_point deadline) {
  while (!stop.requested()) {
    const auto step = std::min(deadline, Clock::now() + kSignalCheck);
    if (auto request = receiver.next(step)) return request;
    if (Clock::now() >= deadline) return std::nullopt;
  }
  throw DemoFailure("interrupted");
}

struct Webhook {
  int64_t id = 0;
  std::string secret_hmac;
};

class Demo {
 public:
  Demo(const DemoFlags& flags, const DemoDirectory& dir, std::ostream& out)
      : flags_(flags), dir_(dir), out_(out) {}

  int run() {
    out_ << "hookd demo: a throwaway hookd and an HTTPS receiver of its own, in " << dir_.path()
         << "\n\n";
    const std::string ca_file = dir_.file("ca.pem");
    DemoReceiver receiver = start_receiver(ca_file);
    const std::string receiver_url =
        "https://127.0.0.1:" + std::to_string(receiver.port()) + "/webhook";
    out_ << "The receiver listens on " << receiver_url << "\n\n";

    const std::string config_file = write_config(ca_file);
    const std::string database = "sqlite://" + dir_.file("hookd.db");
    const std::string program = own_executable();
    heading(out_, 1, "hookd starts on a database of its own");
    out_ << "$ hookd serve --config " << config_file << " --database " << database
         << " --listen 127.0.0.1:0\n";
    ServingChild server(
        program, {"--config", config_file, "--database", database, "--listen", "127.0.0.1:0"},
        log_file(), kStartDeadline);
    const std::string base_url = "http://127.0.0.1:" + std::to_string(server.port());
    out_ << "listening on " << base_url << " (its log: " << log_file() << ")\n\n";

    heading(
        out_, 2,
        "The first token is made on the command line: a platform token, for the device platform");
    const Credential platform{"PLATFORM", create_platform_token(program, config_file, database)};
    DemoApiClient api(base_url, out_);

    heading(out_, 3, "The platform tells hookd about an organization and its devices");
    expect_object(
        api.call("PUT", "/v2/platform/organizations/6", platform, R"({"name":"Acme Housing"})"),
        200, "organization");
    const std::pair<int, std::string_view> devices[] = {
        {85, "front door"}, {86, "back door"}, {87, "garage"}};
    for (const auto& [id, name] : devices) {
      expect_object(api.call("PUT", "/v2/platform/devices/" + std::to_string(id), platform,
                             R"({"organizationId":6,"name":")" + std::string(name) + R"("})"),
                    200, "device");
    }

    heading(out_, 4, "... and gives the organization's integration an admin token (shown once)");
    const auto admin_answer = expect_object(
        api.call("POST", "/v2/platform/tokens", platform, R"({"role":"admin","organizationId":6})"),
        200, "admin token");
    const Credential admin{"ADMIN", string_field(admin_answer, "token", "admin token")};
    out_ << "ADMIN=" << admin.token << "\n\n";

    heading(out_, 5, "The integration registers a webhook; the answer holds its signing secret");
    const Webhook webhook = create_webhook(api, admin, receiver_url);

    heading(out_, 6, "The platform sends a device event; hookd answers 202 once it is stored");
    const auto sent = Clock::now();
    const auto event_answer = expect_object(
        api.call("POST", "/v2/platform/events", platform,
                 R"({"deviceId":85,"topic":"DeviceTamperEvents","type":"DeviceTamperVibration",)"
                 R"("data":{"level":3},"id":"lock-85-tamper-0001"})"),
        202, "event");
    const std::string event_id = first_event_id(event_answer);

    const std::optional<ReceivedRequest> delivery =
        wait_for_delivery(receiver, stop_, sent + kDeliveryDeadline);
    if (!delivery) {
      throw DemoFailure("no delivery arrived within " + std::to_string(kDeliveryDeadline.count()) +
                        " s of the event" + delivery_log_summary(api, admin, webhook.id));
    }
    if (delivery->header("webhook-id") != event_id) {
      throw DemoFailure("the receiver got another event than " + event_id + ": " +
                        delivery->request_line + " webhook-id " + delivery->header("webhook-id"));
    }
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - sent);
    heading(out_, 7, "The receiver got this, " + std::to_string(took.count()) + " ms later");
    print_request(out_, *delivery);
    show_verification(*delivery, webhook.secret_hmac);

    heading(out_, 8, "hookd's delivery log");
    show_delivery_log(api, admin, webhook.id, event_id);

    if (flags_.keep) keep_running(receiver, base_url, platform, admin, webhook);
    server.stop();
    if (!flags_.keep) {
      out_ << "Done: hookd stopped; " << dir_.path() << " is removed on exit. `hookd demo --keep` "
           << "(`make demo DEMO_FLAGS=--keep`) keeps it running, to try curl against it.\n";
    }
    return 0;
  }

  std::string log_file() const { return dir_.file("hookd.log"); }

 private:
  DemoReceiver start_receiver(const std::string& ca_file) {
    const security::PemCertificate ca =
        security::make_certificate_authority("hookd demo CA", security::valid_from_now(1));
    const security::PemCertificate certificate = security::issue_server_certificate(
        ca, {"127.0.0.1", "localhost"}, security::valid_from_now(1));
    security::write_certificate_files(ca, {}, ca_file, dir_.file("ca-key.pem"));
    const std::string chain = dir_.file("receiver.pem");
    const std::string key = dir_.file("receiver-key.pem");
    security::write_certificate_files(certificate, ca.certificate, chain, key);
    out_ << "A certificate authority made for this run (" << ca_file
         << ") signed the receiver's certificate for 127.0.0.1 and localhost.\n";
    return DemoReceiver(chain, key);
  }

  // For this run only: the persisted defaults refuse loopback and trust the system's CAs.
  std::string write_config(const std::string& ca_file) {
    const toml::table config{
        {"delivery",
         toml::table{{"allow_targets", toml::array{"127.0.0.1/32"}}, {"ca_file", ca_file}}}};
    std::ostringstream text;
    text << config << "\n";
    const std::string path = dir_.file("hookd.toml");
    write_file(path, text.str());
    out_ << "hookd's configuration for this run (" << path
         << "): the receiver's loopback address let through, the CA trusted.\n"
         << text.str() << "\n";
    return path;
  }

  std::string create_platform_token(const std::string& program, const std::string& config_file,
                                    const std::string& database) {
    out_ << "$ PLATFORM=$(hookd token create --role platform --config " << config_file
         << " --database " << database << ")\n";
    const ChildOutput created = run_child(
        program,
        {"token", "create", "--role", "platform", "--config", config_file, "--database", database},
        log_file(), kStartDeadline);
    std::string token = created.out;
    while (!token.empty() && (token.back() == '\n' || token.back() == '\r')) token.pop_back();
    if (created.exit_code != 0 || token.empty() || token.find('\n') != std::string::npos) {
      throw DemoFailure("hookd token create exited with " + std::to_string(created.exit_code));
    }
    out_ << "PLATFORM=" << token << "\n\n";
    return token;
  }

  Webhook create_webhook(DemoApiClient& api, const Credential& admin,
                         const std::string& receiver_url) {
    boost::json::object body{
        {"organizationId", 6},
        {"deviceIds", boost::json::array{85, 86}},
        {"secretHttp", "PoWJFA11inptkbGz"},
        {"webhookUrl", receiver_url},
        {"topics", boost::json::array{"DeviceActivationEvents", "DeviceTamperEvents"}}};
    const auto answer = expect_object(
        api.call("POST", "/v2/webhooks", admin, boost::json::serialize(body)), 200, "webhook");
    return Webhook{integer_field(answer, "id", "webhook"),
                   string_field(answer, "secretHmac", "webhook")};
  }

  // What the delivery log says of the webhook's deliveries, for a failure message.
  static std::string delivery_log_summary(DemoApiClient& api, const Credential& admin,
                                          int64_t webhook_id) {
    try {
      const ApiAnswer answer = api.call(
          "GET", "/v2/webhooks/" + std::to_string(webhook_id) + "/deliveries", admin, {}, false);
      return "; the delivery log says: " + std::to_string(answer.status) + " " + answer.body;
    } catch (const std::exception& e) {
      return std::string("; the delivery log cannot be read: ") + e.what();
    }
  }

  static std::string first_event_id(const boost::json::object& answer) {
    const boost::json::value* events = answer.if_contains("events");
    if (events == nullptr || !events->is_array() || events->get_array().empty() ||
        !events->get_array().front().is_object()) {
      throw DemoFailure("event: the answer has no events");
    }
    return string_field(events->get_array().front().get_object(), "id", "event");
  }

  void show_verification(const ReceivedRequest& delivery, const std::string& secret) {
    const std::string body_file = dir_.file("delivery-body.json");
    write_file(body_file, delivery.body);
    out_ << "The same check on the command line (the body saved in " << body_file << "):\n"
         << "$ hookd verify --secret " << secret << " --id " << delivery.header("webhook-id")
         << " --timestamp " << delivery.header("webhook-timestamp") << " --signature '"
         << delivery.header("webhook-signature") << "' < " << body_file << "\n";
    const security::VerifyResult result = verify_delivery(delivery, secret);
    if (result != security::VerifyResult::kValid) {
      throw DemoFailure("signature NOT verified with the secretHmac of the create answer: " +
                        std::string(security::verify_result_text(result)));
    }
    out_ << "signature verified (Standard Webhooks, the secretHmac of the create answer)\n\n";
  }

  void show_delivery_log(DemoApiClient& api, const Credential& admin, int64_t webhook_id,
                         const std::string& event_id) {
    const std::string list_path = "/v2/webhooks/" + std::to_string(webhook_id) + "/deliveries";
    // The attempt is recorded just after the receiver answered: ask again until it is.
    const auto deadline = Clock::now() + kDeliveryDeadline;
    std::optional<int64_t> delivery_id;
    for (;;) {
      if (stop_.requested()) throw DemoFailure("interrupted");
      const ApiAnswer answer = api.call("GET", list_path, admin, {}, false);
      boost::system::error_code ec;
      const boost::json::value list = boost::json::parse(answer.body, ec);
      if (!ec && answer.status == 200 && list.is_array()) {
        for (const boost::json::value& item : list.get_array()) {
          const boost::json::object* object = item.if_object();
          if (object == nullptr) continue;
          const boost::json::value* id = object->if_contains("id");
          const boost::json::value* event = object->if_contains("eventId");
          const boost::json::value* status = object->if_contains("status");
          if (id && id->is_int64() && event && event->is_string() &&
              event->get_string() == event_id && status && status->is_string() &&
              status->get_string() != "pending") {
            delivery_id = id->get_int64();
          }
        }
      }
      if (delivery_id) break;
      if (Clock::now() >= deadline) {
        throw DemoFailure("the delivery log did not record the attempt within " +
                          std::to_string(kDeliveryDeadline.count()) + " s");
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    api.call("GET", list_path, admin);
    const auto detail = expect_object(
        api.call("GET", list_path + "/" + std::to_string(*delivery_id), admin), 200, "delivery");
    if (string_field(detail, "status", "delivery") != "succeeded") {
      throw DemoFailure("the delivery is logged as " + string_field(detail, "status", "delivery"));
    }
  }

  void keep_running(DemoReceiver& receiver, const std::string& base_url, const Credential& platform,
                    const Credential& admin, const Webhook& webhook) {
    out_ << "hookd keeps running until Ctrl-C. In another shell:\n"
         << "  HOOKD=" << base_url << " PLATFORM=" << platform.token << " ADMIN=" << admin.token
         << " SECRET=" << webhook.secret_hmac << "\n"
         << "  curl -s $HOOKD/v2/webhooks/" << webhook.id
         << " -H \"Authorization: Bearer $ADMIN\"\n"
         << "  curl -s -X POST $HOOKD/v2/webhooks/" << webhook.id
         << "/test -H \"Authorization: Bearer $ADMIN\"\n"
         << "  curl -s -X POST $HOOKD/v2/platform/events -H \"Authorization: Bearer $PLATFORM\" "
            "-d '{\"deviceId\":86,\"topic\":\"DeviceActivationEvents\"}'\n"
         << "Each delivery the receiver gets is shown here.\n\n"
         << std::flush;
    std::atomic<bool> done{false};
    std::thread printer([&] {
      while (!done) {
        const auto request = receiver.next(Clock::now() + kSignalCheck);
        if (!request) continue;
        out_ << "-- The receiver got:\n";
        print_request(out_, *request);
        const auto result = verify_delivery(*request, webhook.secret_hmac);
        out_ << (result == security::VerifyResult::kValid
                     ? std::string("signature verified")
                     : "signature NOT verified: " +
                           std::string(security::verify_result_text(result)))
             << "\n\n"
             << std::flush;
      }
    });
    stop_.wait();
    done = true;
    printer.join();
    out_ << "Stopping hookd and removing " << dir_.path() << ".\n";
  }

  const DemoFlags& flags_;
  const DemoDirectory& dir_;
  std::ostream& out_;
  StopRequest stop_;
};

}  // namespace

int demo(const DemoFlags& flags) {
  const DemoDirectory dir;
  Demo demo(flags, dir, std::cout);
  try {
    return demo.run();
  } catch (const std::exception& e) {
    std::cout << std::flush;
    std::cerr << "hookd demo failed: " << e.what() << "\n";
    const std::string tail = log_tail(demo.log_file());
    if (!tail.empty()) std::cerr << "The end of hookd's log:\n" << tail;
    return 1;
  }
}

}  // namespace hookd::cli
