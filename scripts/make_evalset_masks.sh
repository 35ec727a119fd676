#!/usr/bin/env bash
# The model-made masks behind the evaluation set: the person cut-outs'
# alphas and the pseudo ground truth of the two Megamind.avi close-up clips.
# Run once; its results were checked by eye and committed in
# tests/data/evalset/{cutouts,pseudo}/ so that the set does not change when
# segstream's models or mask refinement change (scripts/make_evalset.sh
# only reads them). Rerun it only to remake those files, then look at the
# review sheets it writes before committing anything.
#
# Usage: scripts/make_evalset_masks.sh [OUT_DIR]   (default out/evalset_masks)
# Environment: OPENCV_DATA (opencv-doc's examples/data folder, see
#   make_evalset.sh), SEGSTREAM (default /work/main/build/release/segstream,
#   else build/release/segstream), SELFIE_MODEL, DEEPLAB_MODEL.
set -Eeuo pipefail
cd "$(dirname -- "${BASH_SOURCE[0]}")/.."
OUT=${1:-out/evalset_masks}
. scripts/evalset_common.sh
SEGSTREAM=${SEGSTREAM:-build/release/segstream}
SELFIE_MODEL=${SELFIE_MODEL:-models/selfie_segmentation.tflite}
DEEPLAB_MODEL=${DEEPLAB_MODEL:-models/deeplabv3_257_mv_gpu.tflite}
for f in "$SEGSTREAM" "$SELFIE_MODEL" "$DEEPLAB_MODEL"; do
  [[ -e $f ]] || { echo "make_evalset_masks: $f not found" >&2; exit 1; }
done
find_opencv_data
PY=/usr/bin/python3
rm -rf -- "$OUT"; mkdir -p -- "$OUT"

# masks of both models, no temporal smoothing, one thread (byte-reproducible)
seg() {  # seg INPUT DIR
  heavy "$SEGSTREAM" "$1" --mode mask --dump-frames "$2_selfie" -q --smooth 0 \
    -t 1 --workers 1 -m "$SELFIE_MODEL" -y >/dev/null
  heavy "$SEGSTREAM" "$1" --mode mask --dump-frames "$2_deeplab" -q --smooth 0 \
    -t 1 --workers 1 -m "$DEEPLAB_MODEL" --classes person -y >/dev/null
}

# 1. stills: a tight crop, so that the person fills the model's input
crop_still() {  # NAME SRC GEOMETRY RULE SEED
  convert "$OPENCV_DATA/$2" -crop "$3" +repage -colorspace sRGB -type TrueColor "$OUT/$1_crop.png"
  seg "$OUT/$1_crop.png" "$OUT/$1"
  $PY scripts/evalset.py cutout "$1" "$OUT/$1_crop.png" "$OUT/$1_selfie/mask_000000.png" \
    "$OUT/$1_deeplab/mask_000000.png" "$4" "$5" "$OUT/cutouts"
}
crop_still messi messi5.jpg 400x292+60+50 selfie 100,200
crop_still bball basketball1.png 150x420+25+60 mean 150,60

# 2. Megamind.avi: both models on every frame (the close-ups fill the frame)
seg "$OPENCV_DATA/Megamind.avi" "$OUT/mm"
crop_frame() {  # NAME FRAME GEOMETRY RULE SEED
  local n; n=$(printf %06d "$2")
  heavy ffmpeg -v error -y -i "$OPENCV_DATA/Megamind.avi" -vf "select=eq(n\\,$2)" -frames:v 1 "$OUT/$1_frame.png"
  convert "$OUT/$1_frame.png" -crop "$3" +repage "$OUT/$1_crop.png"
  convert "$OUT/mm_selfie/mask_$n.png" -crop "$3" +repage "$OUT/$1_s.png"
  convert "$OUT/mm_deeplab/mask_$n.png" -crop "$3" +repage "$OUT/$1_d.png"
  $PY scripts/evalset.py cutout "$1" "$OUT/$1_crop.png" "$OUT/$1_s.png" "$OUT/$1_d.png" "$4" "$5" "$OUT/cutouts"
}
crop_frame mm_woman 60 420x528+0+0 selfie 250,200
crop_frame mm_man 240 720x528+0+0 selfie 250,360

# 3. pseudo ground truth of the two close-up clips, kept as lossless grey videos
pseudo() {  # NAME FIRST LAST
  $PY scripts/evalset.py pseudo "$OUT/mm_selfie" "$OUT/mm_deeplab" "$2" "$3" "$OUT/$1"
  mkdir -p "$OUT/pseudo"
  local k
  for k in gt void; do
    heavy ffmpeg -v error -y -framerate 24000/1001 -start_number 0 -i "$OUT/$1/$k/%06d.png" \
      -c:v ffv1 -pix_fmt gray -bitexact -map_metadata -1 -fflags +bitexact "$OUT/pseudo/$1_$k.mkv"
  done
}
pseudo megamind_a 20 91
pseudo megamind_b 201 269

echo "make_evalset_masks: review $OUT/cutouts/review_*.png, then copy" >&2
echo "  $OUT/cutouts/*_alpha.png and $OUT/pseudo/*.mkv into tests/data/evalset/" >&2
