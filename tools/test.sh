#!/usr/bin/env bash
# Sets everything up and runs the whole test suite:
#   installs missing Debian packages, configures and builds with a CMake preset, runs ctest.
# Usage: tools/test.sh [--preset dev|ci|asan|tsan] [extra ctest arguments...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
# shellcheck source=tools/dev/deps.sh
source tools/dev/deps.sh

preset=dev
if [ "${1:-}" = "--preset" ]; then
  preset="$2"
  shift 2
fi

loyalty_install_deps
echo "==> configure ($preset)"
cmake --preset "$preset" >/dev/null
echo "==> build ($preset)"
cmake --build --preset "$preset" -j "$(nproc)"
echo "==> test ($preset)"
if [ "$preset" = tsan ]; then
  export TSAN_OPTIONS="suppressions=$root/tsan.suppress ${TSAN_OPTIONS:-}"
fi
ctest --test-dir "build/$preset" --output-on-failure -j "$(nproc)" "$@"
