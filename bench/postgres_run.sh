#!/usr/bin/env bash
# hookd on PostgreSQL beside hookd on SQLite, in one run of bench/delivery_run.sh per setup
# (its nginx, its load generators, its checks; each setup gets a fresh database):
#
#   sqlite       raw wrk → nginx, then signed deliveries/s with one `hookd serve` on SQLite
#   pg-all       deliveries/s with one `hookd serve` (role all) on PostgreSQL
#   pg-1-worker  deliveries/s with `--role api` + 1 `--role worker` on PostgreSQL
#   pg-2-workers deliveries/s with `--role api` + 2 `--role worker` on PostgreSQL
#   pg-latency   ingest → receipt p50/p99 at a fixed rate, `--role api` + 1 worker on PostgreSQL
#   pg-latency-all  the same with one `hookd serve` (role all) on PostgreSQL
#   common-sqlite, common-pg-all, common-pg-1-worker
#                the common case (each event matches one of 100 device-scoped webhooks;
#                COMMON_EVENTS events, default 30000, in batches of 500 from 8 producers), each
#                beside its own raw wrk run, on SQLite, one process on PostgreSQL, and api + one
#                worker on PostgreSQL
#
#   make bench-postgres        # builds, installs wrk + nginx-light, runs this
#   bench/postgres_run.sh      # after `make build` and `scripts/bootstrap.sh --bench`
#
# Knobs (environment), passed on to every run: EVENTS (default 2000), WEBHOOKS (10), BATCH
# (1000), RATE (1000), LAT_DURATION (20), and any other knob of bench/delivery_run.sh.
# SETUPS (comma-separated) picks the setups; the default is all but pg-all.
#
# Each setup writes bench/results/postgres-<setup>-latest.md; this script then writes their
# figures side by side to bench/results/postgres-latest.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

export EVENTS=${EVENTS:-2000}
export WEBHOOKS=${WEBHOOKS:-10}
export BATCH=${BATCH:-1000}
SETUPS=${SETUPS:-sqlite,pg-1-worker,pg-2-workers,pg-latency,pg-latency-all}
results_dir=bench/results
summary=$results_dir/postgres-latest.md

die() { echo "bench-postgres: $*" >&2; exit 1; }

run_setup() {  # setup -> runs bench/delivery_run.sh with its knobs
  local setup=$1
  local -a knobs
  local -a common=(SCOPE=device WEBHOOKS=100 EVENTS="${COMMON_EVENTS:-30000}" BATCH=500 PRODUCERS=8)
  case $setup in
    sqlite) knobs=(PARTS=raw,throughput DATABASE=sqlite WORKERS=0) ;;
    pg-all) knobs=(PARTS=throughput DATABASE=postgres WORKERS=0) ;;
    pg-1-worker) knobs=(PARTS=throughput DATABASE=postgres WORKERS=1) ;;
    pg-2-workers) knobs=(PARTS=throughput DATABASE=postgres WORKERS=2) ;;
    pg-latency) knobs=(PARTS=latency DATABASE=postgres WORKERS=1) ;;
    pg-latency-all) knobs=(PARTS=latency DATABASE=postgres WORKERS=0) ;;
    # The common case: every event matches one of 100 device-scoped webhooks, 8 producers.
    common-sqlite) knobs=(PARTS=raw,throughput DATABASE=sqlite WORKERS=0 "${common[@]}") ;;
    common-pg-all) knobs=(PARTS=raw,throughput DATABASE=postgres WORKERS=0 "${common[@]}") ;;
    common-pg-1-worker) knobs=(PARTS=raw,throughput DATABASE=postgres WORKERS=1 "${common[@]}") ;;
    *) die "unknown setup $setup" ;;
  esac
  echo "bench-postgres: $setup: ${knobs[*]} bench/delivery_run.sh" >&2
  env "${knobs[@]}" RESULTS_NAME="postgres-$setup" bench/delivery_run.sh
}

started_at=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
IFS=, read -r -a setups <<<"$SETUPS"
for setup in "${setups[@]}"; do run_setup "$setup"; done

{
  echo "# hookd on PostgreSQL and on SQLite — $started_at"
  echo
  echo "Setups run one after another by \`bench/postgres_run.sh\` (EVENTS=$EVENTS, WEBHOOKS=$WEBHOOKS, BATCH=$BATCH)."
  for setup in "${setups[@]}"; do
    file=$results_dir/postgres-$setup-latest.md
    echo
    echo "## $setup"
    echo
    # The machine, database and process lines, then the table of figures.
    sed -n '/^- /p' "$file" | sed -n '1,/^- database reads/p'
    echo
    sed -n '/^| measure/,/^$/p' "$file"
    sed -n '/^- offered\|^- ingest →\|^- reconciliation\|^- last delivery\|^- CPU over/p' "$file"
  done
} >"$summary"
echo
cat "$summary"
echo "written to $summary"
