#!/usr/bin/env bash
# Matching cost per event with 100,000 webhooks over 1,000,000 devices: runs the Google
# Benchmark cases of bench/matching_bench.cpp and writes them, with the machine, its load, the
# commit and the matching index's load time and heap, to bench/results/matching-latest.md
# (JSON beside it).
#
#   make bench-delivery           # builds, then runs bench/delivery_run.sh and this
#   bench/matching_run.sh         # after `make build`
#
# Knobs (environment):
#   BENCH_BIN          the benchmark binary               (default build/bench/hookd_bench)
#   BENCH_FILTER       --benchmark_filter                  (default ^BM_(Ingest|Matching))
#   BENCH_REPETITIONS  --benchmark_repetitions             (default 3; the table shows the mean and range)
#   HOOKD_BENCH_DIR    where the fixture database is built (default $TMPDIR or /tmp)
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

BENCH_BIN=${BENCH_BIN:-build/bench/hookd_bench}
BENCH_FILTER=${BENCH_FILTER:-^BM_(Ingest|Matching)}
BENCH_REPETITIONS=${BENCH_REPETITIONS:-3}
results_dir=bench/results
results_file=$results_dir/matching-latest.md

die() { echo "bench-matching: $*" >&2; exit 1; }
[[ -x $BENCH_BIN ]] || die "$BENCH_BIN not found: run \`make build\` first"
command -v node >/dev/null || die "node not found: run \`scripts/bootstrap.sh\`"
mkdir -p "$results_dir"

load_avg() { sed 's/.*load average: //' <<<"$(uptime)"; }
started_at=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
load_before=$(load_avg)
cmd=("$BENCH_BIN" "--benchmark_filter=$BENCH_FILTER" "--benchmark_repetitions=$BENCH_REPETITIONS"
     "--benchmark_out=$results_dir/matching-latest.json" --benchmark_out_format=json)
echo "bench-matching: load average $load_before; ${cmd[*]}" >&2
"${cmd[@]}" 2>&1 | tee "$results_dir/matching-latest.txt"
load_after=$(load_avg)

commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
if [[ $commit != unknown && -n $(git status --porcelain --untracked-files=no -- src 2>/dev/null) ]]; then
  commit="$commit (with uncommitted changes in src/)"
fi
cpu_model=$(lscpu 2>/dev/null | sed -nE 's/^Model name:[[:space:]]*//p' | head -n 1)

# One row per benchmark (the mean when repeated): real and CPU time per event, counters.
table=$(node -e '
  // Google Benchmark writes nan for some aggregates, which is not JSON.
  const text = require("fs").readFileSync(process.argv[1], "utf8").replace(/-?\bnan\b|-?\binf\b/gi, "null");
  const r = JSON.parse(text);
  const us = (v, unit) => v * ({ ns: 1e-3, us: 1, ms: 1e3, s: 1e6 })[unit];
  const runs = r.benchmarks.filter((b) => !b.aggregate_name);
  const byName = new Map();
  for (const b of runs) {
    const name = b.run_name ?? b.name;
    if (!byName.has(name)) byName.set(name, []);
    byName.get(name).push(b);
  }
  const fmt = (xs) => {
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    return xs.length > 1
      ? `${mean.toFixed(1)} µs (${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)})`
      : `${mean.toFixed(1)} µs`;
  };
  for (const [name, bs] of byName) {
    const perEvent = bs[0]["time/event"] !== undefined;
    const real = bs.map((b) => (perEvent ? us(b.real_time, b.time_unit) / 1000 : us(b.real_time, b.time_unit)));
    const cpu = bs.map((b) => (perEvent ? b["time/event"] * 1e6 : us(b.cpu_time, b.time_unit)));
    const avg = (k) => bs.reduce((a, b) => a + b[k], 0) / bs.length;
    const extra = bs[0]["deliveries/event"] !== undefined ? `${avg("deliveries/event").toFixed(2)} deliveries`
               : bs[0]["webhooks/event"] !== undefined ? `${avg("webhooks/event").toFixed(2)} webhooks` : "";
    console.log(`| ${name} | ${fmt(real)} | ${fmt(cpu)} | ${extra} | ${bs.length} × ${bs[0].iterations} |`);
  }' "$results_dir/matching-latest.json")
fixture=$(grep -m1 '^matching fixture: 1000' "$results_dir/matching-latest.txt" || true)
index=$(grep -m1 '^matching fixture: matching index' "$results_dir/matching-latest.txt" || true)
library=$(grep -m1 'Library was built as' "$results_dir/matching-latest.txt" || true)

{
  echo "# hookd matching benchmark — $started_at"
  echo
  echo "- hookd commit $commit; \`$BENCH_BIN\` (hookd_core as built by the release preset, RelWithDebInfo)"
  echo "- machine: $(nproc) CPUs, ${cpu_model:-unknown CPU}, $(uname -sr); libsqlite3 $(dpkg-query -W -f='${Version}' libsqlite3-0 2>/dev/null || echo '?')"
  echo "- load average before: $load_before; after: $load_after"
  echo "- ${fixture:-fixture line missing}"
  echo "- ${index:-matching index line missing}"
  [[ -n $library ]] && echo "- Google Benchmark says: \"${library#\*\*\*WARNING\*\*\* }\" (Debian's libbenchmark; it concerns the harness, not hookd's code)"
  echo
  echo "| benchmark | real time per event | CPU time per event | per event | runs × iterations |"
  echo "|---|---:|---:|---|---:|"
  echo "$table"
  echo
  echo "Aim: matching ≤ 10 µs per event. hookd matches with BM_MatchingIndex_RandomDevice's code (its"
  echo "SqliteMatcher: the device and its webhooks in memory), once per ingest transaction after"
  echo "BM_MatchingRefreshUnchanged's check; BM_MatchingQueryAlone_RandomDevice is the SQL it replaced."
  echo
  echo '```sh'
  echo "${cmd[*]}"
  echo '```'
} >"$results_file"
echo "written to $results_file" >&2
