// The entry point: parses the command line and runs one sub-command of src/cli/.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <iostream>
#include <string>

#include "cli/commands.hpp"
#include "cli/help_text.hpp"
#include "cli/stop_signals.hpp"
#include "common/log.hpp"

using namespace hookd;

int main(int argc, char** argv) {
  // Before any thread exists, so that every thread inherits the mask (cli/stop_signals.hpp).
  cli::block_stop_signals();
  CLI::App app{"hookd: webhooks for device fleets"};
  app.require_subcommand(1);
  cli::CommonFlags flags;
  auto add_common = [&flags](CLI::App* cmd) {
    cmd->add_option("--config", flags.config_file, "TOML configuration file");
    cmd->add_option("--database", flags.database, "sqlite://PATH or postgresql://...");
  };

  cli::ServeFlags serve_flags;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the API and deliver webhooks");
  add_common(serve_cmd);
  serve_cmd->add_option("--listen", serve_flags.listen, "HOST:PORT (port 0 picks a free port)");
  serve_cmd->add_option("--role", serve_flags.role, "all, api or worker");

  CLI::App* migrate_cmd = app.add_subcommand("migrate", "Apply database migrations");
  add_common(migrate_cmd);

  CLI::App* token_cmd = app.add_subcommand("token", "Manage API tokens");
  token_cmd->require_subcommand(1);
  CLI::App* token_create = token_cmd->add_subcommand("create", "Create a token and print it");
  add_common(token_create);
  std::string token_role;
  int64_t token_org = 0;
  token_create->add_option("--role", token_role, "admin, read or platform")->required();
  token_create->add_option("--organization", token_org, "organization id (admin and read)");

  CLI::App* secrets_cmd = app.add_subcommand("secrets", "Manage the keys secrets are sealed with");
  secrets_cmd->require_subcommand(1);
  CLI::App* reencrypt_cmd = secrets_cmd->add_subcommand(
      "reencrypt", "Seal every stored secret with the first of secrets.key_files");
  add_common(reencrypt_cmd);

  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "Verify a delivery's signature; the body is read from standard input");
  cli::VerifyFlags v;
  verify_cmd->add_option("--secret", v.secret, "the webhook's secretHmac")->required();
  verify_cmd->add_option("--id", v.id, "the webhook-id header")->required();
  verify_cmd->add_option("--timestamp", v.timestamp, "the webhook-timestamp header")->required();
  verify_cmd->add_option("--signature", v.signature, "the webhook-signature header")->required();
  verify_cmd->add_option("--tolerance", v.tolerance_seconds,
                         "seconds the timestamp may differ from now (0: do not check)");
  int64_t verify_now = 0;
  CLI::Option* verify_now_opt = verify_cmd->add_option(
      "--now", verify_now, "judge the timestamp at this unix time instead of the clock's");

  CLI::App* doctor_cmd = app.add_subcommand(
      "doctor", "Check a configuration end to end; say what is wrong and how to mend it");
  add_common(doctor_cmd);
  cli::DoctorFlags doctor_flags;
  doctor_cmd->add_option("--url", doctor_flags.url,
                         "also check that this receiver passes the guard and the TLS handshake");
  doctor_cmd->add_option("--resolve", doctor_flags.resolve,
                         "a name that must resolve (default: the resolver answers for localhost)");

  CLI::App* demo_cmd = app.add_subcommand(
      "demo", "Watch a delivery arrive: a throwaway hookd and an HTTPS receiver of its own");
  cli::DemoFlags demo_flags;
  demo_cmd->add_flag("--keep", demo_flags.keep, "keep both running, to try curl against them");

  CLI::App* version_cmd = app.add_subcommand("version", "Print the version");

  // Set last, so that the subcommands' own help does not repeat it.
  app.footer(cli::help_footer());
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*serve_cmd) return cli::serve(flags, serve_flags);
    if (*migrate_cmd) return cli::migrate(flags);
    if (*token_create) return cli::create_token(flags, token_role, token_org);
    if (*reencrypt_cmd) return cli::reencrypt_secrets(flags);
    if (*verify_cmd) {
      if (verify_now_opt->count() > 0) v.now_unix = verify_now;
      return cli::verify(v);
    }
    if (*doctor_cmd) return cli::doctor(flags, doctor_flags);
    if (*demo_cmd) return cli::demo(demo_flags);
    if (*version_cmd) {
      std::cout << "hookd " << HOOKD_VERSION << '\n';
      return 0;
    }
  } catch (const std::exception& e) {
    log::error("fatal", {{"error", e.what()}});
    return 1;
  }
  return 2;
}
