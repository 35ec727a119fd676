#!/usr/bin/env bash
# Model loading with several inference workers (BENCHMARKS.md, "Pipeline:
# one model, many workers"): peak RSS and wall time of a one-frame job on a
# tiny lavfi source, so the model and its activations dominate, for each
# model and binary, alternating rounds; medians.
#
# Usage: scripts/bench_load.sh BASELINE_BINARY [ROUNDS]   (default 7 rounds)
#        SEGSTREAM=path/to/segstream scripts/bench_load.sh ...
# The machine is shared: run it under `flock /tmp/seg-bench.lock`.
set -Eeuo pipefail

root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
new=${SEGSTREAM:-$root/build/release/segstream}
base=${1:?usage: scripts/bench_load.sh BASELINE_BINARY [ROUNDS]}
rounds=${2:-7}
workers=${WORKERS:-2}
models=("$root/models/selfie_segmentation.tflite")
for d in "$root/models/deeplabv3_257_mv_gpu.tflite" "$root/../shared/models/deeplabv3_257_mv_gpu.tflite"; do
  [[ -r $d ]] && { models+=("$d"); break; }
done
command -v /usr/bin/time >/dev/null || { echo "bench_load: needs /usr/bin/time (Debian's time)" >&2; exit 1; }

echo "machine: $(lscpu | sed -n 's/^Model name: *//p'), $(nproc) cores; $(date -u +%Y-%m-%d)"
echo "job: lavfi color 64x64, 1 frame, --workers $workers --threads 1 --bench; $rounds rounds, alternating"
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
for m in "${models[@]}"; do
  declare -A rss=() wall=()
  for ((r = 0; r < rounds; r++)); do
    for b in base new; do
      bin=$base; [[ $b == new ]] && bin=$new
      t0=$EPOCHREALTIME
      out=$(/usr/bin/time -f '%M' "$bin" "lavfi:color=size=64x64:rate=25" --exact --frames 1 \
              -m "$m" --workers "$workers" --threads 1 --bench -q 2>&1 >/dev/null | tail -n 1)
      t1=$EPOCHREALTIME
      rss[$b]+="$out "; wall[$b]+="$(bc -l <<<"$t1 - $t0") "
    done
  done
  for b in base new; do
    r=$(tr ' ' '\n' <<<"${rss[$b]}" | grep . | median)
    w=$(tr ' ' '\n' <<<"${wall[$b]}" | grep . | median)
    printf '%-28s %-4s peak RSS %7.1f MiB  wall %.3f s\n' "$(basename "$m")" "$b" "$(bc -l <<<"$r/1024")" "$w"
  done
  unset rss wall
done
