#!/usr/bin/env bash
# The common case of a device platform, each event matching exactly one webhook, at 100, 1,000
# and 10,000 webhooks: RUNS runs of bench/delivery_run.sh each (raw wrk, then hookd, into the
# same nginx), and a table of every run's figures side by side.
#
#   make bench-delivery          # runs this after the fan-out benchmark
#   bench/common_case_run.sh     # after `make build` and `scripts/bootstrap.sh --bench`
#
# Knobs (environment): COUNTS (webhook counts, default 100,1000,10000), RUNS (default 3),
# EVENTS (default 60000), DATABASE (sqlite or postgres), WORKERS, and any other knob of
# bench/delivery_run.sh. Results: bench/results/common-case-latest.md, and each run's own
# bench/results/common-<webhooks>-<run>-latest.md.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

COUNTS=${COUNTS:-100,1000,10000}
RUNS=${RUNS:-3}
export EVENTS=${EVENTS:-60000}
results_dir=bench/results
summary=$results_dir/common-case-latest.md
mkdir -p "$results_dir"

started_at=$(date -u '+%Y-%m-%d %H:%M:%S UTC')
IFS=, read -r -a counts <<<"$COUNTS"
rows=()
for webhooks in "${counts[@]}"; do
  for ((run = 1; run <= RUNS; run++)); do
    name=common-$webhooks-$run
    echo "bench-common: $webhooks webhooks, run $run of $RUNS" >&2
    PARTS=raw,throughput SCOPE=device WEBHOOKS=$webhooks BATCH=500 PRODUCERS=8 \
      RESULTS_NAME=$name bench/delivery_run.sh >"$results_dir/$name.log" 2>&1 \
      || { cat "$results_dir/$name.log" >&2; exit 1; }
    log=$results_dir/$name.log
    raw=$(sed -nE 's/.*raw: ([0-9]+) requests\/s.*/\1/p' "$log" | tail -n 1)
    line=$(grep -E 'throughput: [0-9]+ deliveries/s' "$log" | tail -n 1)
    rate=$(sed -nE 's/.*throughput: ([0-9]+) deliveries\/s over ([0-9.]+) s.*/\1/p' <<<"$line")
    seconds=$(sed -nE 's/.* over ([0-9.]+) s.*/\1/p' <<<"$line")
    cores=$(sed -nE 's/.*hookd ([0-9.]+) cores.*/\1/p' <<<"$line")
    ratio=$(awk -v a="$rate" -v b="$raw" 'BEGIN { printf "%.3f", a / b }')
    cpu=$(awk -v c="$cores" -v s="$seconds" -v n="$EVENTS" 'BEGIN { printf "%.0f", c * s / n * 1e6 }')
    rows+=("| $webhooks | $run | $rate | $raw | $ratio | $cores | $cpu |")
    echo "bench-common: $webhooks webhooks, run $run: $rate deliveries/s, raw $raw, ratio $ratio, hookd $cores cores, $cpu µs CPU per delivery" >&2
  done
done

{
  echo "# The common case: one event, one webhook — $started_at"
  echo
  echo "\`bench/common_case_run.sh\` (COUNTS=$COUNTS, RUNS=$RUNS, EVENTS=$EVENTS, batches of 500 from"
  echo "8 producers, DATABASE=${DATABASE:-sqlite}); each row one run of \`bench/delivery_run.sh\`, its raw"
  echo "\`wrk\` figure from the same run. CPU per delivery is hookd's, ingestion included."
  echo
  echo "| webhooks | run | deliveries/s | wrk raw | ratio | hookd cores | CPU µs per delivery |"
  echo "|---:|---:|---:|---:|---:|---:|---:|"
  printf '%s\n' "${rows[@]}"
} >"$summary"
cat "$summary"
echo "written to $summary"
