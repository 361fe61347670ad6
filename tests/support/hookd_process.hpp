#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "support/subprocess.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

namespace hookd::testing {

// Absolute path of the hookd binary under test.
std::string hookd_binary();
// The repository's root directory (for fixtures such as seed files).
std::string hookd_source_dir();

// Runs `hookd <args...>` to completion (for CLI tests: version, verify, migrate, ...), with
// HOOKD_* variables of the test's own environment removed. On a PostgreSQL database (here and
// in HookdServer), HOOKD_SECRETS_KEY_FILES names a key file every server of the test process
// shares, unless the test's env names its own.
CommandResult run_hookd(const std::vector<std::string>& args, std::string_view stdin_data = {},
                        std::chrono::milliseconds timeout = std::chrono::seconds(30),
                        std::vector<std::pair<std::string, std::string>> env = {});

struct HookdOptions {
  // Appended after the flags below; a --listen here replaces the default 127.0.0.1:0.
  std::vector<std::string> extra_args;
  // Written to a file and passed with --config when non-empty.
  std::string config_toml;
  // Defaults to a fresh TestDatabase of the backend HOOKD_TEST_BACKEND names. Give
  // another server's database_url() to share it.
  std::optional<std::string> database_url;
  // Variables for the server (e.g. HOOKD_* settings); inherited HOOKD_* ones are always removed.
  std::vector<std::pair<std::string, std::string>> env;
  // A `--role worker` server does not listen; then start() returns once it is spawned.
  bool expect_listening = true;
  // On a failed test, the destructor prints the server's stderr.
  bool dump_stderr_on_failure = true;
  std::chrono::milliseconds start_deadline{20000};
};

// `hookd serve` on a free port, with its own temporary directory. The constructor returns once
// the server logged that it listens, and throws std::runtime_error (with its stderr) if it
// exits or stays silent past start_deadline. The destructor SIGKILLs a still running server.
class HookdServer {
 public:
  explicit HookdServer(HookdOptions options = {});
  ~HookdServer();

  HookdServer(const HookdServer&) = delete;
  HookdServer& operator=(const HookdServer&) = delete;

  // The port and address from the server's `"msg":"listening"` log line.
  uint16_t port() const { return port_; }
  // "http://127.0.0.1:PORT" ("https://" when it logged tls:true).
  std::string base_url() const;
  const std::string& database_url() const { return database_url_; }
  // The server's temporary directory (holds the config file).
  const TempDir& dir() const { return dir_; }

  // `hookd token create --role ROLE [--organization ID] --database URL`, trimmed stdout.
  // Throws std::runtime_error when the command fails.
  std::string create_token(std::string_view role, std::optional<int64_t> organization = {}) const;

  Process& process() { return *process_; }
  bool running() const { return process_ && process_->running(); }

  // SIGTERM, then waits up to 15 s: the exit status, or -1 if it had to be SIGKILLed.
  int stop();
  // SIGKILL, as a crash would: the exit status.
  int kill();
  // Starts the server again with the same options and database (after stop() or kill(); the
  // port usually changes). Throws like the constructor.
  void start();

 private:
  HookdOptions options_;
  TempDir dir_;
  std::unique_ptr<TestDatabase> own_database_;  // unless the options named one
  std::string database_url_;
  std::string config_path_;
  std::unique_ptr<Process> process_;
  std::string earlier_stderr_;  // of processes replaced by start(), for the failure dump
  uint16_t port_ = 0;
  std::string address_ = "127.0.0.1";
  bool tls_ = false;
};

}  // namespace hookd::testing
