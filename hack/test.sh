#!/usr/bin/env bash
# Runs every test: unit, integration, e2e and fuzz (see tests/CMakeLists.txt for the labels).
#   hack/test.sh [BUILD_DIR]     e.g. `ctest --test-dir build -L unit` for one label
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build}
cd "$build"
ctest --output-on-failure -j "$(nproc)" --timeout 600
