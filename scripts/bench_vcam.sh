#!/usr/bin/env bash
# Latency of the live outputs: a paced lavfi camera (720p30 and 1080p30,
# ",realtime") to the window (under Xvfb), to the virtual camera (the
# LD_PRELOAD v4l2loopback double, tests/fake_v4l2.c, built by the tests),
# and to both. Prints a Markdown table for BENCHMARKS.md ("Live outputs"):
# decoded -> shown (window) and decoded -> written (camera) p50/p95/p99,
# frames dropped, and the process's CPU time per frame written.
#
# Usage: scripts/bench_vcam.sh [-n FRAMES] [-b BUILD_DIR]
#   -n  frames per run (default 900: 30 s)
#   -b  build directory (default build/release)
# Takes the machine for 6 x FRAMES / 30 s; run it with nothing else running.
set -Eeuo pipefail
frames=900
build=build/release
while getopts "n:b:" o; do
  case $o in
    n) frames=$OPTARG ;;
    b) build=$OPTARG ;;
    *) sed -n '2,13p' "$0"; exit 2 ;;
  esac
done
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"
bin=$build/segstream
lib=$build/tests/libfake_v4l2.so
[[ -x $bin && -r $lib ]] || { echo "bench_vcam: build first ($bin, $lib)" >&2; exit 1; }
command -v xvfb-run >/dev/null || { echo "bench_vcam: needs xvfb-run" >&2; exit 1; }
out=$(mktemp -d /tmp/bench_vcam.XXXXXX)
trap 'rm -rf "$out"' EXIT

echo "| source | output | frames | dropped | decoded -> composited p50 / p95 / p99 ms | decoded -> shown (window) p50 / p95 / p99 ms | decoded -> written (camera) p50 / p95 / p99 ms | CPU ms / frame |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- |"
for size in 1280x720 1920x1080; do
  h=${size#*x}
  for what in window camera both; do
    args=()
    [[ $what != camera ]] && args+=(--display)
    [[ $what != window ]] && args+=(-o /dev/video63)
    env SEG_FAKE_V4L2_OUTPUT=/dev/video63 LD_PRELOAD="$lib" \
      xvfb-run -a -s "-screen 0 1920x1080x24" \
      "$bin" "lavfi:testsrc2=size=$size:rate=30,realtime" --frames "$frames" --bench --json -q \
      "${args[@]}" >"$out/$size-$what.json" 2>"$out/$size-$what.err" \
      || { echo "bench_vcam: $size $what failed:" >&2; cat "$out/$size-$what.err" >&2; exit 1; }
    python3 - "$out/$size-$what.json" "${h}p30" "$what" <<'PY'
import json, sys
j = json.loads(open(sys.argv[1]).read().strip().splitlines()[-1])
def p(k):
    v = j.get(k) or {}
    return "%.1f / %.1f / %.1f" % (v["p50"], v["p95"], v["p99"]) if v.get("n") else "-"
print("| %s | %s | %d | %d | %s | %s | %s | %.1f |" % (sys.argv[2], sys.argv[3], j["frames"],
      j["dropped"], p("latency_ms"), p("latency_window_ms"), p("latency_vcam_ms"),
      1e3 * j["cpu_seconds"] / max(1, j["frames"])))
PY
  done
done
