#!/usr/bin/env bash
# Times POST /v2/platform/events with one 12 MB batch (1,000 events of 240 readings each, the
# batch of bench/event_input_bench.cpp) against each hookd binary given, alternating, on a fresh
# SQLite database each round; prints "binary status seconds" per request.
#   bench/event_batch_run.sh build/hookd /tmp/hookd-before
set -euo pipefail
[ $# -ge 1 ] || { echo "usage: $0 HOOKD_BINARY..." >&2; exit 2; }
ROUNDS=${ROUNDS:-2}
REQUESTS=${REQUESTS:-8}
WORK=$(mktemp -d /tmp/hookd-event-batch.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

python3 - "$WORK/batch.json" <<'EOF'
import sys
events = []
for e in range(1000):
    data = ",".join('"reading%d":{"v":%d.25,"unit":"mV","ok":true}' % (i, e * 1000 + i)
                    for i in range(240))
    events.append('{"deviceId":85,"topic":"DeviceStatusEvents","type":"DeviceStatusBattery",'
                  '"time":"2026-11-29T06:00:00Z","data":{%s}}' % data)
open(sys.argv[1], "w").write('{"events":[' + ",".join(events) + "]}")
EOF

run() {
  local bin=$1 dir
  dir=$(mktemp -d "$WORK/run.XXXXXX")
  local token port=""
  token=$("$bin" token create --role platform --database "sqlite://$dir/h.db" 2>/dev/null)
  "$bin" serve --listen 127.0.0.1:0 --database "sqlite://$dir/h.db" 2>"$dir/log" &
  local pid=$!
  # The port is in the "listening" log line; a deadline, not a fixed sleep.
  for _ in $(seq 100); do
    port=$(grep -o '"port":[0-9]*' "$dir/log" | grep -o '[0-9]*$' | head -1 || true)
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { cat "$dir/log" >&2; kill "$pid"; return 1; }
  local url=http://127.0.0.1:$port auth="Authorization: Bearer $token"
  curl -sf -o /dev/null -X PUT "$url/v2/platform/organizations/6" -H "$auth" -d '{"name":"a"}'
  curl -sf -o /dev/null -X PUT "$url/v2/platform/devices/85" -H "$auth" \
    -d '{"organizationId":6,"name":"d"}'
  for _ in $(seq "$REQUESTS"); do
    curl -s -o /dev/null -w "$bin %{http_code} %{time_total}\n" -X POST \
      "$url/v2/platform/events" -H "$auth" --data-binary "@$WORK/batch.json"
  done
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}

for _ in $(seq "$ROUNDS"); do
  for bin in "$@"; do run "$bin"; done
done
