#include "support/hookd_process.hpp"

#include <gtest/gtest.h>
#include <signal.h>

#include <algorithm>
#include <boost/json.hpp>
#include <fstream>
#include <iostream>
#include <stdexcept>

#include "security/secret_box.hpp"

#ifndef HOOKD_BINARY
#error "HOOKD_BINARY must name the hookd binary under test"
#endif
#ifndef HOOKD_SOURCE_DIR
#error "HOOKD_SOURCE_DIR must name the repository root"
#endif

namespace hookd::testing {
namespace {

constexpr std::chrono::seconds kStopDeadline{15};
constexpr size_t kDumpLimit = 64 * 1024;

constexpr std::string_view kKeyFilesVariable = "HOOKD_SECRETS_KEY_FILES";

// hookd generates no key for a PostgreSQL database: every hookd a test process starts on one
// shares this key (made at first use), so that servers sharing a database open its secrets.
const std::string& postgres_key_file() {
  static const TempDir dir;
  static const std::string path = [] {
    const std::string file = dir.file("postgres-secrets.key");
    security::create_secret_key_file(file);
    return file;
  }();
  return path;
}

bool names_postgres(const std::vector<std::string>& args) {
  return std::any_of(args.begin(), args.end(), [](const std::string& arg) {
    return arg.starts_with("postgresql://") || arg.starts_with("postgres://");
  });
}

// A developer's HOOKD_* settings must not change what the tests see.
SpawnOptions hookd_spawn_options(std::vector<std::pair<std::string, std::string>> env = {},
                                 bool postgres = false) {
  SpawnOptions options;
  options.env = std::move(env);
  options.env_remove_prefixes = {"HOOKD_"};
  const bool keys_named = std::any_of(options.env.begin(), options.env.end(),
                                      [](const auto& kv) { return kv.first == kKeyFilesVariable; });
  if (postgres && !keys_named) {
    options.env.emplace_back(std::string(kKeyFilesVariable), postgres_key_file());
  }
  return options;
}

std::string_view trim(std::string_view text) {
  constexpr std::string_view kSpace = " \t\r\n";
  const size_t begin = text.find_first_not_of(kSpace);
  if (begin == std::string_view::npos) return {};
  return text.substr(begin, text.find_last_not_of(kSpace) - begin + 1);
}

bool has_flag(const std::vector<std::string>& args, std::string_view flag) {
  return std::any_of(args.begin(), args.end(), [&](const std::string& arg) {
    return arg == flag ||
           (arg.starts_with(flag) && arg.size() > flag.size() && arg[flag.size()] == '=');
  });
}

struct Listening {
  uint16_t port = 0;
  std::string address;
  bool tls = false;
};

// The `{"msg":"listening","address":...,"port":N,"tls":...}` log line, if this is it.
std::optional<Listening> parse_listening(std::string_view line) {
  if (line.find("listening") == std::string_view::npos) return std::nullopt;
  boost::system::error_code ec;
  const boost::json::value value = boost::json::parse(line, ec);
  if (ec || !value.is_object()) return std::nullopt;
  const boost::json::object& object = value.get_object();
  const boost::json::value* msg = object.if_contains("msg");
  const boost::json::value* port = object.if_contains("port");
  if (msg == nullptr || !msg->is_string() || msg->get_string() != "listening" || port == nullptr) {
    return std::nullopt;
  }
  const auto number = port->to_number<int64_t>(ec);
  if (ec || number <= 0 || number > 65535) return std::nullopt;

  Listening result;
  result.port = static_cast<uint16_t>(number);
  if (const auto* address = object.if_contains("address"); address && address->is_string()) {
    result.address = std::string(address->get_string());
  }
  if (const auto* tls = object.if_contains("tls"); tls && tls->is_bool()) {
    result.tls = tls->get_bool();
  }
  return result;
}

std::string join(const std::vector<std::string>& argv) {
  std::string result;
  for (const std::string& arg : argv) {
    if (!result.empty()) result += ' ';
    result += arg;
  }
  return result;
}

}  // namespace

std::string hookd_binary() { return HOOKD_BINARY; }

std::string hookd_source_dir() { return HOOKD_SOURCE_DIR; }

CommandResult run_hookd(const std::vector<std::string>& args, std::string_view stdin_data,
                        std::chrono::milliseconds timeout,
                        std::vector<std::pair<std::string, std::string>> env) {
  std::vector<std::string> argv{hookd_binary()};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, stdin_data, timeout,
                     hookd_spawn_options(std::move(env), names_postgres(args)));
}

HookdServer::HookdServer(HookdOptions options) : options_(std::move(options)) {
  if (options_.database_url) {
    database_url_ = *options_.database_url;
  } else {
    own_database_ = std::make_unique<TestDatabase>();
    database_url_ = own_database_->url();
  }
  if (!options_.config_toml.empty()) {
    config_path_ = dir_.file("hookd.toml");
    std::ofstream config(config_path_, std::ios::binary);
    config << options_.config_toml;
    if (!config.flush()) throw std::runtime_error("cannot write " + config_path_);
  }
  start();
}

HookdServer::~HookdServer() {
  if (!process_) return;
  if (process_->running()) kill();
  if (options_.dump_stderr_on_failure && ::testing::Test::HasFailure()) {
    // A failing e2e test is hard to diagnose without the server's side of the story.
    std::string text = earlier_stderr_ + process_->stderr_text();
    if (text.size() > kDumpLimit) text = "[...]" + text.substr(text.size() - kDumpLimit);
    std::cerr << "---- hookd stderr (" << join(process_->argv()) << ") ----\n"
              << text << "---- end of hookd stderr ----\n";
  }
}

std::string HookdServer::base_url() const {
  std::string host = address_;
  // A wildcard listener is reached through loopback.
  if (host.empty() || host == "0.0.0.0") host = "127.0.0.1";
  if (host == "::") host = "::1";
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return (tls_ ? "https://" : "http://") + host + ":" + std::to_string(port_);
}

std::string HookdServer::create_token(std::string_view role,
                                      std::optional<int64_t> organization) const {
  std::vector<std::string> args{"token", "create", "--role", std::string(role)};
  if (organization) {
    args.insert(args.end(), {"--organization", std::to_string(*organization)});
  }
  args.insert(args.end(), {"--database", database_url_});
  // With the server's own environment: its key files, if it names any.
  const CommandResult result = run_hookd(args, {}, std::chrono::seconds(30), options_.env);
  const std::string token(trim(result.out));
  if (result.exit_code != 0 || token.empty()) {
    throw std::runtime_error("hookd " + join(args) + " exited with " +
                             std::to_string(result.exit_code) + "; stdout: " + result.out +
                             "; stderr: " + result.err);
  }
  return token;
}

int HookdServer::stop() {
  if (!process_) return -1;
  process_->signal(SIGTERM);
  if (const std::optional<int> status = process_->wait(kStopDeadline)) return *status;
  process_->signal(SIGKILL);
  process_->wait(kStopDeadline);
  return -1;
}

int HookdServer::kill() {
  if (!process_) return -1;
  process_->signal(SIGKILL);
  return process_->wait(kStopDeadline).value_or(-1);
}

void HookdServer::start() {
  if (running()) throw std::logic_error("HookdServer::start: already running");
  std::vector<std::string> argv{hookd_binary(), "serve"};
  if (!has_flag(options_.extra_args, "--listen")) {
    argv.insert(argv.end(), {"--listen", "127.0.0.1:0"});
  }
  argv.insert(argv.end(), {"--database", database_url_});
  if (!config_path_.empty()) argv.insert(argv.end(), {"--config", config_path_});
  argv.insert(argv.end(), options_.extra_args.begin(), options_.extra_args.end());

  port_ = 0;
  if (process_) earlier_stderr_ += process_->stderr_text() + "---- restarted ----\n";
  process_ = std::make_unique<Process>(
      argv, hookd_spawn_options(options_.env, names_postgres({database_url_})));
  if (!options_.expect_listening) return;

  std::optional<Listening> listening;
  const auto began = std::chrono::steady_clock::now();
  const bool found = process_->wait_for_stderr_line(
      [&](std::string_view line) {
        listening = parse_listening(line);
        return listening.has_value();
      },
      options_.start_deadline);
  if (!found) {
    // Returning before the deadline means stderr closed: the server exited on its own.
    const bool hung = std::chrono::steady_clock::now() - began >= options_.start_deadline;
    const std::optional<int> exited = hung ? std::nullopt : process_->wait(kStopDeadline);
    const int status = exited ? *exited : kill();
    throw std::runtime_error("hookd did not start (" + join(argv) + "): " +
                             (exited
                                  ? "exited with status " + std::to_string(status)
                                  : "no \"listening\" log line within " +
                                        std::to_string(options_.start_deadline.count()) + " ms") +
                             "\n---- stderr ----\n" + process_->stderr_text());
  }
  port_ = listening->port;
  address_ = listening->address;
  tls_ = listening->tls;
}

}  // namespace hookd::testing
