#!/usr/bin/env bash
# Two or more hookd binaries (or settings) compared on this noisy machine: each round runs the
# throughput part of bench/delivery_run.sh once per candidate, one after another, so that every
# round's figures come from the same minutes; prints each run and, at the end, every round's
# figures per candidate (deliveries/s / steady-state deliveries/s / hookd µs of CPU per delivery).
#
#   bench/compare_run.sh ROUNDS NAME=BINARY[,VAR=VALUE ...] ...
#   bench/compare_run.sh 3 before=/tmp/hookd-before after=build/hookd
#   bench/compare_run.sh 3 glibc=build/hookd tcmalloc=build/hookd,LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4
#
# Copy the binaries out of build/ first: a build during the run would change them. EVENTS
# (default 10000) and the other knobs of bench/delivery_run.sh apply to every run; results go to
# bench/results/compare-NAME-*.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
(( $# >= 2 )) || { sed -n '2,13p' "$0" >&2; exit 2; }
rounds=$1
shift
declare -A runs
for ((r = 1; r <= rounds; r++)); do
  for spec in "$@"; do
    name=${spec%%=*}
    rest=${spec#*=}
    bin=${rest%%,*}
    env=""
    [[ $rest == *,* ]] && env=${rest#*,}
    env=${env//,/ }
    HOOKD_ENV="$env" HOOKD_BIN=$bin PARTS=throughput EVENTS=${EVENTS:-10000} \
      RESULTS_NAME=compare-$name bench/delivery_run.sh >"bench/results/compare-$name.log" 2>&1 \
      || { tail -5 "bench/results/compare-$name.log" >&2; exit 1; }
    report=bench/results/compare-$name-latest.md
    rate=$(sed -n 's/.*\*\*\([0-9]*\) deliveries\/s\*\*.*/\1/p' "$report")
    steady=$(sed -n 's/.*steady state ([^)]*): \([0-9]*\)\/s.*/\1/p' "$report")
    us=$(sed -n 's/.*hookd [0-9.]* cores (\([0-9]*\) µs per delivery).*/\1/p' "$report")
    echo "round $r $name: $rate deliveries/s (steady $steady), hookd $us µs per delivery"
    runs[$name]+=" $rate/$steady/$us"
  done
done
for spec in "$@"; do
  name=${spec%%=*}
  echo "$name:${runs[$name]}"
done
