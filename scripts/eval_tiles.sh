#!/usr/bin/env bash
# Issue 12's "overlapping tiles with blended seams", measured outside the
# pipeline (segstream does not offer it: it lost to --find pose, BENCHMARKS.md
# "Quality"). Each clip of the evaluation set is cut into overlapping squares
# laid out as the detector's coarse tiles are (pipeline/seg_track.c: 2/3 of the
# short side, overlapping by a quarter, 8 at 720p), each square is segmented
# whole by MODEL (`segstream --find none --solid 1 --smooth 0`, probabilities),
# the squares' probabilities are blended with tent weights, shaped as the
# default's --solid 0.5 and scored by segstream's own scorer (score_masks,
# display/disp_score.c). The same model on the whole frame is scored the same
# way beside it, so the two rows differ only in the tiling.
#
# Usage: scripts/eval_tiles.sh EVALSET_DIR [MODEL] [CLIP...]
# Prints one line per clip and strategy: clip, strategy, then the scorer's JSON.
set -Eeuo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
set_dir=${1:?usage: eval_tiles.sh EVALSET_DIR [MODEL] [CLIP...]}
model=${2:-$root/models/selfie_segmentation.tflite}
shift $(( $# >= 2 ? 2 : 1 ))
bin=${SEGSTREAM:-$root/build/release/segstream}
score=${SCORE_MASKS:-$root/build/release/tests/score_masks}
[[ -x $score ]] || { echo "eval_tiles: no $score (build the release tree)" >&2; exit 1; }
[[ -r $set_dir/manifest.tsv ]] || { echo "eval_tiles: no $set_dir/manifest.tsv (run scripts/make_evalset.sh)" >&2; exit 1; }
clips=("$@")
[[ ${#clips[@]} -gt 0 ]] || mapfile -t clips < <(tail -n +2 "$set_dir/manifest.tsv" | cut -f1)
tmp=$(mktemp -d /tmp/segtiles.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
gray() { ffmpeg -nostdin -v error -i "$1" -f rawvideo -pix_fmt gray -; }
for clip in "${clips[@]}"; do
  size=$(awk -F'\t' -v c="$clip" '$1 == c { print $6 }' "$set_dir/manifest.tsv")
  w=${size%x*} h=${size#*x}
  side=$(( (w < h ? w : h) * 2 / 3 )) step=$(( side * 3 / 4 ))
  nx=$(( 1 + (w - side + step - 1) / step )) ny=$(( 1 + (h - side + step - 1) / step ))
  d=$tmp/$clip
  mkdir -p "$d"
  for ((j = 0; j < ny; j++)); do
    for ((i = 0; i < nx; i++)); do
      x=$(( nx > 1 ? (w - side) * i / (nx - 1) : (w - side) / 2 ))
      y=$(( ny > 1 ? (h - side) * j / (ny - 1) : (h - side) / 2 ))
      ffmpeg -nostdin -v error -y -i "$set_dir/$clip/input.mp4" -vf "crop=$side:$side:$x:$y" \
        -c:v libx264 -crf 8 -preset fast "$d/t.mp4"
      "$bin" "$d/t.mp4" -m "$model" --find none --solid 1 --smooth 0 --mode mask \
        --dump-frames "$d/t_${x}_$y" -q 2>/dev/null
      gray "$d/t_${x}_$y/mask_%06d.png" >"$d/t_${x}_$y.gray"
      rm -rf "$d/t_${x}_$y" "$d/t.mp4"
    done
  done
  "$bin" "$set_dir/$clip/input.mp4" -m "$model" --find none --solid 1 --smooth 0 --mode mask \
    --dump-frames "$d/full" -q 2>/dev/null
  gray "$d/full/mask_%06d.png" >"$d/full.gray"
  /usr/bin/python3 "$root/scripts/eval_tiles.py" "$d" "$w" "$h" "$side" "$nx" "$ny"
  gray "$set_dir/$clip/gt/%06d.png" >"$d/gt.gray"
  void=()
  if [[ -d $set_dir/$clip/void ]]; then
    gray "$set_dir/$clip/void/%06d.png" >"$d/void.gray"
    void=("$d/void.gray")
  fi
  for s in full tiles; do
    printf '%s\t%s\t%s\n' "$clip" "$s" "$("$score" "$w" "$h" "$d/gt.gray" "$d/$s.alpha" "${void[@]}")"
  done
  rm -rf "$d"
done
