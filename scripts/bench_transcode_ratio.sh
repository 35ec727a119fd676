#!/usr/bin/env bash
# segstream's speed against a plain transcode (BENCHMARKS.md, "Quality":
# the 720p file job's bar is half of ffmpeg's fps). Per round: ffmpeg
# -c:v libx264 -preset veryfast, then segstream with its defaults, then
# segstream with each extra option set given; fps = frames / wall time.
#
# Usage: scripts/bench_transcode_ratio.sh INPUT FRAMES ROUNDS [-- "OPTS" ...]
#   e.g. scripts/bench_transcode_ratio.sh in720.mp4 795 3 -- "--find none"
# Run it alone on the machine (flock /tmp/seg-bench.lock when shared).
set -Eeuo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
bin=${SEGSTREAM:-$root/build/release/segstream}
[[ $# -ge 3 ]] || { sed -n '2,10p' "$0" >&2; exit 2; }
in=$1 frames=$2 rounds=$3
shift 3
[[ ${1:-} == "--" ]] && shift
sets=("" "$@")
tmp=$(mktemp -d /tmp/segratio.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
now() { date +%s.%N; }
fps() { awk -v n="$frames" -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", n / (b - a) }'; }
for r in $(seq "$rounds"); do
  t0=$(now)
  ffmpeg -nostdin -v error -y -i "$in" -c:v libx264 -preset veryfast "$tmp/plain.mp4"
  t1=$(now)
  base=$(fps "$t0" "$t1")
  line="round $r: ffmpeg $base fps"
  for opts in "${sets[@]}"; do
    t0=$(now)
    # shellcheck disable=SC2086 # each set is a list of options
    "$bin" "$in" -o "$tmp/seg.mp4" -y -q $opts 2>/dev/null
    t1=$(now)
    f=$(fps "$t0" "$t1")
    line+="; segstream ${opts:-(defaults)} $f fps ($(awk -v a="$f" -v b="$base" 'BEGIN { printf "%.2f", a / b }'))"
  done
  echo "$line"
done
