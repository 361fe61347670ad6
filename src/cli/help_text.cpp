#include "cli/help_text.hpp"

namespace hookd::cli {

std::string help_footer() {
  return R"(DESCRIPTION
  hookd takes events from a device fleet's platform and delivers them to the webhooks
  organizations register: signed (Standard Webhooks), retried on a schedule, each webhook
  apart from the others, to public addresses only. One binary serves the API and delivers;
  `hookd <command> --help` shows a command's options.

CONFIGURATION
  Read in layers, later ones winning: the defaults, the TOML file of --config, HOOKD_*
  environment variables, then command-line flags. A key in a [section] has the variable
  HOOKD_<SECTION>_<KEY>; lists in variables are comma-separated. Durations: "500ms", "5s",
  "5m", "2h", "5d". An unknown key is an error.

  listen                  HOOKD_LISTEN            127.0.0.1:8080 (HOST:PORT, [IPv6]:PORT)
  database                HOOKD_DATABASE          sqlite://hookd.db, or postgresql://...
  tls_cert                HOOKD_TLS_CERT          none (PEM certificate chain: serve HTTPS)
  tls_key                 HOOKD_TLS_KEY           none (its PEM key; both or neither)
  role                    HOOKD_ROLE              all (api or worker: split processes)
  threads                 HOOKD_THREADS           0 (one HTTP thread per core)
  log_level               HOOKD_LOG_LEVEL         info (debug, info, warn, error)
  max_connections         HOOKD_MAX_CONNECTIONS   10000 (clamped to the descriptor limit)
  max_body_buffer_bytes   HOOKD_MAX_BODY_BUFFER_BYTES  268435456 (request bodies, in all)
  keep_alive_timeout      HOOKD_KEEP_ALIVE_TIMEOUT     60s
  header_timeout          HOOKD_HEADER_TIMEOUT    10s
  trusted_proxies         HOOKD_TRUSTED_PROXIES   none (CIDRs whose X-Forwarded-For counts)
  [delivery]
  retry_schedule          HOOKD_DELIVERY_RETRY_SCHEDULE  5s, 5m, 30m, 2h, 5h, 10h, 10h
  timeout                 HOOKD_DELIVERY_TIMEOUT         15s (one attempt)
  connect_timeout         HOOKD_DELIVERY_CONNECT_TIMEOUT 5s
  dns_timeout             HOOKD_DELIVERY_DNS_TIMEOUT     2s
  dns_servers             HOOKD_DELIVERY_DNS_SERVERS     none: /etc/resolv.conf
  disable_after           HOOKD_DELIVERY_DISABLE_AFTER   5d of failures disable a webhook
  secret_header           HOOKD_DELIVERY_SECRET_HEADER   x-webhook-secret
  secret_rotation_grace   HOOKD_DELIVERY_SECRET_ROTATION_GRACE  24h
  allow_targets           HOOKD_DELIVERY_ALLOW_TARGETS   none (private CIDRs let through)
  ca_file                 HOOKD_DELIVERY_CA_FILE         none (PEM roots beside the system's)
  retention               HOOKD_DELIVERY_RETENTION       30d
  lease                   HOOKD_DELIVERY_LEASE           30s
  max_in_flight           HOOKD_DELIVERY_MAX_IN_FLIGHT   512
  max_in_flight_per_webhook  HOOKD_DELIVERY_MAX_IN_FLIGHT_PER_WEBHOOK  64
  [limits]
  webhooks_per_organization  HOOKD_LIMITS_WEBHOOKS_PER_ORGANIZATION    1000
  [sqlite]
  synchronous             HOOKD_SQLITE_SYNCHRONOUS       full (or normal)
  [auth]
  failures_per_minute     HOOKD_AUTH_FAILURES_PER_MINUTE 50 (0: off)
  [secrets]
  key_files               HOOKD_SECRETS_KEY_FILES  none: on SQLite, <database>.key
  [portal]
  base_url                HOOKD_PORTAL_BASE_URL    none: the listen address (session URLs)
  frame_ancestors         HOOKD_PORTAL_FRAME_ANCESTORS  'none' (who may frame /portal/)

ENVIRONMENT
  HOOKD_*         the configuration keys above.
  NOTIFY_SOCKET   set by systemd: hookd serve reports READY=1 and STOPPING=1 (sd_notify).
  SSL_CERT_FILE   the bundle of trusted roots for deliveries, in place of the system's.
  TMPDIR          where hookd demo makes its throwaway directory (default /tmp).

FILES
  /etc/hookd/hookd.toml            the packaged configuration (hookd.service reads it)
  /var/lib/hookd/hookd.db          the packaged SQLite database (StateDirectory=hookd)
  /var/lib/hookd/hookd.db.key      the key sealing webhook secrets, made at first start
  /lib/systemd/system/hookd.service  the systemd unit

EXIT STATUS
  0   success; for verify, a valid signature; for doctor, every check passed; for demo,
      a delivery arrived and its signature verified
  1   failure: the reason is logged (serve, migrate, token, secrets) or printed (verify,
      doctor, demo)
  100 and above  the command line did not parse (the reason is printed)

EXAMPLES
  hookd doctor --config /etc/hookd/hookd.toml
  hookd migrate --database sqlite:///var/lib/hookd/hookd.db
  hookd token create --role platform --config /etc/hookd/hookd.toml
  hookd serve --listen 127.0.0.1:8080 --database sqlite://hookd.db
  hookd demo)";
}

}  // namespace hookd::cli
