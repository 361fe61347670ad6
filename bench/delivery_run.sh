#!/usr/bin/env bash
# Delivery benchmarks of hookd, each beside a baseline from the same run:
#
#   raw         wrk POSTing a delivery-sized body (with hookd's headers) to a local HTTPS nginx
#   throughput  signed deliveries/s from hookd into the same nginx, and the ratio to `raw`
#   latency     ingest -> receipt p50/p90/p99/max at a fixed offered rate (bench/loadgen.mjs,
#               measured from each event's scheduled send time), into a recording Node.js
#               receiver (bench/latency_receiver.mjs), with published = received + missing
#   ingest      events/s into POST /v2/platform/events, batches of BATCH, for devices no webhook
#               matches and for devices one webhook matches (hookd --role api: no delivery);
#               with SCOPE=device the latter are WEBHOOKS devices with a webhook each
#
#   make bench-delivery            # builds, installs wrk + nginx-light, runs this and the matching benchmark
#   bench/delivery_run.sh          # after `make build` and `scripts/bootstrap.sh --bench`
#
# Knobs (environment):
#   PARTS              which runs, comma-separated           (default raw,throughput,latency,ingest)
#   CONNECTIONS        wrk connections of the raw run         (default 64)
#   WRK_THREADS        wrk threads                            (default 2)
#   RAW_DURATION       measured raw run                        (default 10s)
#   WARMUP             unmeasured wrk run before each          (default 2s; 0 skips it)
#   WARMUP_BATCHES     batches hookd delivers in full before the throughput run: the first
#                      through libcurl, the second on the HTTP/1.1 transport's connections
#                      (default 2; 1 leaves the run to open those connections)
#   WEBHOOKS           webhooks on nginx                       (default 10)
#   SCOPE              organization: every webhook covers the organization, each event fans out
#                      to all WEBHOOKS; device: webhook N covers device N alone and events go
#                      round the WEBHOOKS devices, each matching exactly one webhook (the common
#                      case of a device platform); the ingest part's matched case alike
#                                                          (default organization)
#   EVENTS             events of the throughput run            (default 20000; x WEBHOOKS
#                      deliveries with SCOPE=organization, x 1 with SCOPE=device)
#   PRODUCERS          throughput run: concurrent ingest clients, each posting its share of
#                      the batches one after another            (default 1)
#   PRODUCER_REUSE     1: each producer is one curl process that posts its requests one after
#                      another on one kept-alive connection; 0: one curl process per request,
#                      as before (process start-up then takes a fifth of the machine while
#                      events are ingested: see BENCHMARKS.md)  (default 0)
#   BATCH              events per ingest request               (default 1000)
#   DELIVERY_TIMEOUT   seconds the throughput run may take     (default 600)
#   RATE               latency run: events/s offered           (default 1000)
#   LAT_DURATION       latency run: seconds measured           (default 20)
#   LAT_WARMUP         latency run: seconds before, not counted (default 2)
#   SOCKETS            latency run: load generator connections (default 32)
#   INGEST_DURATION    measured ingest run per case            (default 10s)
#   INGEST_CONNECTIONS concurrent producers of the ingest run  (default 4)
#   NGINX_WORKERS      nginx worker_processes                  (default auto: one per core)
#   NGINX_KEEPALIVE_REQUESTS  requests nginx answers on one connection before closing it; 1: a
#                      receiver that closes after each answer, so every request pays a TLS
#                      handshake (resumed when the client offers a session) (default 1000000)
#   NGINX_HTTP2        1: nginx also offers h2, which hookd's libcurl takes (wrk speaks HTTP/1.1
#                      only); with Debian 12's libcurl 7.88 about 2 in 3 of hookd's attempts then
#                      fail (see BENCHMARKS.md), so the throughput run stops  (default 0)
#   PERF               1: `perf record $PERF_OPTS` (default -g) hookd during the throughput run,
#                      reports in bench/results/delivery-perf*.txt, the recording beside them
#                      (delivery-perf.data, for `perf report -i`)
#   DATABASE           sqlite, or postgres: the script runs its own PostgreSQL server
#                      (Debian's, initdb in the temp dir, fsync on) and a fresh database per
#                      hookd                                   (default sqlite)
#   PG_STATEMENTS      1: the server loads pg_stat_statements, and the statements of the
#                      throughput run, by time spent, go to bench/results/$RESULTS_NAME-statements.txt
#                      (PostgreSQL only)                       (default 0)
#   PG_SETTINGS        further server settings, `-c name=value` words (e.g. auto_explain's);
#                      with any, the server's log is kept as bench/results/$RESULTS_NAME-postgres.log
#                      (a shared_preload_libraries here replaces PG_STATEMENTS's: name both)
#   WORKERS            0: one `hookd serve` (role all); N: one `--role api` beside N
#                      `--role worker` processes (PostgreSQL only) (default 0)
#   RESULTS_NAME       prefix of the files in bench/results    (default delivery)
#   HOOKD_BIN          the server binary                       (default build/hookd)
#   HOOKD_ENV          NAME=VALUE words set for hookd alone, for experiments
#                      (e.g. GLIBC_TUNABLES=glibc.malloc.trim_threshold=268435456)
#
# Database reads (progress, final counts) use the sqlite3 command when it is installed, else
# python3's sqlite3 module; one of the two is required. On PostgreSQL they use psql.
#
# Prints the figures and writes them, with the machine, its load, the commit and the exact
# commands, to bench/results/$RESULTS_NAME-latest.md (raw outputs beside it,
# bench/results/$RESULTS_NAME-*).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

PARTS=${PARTS:-raw,throughput,latency,ingest}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
RAW_DURATION=${RAW_DURATION:-10s}
WARMUP=${WARMUP:-2s}
WEBHOOKS=${WEBHOOKS:-10}
SCOPE=${SCOPE:-organization}
PRODUCERS=${PRODUCERS:-1}
PRODUCER_REUSE=${PRODUCER_REUSE:-0}
EVENTS=${EVENTS:-20000}
BATCH=${BATCH:-1000}
DELIVERY_TIMEOUT=${DELIVERY_TIMEOUT:-600}
RATE=${RATE:-1000}
LAT_DURATION=${LAT_DURATION:-20}
LAT_WARMUP=${LAT_WARMUP:-2}
SOCKETS=${SOCKETS:-32}
INGEST_DURATION=${INGEST_DURATION:-10s}
INGEST_CONNECTIONS=${INGEST_CONNECTIONS:-4}
NGINX_WORKERS=${NGINX_WORKERS:-auto}
NGINX_HTTP2=${NGINX_HTTP2:-0}
NGINX_KEEPALIVE_REQUESTS=${NGINX_KEEPALIVE_REQUESTS:-1000000}
WARMUP_BATCHES=${WARMUP_BATCHES:-2}
PERF=${PERF:-0}
DATABASE=${DATABASE:-sqlite}
PG_STATEMENTS=${PG_STATEMENTS:-0}
PG_SETTINGS=${PG_SETTINGS:-}
WORKERS=${WORKERS:-0}
RESULTS_NAME=${RESULTS_NAME:-delivery}
HOOKD_BIN=${HOOKD_BIN:-build/hookd}
HOOKD_ENV=${HOOKD_ENV:-}
NGINX_BIN=/usr/sbin/nginx
results_dir=bench/results
results_file=$results_dir/$RESULTS_NAME-latest.md

die() { echo "bench-delivery: $*" >&2; exit 1; }
note() { echo "bench-delivery: $*" >&2; }
has_part() { [[ ",$PARTS," == *",$1,"* ]]; }

[[ -x $HOOKD_BIN ]] || die "$HOOKD_BIN not found: run \`make build\` first"
command -v curl >/dev/null || die "curl not found: run \`scripts/bootstrap.sh\`"
command -v openssl >/dev/null || die "openssl not found: run \`scripts/bootstrap.sh\`"
if has_part raw || has_part ingest; then
  command -v wrk >/dev/null || die "wrk not found: run \`scripts/bootstrap.sh --bench\`"
fi
if has_part raw || has_part throughput; then
  [[ -x $NGINX_BIN ]] || die "$NGINX_BIN not found: run \`scripts/bootstrap.sh --bench\`"
fi
if has_part latency; then
  command -v node >/dev/null || die "node not found: run \`scripts/bootstrap.sh\`"
fi
[[ $DATABASE == sqlite || $DATABASE == postgres ]] || die "DATABASE must be sqlite or postgres"
[[ $WORKERS =~ ^[0-9]+$ ]] || die "WORKERS must be a number"
[[ $NGINX_KEEPALIVE_REQUESTS =~ ^[1-9][0-9]*$ ]] || die "NGINX_KEEPALIVE_REQUESTS must be a positive number"
[[ $WARMUP_BATCHES =~ ^[0-9]+$ ]] || die "WARMUP_BATCHES must be a number"
(( WORKERS == 0 )) || [[ $DATABASE == postgres ]] || die "WORKERS needs DATABASE=postgres: SQLite serves one process"
[[ $RESULTS_NAME =~ ^[A-Za-z0-9_.-]+$ ]] || die "RESULTS_NAME must be a plain file name prefix"
if [[ $DATABASE == postgres ]]; then
  pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [[ -n $pg_bin ]] || die "no PostgreSQL server installed: run \`scripts/bootstrap.sh\`"
  command -v psql >/dev/null || die "psql not found: run \`scripts/bootstrap.sh\`"
  sql_tool=psql
elif command -v sqlite3 >/dev/null; then
  sql_tool=sqlite3
elif command -v python3 >/dev/null && python3 -c 'import sqlite3' 2>/dev/null; then
  sql_tool=python3
else
  die "neither the sqlite3 command nor python3 (with its sqlite3 module) is installed"
fi
(( EVENTS % BATCH == 0 )) || die "EVENTS ($EVENTS) must be a multiple of BATCH ($BATCH)"
[[ $SCOPE == organization || $SCOPE == device ]] || die "SCOPE must be organization or device"
(( PRODUCERS >= 1 && (EVENTS / BATCH) % PRODUCERS == 0 )) \
  || die "PRODUCERS ($PRODUCERS) must divide the $((EVENTS / BATCH)) batches"
# Deliveries each event makes.
if [[ $SCOPE == device ]]; then FANOUT=1; else FANOUT=$WEBHOOKS; fi
[[ $PERF == 1 ]] && { command -v perf >/dev/null || die "PERF=1 but perf is not installed"; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench-delivery.XXXXXX")
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n ${pg_dir:-} ]]; then
    "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
    if [[ -n $PG_SETTINGS ]]; then cp "$pg_dir/server.log" "$results_dir/$RESULTS_NAME-postgres.log" || true; fi
    rm -rf "$pg_dir"
  fi
  [[ -n ${KEEP_TMP:-} ]] && echo "bench-delivery: kept $tmp" >&2 || rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# ---------------------------------------------------------------------------------------------
# Small tools.
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
now_us() { local t=$EPOCHREALTIME; echo "${t/./}"; }  # bash 5: no process per reading
load_avg() { sed 's/.*load average: //' <<<"$(uptime)"; }

proc_ticks() {  # pid -> utime+stime of that process (all its threads), 0 when gone
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}
tree_ticks() {  # pid -> ticks of it and its direct children (nginx's workers)
  local total stat p
  total=$(proc_ticks "$1")
  for p in /proc/[0-9]*; do
    stat=$(cat "$p/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    [[ ${f[1]} == "$1" ]] && total=$((total + f[11] + f[12]))
  done
  echo "$total"
}
thread_ticks() {  # pid -> "tid ticks" per thread, in tid order
  local t stat
  for t in /proc/"$1"/task/*; do
    stat=$(cat "$t/stat" 2>/dev/null) || continue
    stat=${stat##*) }
    read -r -a f <<<"$stat"
    echo "${t##*/} $((f[11] + f[12]))"
  done | sort -n
}
cores_of() {  # ticks seconds -> cores used
  awk -v t="$1" -v hz="$clk_tck" -v s="$2" 'BEGIN { printf "%.2f", t / hz / s }'
}
seconds_of() {  # wrk duration -> seconds
  local d=$1
  case $d in
    *m) echo $(( ${d%m} * 60 )) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
  esac
}

sql() {  # db-path-or-url query -> rows, columns separated by |
  if [[ $sql_tool == psql ]]; then
    psql "$1" -X -A -t -q -F '|' -v ON_ERROR_STOP=1 -c "$2"
  elif [[ $sql_tool == sqlite3 ]]; then
    sqlite3 -readonly -cmd '.timeout 5000' "$1" "$2"
  else
    python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=5)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
  fi
}

shell_words() {  # args -> one line a shell would split back into the same args
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+="$a "; else out+="'${a//\'/\'\\\'\'}' "; fi
  done
  printf '%s' "${out% }"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# ---------------------------------------------------------------------------------------------
# A CA and a certificate for 127.0.0.1 (what tests/support/test_ca.cpp makes for the tests).
mkdir -p "$tmp/certs"
certs=$tmp/certs
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$certs/ca-key.pem" -out "$certs/ca.pem" -days 2 -subj "/CN=hookd bench CA" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout "$certs/server-key.pem" -out "$certs/server.csr" -subj "/CN=127.0.0.1" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
  >"$certs/server.ext"
openssl x509 -req -in "$certs/server.csr" -CA "$certs/ca.pem" -CAkey "$certs/ca-key.pem" \
  -CAcreateserial -out "$certs/server.pem" -extfile "$certs/server.ext" -days 2 2>/dev/null
cat "$certs/server.pem" "$certs/ca.pem" >"$certs/server-chain.pem"

# ---------------------------------------------------------------------------------------------
# nginx: HTTPS on a free port, 200 to everything.
nginx_pid=""
nginx_port=""
nginx_version=""
start_nginx() {
  local user_line="" http2="" attempt
  [[ $(id -u) -eq 0 ]] && user_line="user root;"
  [[ $NGINX_HTTP2 == 1 ]] && http2=" http2"
  for attempt in 1 2 3 4 5; do
    nginx_port=$((20000 + RANDOM % 40000))
    port_in_use "$nginx_port" && continue
    sed -e "s|@TMP@|$tmp|g" -e "s|@PORT@|$nginx_port|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
        -e "s|@USER_LINE@|$user_line|g" -e "s|@HTTP2@|$http2|g" \
        -e "s|@KEEPALIVE_REQUESTS@|$NGINX_KEEPALIVE_REQUESTS|g" \
        bench/nginx-tls.conf.template >"$tmp/nginx-tls.conf"
    : >"$tmp/nginx-error.log"
    "$NGINX_BIN" -c "$tmp/nginx-tls.conf" -p "$tmp/" -e "$tmp/nginx-error.log" \
      2>"$tmp/nginx-stderr.log" &
    nginx_pid=$!
    pids+=("$nginx_pid")
    for _ in $(seq 100); do
      curl -fsS --cacert "$certs/ca.pem" -o /dev/null -X POST -d '{}' \
        "https://127.0.0.1:$nginx_port/" 2>/dev/null && break
      kill -0 "$nginx_pid" 2>/dev/null || break
      sleep 0.1
    done
    if curl -fsS --cacert "$certs/ca.pem" -o /dev/null -X POST -d '{}' \
         "https://127.0.0.1:$nginx_port/" 2>/dev/null; then
      nginx_version=$("$NGINX_BIN" -v 2>&1 | sed 's|.*nginx/||')
      return
    fi
    note "nginx did not start on port $nginx_port (attempt $attempt)"
    cat "$tmp/nginx-error.log" "$tmp/nginx-stderr.log" >&2 || true
    kill "$nginx_pid" 2>/dev/null || true
    wait "$nginx_pid" 2>/dev/null || true
    nginx_pid=""
  done
  die "nginx would not start"
}

# ---------------------------------------------------------------------------------------------
# PostgreSQL (DATABASE=postgres): one server for the whole script, as an operator would run it
# (fsync and synchronous_commit on), on a free port; a fresh database per hookd.
pg_dir=""
pg_port=""
as_postgres=()
pg_version=""
start_postgres() {
  # Its own directory: the temp dir is private to us, and the server may run as another user.
  pg_dir=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench-pg.XXXXXX")
  # initdb refuses to run as root: the server then runs as the postgres system user.
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres "$pg_dir"
    as_postgres=(runuser -u postgres --)
  fi
  "${as_postgres[@]}" "$pg_bin/initdb" -D "$pg_dir/data" -A trust -U hookd -E UTF8 --locale=C \
    >"$tmp/initdb.log" 2>&1 || { cat "$tmp/initdb.log" >&2; die "initdb failed"; }
  pg_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  local settings="-c listen_addresses=127.0.0.1"
  if [[ $PG_STATEMENTS == 1 ]]; then
    settings+=" -c shared_preload_libraries=pg_stat_statements -c pg_stat_statements.track=all -c pg_stat_statements.track_planning=on"
  fi
  settings+=" $PG_SETTINGS"
  "${as_postgres[@]}" "$pg_bin/pg_ctl" -D "$pg_dir/data" -l "$pg_dir/server.log" -w \
    -o "-p $pg_port -k $pg_dir $settings" start >/dev/null \
    || { cat "$pg_dir/server.log" >&2; die "PostgreSQL did not start"; }
  if [[ $PG_STATEMENTS == 1 ]]; then
    sql "postgresql://hookd@127.0.0.1:$pg_port/postgres" "CREATE EXTENSION pg_stat_statements" >/dev/null
  fi
  pg_version=$("$pg_bin/postgres" --version | awk '{print $3}')
}
pg_ticks() {  # CPU ticks of the PostgreSQL server and its backends, 0 without one
  [[ -n $pg_dir ]] || { echo 0; return; }
  tree_ticks "$(head -n 1 "$pg_dir/data/postmaster.pid")"
}
if [[ $DATABASE == postgres ]]; then start_postgres; fi

# ---------------------------------------------------------------------------------------------
# hookd: a fresh database per run, port 0, delivery allowed to 127.0.0.1 with our CA. With
# WORKERS > 0, the process that serves the API runs `--role api`, and WORKERS processes run
# `--role worker` beside it (not when the caller names a role itself).
hookd_pid=""
worker_pids=()
hookd_port=""
hookd_db=""
hookd_url=""
hookd_cmd=""
platform_token=""
start_hookd() {  # name [extra serve args...]
  local name=$1
  shift
  local database_url
  if [[ $DATABASE == postgres ]]; then
    sql "postgresql://hookd@127.0.0.1:$pg_port/postgres" "CREATE DATABASE $name" >/dev/null
    hookd_db=postgresql://hookd@127.0.0.1:$pg_port/$name
    database_url=$hookd_db
    # PostgreSQL needs a key for secrets at rest; every process of the run shares this one.
    if [[ ! -f $tmp/secrets.key ]]; then
      (umask 077 && openssl rand -base64 32 >"$tmp/secrets.key")
    fi
    export HOOKD_SECRETS_KEY_FILES=$tmp/secrets.key
  else
    hookd_db=$tmp/$name.db
    database_url=sqlite://$hookd_db
  fi
  cat >"$tmp/hookd.toml" <<EOF
[delivery]
allow_targets = ["127.0.0.0/8"]
ca_file = "$certs/ca.pem"

[limits]
webhooks_per_organization = $(( WEBHOOKS > 1000 ? WEBHOOKS : 1000 ))
EOF
  local role_args=()
  if (( WORKERS > 0 && $# == 0 )); then role_args=(--role api); fi
  local cmd=("$HOOKD_BIN" serve --listen 127.0.0.1:0 --database "$database_url"
             --config "$tmp/hookd.toml" "${role_args[@]}" "$@")
  # shellcheck disable=SC2206  # HOOKD_ENV is a list of NAME=VALUE words
  [[ -n $HOOKD_ENV ]] && cmd=(env $HOOKD_ENV "${cmd[@]}")
  hookd_cmd=$(shell_words "${cmd[@]}")
  "${cmd[@]}" 2>"$tmp/$name-hookd.log" >/dev/null &
  hookd_pid=$!
  pids+=("$hookd_pid")
  hookd_port=""
  for _ in $(seq 200); do
    hookd_port=$(grep '"msg":"listening"' "$tmp/$name-hookd.log" 2>/dev/null \
                 | sed -nE 's/.*"port":([0-9]+).*/\1/p' | head -n 1 || true)
    [[ -n $hookd_port ]] && break
    kill -0 "$hookd_pid" 2>/dev/null || { cat "$tmp/$name-hookd.log" >&2; die "hookd exited before listening"; }
    sleep 0.1
  done
  [[ -n $hookd_port ]] || die "hookd did not log \"listening\" within 20 s"
  hookd_url="http://127.0.0.1:$hookd_port"
  curl -fsS -o /dev/null "$hookd_url/healthz" || die "hookd listens on $hookd_port but GET /healthz fails"
  platform_token=$("$HOOKD_BIN" token create --role platform --database "$database_url")
  [[ -n $platform_token ]] || die "hookd token create printed nothing"
  worker_pids=()
  if (( WORKERS > 0 && $# == 0 )); then
    local w wcmd log
    for ((w = 1; w <= WORKERS; w++)); do
      wcmd=("$HOOKD_BIN" serve --database "$database_url" --config "$tmp/hookd.toml" --role worker)
      # shellcheck disable=SC2206  # HOOKD_ENV is a list of NAME=VALUE words
      [[ -n $HOOKD_ENV ]] && wcmd=(env $HOOKD_ENV "${wcmd[@]}")
      log=$tmp/$name-worker-$w.log
      "${wcmd[@]}" 2>"$log" >/dev/null &
      worker_pids+=($!)
      pids+=($!)
      for _ in $(seq 200); do
        grep -q '"msg":"working"' "$log" 2>/dev/null && break
        kill -0 "${worker_pids[-1]}" 2>/dev/null || { cat "$log" >&2; die "worker $w exited"; }
        sleep 0.1
      done
      grep -q '"msg":"working"' "$log" || die "worker $w did not log \"working\" within 20 s"
    done
    hookd_cmd+=" & $(shell_words "${wcmd[@]}")  # x $WORKERS"
  fi
}
stop_hookd() {
  local pid
  for pid in "$hookd_pid" "${worker_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$hookd_pid" "${worker_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  worker_pids=()
  [[ $DATABASE == postgres ]] && return
  # The next run must not wait behind the write-back of this one's database (hundreds of MB
  # after the throughput run): a commit's fsync would stall on it.
  rm -f "$hookd_db" "$hookd_db-wal" "$hookd_db-shm"
  sync
}
hookd_ticks() {  # CPU ticks of every hookd process of the run
  local pid total=0
  for pid in "$hookd_pid" "${worker_pids[@]}"; do total=$((total + $(proc_ticks "$pid"))); done
  echo "$total"
}

api() {  # method path body -> response body; fails on any non-2xx answer
  local out code
  out=$(curl -sS -X "$1" "$hookd_url$2" -H "Authorization: Bearer $platform_token" \
             -H 'Content-Type: application/json' --data-binary "$3" -w '\n%{http_code}') \
    || die "$1 $2: curl failed"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $code == 2?? ]] || die "$1 $2 answered $code: $out"
  printf '%s' "$out"
}
api_many() {  # a file of "METHOD PATH BODY" lines -> each sent on one kept-alive connection;
              # fails unless every answer is 2xx
  local list=$1 method path body codes separator=""
  : >"$list.curl"
  while read -r method path body; do
    printf '%surl = "%s%s"\nrequest = "%s"\ndata = "%s"\nheader = "Authorization: Bearer %s"\nheader = "Content-Type: application/json"\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' \
      "$separator" "$hookd_url" "$path" "$method" "${body//\"/\\\"}" "$platform_token" >>"$list.curl"
    separator=$'next\n'
  done <"$list"
  codes=$(curl -sS -K "$list.curl") || die "set-up: curl failed"
  if grep -qv '^2' <<<"$codes"; then die "set-up: answers $(sort <<<"$codes" | uniq -c | tr '\n' ' ')"; fi
}
put_devices() {  # organization first last
  local d
  api PUT "/v2/platform/organizations/$1" "{\"name\":\"bench $1\"}" >/dev/null
  for ((d = $2; d <= $3; d++)); do
    echo "PUT /v2/platform/devices/$d {\"organizationId\":$1,\"name\":\"lock-$d\"}"
  done >"$tmp/devices.list"
  api_many "$tmp/devices.list"
}
create_webhook() {  # organization url [device]: the device alone, else the whole organization
  local scope=""
  [[ -n ${3:-} ]] && scope="\"deviceIds\":[$3],"
  api POST /v2/webhooks "{\"organizationId\":$1,$scope\"webhookUrl\":\"$2\",\"topics\":[\"DeviceActivationEvents\",\"DeviceDeactivationEvents\",\"DeviceStatusEvents\",\"DeviceTamperEvents\"]}" >/dev/null
}

# The event payload of every run; a delivery body is then about 250 bytes.
event_data='{"battery":87,"locked":true,"firmware":"2.4.1","rssi":-61}'
batch_body() {  # first-device device-count events [offset] -> a {"events": [...]} body
  # Event i is for device first + (offset + i) % device-count.
  awk -v first="$1" -v n="$2" -v count="$3" -v offset="${4:-0}" -v data="$event_data" 'BEGIN {
    printf "{\"events\":["
    for (i = 0; i < count; i++) {
      printf "%s{\"deviceId\":%d,\"topic\":\"DeviceStatusEvents\",\"type\":\"DeviceStatusUpdate\",\"data\":%s}",
        (i ? "," : ""), first + (offset + i) % n, data
    }
    printf "]}"
  }'
}

declare -A cmd_line
mkdir -p "$results_dir"
sync  # nothing of earlier work left to write back during the runs
started_at=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_start=$(load_avg)
note "load average at the start: $load_start"

# =============================================================================================
# raw: wrk alone against nginx, with a delivery's body and headers.
declare -A raw
if has_part raw || has_part throughput; then start_nginx; fi
if has_part raw; then
  raw[load]=$(load_avg)
  # A delivery as hookd sends it (same header names and sizes, a body in the same shape).
  sample_body="{\"id\":\"evt_AbCdEfGhIjKlMnOpQrStUvWx\",\"webhookId\":10,\"topic\":\"DeviceStatusEvents\",\"type\":\"DeviceStatusUpdate\",\"time\":\"2026-11-29T07:00:00.123Z\",\"organizationId\":6,\"deviceId\":85,\"data\":$event_data}"
  cat >"$tmp/raw.lua" <<EOF
-- POST a body shaped and sized like one of hookd's deliveries, with its headers.
wrk.method = "POST"
wrk.body = '$sample_body'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["User-Agent"] = "hookd/0.1.0"
wrk.headers["webhook-id"] = "evt_AbCdEfGhIjKlMnOpQrStUvWx"
wrk.headers["webhook-timestamp"] = "1795935600"
wrk.headers["webhook-signature"] = "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4="
wrk.headers["x-webhook-topic"] = "DeviceStatusEvents"
wrk.headers["x-webhook-attempt"] = "1"
EOF
  raw[body_bytes]=${#sample_body}
  raw_cmd=(wrk "-t$WRK_THREADS" "-c$CONNECTIONS" "-d$RAW_DURATION" --latency -s "$tmp/raw.lua"
           "https://127.0.0.1:$nginx_port/")
  cmd_line[raw]=$(shell_words "${raw_cmd[@]}")
  if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
    note "raw: warm-up $WARMUP"
    wrk "-t$WRK_THREADS" "-c$CONNECTIONS" "-d$WARMUP" -s "$tmp/raw.lua" \
      "https://127.0.0.1:$nginx_port/" >"$tmp/raw-warmup.txt" 2>&1 \
      || { cat "$tmp/raw-warmup.txt" >&2; die "raw: wrk failed in warm-up"; }
  fi
  note "raw: ${cmd_line[raw]}"
  before=$(tree_ticks "$nginx_pid")
  "${raw_cmd[@]}" >"$tmp/raw.txt" 2>&1 || { cat "$tmp/raw.txt" >&2; die "raw: wrk failed"; }
  after=$(tree_ticks "$nginx_pid")
  if grep -q 'Non-2xx or 3xx responses' "$tmp/raw.txt"; then
    cat "$tmp/raw.txt" >&2
    die "raw: nginx answered errors"
  fi
  raw[rps]=$(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$tmp/raw.txt")
  raw[p50]=$(awk '$1 == "50%" {print $2}' "$tmp/raw.txt")
  raw[p99]=$(awk '$1 == "99%" {print $2}' "$tmp/raw.txt")
  raw[socket_errors]=$(grep -o 'Socket errors:.*' "$tmp/raw.txt" | sed 's/Socket errors: //' || true)
  raw[nginx_cores]=$(cores_of $((after - before)) "$(seconds_of "$RAW_DURATION")")
  cp "$tmp/raw.txt" "$results_dir/$RESULTS_NAME-wrk-raw.txt"
  note "raw: ${raw[rps]} requests/s (p50 ${raw[p50]}, p99 ${raw[p99]}), nginx ${raw[nginx_cores]} cores"
fi

# =============================================================================================
# throughput: WEBHOOKS organization-wide webhooks on nginx; EVENTS events in batches of BATCH,
# sent one request after another as fast as hookd answers; timed from the first request until
# the last delivery is recorded as succeeded.
declare -A tp
if has_part throughput; then
  start_hookd throughput
  cmd_line[throughput_hookd]=$hookd_cmd
  if [[ $SCOPE == device ]]; then
    put_devices 6 85 $((85 + WEBHOOKS - 1))
    for ((w = 1; w <= WEBHOOKS; w++)); do
      echo "POST /v2/webhooks {\"organizationId\":6,\"deviceIds\":[$((84 + w))],\"webhookUrl\":\"https://127.0.0.1:$nginx_port/hook/$w\",\"topics\":[\"DeviceStatusEvents\"]}"
    done >"$tmp/webhooks.list"
    api_many "$tmp/webhooks.list"
    # With more webhooks than a batch has events, the batches take the devices in turn, so
    # that every webhook gets its share of the events.
    tp[bodies]=$(( (WEBHOOKS + BATCH - 1) / BATCH ))
    (( tp[bodies] <= EVENTS / BATCH )) || tp[bodies]=$(( EVENTS / BATCH ))
    for ((k = 0; k < tp[bodies]; k++)); do
      batch_body 85 "$WEBHOOKS" "$BATCH" $((k * BATCH)) >"$tmp/batch-$k.json"
    done
  else
    put_devices 6 85 94
    for ((w = 1; w <= WEBHOOKS; w++)); do create_webhook 6 "https://127.0.0.1:$nginx_port/hook/$w"; done
    tp[bodies]=1
    batch_body 85 10 "$BATCH" >"$tmp/batch-0.json"
  fi
  tp[request_bytes]=$(wc -c <"$tmp/batch-0.json")
  post_requests() {  # producer request-number...: one curl process posts the numbered bodies
    # one after another on one kept-alive connection; each must be answered 202
    local p=$1 k=0 n code codes
    shift
    local -a args=()
    for n in "$@"; do
      ((k == 0)) || args+=(--next)
      args+=(-sS -o "$tmp/batch-answer-$p-$k.json" -w '%{http_code}\n' -X POST
             "$hookd_url/v2/platform/events" -H "Authorization: Bearer $platform_token"
             -H 'Content-Type: application/json' --data-binary "@$tmp/batch-$((n % tp[bodies])).json")
      k=$((k + 1))
    done
    codes=$(curl "${args[@]}") || die "throughput: curl failed"
    k=0
    for code in $codes; do
      [[ $code == 202 ]] \
        || die "throughput: POST /v2/platform/events answered $code: $(head -c 300 "$tmp/batch-answer-$p-$k.json")"
      k=$((k + 1))
    done
    ((k == $#)) || die "throughput: $# requests, $k answers"
  }
  # Progress samples (time, last delivery id, last attempt id: both cheap to read, as the
  # harness shares the CPUs with hookd) every 0.5 s, for the waiting, the steady-state rate
  # and the timeline.
  (
    while true; do
      row=$(sql "$hookd_db" "SELECT (SELECT COALESCE(MAX(id), 0) FROM deliveries) || ' ' || (SELECT COALESCE(MAX(id), 0) FROM attempts)")
      echo "${EPOCHREALTIME/./} $row"
      sleep 0.5
    done
  ) >"$tmp/progress.txt" 2>/dev/null &
  sampler_pid=$!
  pids+=("$sampler_pid")
  # -> 0 once `expected` attempts after attempt id `first` are logged and nothing is pending,
  # 1 on timeout; dies on a retry. Reads the sampler's last line; queries only when the
  # attempts are all there, or stalled for 2 s (a retry is due seconds to hours later).
  wait_delivered() {  # first expected
    local first=$1 expected=$2 deadline=$((EPOCHSECONDS + DELIVERY_TIMEOUT)) line attempts
    local last=-1 stalled_at=$EPOCHSECONDS retrying
    while (( EPOCHSECONDS < deadline )); do
      sleep 0.5
      while read -r line; do attempts=${line##* }; done <"$tmp/progress.txt"
      [[ $attempts =~ ^[0-9]+$ ]] || continue
      if (( attempts - first >= expected )) \
         && [[ $(sql "$hookd_db" "SELECT count(*) FROM deliveries WHERE status = 'pending'") == 0 ]]; then
        return 0
      fi
      if (( attempts != last )); then last=$attempts; stalled_at=$EPOCHSECONDS; continue; fi
      (( EPOCHSECONDS - stalled_at >= 2 )) || continue
      stalled_at=$EPOCHSECONDS
      # A failed attempt is retried seconds to hours later: the run would measure the retry
      # schedule, not the throughput. New deliveries are due at once; retries later.
      retrying=$(sql "$hookd_db" "SELECT count(*) FROM deliveries WHERE status = 'pending' AND next_attempt_at > $(( $(now_us) + 1000000 ))")
      if [[ $retrying != 0 ]]; then
        note "throughput: $retrying deliveries wait for a retry; the failed attempts so far:"
        sql "$hookd_db" "SELECT count(*) || ' x ' || COALESCE(CAST(status_code AS TEXT), '-') || ' ' || COALESCE(error, '') FROM attempts WHERE status_code IS NULL OR status_code >= 300 GROUP BY status_code, error" >&2
        die "throughput: attempts failed (with NGINX_HTTP2=1 see BENCHMARKS.md: libcurl 7.88 and nginx's early answer)"
      fi
    done
    return 1
  }

  # Warm-up: WARMUP_BATCHES batches, one after another, each delivered in full, so that
  # connections exist and caches are warm. The first goes out through libcurl, which learns
  # that nginx answers over HTTP/1.1; the second opens the HTTP/1.1 transport's connections,
  # which the run then uses.
  for ((w = 0; w < WARMUP_BATCHES; w++)); do
    note "throughput: warm-up $((w + 1))/$WARMUP_BATCHES, $BATCH events x $FANOUT deliveries each ($WEBHOOKS webhooks, scope $SCOPE)"
    warm_first=$(sql "$hookd_db" "SELECT COALESCE(MAX(id), 0) FROM attempts")
    post_requests 0 "$w"
    wait_delivered "$warm_first" $((BATCH * FANOUT)) \
      || die "throughput: the warm-up's deliveries did not finish within ${DELIVERY_TIMEOUT}s"
  done
  tp[first_id]=$(sql "$hookd_db" "SELECT COALESCE(MAX(id), 0) FROM deliveries")
  tp[first_attempt]=$(sql "$hookd_db" "SELECT COALESCE(MAX(id), 0) FROM attempts")

  tp[expected]=$(( EVENTS * FANOUT ))
  tp[load]=$(load_avg)
  cmd_line[throughput_ingest]="$(shell_words curl -sS -X POST "$hookd_url/v2/platform/events" -H 'Authorization: Bearer $PLATFORM_TOKEN' -H 'Content-Type: application/json' --data-binary @batch-K.json)  # $((EVENTS / BATCH)) times, from $PRODUCERS concurrent producers, each one request after another, over ${tp[bodies]} bodies in turn$( [[ $PRODUCER_REUSE == 1 ]] && echo "; each producer one curl process (requests joined by --next), one kept-alive connection" || true )"
  note "throughput: $EVENTS events x $FANOUT = ${tp[expected]} deliveries ($WEBHOOKS webhooks, scope $SCOPE, $PRODUCERS producers)"
  perf_pid=""
  if [[ $PERF == 1 ]]; then
    # shellcheck disable=SC2086  # PERF_OPTS is a list of options
    perf record ${PERF_OPTS:--g} -o "$tmp/perf.data" -p "$hookd_pid" 2>"$tmp/perf-record.log" &
    perf_pid=$!
    pids+=("$perf_pid")
    sleep 1
  fi
  if [[ $PG_STATEMENTS == 1 ]]; then sql "postgresql://hookd@127.0.0.1:$pg_port/postgres" "SELECT pg_stat_statements_reset()" >/dev/null; fi
  threads_before=$(thread_ticks "$hookd_pid")
  hookd_before=$(hookd_ticks)
  pg_before=$(pg_ticks)
  nginx_before=$(tree_ticks "$nginx_pid")
  t_start=$(now_us)
  producer_pids=()
  for ((p = 0; p < PRODUCERS; p++)); do
    requests=()
    for ((b = 0; b < EVENTS / BATCH / PRODUCERS; b++)); do requests+=($((b * PRODUCERS + p))); done
    if [[ $PRODUCER_REUSE == 1 ]]; then
      post_requests "$p" "${requests[@]}" &
    else
      ( for n in "${requests[@]}"; do post_requests "$p" "$n"; done ) &
    fi
    producer_pids+=($!)
  done
  for p in "${producer_pids[@]}"; do wait "$p" || die "throughput: a producer failed"; done
  t_ingested=$(now_us)
  wait_delivered "${tp[first_attempt]}" "${tp[expected]}" \
    || die "throughput: deliveries still pending after ${DELIVERY_TIMEOUT}s"
  t_seen=$(now_us)
  hookd_after=$(hookd_ticks)
  pg_after=$(pg_ticks)
  nginx_after=$(tree_ticks "$nginx_pid")
  threads_after=$(thread_ticks "$hookd_pid")
  tp[rss_peak_mib]=$(awk '/^VmHWM:/ {printf "%.0f", $2 / 1024}' "/proc/$hookd_pid/status")
  # How the deliveries reached the dispatchers: handed off as they were stored, or claimed.
  tp[taken]=$(curl -s "http://127.0.0.1:$hookd_port/metrics" 2>/dev/null \
    | awk '/^hookd_deliveries_taken_total/ {sub(/.*how="/, ""); sub(/"}/, ""); printf "%s%s", sep, $0; sep=", "}')
  kill "$sampler_pid" 2>/dev/null || true
  wait "$sampler_pid" 2>/dev/null || true
  if [[ -n $perf_pid ]]; then
    kill -INT "$perf_pid" 2>/dev/null || true
    wait "$perf_pid" 2>/dev/null || true
  fi

  # The end is the last delivery's own update time, not the poll that saw it.
  t_end=$(sql "$hookd_db" "SELECT MAX(updated_at) FROM deliveries WHERE id > ${tp[first_id]}")
  counts=$(sql "$hookd_db" "SELECT status || '=' || count(*) FROM deliveries WHERE id > ${tp[first_id]} GROUP BY status")
  tp[counts]=$(tr '\n' ' ' <<<"$counts" | sed 's/ $//')
  tp[succeeded]=$(sed -n 's/^succeeded=//p' <<<"$counts")
  tp[succeeded]=${tp[succeeded]:-0}
  tp[attempts]=$(sql "$hookd_db" "SELECT count(*) FROM attempts WHERE id > ${tp[first_attempt]}")
  tp[failed_attempts]=$(sql "$hookd_db" "SELECT count(*) FROM attempts WHERE id > ${tp[first_attempt]} AND (status_code IS NULL OR status_code >= 300)")
  [[ ${tp[succeeded]} == "${tp[expected]}" ]] \
    || die "throughput: expected ${tp[expected]} succeeded deliveries, found: ${tp[counts]}"
  tp[seconds]=$(awk -v a="$t_start" -v b="$t_end" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
  tp[ingest_seconds]=$(awk -v a="$t_start" -v b="$t_ingested" 'BEGIN { printf "%.2f", (b - a) / 1e6 }')
  tp[rate]=$(awk -v n="${tp[expected]}" -v s="${tp[seconds]}" 'BEGIN { printf "%.0f", n / s }')
  # Steady state: between 10 % and 90 % of the attempts, from the progress samples.
  tp[steady]=$(awk -v base="${tp[first_attempt]}" -v n="${tp[expected]}" '
    { t = $1; a = $3 - base
      if (!lo_t && a >= 0.1 * n) { lo_t = t; lo_a = a }
      if (!hi_t && a >= 0.9 * n) { hi_t = t; hi_a = a } }
    END { if (lo_t && hi_t > lo_t) printf "%.0f", (hi_a - lo_a) / ((hi_t - lo_t) / 1e6); else print "n/a" }' \
    "$tmp/progress.txt")
  wall=$(awk -v a="$t_start" -v b="$t_seen" 'BEGIN { print (b - a) / 1e6 }')
  tp[hookd_cores]=$(cores_of $((hookd_after - hookd_before)) "$wall")
  tp[nginx_cores]=$(cores_of $((nginx_after - nginx_before)) "$wall")
  tp[pg_cores]=$(cores_of $((pg_after - pg_before)) "$wall")
  tp[hookd_us]=$(awk -v t=$((hookd_after - hookd_before)) -v hz="$clk_tck" -v n="${tp[expected]}" \
                   'BEGIN { printf "%.0f", t / hz / n * 1e6 }')
  tp[nginx_us]=$(awk -v t=$((nginx_after - nginx_before)) -v hz="$clk_tck" -v n="${tp[expected]}" \
                   'BEGIN { printf "%.0f", t / hz / n * 1e6 }')
  # CPU per hookd thread over the run (threads are unnamed; tids follow creation order).
  tp[threads]=$(awk -v hz="$clk_tck" -v s="$wall" '
    NR == FNR { before[$1] = $2; next }
    { d = $2 - before[$1]; if (d > 0) printf "tid %s: %.2f cores\n", $1, d / hz / s }' \
    <(echo "$threads_before") <(echo "$threads_after"))
  # Timeline: per ~2 s, deliveries recorded per second and the backlog (created, not recorded).
  tp[timeline]=$(awk -v t0="$t_start" -v d0="${tp[first_id]}" -v a0="${tp[first_attempt]}" '
    { t = ($1 - t0) / 1e6; if (t < 0) next
      if (t - lt >= 2 || !started) {
        if (started) printf "| %.1f–%.1f s | %.0f | %d |\n", lt, t, ($3 - la) / (t - lt), ($2 - d0) - ($3 - a0)
        started = 1; lt = t; la = $3 }
      last = $0 }' "$tmp/progress.txt")
  cp "$tmp/progress.txt" "$results_dir/$RESULTS_NAME-progress.txt"
  if [[ $PG_STATEMENTS == 1 ]]; then
    # The run's own statements (the progress sampler's and these reads' included), by time.
    { echo "calls | total ms | planning ms | mean ms | rows | WAL bytes | shared blocks hit+read | statement"
      sql "postgresql://hookd@127.0.0.1:$pg_port/postgres" \
        "SELECT calls, round(total_exec_time), round(total_plan_time), round(mean_exec_time::numeric, 3), rows, wal_bytes,
                shared_blks_hit + shared_blks_read, left(regexp_replace(query, '\\s+', ' ', 'g'), 160)
         FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 30"
      echo
      echo "table | rows inserted | rows updated | of those, heap-only (no index written)"
      sql "$hookd_db" "SELECT relname, n_tup_ins, n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables
                       WHERE n_tup_ins + n_tup_upd > 0 ORDER BY relname"
    } >"$results_dir/$RESULTS_NAME-statements.txt"
  fi
  if [[ $PERF == 1 ]]; then
    perf report -i "$tmp/perf.data" --no-children -g none --percent-limit 0.3 --sort dso,symbol \
      2>/dev/null | grep -v '^#' | grep -v '^$' | cut -c1-160 >"$results_dir/$RESULTS_NAME-perf.txt" || true
    perf report -i "$tmp/perf.data" --no-children -g none --percent-limit 0.3 --sort pid,dso,symbol \
      2>/dev/null | grep -v '^#' | grep -v '^$' | cut -c1-160 >"$results_dir/$RESULTS_NAME-perf-threads.txt" || true
    cp "$tmp/perf.data" "$results_dir/$RESULTS_NAME-perf.data"
  fi
  if [[ -n ${raw[rps]:-} ]]; then
    tp[ratio]=$(awk -v a="${tp[rate]}" -v b="${raw[rps]}" 'BEGIN { printf "%.3f", a / b }')
  fi
  note "throughput: ${tp[rate]} deliveries/s over ${tp[seconds]} s (steady ${tp[steady]}/s); hookd ${tp[hookd_cores]} cores, nginx ${tp[nginx_cores]}"
  stop_hookd
fi
if [[ -n $nginx_pid ]]; then
  kill "$nginx_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
fi

# =============================================================================================
# latency: one webhook on the recording receiver, single-event requests at RATE/s.
declare -A lat
if has_part latency; then
  node bench/latency_receiver.mjs "$certs/server-chain.pem" "$certs/server-key.pem" \
    2>"$tmp/receiver.log" &
  receiver_pid=$!
  pids+=("$receiver_pid")
  receiver_port=""
  for _ in $(seq 100); do
    receiver_port=$(sed -nE 's/.*"listening":([0-9]+).*/\1/p' "$tmp/receiver.log" | head -n 1)
    [[ -n $receiver_port ]] && break
    kill -0 "$receiver_pid" 2>/dev/null || { cat "$tmp/receiver.log" >&2; die "the latency receiver exited"; }
    sleep 0.1
  done
  [[ -n $receiver_port ]] || die "the latency receiver did not start"
  start_hookd latency
  cmd_line[latency_hookd]=$hookd_cmd
  put_devices 6 85 85
  create_webhook 6 "https://127.0.0.1:$receiver_port/hook"
  lat[load]=$(load_avg)
  lat_cmd=(node bench/loadgen.mjs --hookd "$hookd_url" --token "$platform_token"
           --receiver "https://127.0.0.1:$receiver_port" --ca "$certs/ca.pem" --rate "$RATE"
           --duration "$LAT_DURATION" --warmup "$LAT_WARMUP" --sockets "$SOCKETS" --device 85
           --json "$tmp/latency.json")
  cmd_line[latency]=$(shell_words "${lat_cmd[@]}" | sed "s|$platform_token|\$PLATFORM_TOKEN|; s|$tmp/|<tmp>/|g")
  note "latency: ${cmd_line[latency]}"
  hookd_before=$(hookd_ticks)
  pg_before=$(pg_ticks)
  threads_before=$(thread_ticks "$hookd_pid")
  t0=$(now_us)
  "${lat_cmd[@]}" >"$tmp/latency.txt" 2>&1 || { cat "$tmp/latency.txt" >&2; die "latency: the load generator failed"; }
  t1=$(now_us)
  hookd_after=$(hookd_ticks)
  pg_after=$(pg_ticks)
  threads_after=$(thread_ticks "$hookd_pid")
  wall=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print (b - a) / 1e6 }')
  lat[hookd_cores]=$(cores_of $((hookd_after - hookd_before)) "$wall")
  lat[pg_cores]=$(cores_of $((pg_after - pg_before)) "$wall")
  lat[threads]=$(awk -v hz="$clk_tck" -v s="$wall" '
    NR == FNR { before[$1] = $2; next }
    { d = $2 - before[$1]; if (d > 0) printf "%s%s %.2f", sep, $1, d / hz / s; sep = ", " }' \
    <(echo "$threads_before") <(echo "$threads_after"))
  cat "$tmp/latency.txt" >&2
  cp "$tmp/latency.txt" "$results_dir/$RESULTS_NAME-latency.txt"
  cp "$tmp/latency.json" "$results_dir/$RESULTS_NAME-latency.json"
  jget() { node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1])); const v = process.argv[2].split(".").reduce((o, k) => o[k], r); console.log(typeof v === "number" && !Number.isInteger(v) ? v.toFixed(2) : (typeof v === "object" ? JSON.stringify(v) : v))' "$tmp/latency.json" "$1"; }
  for k in p50 p90 p99 max; do
    lat[$k]=$(jget "latencyMs.$k"); lat[ingest_$k]=$(jget "ingestLatencyMs.$k"); lat[lag_$k]=$(jget "sendLagMs.$k")
  done
  for k in sent published received missing refusedTotal errorsTotal duplicates unexpected reconciled achievedSendRate drainedAfterSeconds; do
    lat[$k]=$(jget "$k")
  done
  lat[db_counts]=$(sql "$hookd_db" "SELECT status || '=' || count(*) FROM deliveries GROUP BY status" | tr '\n' ' ' | sed 's/ $//')
  stop_hookd
  kill "$receiver_pid" 2>/dev/null || true
  wait "$receiver_pid" 2>/dev/null || true
fi

# =============================================================================================
# ingest: batches of BATCH events from INGEST_CONNECTIONS concurrent producers, hookd serving
# the API alone (--role api), so nothing is delivered and no delivery work competes.
declare -A ing
if has_part ingest; then
  start_hookd ingest --role api
  cmd_line[ingest_hookd]=$hookd_cmd
  put_devices 7 7001 7100   # no webhook
  if [[ $SCOPE == device ]]; then  # WEBHOOKS webhooks, each on a device of its own
    put_devices 8 8001 $((8000 + WEBHOOKS))
    for ((w = 1; w <= WEBHOOKS; w++)); do
      create_webhook 8 "https://127.0.0.1:9/never-delivered" $((8000 + w))
    done
    batch_body 8001 "$WEBHOOKS" "$BATCH" >"$tmp/ingest-one.json"
    ing[one_what]="each matched by its own webhook ($WEBHOOKS webhooks)"
  else
    put_devices 8 8001 8100   # one organization-wide webhook
    create_webhook 8 "https://127.0.0.1:9/never-delivered"
    batch_body 8001 100 "$BATCH" >"$tmp/ingest-one.json"
    ing[one_what]="one webhook matches"
  fi
  batch_body 7001 100 "$BATCH" >"$tmp/ingest-none.json"
  run_ingest() {  # case body-file
    local name=$1 file=$2
    cat >"$tmp/ingest-$name.lua" <<EOF
-- POST /v2/platform/events with one $BATCH-event body.
local f = assert(io.open("$file", "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Authorization"] = "Bearer $platform_token"
wrk.headers["Content-Type"] = "application/json"
EOF
    local cmd=(wrk -t1 "-c$INGEST_CONNECTIONS" "-d$INGEST_DURATION" --latency --timeout 30s
               -s "$tmp/ingest-$name.lua" "$hookd_url/v2/platform/events")
    cmd_line[ingest_$name]=$(shell_words "${cmd[@]}" | sed "s|$tmp/|<tmp>/|g")
    if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
      wrk -t1 "-c$INGEST_CONNECTIONS" "-d$WARMUP" --timeout 30s -s "$tmp/ingest-$name.lua" \
        "$hookd_url/v2/platform/events" >"$tmp/ingest-$name-warmup.txt" 2>&1 \
        || { cat "$tmp/ingest-$name-warmup.txt" >&2; die "ingest $name: wrk failed in warm-up"; }
    fi
    ing[${name}_load]=$(load_avg)
    note "ingest $name: ${cmd_line[ingest_$name]}"
    local before after
    before=$(proc_ticks "$hookd_pid")
    "${cmd[@]}" >"$tmp/ingest-$name.txt" 2>&1 || { cat "$tmp/ingest-$name.txt" >&2; die "ingest $name: wrk failed"; }
    after=$(proc_ticks "$hookd_pid")
    if grep -q 'Non-2xx or 3xx responses' "$tmp/ingest-$name.txt" "$tmp/ingest-$name-warmup.txt" 2>/dev/null; then
      cat "$tmp/ingest-$name.txt" >&2
      die "ingest $name: hookd answered errors"
    fi
    ing[${name}_rps]=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/ingest-$name.txt")
    ing[${name}_events]=$(awk -v r="${ing[${name}_rps]}" -v b="$BATCH" 'BEGIN { printf "%.0f", r * b }')
    ing[${name}_p50]=$(awk '$1 == "50%" {print $2}' "$tmp/ingest-$name.txt")
    ing[${name}_p99]=$(awk '$1 == "99%" {print $2}' "$tmp/ingest-$name.txt")
    ing[${name}_cores]=$(cores_of $((after - before)) "$(seconds_of "$INGEST_DURATION")")
    ing[${name}_socket_errors]=$(grep -o 'Socket errors:.*' "$tmp/ingest-$name.txt" | sed 's/Socket errors: //' || true)
    cp "$tmp/ingest-$name.txt" "$results_dir/$RESULTS_NAME-wrk-ingest-$name.txt"
    note "ingest $name: ${ing[${name}_events]} events/s (${ing[${name}_rps]} requests/s), hookd ${ing[${name}_cores]} cores"
  }
  run_ingest none "$tmp/ingest-none.json"
  run_ingest one "$tmp/ingest-one.json"
  # Every event of organization 8 has its one delivery.
  ing[check]=$(sql "$hookd_db" "SELECT (SELECT count(*) FROM events WHERE organization_id = 8) || ' events of organization 8, ' || (SELECT count(*) FROM deliveries) || ' deliveries; ' || (SELECT count(*) FROM events WHERE organization_id = 7) || ' events of organization 7'")
  stop_hookd
fi
load_end=$(load_avg)

# =============================================================================================
# Report.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown && -n $(git status --porcelain --untracked-files=no -- src 2>/dev/null) ]]; then
  commit="$commit (with uncommitted changes in src/)"
fi
hookd_version=$("$HOOKD_BIN" version | sed 's/^hookd //')
cpu_model=$(lscpu 2>/dev/null | sed -nE 's/^Model name:[[:space:]]*//p' | head -n 1)
verdict() { awk -v v="$1" -v aim="$2" -v dir="$3" 'BEGIN {
  if (v == "" || v == "n/a") { print "not measured"; exit }
  ok = (dir == "min") ? (v + 0 >= aim + 0) : (v + 0 <= aim + 0)
  print ok ? "**met**" : "**not met**" }'; }

{
  echo "# hookd delivery benchmark — $started_at"
  echo
  echo "- hookd $hookd_version, commit $commit; \`$HOOKD_BIN\`${HOOKD_ENV:+, run with \`$HOOKD_ENV\` (HOOKD_ENV)}"
  echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr), $(awk '/MemTotal/ {printf "%.0f GiB RAM", $2 / 1048576}' /proc/meminfo)"
  echo "- load average at the start: $load_start; at the end: $load_end"
  echo "- nginx ${nginx_version:-not run} (worker_processes $NGINX_WORKERS, TLS$([[ $NGINX_HTTP2 == 1 ]] && echo ' + HTTP/2'), \`return 200\`, keepalive_requests $NGINX_KEEPALIVE_REQUESTS, access_log off), $(wrk -v 2>&1 | head -n 1 | awk '{print $1, $2}'), node $(node --version 2>/dev/null || echo '-'), $(openssl version | awk '{print $1, $2}')"
  if [[ $DATABASE == postgres ]]; then
    if (( WORKERS > 0 )); then
      layout="one \`hookd serve --role api\` and $WORKERS \`--role worker\` processes"
    else
      layout="one \`hookd serve\` process (role all)"
    fi
    echo "- database: PostgreSQL $pg_version, started by the script with its default settings (fsync on); $layout; the ingest part runs \`--role api\` alone"
  else
    echo "- database: SQLite; one \`hookd serve\` process"
  fi
  echo "- database reads by: $sql_tool; everything (load generators, nginx, hookd) shares the machine's CPUs"
  echo
  echo "## Figures"
  echo
  echo "| measure | figure | baseline / aim | verdict |"
  echo "|---|---:|---|---|"
  if [[ -n ${raw[rps]:-} ]]; then
    echo "| raw: wrk → nginx HTTPS POST, ${raw[body_bytes]}-byte body, $CONNECTIONS connections | ${raw[rps]} requests/s | (baseline; p50 ${raw[p50]}, p99 ${raw[p99]}, nginx ${raw[nginx_cores]} cores) | |"
  fi
  if [[ -n ${tp[rate]:-} ]]; then
    echo "| signed deliveries/s into the same nginx ($EVENTS events × $FANOUT: $WEBHOOKS webhooks, scope $SCOPE) | ${tp[rate]} /s | aim ≥ 10,000/s | $(verdict "${tp[rate]}" 10000 min) |"
    echo "| … as a fraction of raw wrk | ${tp[ratio]:-n/a} | aim ≥ 0.25 | $(verdict "${tp[ratio]:-}" 0.25 min) |"
  fi
  if [[ -n ${lat[p99]:-} ]]; then
    echo "| ingest → receipt at $RATE events/s, p50 / p90 / p99 / max | ${lat[p50]} / ${lat[p90]} / ${lat[p99]} / ${lat[max]} ms | aim p99 ≤ 50 ms | $(verdict "${lat[p99]}" 50 max) |"
  fi
  if [[ -n ${ing[none_events]:-} ]]; then
    echo "| ingest, batches of $BATCH, $INGEST_CONNECTIONS producers, devices no webhook matches | ${ing[none_events]} events/s | (no aim) | |"
    echo "| ingest, batches of $BATCH, $INGEST_CONNECTIONS producers, devices ${ing[one_what]} | ${ing[one_events]} events/s | (no aim) | |"
  fi
  echo
  echo "Matching cost per event (100,000 webhooks over 1,000,000 devices) is measured by \`bench/matching_run.sh\` (results in \`bench/results/matching-latest.md\`)."
  if [[ -n ${tp[rate]:-} ]]; then
    echo
    echo "## Throughput"
    echo
    echo "- $EVENTS events in $((EVENTS / BATCH)) requests of $BATCH (${tp[request_bytes]} bytes each) from $PRODUCERS concurrent producers, each one request after another$( [[ $PRODUCER_REUSE == 1 ]] && echo " on one kept-alive connection of one curl process" || echo ", one curl process per request")$( (( tp[bodies] > 1 )) && echo ", ${tp[bodies]} bodies in turn that take the devices in turn"); all ingested after ${tp[ingest_seconds]} s"
    echo "- before it, $WARMUP_BATCHES warm-up batches delivered in full, one after another (the first through libcurl, which learns the receiver's protocol; the next on the HTTP/1.1 transport's connections)"
    echo "- last delivery recorded ${tp[seconds]} s after the first request: **${tp[rate]} deliveries/s**; steady state (10 % → 90 % of the attempts): ${tp[steady]}/s"
    echo "- deliveries: ${tp[counts]}; attempts: ${tp[attempts]} (${tp[failed_attempts]} not 2xx)"
    echo "- CPU over the run: hookd ${tp[hookd_cores]} cores (${tp[hookd_us]} µs per delivery), nginx ${tp[nginx_cores]} cores (${tp[nginx_us]} µs per delivery)$([[ $DATABASE == postgres ]] && echo ", PostgreSQL ${tp[pg_cores]} cores")"
    echo "- hookd peak RSS (VmHWM): ${tp[rss_peak_mib]} MiB"
    [[ -n ${tp[taken]} ]] && echo "- deliveries taken by the process serving the API (hookd_deliveries_taken_total): ${tp[taken]}"
    echo "- load average before: ${tp[load]}"
    echo "- hookd threads (tid order = creation order):"
    echo
    echo '```'
    echo "${tp[threads]}"
    echo '```'
    echo
    echo "Timeline (from the progress samples, every 0.5 s; the backlog is deliveries created and not yet recorded):"
    echo
    echo "| window | deliveries/s | backlog at its end |"
    echo "|---|---:|---:|"
    echo "${tp[timeline]}"
    echo
    [[ $PERF == 1 ]] && echo "- perf: \`bench/results/delivery-perf.txt\`, \`bench/results/delivery-perf-threads.txt\` (perf attached: figures lower than without)"
  fi
  if [[ -n ${lat[p99]:-} ]]; then
    echo
    echo "## Latency"
    echo
    echo "- offered $RATE events/s for $LAT_DURATION s after a $LAT_WARMUP s warm-up, one event per request, $SOCKETS keep-alive sockets; sent at ${lat[achievedSendRate]}/s"
    echo "- ingest → receipt, from each event's scheduled send time: p50 ${lat[p50]} ms, p90 ${lat[p90]} ms, p99 **${lat[p99]} ms**, max ${lat[max]} ms (missing events count as infinitely late)"
    echo "- the 202 answer, from the scheduled send time: p50 ${lat[ingest_p50]} ms, p90 ${lat[ingest_p90]} ms, p99 ${lat[ingest_p99]} ms, max ${lat[ingest_max]} ms"
    echo "- the load generator's own send lag: p50 ${lat[lag_p50]} ms, p99 ${lat[lag_p99]} ms, max ${lat[lag_max]} ms"
    echo "- reconciliation: sent ${lat[sent]} = published (202) ${lat[published]} + refused ${lat[refusedTotal]} + errors ${lat[errorsTotal]}; published ${lat[published]} = received ${lat[received]} + missing ${lat[missing]}; duplicates ${lat[duplicates]}, unexpected ${lat[unexpected]} (waited ${lat[drainedAfterSeconds]} s after the last answer)"
    echo "- hookd's deliveries table afterwards (warm-up included): ${lat[db_counts]}"
    echo "- hookd CPU over the run: ${lat[hookd_cores]} cores$([[ $DATABASE == postgres ]] && echo " (PostgreSQL ${lat[pg_cores]})") (per thread, tid cores: ${lat[threads]}); load average before: ${lat[load]}"
  fi
  if [[ -n ${ing[none_events]:-} ]]; then
    echo
    echo "## Ingest"
    echo
    echo "| devices | events/s | requests/s | p50 | p99 | hookd CPU (cores) | load before |"
    echo "|---|---:|---:|---:|---:|---:|---|"
    echo "| no webhook matches | ${ing[none_events]} | ${ing[none_rps]} | ${ing[none_p50]} | ${ing[none_p99]} | ${ing[none_cores]} | ${ing[none_load]} |"
    echo "| ${ing[one_what]} | ${ing[one_events]} | ${ing[one_rps]} | ${ing[one_p50]} | ${ing[one_p99]} | ${ing[one_cores]} | ${ing[one_load]} |"
    echo
    echo "- check: ${ing[check]}"
    for name in none one; do
      [[ -n ${ing[${name}_socket_errors]:-} ]] && echo "- $name: wrk socket errors: ${ing[${name}_socket_errors]}"
    done
  fi
  [[ -n ${raw[socket_errors]:-} ]] && echo "- raw: wrk socket errors: ${raw[socket_errors]}"
  echo
  echo "## Commands"
  echo
  echo '```sh'
  for k in raw throughput_hookd throughput_ingest latency_hookd latency ingest_hookd ingest_none ingest_one; do
    [[ -n ${cmd_line[$k]:-} ]] && echo "${cmd_line[$k]}" | sed "s|$tmp/|<tmp>/|g"
  done
  echo '```'
  echo
  echo "hookd's config (\`<tmp>/hookd.toml\`): \`[delivery] allow_targets = [\"127.0.0.0/8\"], ca_file = \"<tmp>/certs/ca.pem\"\`."
  if [[ -n ${raw[rps]:-} ]]; then
    echo
    echo "raw.lua:"
    echo
    echo '```lua'
    cat "$tmp/raw.lua"
    echo '```'
  fi
} >"$results_file"

echo
sed -n '/^## Figures/,/^Matching cost/p' "$results_file"
echo "written to $results_file"
