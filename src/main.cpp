// The composition root: parses the command line and wires configuration, store, API and
// server together. Nothing else in the code base constructs these pieces.
#include <CLI/CLI.hpp>
#include <cstdlib>
#include <iostream>

#include "api/router.hpp"
#include "cli/listen_address.hpp"
#include "common/log.hpp"
#include "config/config.hpp"
#include "http/server.hpp"
#include "security/destination_guard.hpp"
#include "security/ip_address.hpp"
#include "security/secrets.hpp"
#include "store/store.hpp"

namespace {

using namespace hookd;

struct CommonFlags {
  std::string config_file;
  std::string database;
};

config::Config load_config(const CommonFlags& flags) {
  config::Config c;
  if (!flags.config_file.empty()) config::apply_toml_file(c, flags.config_file);
  config::apply_environment(c, [](const char* name) { return std::getenv(name); });
  if (!flags.database.empty()) c.database = flags.database;
  return c;
}

log::Level parse_level(const std::string& s) {
  if (s == "debug") return log::Level::kDebug;
  if (s == "warn") return log::Level::kWarn;
  if (s == "error") return log::Level::kError;
  return log::Level::kInfo;
}

security::DestinationGuard build_guard(const config::DeliveryConfig& delivery) {
  std::vector<security::Cidr> allow;
  for (const std::string& text : delivery.allow_targets) {
    auto cidr = security::Cidr::parse(text);
    if (!cidr) throw config::ConfigError("delivery.allow_targets: \"" + text + "\" is no CIDR");
    allow.push_back(*cidr);
  }
  return security::DestinationGuard(std::move(allow));
}

std::unique_ptr<store::Store> open_migrated_store(const std::string& url) {
  auto store = store::open_store(url);
  store->migrate();
  return store;
}

int serve(const CommonFlags& flags, const std::string& listen, const std::string& role) {
  config::Config c = load_config(flags);
  if (!listen.empty()) c.listen = listen;
  if (!role.empty()) c.role = role;
  config::validate(c);
  log::set_min_level(parse_level(c.log_level));

  const cli::ListenAddress address = cli::parse_listen_address(c.listen);
  const security::DestinationGuard guard = build_guard(c.delivery);
  auto store = open_migrated_store(c.database);
  const SystemClock clock;

  http::ServerOptions options;
  options.address = address.host;
  options.port = address.port;
  options.threads = c.threads;
  options.tls_cert = c.tls_cert;
  options.tls_key = c.tls_key;
  api::Router router(api::ApiContext{*store, clock, guard, options.max_body_bytes});
  http::Server server(options, [&router](http::Request request, http::Responder respond) {
    router.handle(std::move(request), std::move(respond));
  });
  log::info("listening", {{"address", address.host},
                          {"port", unsigned{server.port()}},
                          {"tls", server.tls()},
                          {"version", HOOKD_VERSION}});
  server.run();
  log::info("stopped");
  return 0;
}

int migrate(const CommonFlags& flags) {
  const config::Config c = load_config(flags);
  open_migrated_store(c.database);
  log::info("migrations applied");
  return 0;
}

int create_token(const CommonFlags& flags, const std::string& role_name, int64_t organization) {
  const config::Config c = load_config(flags);
  const auto role = domain::parse_role(role_name);
  if (!role) throw std::invalid_argument("--role must be admin, read or platform");
  std::optional<domain::OrganizationId> org;
  if (organization > 0) org = organization;
  if (*role != domain::Role::kPlatform && !org) {
    throw std::invalid_argument("--organization is required for admin and read tokens");
  }
  auto store = open_migrated_store(c.database);
  const std::string token = security::generate_token();
  store->create_token(*role, org, security::hash_token(token));
  std::cout << token << '\n';
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"hookd: webhooks for device fleets"};
  app.require_subcommand(1);
  CommonFlags flags;
  auto add_common = [&flags](CLI::App* cmd) {
    cmd->add_option("--config", flags.config_file, "TOML configuration file");
    cmd->add_option("--database", flags.database, "sqlite://PATH or postgresql://...");
  };

  std::string listen, role;
  CLI::App* serve_cmd = app.add_subcommand("serve", "Serve the API and deliver webhooks");
  add_common(serve_cmd);
  serve_cmd->add_option("--listen", listen, "HOST:PORT (port 0 picks a free port)");
  serve_cmd->add_option("--role", role, "all, api or worker");

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

  CLI::App* version_cmd = app.add_subcommand("version", "Print the version");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  }

  try {
    if (*serve_cmd) return serve(flags, listen, role);
    if (*migrate_cmd) return migrate(flags);
    if (*token_create) return create_token(flags, token_role, token_org);
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
