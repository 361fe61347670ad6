// The composition root: parses the command line and wires configuration, store, API and
// server together. Nothing else in the code base constructs these pieces.
#include <signal.h>
#include <sys/resource.h>

#include <CLI/CLI.hpp>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <random>

#include "api/errors.hpp"
#include "api/router.hpp"
#include "cli/listen_address.hpp"
#include "cli/secret_keys.hpp"
#include "common/log.hpp"
#include "config/config.hpp"
#include "delivery/dispatcher.hpp"
#include "delivery/http_sender.hpp"
#include "delivery/resolver.hpp"
#include "delivery/retention.hpp"
#include "http/server.hpp"
#include "ingest/ingestor.hpp"
#include "observability/metrics.hpp"
#include "security/destination_guard.hpp"
#include "security/ip_address.hpp"
#include "security/secrets.hpp"
#include "security/signature.hpp"
#include "store/secret_sweep.hpp"
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

store::StoreOptions store_options(const config::Config& c) {
  store::StoreOptions options;
  options.webhooks_per_organization = c.limits.webhooks_per_organization;
  options.sqlite_sync_commits = c.sqlite.synchronous == "full";
  return options;
}

// Every command that opens the database opens it with the key ring, and seals what was
// stored before sealing.
std::unique_ptr<store::Store> open_migrated_store(
    const config::Config& c, const std::shared_ptr<const security::KeyRing>& ring) {
  auto store = store::open_store(c.database, store_options(c));
  store->use_key_ring(ring);
  store->migrate();
  cli::check_sealed_secrets(*store, *ring);
  return store;
}

std::unique_ptr<store::Store> open_migrated_store(const config::Config& c) {
  return open_migrated_store(c, cli::load_key_ring(c));
}

// The connection cap the descriptor limit allows. The soft limit is raised to the hard one
// first; descriptors are kept for the database, outgoing deliveries and logs.
size_t effective_max_connections(const config::Config& c, bool runs_worker) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return c.max_connections;
  if (limit.rlim_cur < limit.rlim_max) {
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
  }
  constexpr size_t kReserve = 64;  // log, database files and pool, epoll, timers, signals
  const size_t reserve = kReserve + (runs_worker ? c.delivery.max_in_flight : 0);
  const size_t effective = http::clamp_max_connections(
      c.max_connections, static_cast<uint64_t>(limit.rlim_cur), reserve);
  log::info("connection cap", {{"max_connections", effective},
                               {"configured", c.max_connections},
                               {"descriptor_limit", static_cast<uint64_t>(limit.rlim_cur)},
                               {"reserve", reserve}});
  return effective;
}

// Blocks until SIGINT or SIGTERM (for a process that serves no HTTP).
void wait_for_stop_signal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  int sig = 0;
  sigwait(&set, &sig);
  log::info("shutting down", {{"signal", sig}});
}

int serve(const CommonFlags& flags, const std::string& listen, const std::string& role) {
  config::Config c = load_config(flags);
  if (!listen.empty()) c.listen = listen;
  if (!role.empty()) c.role = role;
  config::validate(c);
  log::set_min_level(parse_level(c.log_level));
  const bool runs_api = c.role != "worker";
  const bool runs_worker = c.role != "api";

  const cli::ListenAddress address = cli::parse_listen_address(c.listen);
  const security::DestinationGuard guard = build_guard(c.delivery);
  auto store = open_migrated_store(c);
  const SystemClock clock;
  observability::Metrics metrics;

  // Delivery: a sender thread on libcurl and a dispatcher thread that feeds it.
  std::unique_ptr<delivery::HttpSender> sender;
  std::unique_ptr<delivery::AresResolver> resolver;  // outlives the dispatcher that asks it
  std::unique_ptr<delivery::Dispatcher> dispatcher;
  std::unique_ptr<delivery::RetentionPurger> purger;
  std::unique_ptr<store::WorkWatch> new_work;
  if (runs_worker) {
    if (c.database.starts_with("sqlite://")) store->release_all_leases();  // one process only
    const std::string user_agent = std::string("hookd/") + HOOKD_VERSION;
    sender = std::make_unique<delivery::HttpSender>(
        delivery::SenderOptions{c.delivery.timeout, c.delivery.connect_timeout, c.delivery.ca_file,
                                user_agent, c.delivery.max_in_flight},
        guard, clock);
    delivery::ResolverOptions resolver_options;
    resolver_options.timeout = c.delivery.dns_timeout;
    for (const std::string& server : c.delivery.dns_servers) {
      if (!delivery::parse_name_server(server)) {
        throw config::ConfigError("delivery.dns_servers: \"" + server + "\" is no ip[:port]");
      }
      resolver_options.servers.push_back(server);
    }
    resolver = std::make_unique<delivery::AresResolver>(resolver_options, clock);
    delivery::DispatcherOptions options;
    options.retry_schedule = c.delivery.retry_schedule;
    options.disable_after = c.delivery.disable_after;
    options.lease = c.delivery.lease;
    options.max_in_flight = c.delivery.max_in_flight;
    options.max_in_flight_per_webhook = c.delivery.max_in_flight_per_webhook;
    options.secret_header = c.delivery.secret_header;
    auto jitter = [rng = std::mt19937_64(std::random_device{}()),
                   dist = std::uniform_real_distribution<double>(-1.0, 1.0)]() mutable {
      return dist(rng);
    };
    dispatcher = std::make_unique<delivery::Dispatcher>(*store, *sender, *resolver, guard, options,
                                                        clock, jitter, &metrics);
    dispatcher->start();
    // Work made due by other processes on a shared database wakes this one at once.
    new_work = store->watch_new_work([d = dispatcher.get()] { d->wake(); });
    purger = std::make_unique<delivery::RetentionPurger>(*store, clock, c.delivery.retention);
  }

  if (!runs_api) {
    // Signals must reach sigwait, not a default handler: block them before waiting.
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &set, nullptr);
    log::info("working",
              {{"role", c.role}, {"lease_owner", dispatcher->owner()}, {"version", HOOKD_VERSION}});
    wait_for_stop_signal();
  } else {
    const auto loading = std::chrono::steady_clock::now();
    store->prepare_ingestion();
    log::info("matching loaded", {{"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - loading)
                                             .count()}});
    ingest::Ingestor ingestor(*store, clock, [&dispatcher] {
      if (dispatcher) dispatcher->wake();
    });
    http::ServerOptions options;
    options.address = address.host;
    options.port = address.port;
    options.threads = c.threads;
    options.tls_cert = c.tls_cert;
    options.tls_key = c.tls_key;
    options.max_connections = effective_max_connections(c, runs_worker);
    options.max_body_buffer_bytes = c.max_body_buffer_bytes;
    options.keep_alive_timeout = c.keep_alive_timeout;
    options.header_timeout = c.header_timeout;
    constexpr size_t kMaxBodyBytes = 64 * 1024;
    api::Router router(api::ApiContext{*store, clock, guard, kMaxBodyBytes, &ingestor,
                                       [&dispatcher] {
                                         if (dispatcher) dispatcher->wake();
                                       },
                                       c.delivery.secret_rotation_grace, &metrics,
                                       c.auth.failures_per_minute, c.trusted_proxies});
    http::Server server(
        options, [&router](const http::RequestHead& head) { return router.admit(head); },
        api::server_error_response);
    metrics.set_http_connections_source([&server] {
      return observability::Metrics::HttpConnections{server.connections(),
                                                     server.connections_refused()};
    });
    log::info("listening", {{"address", address.host},
                            {"port", unsigned{server.port()}},
                            {"tls", server.tls()},
                            {"role", c.role},
                            {"version", HOOKD_VERSION}});
    server.run();
    router.stop();  // queued handlers answer while the server's contexts still exist
    ingestor.stop();
  }
  // In-flight attempts finish (each bounded by the delivery timeout) and are recorded.
  new_work.reset();
  if (purger) purger->stop();
  if (dispatcher) dispatcher->stop();
  if (sender) sender->stop();
  log::info("stopped");
  return 0;
}

int migrate(const CommonFlags& flags) {
  const config::Config c = load_config(flags);
  open_migrated_store(c);
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
  auto store = open_migrated_store(c);
  const std::string token = security::generate_token();
  store->create_token(*role, org, security::hash_token(token));
  std::cout << token << '\n';
  return 0;
}

int reencrypt_secrets(const CommonFlags& flags) {
  const config::Config c = load_config(flags);
  const auto ring = cli::load_key_ring(c);
  auto store = open_migrated_store(c, ring);
  // A secret a rotation replaced meanwhile was sealed by that process's first key: go again,
  // a bounded number of times, until nothing was superseded.
  store::SweepResult total;
  for (int pass = 0; pass < 5; ++pass) {
    const store::SweepResult r = store::sweep_secrets(*store, *ring, store::SweepMode::kReencrypt);
    total.reencrypted += r.reencrypted;
    total.sealed += r.sealed;
    total.superseded = r.superseded;
    if (r.superseded == 0) break;
  }
  log::info("secrets re-encrypted", {{"key_id", ring->sealing_key_id()},
                                     {"reencrypted", total.reencrypted},
                                     {"sealed", total.sealed},
                                     {"superseded", total.superseded}});
  std::cout << "re-encrypted " << total.reencrypted << " secrets with the key "
            << ring->sealing_key_id() << '\n';
  return total.superseded == 0 ? 0 : 1;
}

}  // namespace

int verify(const std::string& secret, const std::string& id, const std::string& timestamp,
           const std::string& signature, int64_t tolerance_seconds) {
  const std::string body{std::istreambuf_iterator<char>(std::cin), {}};
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(SystemClock().now().time_since_epoch())
          .count();
  int64_t reference = now;
  // A tolerance of 0 checks the signature alone, e.g. for a body taken from a log.
  if (tolerance_seconds == 0) {
    reference = 0;
    std::from_chars(timestamp.data(), timestamp.data() + timestamp.size(), reference);
  }
  const auto result = security::verify(secret, id, timestamp, signature, body, reference,
                                       std::chrono::seconds(tolerance_seconds));
  std::cout << security::verify_result_text(result) << '\n';
  return result == security::VerifyResult::kValid ? 0 : 1;
}

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

  CLI::App* secrets_cmd = app.add_subcommand("secrets", "Manage the keys secrets are sealed with");
  secrets_cmd->require_subcommand(1);
  CLI::App* reencrypt_cmd = secrets_cmd->add_subcommand(
      "reencrypt", "Seal every stored secret with the first of secrets.key_files");
  add_common(reencrypt_cmd);

  CLI::App* verify_cmd = app.add_subcommand(
      "verify", "Verify a delivery's signature; the body is read from standard input");
  std::string v_secret, v_id, v_timestamp, v_signature;
  int64_t v_tolerance = 300;
  verify_cmd->add_option("--secret", v_secret, "the webhook's secretHmac")->required();
  verify_cmd->add_option("--id", v_id, "the webhook-id header")->required();
  verify_cmd->add_option("--timestamp", v_timestamp, "the webhook-timestamp header")->required();
  verify_cmd->add_option("--signature", v_signature, "the webhook-signature header")->required();
  verify_cmd->add_option("--tolerance", v_tolerance,
                         "seconds the timestamp may differ from now (0: do not check)");

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
    if (*reencrypt_cmd) return reencrypt_secrets(flags);
    if (*verify_cmd) return verify(v_secret, v_id, v_timestamp, v_signature, v_tolerance);
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
