#include "support/webhook_receiver.hpp"

#include <boost/json.hpp>
#include <stdexcept>

#include "support/hookd_process.hpp"

namespace hookd::testing {
namespace {

std::optional<ReceivedRequest> parse_line(std::string_view line) {
  boost::system::error_code ec;
  auto v = boost::json::parse(line, ec);
  if (ec || !v.is_object() || !v.as_object().contains("received")) return std::nullopt;
  const auto& r = v.at("received").as_object();
  ReceivedRequest out;
  out.received_at_ms = r.at("t").to_number<double>();
  out.path = std::string(r.at("path").as_string());
  out.body = std::string(r.at("body").as_string());
  out.nth_on_path = static_cast<int>(r.at("n").to_number<int64_t>());
  out.http_version = std::string(r.at("version").as_string());
  out.client_port = static_cast<int>(r.at("peer").to_number<int64_t>());
  if (const auto* resumed = r.if_contains("resumed")) out.tls_resumed = resumed->as_bool();
  for (const auto& [name, value] : r.at("headers").as_object()) {
    if (value.is_string()) out.headers[std::string(name)] = std::string(value.as_string());
  }
  return out;
}

}  // namespace

std::string ReceivedRequest::header(const std::string& name) const {
  auto it = headers.find(name);
  return it == headers.end() ? std::string() : it->second;
}

std::string node_dir() { return hookd_source_dir() + "/tests/e2e/node"; }

WebhookReceiver::WebhookReceiver(const TestCertificates& certificates, Protocols protocols) {
  std::vector<std::string> command{"node", node_dir() + "/receiver.mjs", certificates.server_cert,
                                   certificates.server_key};
  if (protocols == Protocols::kHttp2AndHttp1) command.emplace_back("--http2");
  process_ = std::make_unique<Process>(std::move(command));
  std::string line;
  if (!process_->wait_for_stderr_line(
          [](std::string_view l) { return l.find("\"listening\"") != std::string_view::npos; },
          std::chrono::seconds(20), &line)) {
    throw std::runtime_error("the receiver did not start: " + process_->stderr_text());
  }
  port_ = static_cast<uint16_t>(boost::json::parse(line).at("listening").to_number<int64_t>());
}

std::string WebhookReceiver::url(std::string_view path) const {
  return "https://127.0.0.1:" + std::to_string(port_) + std::string(path);
}

std::string WebhookReceiver::log() const { return process_->stderr_text(); }

std::vector<ReceivedRequest> WebhookReceiver::received() const {
  std::vector<ReceivedRequest> out;
  const std::string text = process_->stderr_text();
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    if (nl == std::string::npos) break;
    if (auto r = parse_line(std::string_view(text).substr(pos, nl - pos))) {
      out.push_back(std::move(*r));
    }
    pos = nl + 1;
  }
  return out;
}

bool WebhookReceiver::wait_for(size_t count, std::string_view prefix,
                               std::chrono::milliseconds deadline) {
  size_t seen = 0;
  return process_->wait_for_stderr_line(
      [&](std::string_view line) {
        auto r = parse_line(line);
        if (r && r->path.starts_with(prefix)) ++seen;
        return seen >= count;
      },
      deadline, nullptr);
}

std::vector<SignatureCheck> verify_with_npm(const std::vector<ReceivedRequest>& requests,
                                            const std::string& secret) {
  std::string input;
  for (const auto& r : requests) {
    boost::json::object o{{"secret", secret},
                          {"id", r.header("webhook-id")},
                          {"timestamp", r.header("webhook-timestamp")},
                          {"signature", r.header("webhook-signature")},
                          {"body", r.body}};
    input += boost::json::serialize(o) + "\n";
  }
  const CommandResult result = run_command({"node", node_dir() + "/verify.mjs"}, input);
  if (result.exit_code != 0) throw std::runtime_error("verify.mjs failed: " + result.err);
  std::vector<SignatureCheck> out;
  size_t pos = 0;
  while (pos < result.out.size()) {
    size_t nl = result.out.find('\n', pos);
    if (nl == std::string::npos) nl = result.out.size();
    const auto v = boost::json::parse(std::string_view(result.out).substr(pos, nl - pos));
    SignatureCheck c;
    c.standardwebhooks = v.at("standardwebhooks").as_bool();
    c.svix = v.at("svix").as_bool();
    if (v.as_object().contains("error")) c.error = std::string(v.at("error").as_string());
    out.push_back(std::move(c));
    pos = nl + 1;
  }
  return out;
}

}  // namespace hookd::testing
