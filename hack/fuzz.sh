#!/usr/bin/env bash
# Runs a libFuzzer target of the sanitizer tree (build-asan/, built by `make sanitizer-tree`:
# clang, AddressSanitizer and UBSan) for a bounded time over its committed corpus.
#   hack/fuzz.sh TARGET [SECONDS]     (default FUZZ_SECONDS or 20: six targets under `make test`)
# New inputs it finds go to build-asan/corpus/TARGET, never into the repository; a crash
# leaves its input in build-asan/artifacts/ and fails.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
target=${1:?usage: hack/fuzz.sh TARGET [SECONDS]}
seconds=${2:-${FUZZ_SECONDS:-20}}
build=${FUZZ_BUILD_DIR:-$root/build-asan}
fuzzer=$build/tests/fuzz/fuzz_$target
if [ ! -x "$fuzzer" ]; then
  echo "no libFuzzer target $fuzzer: build the sanitizer tree first (make sanitizer-tree)" >&2
  exit 2
fi

work=$build/corpus/$target
mkdir -p "$work" "$build/artifacts"
echo "fuzzing $target for ${seconds}s"
log=$build/fuzz-$target.log
status=0
"$fuzzer" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -print_final_stats=1 -artifact_prefix="$build/artifacts/$target-" \
  "$work" "$root/tests/fuzz/corpus/$target" >"$log" 2>&1 || status=$?
if [ "$status" -eq 0 ]; then
  grep -E '^(Done|stat::peak_rss_mb)' "$log" || true
else
  # The report names the crashing input's file; libFuzzer's hex dump of it is left out.
  grep -vE '^(0x|\\x|#[0-9]+ )' "$log" | tail -60
  echo "fuzz target $target failed (exit $status); inputs in $build/artifacts/" >&2
fi
exit "$status"
