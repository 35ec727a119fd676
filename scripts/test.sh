#!/usr/bin/env bash
# Configure, build and run the ctest suite for one CMake preset.
#
# Usage: [PRESET=release|dev|asan|tsan] scripts/test.sh [ctest args...]
#   e.g. scripts/test.sh -R nn
#        PRESET=asan scripts/test.sh --label-regex io
#
# Extra arguments go to ctest unchanged. Exits non-zero when configuring,
# building or any test fails. Running zero tests (e.g. a -R that matches
# nothing) is also a failure, unless SEG_ALLOW_NO_TESTS=1.
# Works from any directory.
set -Eeuo pipefail

PRESET=${PRESET:-release}
STEP=init

log() { printf 'test[%s]: %s\n' "$PRESET" "$*" >&2; }
die() { printf 'test[%s]: ERROR: %s\n' "$PRESET" "$*" >&2; exit 1; }
on_err() {
  printf 'test[%s]: ERROR: %s failed (exit %s) at line %s: %s\n' "$PRESET" "$STEP" "$1" "$2" "$3" >&2
  exit "$1"
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) || die "cannot find the repository root"
cd -- "$root"

command -v cmake >/dev/null 2>&1 || die "cmake not found; run scripts/setup.sh --deps-only"
command -v ctest >/dev/null 2>&1 || die "ctest not found; run scripts/setup.sh --deps-only"

no_tests=error
[[ ${SEG_ALLOW_NO_TESTS:-0} == 1 ]] && no_tests=ignore

t0=$SECONDS
STEP=configure
log "cmake --preset $PRESET"
cmake --preset "$PRESET" </dev/null || die "cmake configure failed (is '$PRESET' a preset in CMakePresets.json?)"

STEP=build
log "cmake --build --preset $PRESET -j$(nproc)"
cmake --build --preset "$PRESET" -j"$(nproc)" </dev/null || die "build failed"

STEP=ctest
log "ctest --preset $PRESET --output-on-failure --no-tests=$no_tests $*"
ctest --preset "$PRESET" --output-on-failure --no-tests="$no_tests" "$@" </dev/null \
  || die "ctest reported failures (see above)"

log "all tests passed in $((SECONDS - t0))s"
