#!/usr/bin/env bash
# Runs every benchmark under bench/ (make bench); each prints its figures and targets.
#   hack/bench.sh [BUILD_DIR] [--benchmark_filter=REGEX]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
shift || true
"$build/bench/bench_pki" "$@"
"$build/bench/bench_testserver" "$@"
"$build/bench/bench_kube" "$@"
"$build/bench/bench_controller" "$@"
"$build/bench/bench_webhook" "$@"
# Not Google Benchmark: configured by SSO_SCALE_* (see bench/scale_bench.cpp), no arguments.
"$build/bench/bench_scale"
