#!/usr/bin/env bash
# Runs every libFuzzer target in build-fuzz/fuzz/ for FUZZ_SECONDS each (default 300), from its
# seed corpus in fuzz/corpus/<name>/ into a scratch copy, with its dictionary when there is one.
# Prints, per target, the executions run and the corpus size; exits non-zero when any target
# found a crash, a leak, a timeout or a sanitizer report (the input is kept in
# build-fuzz/artifacts/). FUZZ_TARGETS="events duration" runs only those.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${FUZZ_SECONDS:-300}
bin_dir=build-fuzz/fuzz
scratch=build-fuzz/scratch
artifacts=build-fuzz/artifacts
mkdir -p "$scratch" "$artifacts"

if [[ -n "${FUZZ_TARGETS:-}" ]]; then
  read -r -a targets <<<"$FUZZ_TARGETS"
else
  targets=()
  for f in fuzz/*_fuzzer.cpp; do
    name=$(basename "$f" _fuzzer.cpp)
    targets+=("$name")
  done
fi

# A sanitizer report stops the run and counts as a failure; leaks are reported at exit.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:symbolize=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

failed=()
summary=()
for name in "${targets[@]}"; do
  bin="$bin_dir/${name}_fuzzer"
  [[ -x "$bin" ]] || { echo "fuzz: $bin is not built (cmake --build --preset fuzz)" >&2; exit 2; }
  corpus="$scratch/$name"
  rm -rf "$corpus"
  mkdir -p "$corpus"
  cp fuzz/corpus/"$name"/* "$corpus"/
  args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
        -artifact_prefix="$artifacts/$name-")
  [[ -f "fuzz/$name.dict" ]] && args+=(-dict="fuzz/$name.dict")
  # Extra flags a target needs (e.g. a larger -max_len), one line.
  [[ -f "fuzz/$name.flags" ]] && read -r -a extra <"fuzz/$name.flags" && args+=("${extra[@]}")
  log="$scratch/$name.log"
  echo "fuzz: $name for ${seconds}s" >&2
  status=0
  "$bin" "${args[@]}" "$corpus" >"$log" 2>&1 || status=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  files=$(find "$corpus" -type f | wc -l)
  bytes=$(du -sb "$corpus" | cut -f1)
  if [[ $status -ne 0 ]]; then
    failed+=("$name")
    grep -E "ERROR|runtime error|invariant failed|SUMMARY" "$log" | head -5 >&2 || true
    echo "fuzz: $name FAILED (exit $status); log $log, input in $artifacts/" >&2
  fi
  summary+=("$(printf '%-16s %12s execs %6s files %9s bytes %s' "$name" "${execs:-?}" "$files" \
    "$bytes" "$([[ $status -eq 0 ]] && echo ok || echo FAILED)")")
done

printf '%s\n' "${summary[@]}"
if [[ ${#failed[@]} -gt 0 ]]; then
  echo "fuzz: ${#failed[@]} failed: ${failed[*]}" >&2
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, no crash"
