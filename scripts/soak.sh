#!/usr/bin/env bash
# Soak: a live source through the whole pipeline for a long time, watching
# the resident memory, the drops and the latency. Not a unit test: run it by
# hand (it takes the machine for its duration) and put the result in
# BENCHMARKS.md ("Soak").
#
# Usage: scripts/soak.sh [-d SECONDS] [-r SECONDS] [-s SECONDS] [-i INPUT]
#                        [-b BINARY] [-o DIR] [-- SEGSTREAM_ARGS...]
#   -d  soak duration (default 600)
#   -r  reference run before the soak, same settings (default 60; 0 = none):
#       its whole-run p99 latency is what the soak's is compared with
#   -s  memory sampling period (default 5)
#   -i  input (default lavfi:testsrc2=size=1280x720:rate=30,realtime: a
#       synthetic camera, paced to real time by the realtime filter)
#   -b  segstream binary (default build/release/segstream)
#   -o  where the logs go (default out/soak-DATE)
#   SEGSTREAM_ARGS are added to: INPUT --live --bench --json -m MODEL
#
# The job runs in live mode into the null sink (encoded, then discarded) and
# is stopped with SIGINT at the end, which also checks that a long job stops
# cleanly (exit 130, report printed). Every -s seconds the script reads
# VmRSS and the thread count from /proc/PID/status and the CPU time from
# /proc/PID/stat; segstream's progress line (every 2 s) gives frames written
# and dropped; its JSON report gives the latency percentiles and drops by
# stage. The summary (soak.txt in the log directory, also printed):
#   - memory: RSS after the warm-up (the first minute, or 10% of a shorter
#     run), at the end, its peak, and the growth in between (per hour);
#   - drops: total and by stage (live policy: the decoder never waits, a
#     stale frame is dropped), fps per 2 s window (min, median, max);
#   - latency: the soak's p50/p95/p99/max, decoded -> composited, against
#     the reference run's; and per 2 s window when the progress line carries
#     a p99 (it does not yet: then only the whole-run figures).
# Exit status: 0 when the run completed (whatever the numbers), 1 otherwise.
set -Eeuo pipefail

dur=600
ref=60
period=5
input='lavfi:testsrc2=size=1280x720:rate=30,realtime'
bin=build/release/segstream
outdir=
while getopts "d:r:s:i:b:o:h" opt; do
  case $opt in
    d) dur=$OPTARG ;;
    r) ref=$OPTARG ;;
    s) period=$OPTARG ;;
    i) input=$OPTARG ;;
    b) bin=$OPTARG ;;
    o) outdir=$OPTARG ;;
    h) sed -n '2,34p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
extra=("$@")

root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"
model=models/selfie_segmentation.tflite
[[ -x $bin ]] || { echo "soak: $bin not found: build it (cmake --preset release && cmake --build --preset release)" >&2; exit 1; }
[[ -f $model ]] || { echo "soak: $model not found: run scripts/setup.sh" >&2; exit 1; }
outdir=${outdir:-out/soak-$(date +%Y%m%d-%H%M%S)}
mkdir -p "$outdir"
hz=$(getconf CLK_TCK)

# run NAME SECONDS: one live job, sampled; leaves NAME.json, NAME.err, NAME.mem
run() {
  local name=$1 secs=$2 pid t0 now rss thr cpu rc=0
  local json=$outdir/$name.json err=$outdir/$name.err mem=$outdir/$name.mem
  echo "soak: $name: $secs s of $input" >&2
  "$bin" "$input" --live --bench --json -m "$model" "${extra[@]}" >"$json" 2>"$err" </dev/null &
  pid=$!
  t0=$(date +%s.%N)
  echo "t_s rss_kb threads cpu_s" >"$mem"
  while kill -0 "$pid" 2>/dev/null; do
    now=$(date +%s.%N)
    if awk -v n="$now" -v t="$t0" -v d="$secs" 'BEGIN { exit !(n - t >= d) }'; then
      kill -INT "$pid" 2>/dev/null || true
      break
    fi
    if [[ -r /proc/$pid/status ]]; then
      rss=$(awk '/^VmRSS:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      thr=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || true)
      # utime + stime: fields 14 and 15 after the command name.
      cpu=$(sed 's/^.*) //' "/proc/$pid/stat" 2>/dev/null | awk -v hz="$hz" '{ printf "%.1f", ($12 + $13) / hz }' || true)
      [[ -n $rss ]] && echo "$(awk -v n="$now" -v t="$t0" 'BEGIN { printf "%.1f", n - t }') $rss $thr $cpu" >>"$mem"
    fi
    sleep "$period"
  done
  wait "$pid" || rc=$?
  echo "soak: $name: segstream exited $rc" >&2
  echo "$rc" >"$outdir/$name.rc"
}

((ref > 0)) && run reference "$ref"
run soak "$dur"

python3 - "$outdir" "$dur" "$ref" "$input" "$bin" "${extra[*]:-}" <<'PY' | tee "$outdir/soak.txt"
import json, os, re, statistics, sys
outdir, dur, ref, inp, binary, extra = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]

def load(name):
    try:
        with open(f"{outdir}/{name}.json") as f:
            txt = f.read()
        return json.loads(txt[txt.index("{"):])
    except (OSError, ValueError):
        return None

def rc(name):
    try:
        return int(open(f"{outdir}/{name}.rc").read())
    except OSError:
        return None

def mem(name):
    rows = []
    for line in open(f"{outdir}/{name}.mem").read().split("\n")[1:]:
        p = line.split()
        if len(p) >= 2:
            rows.append((float(p[0]), int(p[1]), int(p[2]) if len(p) > 2 else 0,
                         float(p[3]) if len(p) > 3 else 0.0))
    return rows

def windows(name):
    """(elapsed s, written, dropped, p99 or None) from the progress lines."""
    out = []
    pat = re.compile(r"frame=\s*(\d+)\s+fps=\s*[\d.]+\s+dropped=(\d+)\s+elapsed=(\d+):(\d+):([\d.]+)(.*)")
    for line in open(f"{outdir}/{name}.err", errors="replace").read().replace("\r", "\n").split("\n"):
        m = pat.search(line)
        if m:
            el = int(m.group(3)) * 3600 + int(m.group(4)) * 60 + float(m.group(5))
            p99 = re.search(r"p99=\s*([\d.]+)", m.group(6))
            out.append((el, int(m.group(1)), int(m.group(2)), float(p99.group(1)) if p99 else None))
    return out

def pct(v, q):
    v = sorted(v)
    return v[min(len(v) - 1, int(q * len(v)))] if v else float("nan")

s, r = load("soak"), load("reference") if ref > 0 else None
m = mem("soak")
print(f"soak: {inp}, {dur:.0f} s (reference run {ref:.0f} s), {binary} {extra}".rstrip())
print(f"exit codes: soak {rc('soak')}" + (f", reference {rc('reference')}" if ref > 0 else "") +
      " (130 = stopped by SIGINT, output finalised)")
if m:
    warm_t = min(60.0, 0.1 * dur)
    after = [x for x in m if x[0] >= warm_t] or m
    w0, w1 = after[0], after[-1]
    span_h = max(w1[0] - w0[0], 1e-9) / 3600.0
    growth = w1[1] - w0[1]
    peak = max(x[1] for x in m)
    lo = min(x[1] for x in after)
    print(f"memory: RSS {w0[1] / 1024:.1f} MiB at {w0[0]:.0f} s (after warm-up), "
          f"{w1[1] / 1024:.1f} MiB at {w1[0]:.0f} s; growth {growth / 1024:+.2f} MiB "
          f"({growth / 1024 / span_h:+.2f} MiB/h); range after warm-up {lo / 1024:.1f}.."
          f"{max(x[1] for x in after) / 1024:.1f} MiB; peak {peak / 1024:.1f} MiB; "
          f"{len(m)} samples; threads {m[-1][2]}")
    if len(m) >= 2 and m[-1][0] > m[0][0]:
        print(f"cpu: {(m[-1][3] - m[0][3]) / (m[-1][0] - m[0][0]) * 100:.0f}% of one core on average")
if s:
    d = s.get("dropped_by", {})
    print(f"frames: {s['frames']} written, {s['decoded']} decoded, {s['dropped']} dropped "
          f"({100.0 * s['dropped'] / max(s['decoded'], 1):.1f}%: decoder {d.get('decoder', '?')}, "
          f"inference {d.get('inference', '?')}, renderer {d.get('renderer', '?')}); "
          f"{s['fps']:.2f} fps written; decoded - written - dropped = "
          f"{s['decoded'] - s['frames'] - s['dropped']} (in flight when SIGINT came)")
    st = s.get("stages", {})
    print("stages p99 ms: " + ", ".join(f"{k} {v['p99']:.1f}" for k, v in st.items()))
    def lat(x):
        l = x["latency_ms"]
        return f"p50 {l['p50']:.1f}, p95 {l['p95']:.1f}, p99 {l['p99']:.1f}, max {l['max']:.1f} ms (n {l['n']})"
    print(f"latency decoded -> composited: soak {lat(s)}")
    if r:
        print(f"                               reference {lat(r)}; "
              f"soak/reference p99 = {s['latency_ms']['p99'] / max(r['latency_ms']['p99'], 1e-9):.2f}")
w = windows("soak")
if len(w) >= 3:
    fps, drop, p99s = [], [], []
    for a, b in zip(w, w[1:]):
        dt = b[0] - a[0]
        if dt > 0.5:
            fps.append((b[1] - a[1]) / dt)
            drop.append((b[2] - a[2]) / dt)
        if b[3] is not None:
            p99s.append(b[3])
    if fps:
        print(f"per 2 s window ({len(fps)}): written fps min {min(fps):.1f}, median "
              f"{statistics.median(fps):.1f}, max {max(fps):.1f}; dropped/s median "
              f"{statistics.median(drop):.1f}, max {max(drop):.1f}")
        half = len(fps) // 2
        if half:
            print(f"  first half median fps {statistics.median(fps[:half]):.1f}, second half "
                  f"{statistics.median(fps[half:]):.1f}")
    if p99s:
        half = len(p99s) // 2
        print(f"  p99 latency per window: median {statistics.median(p99s):.1f} ms, max "
              f"{max(p99s):.1f}; first half median {statistics.median(p99s[:half] or p99s):.1f}, "
              f"second half {statistics.median(p99s[half:]):.1f}")
    else:
        print("  (the progress line carries no per-window latency: whole-run figures only)")
PY
[[ $(cat "$outdir/soak.rc") == 130 ]]
