#!/usr/bin/env bash
# Runs every test: unit, integration, e2e and fuzz (see tests/CMakeLists.txt for the labels).
#   hack/test.sh [BUILD_DIR]     e.g. `ctest --test-dir build -L unit` for one label
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cd "$build"
jobs=$(nproc)
ctest --output-on-failure -j "$jobs" --timeout 600 -LE e2e
# The e2e tests mostly wait: on the operator's processes, leases, deadlines and bounded
# retries. Twice as many at once halve their time (all 225 passed so, 3.4 min against 5.8).
ctest --output-on-failure -j "$((2 * jobs))" --timeout 600 -L e2e
