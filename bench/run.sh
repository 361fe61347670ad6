#!/usr/bin/env bash
# HTTP benchmark of hookd beside a static nginx answer, measured by the same wrk in the same run.
#
#   make bench                     # builds, installs wrk + nginx-light, runs this script
#   DURATION=30s bench/run.sh      # after `make build`
#
# Knobs (environment):
#   DURATION       measured wrk run per target       (default 10s)
#   WARMUP         unmeasured wrk run before each     (default 2s; 0 skips it)
#   CONNECTIONS    wrk connections                    (default 64)
#   WRK_THREADS    wrk threads                        (default 2)
#   HOOKD_THREADS  hookd server threads, read by hookd (default: unset, one per core)
#   NGINX_WORKERS  nginx worker_processes             (default: HOOKD_THREADS if set, else auto = one per core)
#   HOOKD_BIN      the server binary                  (default build/hookd)
#
# Prints a table and writes it, with the machine and the exact commands, to bench/results/latest.md.
# Fails when any response of a run is not 2xx/3xx: a benchmark of errors measures nothing.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

DURATION=${DURATION:-10s}
WARMUP=${WARMUP:-2s}
CONNECTIONS=${CONNECTIONS:-64}
WRK_THREADS=${WRK_THREADS:-2}
HOOKD_BIN=${HOOKD_BIN:-build/hookd}
NGINX_BIN=/usr/sbin/nginx
NGINX_WORKERS=${NGINX_WORKERS:-${HOOKD_THREADS:-auto}}
[[ $NGINX_WORKERS == 0 ]] && NGINX_WORKERS=auto   # HOOKD_THREADS=0 also means one per core
results_dir=bench/results
results_file=$results_dir/latest.md

die() { echo "bench: $*" >&2; exit 1; }
note() { echo "bench: $*" >&2; }

[[ -x $HOOKD_BIN ]] || die "$HOOKD_BIN not found: run \`make build\` first"
command -v wrk >/dev/null || die "wrk not found: run \`scripts/bootstrap.sh --bench\` (or \`make bench\`)"
[[ -x $NGINX_BIN ]] || die "$NGINX_BIN not found: run \`scripts/bootstrap.sh --bench\` (or \`make bench\`)"
command -v curl >/dev/null || die "curl not found: run \`scripts/bootstrap.sh\`"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/hookd-bench.XXXXXX")
pids=()
cleanup() {
  local status=$?
  set +e
  trap - EXIT INT TERM
  trap '' PIPE   # a closed stdout/stderr (`| head`) must not stop the clean-up half-way
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do
    # Up to 5 s for a clean stop, then no more waiting.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  if [[ $status -ne 0 && -d $tmp ]]; then
    for log in "$tmp/hookd.log" "$tmp/nginx-error.log" "$tmp/nginx-stderr.log"; do
      [[ -s $log ]] && { note "last lines of $(basename "$log"):"; tail -n 5 "$log" >&2; }
    done
  fi
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------------------------------------
# CPU time (in clock ticks) of a process and all its threads, and of its child processes
# (nginx's workers), read from /proc. Used to report how many cores each server used.
clk_tck=$(getconf CLK_TCK 2>/dev/null || echo 100)
proc_ticks() {  # pid -> utime+stime of that process, 0 when gone
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  stat=${stat##*) }   # the fields after "(comm) "
  read -r -a f <<<"$stat"
  echo $((f[11] + f[12]))
}
tree_ticks() {  # pid -> ticks of it and its direct children
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
seconds_of() {  # wrk duration ("10s", "1m", "500ms" is not wrk's) -> seconds
  local d=$1
  case $d in
    *h) echo $(( ${d%h} * 3600 )) ;;
    *m) echo $(( ${d%m} * 60 )) ;;
    *s) echo "${d%s}" ;;
    *) echo "$d" ;;
  esac
}

# ---------------------------------------------------------------------------------------------
# nginx: a static JSON answer on a free port.
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
user_line=""
[[ $(id -u) -eq 0 ]] && user_line="user root;"   # workers would otherwise drop to nobody

nginx_pid=""
for attempt in 1 2 3 4 5; do
  nginx_port=$((20000 + RANDOM % 40000))
  port_in_use "$nginx_port" && continue
  sed -e "s|@TMP@|$tmp|g" -e "s|@PORT@|$nginx_port|g" -e "s|@WORKERS@|$NGINX_WORKERS|g" \
      -e "s|@USER_LINE@|$user_line|g" bench/nginx.conf.template >"$tmp/nginx.conf"
  : >"$tmp/nginx-error.log"
  "$NGINX_BIN" -c "$tmp/nginx.conf" -p "$tmp/" -e "$tmp/nginx-error.log" 2>"$tmp/nginx-stderr.log" &
  nginx_pid=$!
  pids+=("$nginx_pid")
  for _ in $(seq 100); do
    curl -fsS -o /dev/null "http://127.0.0.1:$nginx_port/" 2>/dev/null && break
    kill -0 "$nginx_pid" 2>/dev/null || break
    sleep 0.1
  done
  if curl -fsS -o /dev/null "http://127.0.0.1:$nginx_port/" 2>/dev/null; then break; fi
  note "nginx did not start on port $nginx_port (attempt $attempt)"
  kill "$nginx_pid" 2>/dev/null || true; wait "$nginx_pid" 2>/dev/null || true
  nginx_pid=""
done
[[ -n $nginx_pid ]] || die "nginx would not start; see its error log above"
nginx_version=$("$NGINX_BIN" -v 2>&1 | sed 's|.*nginx/||')

# ---------------------------------------------------------------------------------------------
# hookd on a fresh SQLite database in the temp dir, port 0; the port comes from its log.
db="sqlite://$tmp/bench.db"
"$HOOKD_BIN" serve --listen 127.0.0.1:0 --database "$db" 2>"$tmp/hookd.log" >/dev/null &
hookd_pid=$!
pids+=("$hookd_pid")
hookd_port=""
for _ in $(seq 200); do   # up to 20 s
  hookd_port=$(grep '"msg":"listening"' "$tmp/hookd.log" 2>/dev/null \
               | sed -nE 's/.*"port":([0-9]+).*/\1/p' | head -n 1 || true)
  [[ -n $hookd_port ]] && break
  kill -0 "$hookd_pid" 2>/dev/null || die "hookd exited before listening"
  sleep 0.1
done
[[ -n $hookd_port ]] || die "hookd did not log \"listening\" within 20 s"
hookd_url="http://127.0.0.1:$hookd_port"
curl -fsS -o /dev/null "$hookd_url/healthz" || die "hookd listens on $hookd_port but GET /healthz fails"
hookd_version=$("$HOOKD_BIN" version | sed 's/^hookd //')

# ---------------------------------------------------------------------------------------------
# Bootstrap: platform token, organization 6 with devices 85-87, an admin token, one webhook.
platform_token=$("$HOOKD_BIN" token create --role platform --database "$db")
[[ -n $platform_token ]] || die "hookd token create printed nothing"

api() {  # method path token body -> response body; fails on any non-2xx answer
  local out code
  out=$(curl -sS -X "$1" "$hookd_url$2" -H "Authorization: Bearer $3" \
             -H 'Content-Type: application/json' --data-binary "$4" -w '\n%{http_code}') \
    || die "$1 $2: curl failed"
  code=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ $code == 2?? ]] || die "$1 $2 answered $code: $out"
  printf '%s' "$out"
}
json_field() {  # name json -> the value of a top-level string or integer field
  sed -nE "s/.*\"$1\":\"?([^\",}]+)\"?.*/\1/p" <<<"$2"
}

api PUT /v2/platform/organizations/6 "$platform_token" '{"name":"bench"}' >/dev/null
for device in 85 86 87; do
  api PUT "/v2/platform/devices/$device" "$platform_token" '{"organizationId":6,"name":"lock"}' >/dev/null
done
admin_token=$(json_field token "$(api POST /v2/platform/tokens "$platform_token" '{"role":"admin","organizationId":6}')")
[[ -n $admin_token ]] || die "no admin token in the answer of POST /v2/platform/tokens"

webhook_body='{"organizationId":6,"deviceIds":[85,86,87],"secretHttp":"PoWJFA11inptkbGz","webhookUrl":"https://webhooks.example.com/hook","topics":["DeviceActivationEvents","DeviceTamperEvents"]}'
webhook_id=$(json_field id "$(api POST /v2/webhooks "$admin_token" "$webhook_body")")
[[ $webhook_id =~ ^[0-9]+$ ]] || die "no webhook id in the answer of POST /v2/webhooks"
api GET "/v2/webhooks/$webhook_id" "$admin_token" '' >/dev/null

cat >"$tmp/post.lua" <<EOF
-- POST /v2/webhooks with the seed's body; every request creates one webhook.
wrk.method = "POST"
wrk.body = '$webhook_body'
wrk.headers["Authorization"] = "Bearer $admin_token"
wrk.headers["Content-Type"] = "application/json"
EOF

# ---------------------------------------------------------------------------------------------
# The runs.
wrk_base=(wrk "-t$WRK_THREADS" "-c$CONNECTIONS")
declare -A cmd_line rps p50 p99 cores cpu_us socket_errors

check_output() {  # name file
  if grep -q 'Non-2xx or 3xx responses' "$2"; then
    cat "$2" >&2
    die "$1: $(grep 'Non-2xx or 3xx responses' "$2" | xargs) - a benchmark of errors is meaningless"
  fi
  grep -q '^Requests/sec:' "$2" || { cat "$2" >&2; die "$1: wrk printed no Requests/sec"; }
}

shell_words() {  # args -> one line a shell would split back into the same args
  local out="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=@%+,-]+$ ]]; then out+="$a "; else out+="'${a//\'/\'\\\'\'}' "; fi
  done
  printf '%s' "${out% }"
}

run_wrk() {  # name server-pid args...
  local name=$1 server_pid=$2
  shift 2
  if [[ $WARMUP != 0 && $WARMUP != 0s ]]; then
    note "$name: warm-up $WARMUP"
    "${wrk_base[@]}" "-d$WARMUP" "$@" >"$tmp/warmup-$name.txt" 2>&1 &
    pids+=("$!"); wait "$!" || { cat "$tmp/warmup-$name.txt" >&2; die "$name: wrk failed in warm-up"; }
    check_output "$name (warm-up)" "$tmp/warmup-$name.txt"
  fi
  local cmd=("${wrk_base[@]}" "-d$DURATION" --latency "$@")
  cmd_line[$name]=$(shell_words "${cmd[@]}")
  note "$name: ${cmd_line[$name]}"
  local before after
  before=$(tree_ticks "$server_pid")
  "${cmd[@]}" >"$tmp/wrk-$name.txt" 2>&1 &
  pids+=("$!"); wait "$!" || { cat "$tmp/wrk-$name.txt" >&2; die "$name: wrk failed"; }
  after=$(tree_ticks "$server_pid")
  check_output "$name" "$tmp/wrk-$name.txt"
  rps[$name]=$(awk '/^Requests\/sec:/ {print $2}' "$tmp/wrk-$name.txt")
  p50[$name]=$(awk '$1 == "50%" {print $2}' "$tmp/wrk-$name.txt")
  p99[$name]=$(awk '$1 == "99%" {print $2}' "$tmp/wrk-$name.txt")
  socket_errors[$name]=$(grep -o 'Socket errors:.*' "$tmp/wrk-$name.txt" | sed 's/Socket errors: //' || true)
  [[ -n ${socket_errors[$name]} ]] && note "$name: wrk reports socket errors: ${socket_errors[$name]}"
  cores[$name]=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v s="$(seconds_of "$DURATION")" \
                     'BEGIN { printf "%.2f", t / hz / s }')
  cpu_us[$name]=$(awk -v t=$((after - before)) -v hz="$clk_tck" -v s="$(seconds_of "$DURATION")" \
                      -v r="${rps[$name]}" 'BEGIN { printf "%.0f", t / hz / s / r * 1e6 }')
}

mkdir -p "$results_dir"
load_before=$(uptime | sed 's/.*load average: //')
run_wrk nginx "$nginx_pid" "http://127.0.0.1:$nginx_port/"
run_wrk hookd-get "$hookd_pid" -H "Authorization: Bearer $admin_token" "$hookd_url/v2/webhooks/$webhook_id"
run_wrk hookd-post "$hookd_pid" -s "$tmp/post.lua" "$hookd_url/v2/webhooks"
load_after=$(uptime | sed 's/.*load average: //')
# One more create after the load: it must still succeed, and its id tells how many the runs made.
last_id=$(json_field id "$(api POST /v2/webhooks "$admin_token" "$webhook_body")")

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
ratio_get=$(ratio "${rps[hookd-get]}" "${rps[nginx]}")
ratio_post=$(ratio "${rps[hookd-post]}" "${rps[nginx]}")

# ---------------------------------------------------------------------------------------------
# Report.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown && -n $(git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
  commit="$commit (with uncommitted changes)"
fi
cpu_model=$(lscpu 2>/dev/null | sed -nE 's/^Model name:[[:space:]]*//p' | head -n 1)
tmp_fs=$(stat -f -c %T "$tmp" 2>/dev/null || echo unknown)

table() {
  echo "| target | requests/s | p50 | p99 | server CPU (cores) | server CPU per request | vs nginx |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row() { echo "| $1 | ${rps[$2]} | ${p50[$2]} | ${p99[$2]} | ${cores[$2]} | ${cpu_us[$2]} µs | $3 |"; }
  row "nginx \`GET /\` (static)" nginx 1.00
  row "hookd \`GET /v2/webhooks/$webhook_id\`" hookd-get "$ratio_get"
  row "hookd \`POST /v2/webhooks\`" hookd-post "$ratio_post"
}

{
  echo "# hookd benchmark — $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
  echo
  table
  echo
  echo "- hookd $hookd_version, commit $commit; HOOKD_THREADS=${HOOKD_THREADS:-unset (one per core)}"
  echo "- nginx $nginx_version, worker_processes $NGINX_WORKERS, access_log off"
  echo "- wrk: $WRK_THREADS threads, $CONNECTIONS connections, $DURATION per target after a ${WARMUP} warm-up"
  echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr)"
  echo "- load average before: $load_before; after: $load_after"
  echo "- database: SQLite in $tmp_fs temp dir; $((last_id - webhook_id - 1)) webhooks created by the POST warm-up and run"
  for name in nginx hookd-get hookd-post; do
    [[ -n ${socket_errors[$name]} ]] && echo "- $name: wrk socket errors: ${socket_errors[$name]}"
  done
  echo "- wrk, nginx and hookd share the machine's CPUs; \"server CPU\" is the server's CPU time over the run's length."
  echo
  echo "## Commands"
  echo
  echo '```sh'
  echo "${cmd_line[nginx]}"
  echo "${cmd_line[hookd-get]}"
  echo "${cmd_line[hookd-post]}"
  echo '```'
  echo
  echo "post.lua:"
  echo
  echo '```lua'
  cat "$tmp/post.lua"
  echo '```'
  echo
  echo "Raw wrk output: \`bench/results/wrk-*.txt\`."
} >"$results_file"
for name in nginx hookd-get hookd-post; do cp "$tmp/wrk-$name.txt" "$results_dir/wrk-$name.txt"; done

echo
table
echo
echo "hookd GET / nginx = $ratio_get, hookd POST / nginx = $ratio_post"
echo "written to $results_file"
