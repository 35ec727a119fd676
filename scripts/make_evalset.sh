#!/usr/bin/env bash
# Regenerates segstream's evaluation set (issue 12) into OUT_DIR
# (default out/evalset/, ignored by git): one folder per clip with
# input.mp4, gt/NNNNNN.png (from 000000, grey 0/255), info.json, and for
# the pseudo-ground-truth clips void/NNNNNN.png; plus manifest.json and
# manifest.tsv. The recipe is tests/data/evalset/README.md.
#
# Usage: scripts/make_evalset.sh [OUT_DIR] [CLIP...]
# Environment: OPENCV_DATA  a folder with opencv-doc's examples/data files
#   (default: out/opencv-doc/data, fetched once with `apt-get download
#   opencv-doc`); every file used is checked by sha256.
# Needs ffmpeg (with libx264), ImageMagick and /usr/bin/python3 with numpy;
# not segstream or its models (the model-made masks are committed in
# tests/data/evalset/, made by scripts/make_evalset_masks.sh).
set -Eeuo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
OUT=${1:-out/evalset}
shift || true
. scripts/evalset_common.sh
find_opencv_data
PY=/usr/bin/python3
mapfile -t clips < <(if (($#)); then printf '%s\n' "$@"; else $PY scripts/evalset.py list; fi)
mkdir -p -- "$OUT"
t0=$SECONDS
for c in "${clips[@]}"; do   # one clip at a time under the shared lock
  rm -rf -- "${OUT:?}/$c"
  heavy $PY scripts/evalset.py render tests/data/evalset "$OPENCV_DATA" "$OUT" "$c"
done
rm -rf -- "$OUT/.tmp"
if $PY scripts/evalset.py list | while read -r c; do [[ -f $OUT/$c/info.json ]] || exit 1; done; then
  $PY scripts/evalset.py manifest "$OUT"
  echo "make_evalset: $OUT/manifest.tsv:" >&2
  column -t -s $'\t' "$OUT/manifest.tsv" >&2 || cat "$OUT/manifest.tsv" >&2
fi
echo "make_evalset: done in $((SECONDS - t0)) s, $(du -sh -- "$OUT" | cut -f1) in $OUT" >&2
