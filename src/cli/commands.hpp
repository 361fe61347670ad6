#pragma once

#include <cstdint>
#include <optional>
#include <string>

// The sub-commands of the hookd binary; main.cpp parses the command line and calls one.
// Each returns the process's exit code and throws for what it cannot do (main logs it).
namespace hookd::cli {

// What every command that reads the configuration takes.
struct CommonFlags {
  std::string config_file;
  std::string database;
};

struct ServeFlags {
  std::string listen;  // HOST:PORT; empty keeps the configured one
  std::string role;    // all | api | worker; empty keeps the configured one
};

// `hookd serve`: the API, the delivery workers, or both, until SIGINT or SIGTERM.
int serve(const CommonFlags& flags, const ServeFlags& serve_flags);

// `hookd migrate`.
int migrate(const CommonFlags& flags);

// `hookd token create`: prints the token, shown once.
int create_token(const CommonFlags& flags, const std::string& role, int64_t organization);

// `hookd secrets reencrypt`: every sealed secret moved to the first key.
int reencrypt_secrets(const CommonFlags& flags);

struct VerifyFlags {
  std::string secret, id, timestamp, signature;
  int64_t tolerance_seconds = 300;  // 0: the timestamp is not checked
  std::optional<int64_t> now_unix;  // the time the timestamp is judged at; unset: the clock
};

// `hookd verify`: the body on standard input; exit 0 when the signature is valid.
int verify(const VerifyFlags& flags);

struct DoctorFlags {
  std::string url;      // checked through the guard and a TLS handshake when set
  std::string resolve;  // a name that must resolve; empty: the resolver must answer for localhost
};

// `hookd doctor`: exit 0 when every check passes, 1 otherwise; changes nothing.
int doctor(const CommonFlags& flags, const DoctorFlags& doctor_flags);

struct DemoFlags {
  bool keep = false;  // keep hookd and the receiver running until SIGINT or SIGTERM
};

// `hookd demo`: a throwaway hookd and an HTTPS receiver of its own; an organization, devices, a
// webhook and an event through the public API, and the delivery as the receiver got it.
int demo(const DemoFlags& flags);

}  // namespace hookd::cli
