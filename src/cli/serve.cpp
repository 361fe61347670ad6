// `hookd serve`: wires configuration, store, delivery engine, API and server together. The
// only place that constructs these pieces.
#include <sys/resource.h>

#include <chrono>
#include <random>
#include <stdexcept>

#include "api/errors.hpp"
#include "api/router.hpp"
#include "cli/commands.hpp"
#include "cli/database_setup.hpp"
#include "cli/delivery_setup.hpp"
#include "cli/listen_address.hpp"
#include "cli/service_notify.hpp"
#include "cli/stop_signals.hpp"
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
#include "store/store.hpp"

namespace hookd::cli {
namespace {

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

}  // namespace

int serve(const CommonFlags& flags, const ServeFlags& serve_flags) {
  config::Config c = load_config(flags);
  if (!serve_flags.listen.empty()) c.listen = serve_flags.listen;
  if (!serve_flags.role.empty()) {
    auto role = config::parse_role(serve_flags.role);
    if (!role) throw std::invalid_argument("--role must be all, api or worker");
    c.role = *role;
  }
  config::validate(c);
  log::set_min_level(c.log_level);
  const bool runs_api = c.role != config::Role::kWorker;
  const bool runs_worker = c.role != config::Role::kApi;

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
    resolver = std::make_unique<delivery::AresResolver>(resolver_options(c.delivery), clock);
    const delivery::DispatcherOptions options = dispatcher_options(c.delivery);
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
    log::info("working", {{"role", config::role_name(c.role)},
                          {"lease_owner", dispatcher->owner()},
                          {"version", HOOKD_VERSION}});
    notify_ready("delivering (role worker)");
    const int signal = wait_for_stop_signal();
    notify_stopping();
    log::info("shutting down", {{"signal", signal}});
  } else {
    const auto loading = std::chrono::steady_clock::now();
    store->prepare_ingestion();
    log::info("matching loaded", {{"ms", std::chrono::duration_cast<std::chrono::milliseconds>(
                                             std::chrono::steady_clock::now() - loading)
                                             .count()}});
    // This process's dispatcher is handed the deliveries it has room for as they are stored,
    // and woken for the rest; a process without one leaves them to the workers (NOTIFY).
    ingest::Ingestor ingestor(*store, clock, nullptr, dispatcher.get());
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
    api::ApiContext api_context{*store,
                                clock,
                                guard,
                                kMaxBodyBytes,
                                &ingestor,
                                [&dispatcher] {
                                  if (dispatcher) dispatcher->wake();
                                },
                                c.delivery.secret_rotation_grace,
                                &metrics,
                                c.auth.failures_per_minute,
                                c.trusted_proxies};
    api_context.portal_frame_ancestors = c.portal.frame_ancestors;
    api::Router router(std::move(api_context));
    http::Server server(
        options, [&router](const http::RequestHead& head) { return router.admit(head); },
        api::server_error_response);
    std::string portal_url = c.portal.base_url;
    while (portal_url.ends_with('/')) portal_url.pop_back();
    router.set_portal_base_url(
        portal_url.empty() ? cli::own_base_url(address, server.port(), server.tls()) : portal_url);
    metrics.set_http_connections_source([&server] {
      return observability::Metrics::HttpConnections{server.connections(),
                                                     server.connections_refused()};
    });
    log::info("listening", {{"address", address.host},
                            {"port", unsigned{server.port()}},
                            {"tls", server.tls()},
                            {"role", config::role_name(c.role)},
                            {"version", HOOKD_VERSION}});
    notify_ready("listening on " + address.host + ":" + std::to_string(server.port()) + " (role " +
                 std::string(config::role_name(c.role)) + ")");
    {
      StopSignalWatcher on_signal([&server] {
        notify_stopping();
        server.stop();
      });
      server.run();
    }
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

}  // namespace hookd::cli
