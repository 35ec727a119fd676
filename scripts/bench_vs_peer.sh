#!/usr/bin/env bash
# Inference speed of segstream's engine against a peer runtime, as a ratio of
# medians measured in the same run (this machine is shared and noisy, so the
# two are alternated, round after round, and each round's ratio is kept).
#
# Usage: scripts/bench_vs_peer.sh MODEL [ROUNDS] -- PEER_COMMAND...
#   The peer command must print lines "... threads=T ... median=X ..." (ms),
#   e.g. the XNNPACK runner from the shared peers folder:
#   scripts/bench_vs_peer.sh models/selfie_segmentation.tflite 5 -- ~/xnnpeer/xnn_peer models/selfie_segmentation.tflite -n 100
#   ONNX Runtime (scripts/onnxruntime_peer.js), fewer runs for a slow model:
#   RUNS=10 NODE_PATH=ORT_DIR/node_modules scripts/bench_vs_peer.sh models/u2netp.onnx 5 -- \
#     node scripts/onnxruntime_peer.js models/u2netp.onnx 10
# RUNS: segstream's runs per measurement (default 100).
# Prints one line per round and thread count, then the median ratio
# (ours / peer; below 1 means segstream is faster).
set -euo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
model=${1:?usage: bench_vs_peer.sh MODEL [ROUNDS] -- PEER_COMMAND...}
shift
rounds=5
if [[ ${1:-} != "--" ]]; then rounds=${1:-5}; shift; fi
[[ ${1:-} == "--" ]] || { echo "usage: bench_vs_peer.sh MODEL [ROUNDS] -- PEER_COMMAND..." >&2; exit 2; }
shift
seg=${SEGSTREAM:-$root/build/release/segstream}
# "SEGSTREAM=build/release/tests/bench_model" works too (same code, no pipeline)
[[ -x $seg ]] || { echo "bench_vs_peer: $seg not built (scripts/test.sh builds it)" >&2; exit 1; }
median() { sed -n 's/.*median=\([0-9.]*\).*/\1/p'; }
declare -A ratios
for ((r = 1; r <= rounds; r++)); do
  peer_out=$("$@")
  for t in 1 2; do
    ours=$("$seg" --bench-model "$model" --threads "$t" --runs "${RUNS:-100}" | median)
    theirs=$(grep "threads=$t " <<<"$peer_out" | median)
    ratio=$(awk -v a="$ours" -v b="$theirs" 'BEGIN { printf "%.3f", a / b }')
    ratios[$t]+="$ratio "
    echo "round $r threads=$t segstream_median=$ours ms peer_median=$theirs ms ratio=$ratio"
  done
done
for t in 1 2; do
  # shellcheck disable=SC2086
  med=$(printf '%s\n' ${ratios[$t]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
  echo "threads=$t median ratio (segstream/peer) = $med over $rounds rounds"
done
