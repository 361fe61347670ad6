#!/usr/bin/env bash
# hookd's memory with a million deliveries pending to receivers that are down: issue 3 asks
# that it stays bounded. Starts hookd on a fresh SQLite database with WEBHOOKS organization-wide
# webhooks on one receiver that is
#   hung  (RECEIVER=hung, the default): a TCP listener that never answers, so every attempt
#         holds its slot until the timeout, or
#   dead  (RECEIVER=dead): a port nobody listens on, so every attempt fails at once,
# ingests EVENTS events in batches of BATCH (EVENTS x WEBHOOKS deliveries), keeps hookd running
# HOLD seconds more, and samples hookd's resident memory (VmRSS, and VmHWM: its peak) all along.
#
#   bench/pending_memory_run.sh                    # after `make build`
#   RECEIVER=dead HOLD=120 bench/pending_memory_run.sh
#
# Knobs (environment): RECEIVER (hung), WEBHOOKS (10), EVENTS (100000), BATCH (1000),
# HOLD (60 s), HOOKD_BIN (build/hookd). Writes bench/results/pending-memory-latest.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

RECEIVER=${RECEIVER:-hung}
WEBHOOKS=${WEBHOOKS:-10}
EVENTS=${EVENTS:-100000}
BATCH=${BATCH:-1000}
HOLD=${HOLD:-60}
HOOKD_BIN=${HOOKD_BIN:-build/hookd}
results_dir=bench/results
results_file=$results_dir/pending-memory-latest.md

die() { echo "bench-memory: $*" >&2; exit 1; }
note() { echo "bench-memory: $*" >&2; }
[[ -x $HOOKD_BIN ]] || die "$HOOKD_BIN not found: run \`make build\` first"
command -v curl >/dev/null || die "curl not found: run \`scripts/bootstrap.sh\`"
command -v python3 >/dev/null || die "python3 not found"
[[ $RECEIVER == hung || $RECEIVER == dead ]] || die "RECEIVER must be hung or dead"
(( EVENTS % BATCH == 0 )) || die "EVENTS ($EVENTS) must be a multiple of BATCH ($BATCH)"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench-memory.XXXXXX")
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mem_kib() { awk -v k="$2:" '$1 == k {print $2}' "/proc/$1/status" 2>/dev/null || echo 0; }
sql() {
  python3 - "$1" "$2" <<'PY'
import sqlite3, sys
db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True, timeout=30)
for row in db.execute(sys.argv[2]):
    print("|".join("" if v is None else str(v) for v in row))
PY
}

# The receiver.
if [[ $RECEIVER == hung ]]; then
  python3 -c '
import socket, sys, time
s = socket.socket()
s.bind(("127.0.0.1", 0))
s.listen(4096)
print(s.getsockname()[1], flush=True)
while True:
    time.sleep(3600)
' >"$tmp/receiver.port" &
  pids+=($!)
  for _ in $(seq 100); do [[ -s $tmp/receiver.port ]] && break; sleep 0.05; done
  receiver_port=$(cat "$tmp/receiver.port")
else
  receiver_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
[[ -n $receiver_port ]] || die "no receiver port"

# hookd.
db=$tmp/memory.db
cat >"$tmp/hookd.toml" <<EOF
[delivery]
allow_targets = ["127.0.0.0/8"]
EOF
"$HOOKD_BIN" serve --listen 127.0.0.1:0 --database "sqlite://$db" --config "$tmp/hookd.toml" \
  2>"$tmp/hookd.log" >/dev/null &
hookd_pid=$!
pids+=("$hookd_pid")
port=""
for _ in $(seq 200); do
  port=$(sed -nE 's/.*"msg":"listening".*"port":([0-9]+).*/\1/p' "$tmp/hookd.log" | head -n 1)
  [[ -n $port ]] && break
  kill -0 "$hookd_pid" 2>/dev/null || { cat "$tmp/hookd.log" >&2; die "hookd exited"; }
  sleep 0.1
done
[[ -n $port ]] || die "hookd did not listen"
url="http://127.0.0.1:$port"
token=$("$HOOKD_BIN" token create --role platform --database "sqlite://$db")
api() {
  curl -fsS -o /dev/null -X "$1" "$url$2" -H "Authorization: Bearer $token" \
    -H 'Content-Type: application/json' --data-binary "$3" || die "$1 $2 failed"
}
api PUT /v2/platform/organizations/6 '{"name":"memory"}'
for d in $(seq 85 94); do api PUT "/v2/platform/devices/$d" "{\"organizationId\":6,\"name\":\"lock $d\"}"; done
for w in $(seq "$WEBHOOKS"); do
  api POST /v2/webhooks "{\"organizationId\":6,\"webhookUrl\":\"https://127.0.0.1:$receiver_port/hook/$w\",\"topics\":[\"DeviceStatusEvents\"]}"
done
awk -v n="$BATCH" 'BEGIN {
  printf "{\"events\":["
  for (i = 0; i < n; i++) printf "%s{\"deviceId\":%d,\"topic\":\"DeviceStatusEvents\",\"data\":{\"battery\":87,\"locked\":true,\"firmware\":\"2.4.1\",\"rssi\":-61}}", (i ? "," : ""), 85 + i % 10
  printf "]}"
}' >"$tmp/batch.json"

rss_start=$(mem_kib "$hookd_pid" VmRSS)
load_start=$(sed 's/.*load average: //' <<<"$(uptime)")
note "hookd $hookd_pid, receiver $RECEIVER on $receiver_port; RSS at the start ${rss_start} KiB; load $load_start"
samples=$tmp/samples.txt
t0=$(date +%s)
for ((i = 1; i <= EVENTS / BATCH; i++)); do
  api POST /v2/platform/events "@$tmp/batch.json"
  if (( i % 10 == 0 )); then
    echo "$(( $(date +%s) - t0 )) ingest $((i * BATCH)) $(mem_kib "$hookd_pid" VmRSS) $(mem_kib "$hookd_pid" VmHWM)" | tee -a "$samples" >&2
  fi
done
ingest_seconds=$(( $(date +%s) - t0 ))
for ((s = 0; s < HOLD; s += 5)); do
  sleep 5
  kill -0 "$hookd_pid" 2>/dev/null || die "hookd died"
  echo "$(( $(date +%s) - t0 )) hold - $(mem_kib "$hookd_pid" VmRSS) $(mem_kib "$hookd_pid" VmHWM)" | tee -a "$samples" >&2
done
rss_end=$(mem_kib "$hookd_pid" VmRSS)
hwm=$(mem_kib "$hookd_pid" VmHWM)
counts=$(sql "$db" "SELECT status || '=' || count(*) FROM deliveries GROUP BY status" | tr '\n' ' ')
attempts=$(sql "$db" "SELECT count(*) FROM attempts")
db_mib=$(du -sm "$tmp" | awk '{print $1}')
kill -TERM "$hookd_pid"
wait "$hookd_pid" 2>/dev/null || true

mkdir -p "$results_dir"
{
  echo "# hookd memory with deliveries pending to a $RECEIVER receiver — $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "- commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown), \`$HOOKD_BIN\`; $(nproc) CPUs; load at the start $load_start"
  echo "- $WEBHOOKS webhooks on one $RECEIVER receiver; $EVENTS events in batches of $BATCH: $((EVENTS * WEBHOOKS)) deliveries, ingested in $ingest_seconds s, then $HOLD s more"
  echo "- hookd resident memory: ${rss_start} KiB at the start, peak (VmHWM) **$((hwm / 1024)) MiB**, $((rss_end / 1024)) MiB at the end"
  echo "- deliveries at the end: $counts; attempts logged: $attempts; database directory $db_mib MiB"
  echo
  echo "| s | phase | events | VmRSS KiB | VmHWM KiB |"
  echo "|---:|---|---:|---:|---:|"
  awk '{printf "| %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5}' "$samples"
} >"$results_file"
cat "$results_file"
