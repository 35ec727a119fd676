#!/usr/bin/env bash
# The pipeline benchmarks of BENCHMARKS.md ("Pipeline (issue 3)"):
#  1. a 720p H.264 file to annotated 720p H.264 (libx264 veryfast), against
#     `ffmpeg -i IN -c:v libx264 -preset veryfast OUT` alone, and the default
#     (2 workers x 1 thread) against intra-op OpenMP (1 worker x 2 threads),
#     alternating, ROUNDS rounds; medians and ratios of the medians;
#  2. one --bench run of the default, for the per-stage times;
#  3. live: a 720p lavfi source paced like a camera, 30 fps (300 frames)
#     and 60 fps (600 frames): drops and decoded -> composited latency.
#
# Usage: scripts/bench_pipeline.sh [ROUNDS]            (default 5)
#        SEGSTREAM=path/to/segstream scripts/bench_pipeline.sh
# The machine is shared: run it under `flock /tmp/seg-bench.lock` so no other
# benchmark overlaps (it takes no lock itself).
set -Eeuo pipefail

root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
bin=${SEGSTREAM:-$root/build/release/segstream}
model=$root/models/selfie_segmentation.tflite
rounds=${1:-5}
[[ -x $bin ]] || { echo "bench_pipeline: no $bin (build the release preset)" >&2; exit 1; }
[[ -r $model && -r $root/samples/vtest.avi ]] || { echo "bench_pipeline: run scripts/setup.sh" >&2; exit 1; }

work=$(mktemp -d /tmp/segbench.XXXXXX)
trap 'rm -rf "$work"' EXIT
in=$work/in720.mp4
# The pedestrians clip scaled to 1280x720, 25 fps, H.264 (795 frames).
ffmpeg -nostdin -v error -i "$root/samples/vtest.avi" -vf "scale=1280:720,setpts=N/(25*TB)" \
  -r 25 -c:v libx264 -preset medium -crf 20 -pix_fmt yuv420p "$in"
frames=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
  -of csv=p=0 "$in")

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "input: 1280x720 H.264, $frames frames; $rounds rounds, alternating"

# segstream's default CRF is 20, x264's (plain ffmpeg's) 23: "crf23" is the
# same job with the transcode's encoder settings, the like-for-like ratio.
# "rgb" composites in RGB (--compose-rgb: the path before frames stayed
# YUV 4:2:0), "intraop" is 1 worker x 2 OpenMP threads.
names=(ffmpeg segstream crf23 rgb intraop)
cmds=(
  "ffmpeg -nostdin -v error -y -i $in -c:v libx264 -preset veryfast $work/plain.mp4"
  "$bin $in -o $work/seg.mp4 -y -q -m $model"
  "$bin $in -o $work/seg.mp4 -y -q -m $model --crf 23"
  "$bin $in -o $work/seg.mp4 -y -q -m $model --compose-rgb"
  "$bin $in -o $work/seg.mp4 -y -q -m $model --workers 1 -t 2"
)
declare -A fps
for ((r = 1; r <= rounds; r++)); do
  for i in "${!names[@]}"; do
    t0=$(date +%s.%N)
    ${cmds[$i]} >/dev/null
    t1=$(date +%s.%N)
    f=$(awk -v n="$frames" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", n / (b - a) }')
    fps[${names[$i]}]+="$f "
    printf 'round %d %-10s %6s fps\n' "$r" "${names[$i]}" "$f"
  done
done
median() { tr ' ' '\n' <<<"$1" | sed '/^$/d' | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for n in "${names[@]}"; do
  printf 'median %-10s %6s fps   (%s)\n' "$n" "$(median "${fps[$n]}")" "${fps[$n]% }"
done
m_ff=$(median "${fps[ffmpeg]}")
m_seg=$(median "${fps[segstream]}")
m_23=$(median "${fps[crf23]}")
m_rgb=$(median "${fps[rgb]}")
m_omp=$(median "${fps[intraop]}")
awk -v a="$m_seg" -v b="$m_ff" -v c="$m_omp" -v d="$m_23" -v e="$m_rgb" 'BEGIN {
  printf "ratio segstream (crf 20) / ffmpeg transcode: %.2f\n", a / b
  printf "ratio segstream --crf 23 (the transcode'"'"'s settings) / ffmpeg transcode: %.2f\n", d / b
  printf "ratio YUV path / RGB path (--compose-rgb): %.2f\n", a / e
  printf "ratio 2 workers x 1 thread / 1 worker x 2 threads: %.2f\n", a / c }'

echo "--- one --bench run (default settings, same input, real output)"
"$bin" "$in" -o "$work/seg.mp4" -y -q -m "$model" --bench

echo "--- live: lavfi 1280x720 at 30 fps, paced (realtime), 300 frames"
"$bin" "lavfi:testsrc2=size=1280x720:rate=30,realtime" --bench -n 300 -q -m "$model"

echo "--- live: the same at 60 fps, 600 frames"
"$bin" "lavfi:testsrc2=size=1280x720:rate=60,realtime" --bench -n 600 -q -m "$model"
