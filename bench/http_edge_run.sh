#!/usr/bin/env bash
# A healthy client's GET /healthz latency (p50/p99) with 10,000 idle keep-alive connections and
# 1,000 slow-header connections open, beside the same client with none, in one run of one server.
#
#   bench/http_edge_run.sh              # after `make build`
#   IDLE=2000 SLOW=200 bench/http_edge_run.sh
#
# Knobs: IDLE, SLOW, REQUESTS (healthy requests per phase, default 2000), HOOKD_BIN.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"
HOOKD_BIN=${HOOKD_BIN:-build/hookd}
[[ -x $HOOKD_BIN ]] || { echo "bench: $HOOKD_BIN not found: run \`make build\` first" >&2; exit 1; }

# Each side holds IDLE + SLOW descriptors and more.
ulimit -n "$(ulimit -Hn)"
need=$(( ${IDLE:-10000} + ${SLOW:-1000} + 1000 ))
(( $(ulimit -n) >= need )) || { echo "bench: ulimit -n $(ulimit -n) < $need" >&2; exit 1; }

dir=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT
cat > "$dir/hookd.toml" <<TOML
max_connections = $(( ${IDLE:-10000} + ${SLOW:-1000} + 100 ))
TOML
"$HOOKD_BIN" serve --listen 127.0.0.1:0 --database "sqlite://$dir/hookd.db" --config "$dir/hookd.toml" \
  2> "$dir/hookd.log" &
pid=$!
for _ in $(seq 100); do
  port=$(sed -n 's/.*"msg":"listening".*"port":\([0-9]*\).*/\1/p' "$dir/hookd.log")
  [[ -n $port ]] && break
  sleep 0.1
done
[[ -n $port ]] || { cat "$dir/hookd.log" >&2; exit 1; }
echo "bench: hookd $(git rev-parse --short HEAD) on port $port, $(nproc) cores" >&2
python3 bench/http_edge_load.py "$port"
echo "bench: hookd RSS $(awk '/VmRSS/ {print $2, $3}' /proc/$pid/status), log lines $(wc -l < "$dir/hookd.log")" >&2
