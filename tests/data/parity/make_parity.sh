#!/bin/sh
# Regenerates the whole-model parity data in this folder with the independent
# numpy reference interpreter (tflite_ref.py, kept outside this repository in
# the team's shared tools). Run from the repository root after scripts/setup.sh:
#   REF=../shared/tools/tflite_ref.py sh tests/data/parity/make_parity.sh
# Recipe of each input: the sample picture, converted to RGB24 by the ffmpeg CLI,
# resized by tflite_ref.py's own bilinear (half-pixel centres, no antialias) to
# the model size, normalised x/255; saved with --save-input as the exact float32
# tensor both engines are given. Outputs are tflite_ref.py's float32 result on
# that tensor (--input-tensor), raw little-endian float32 NHWC.
set -eu
REF=${REF:-../shared/tools/tflite_ref.py}
D=tests/data/parity
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
gen() { # model picture name
    /usr/bin/python3 "$REF" "models/$1.tflite" "samples/$2" --out "$T/m.png" --save-input "$T/in.npy" >/dev/null
    /usr/bin/python3 "$REF" "models/$1.tflite" "$T/in.npy" --input-tensor --out "$T/m.png" --npy "$T/out.npy" >/dev/null
    /usr/bin/python3 -c "import numpy as np, sys; np.load(sys.argv[1]).astype('<f4').tofile(sys.argv[2]); np.load(sys.argv[3]).astype('<f4').tofile(sys.argv[4])" \
        "$T/in.npy" "$D/$3.in.f32" "$T/out.npy" "$D/$3.out.f32"
    echo "$3: $(sha256sum "models/$1.tflite" | cut -c1-16) $2"
}
gen selfie_segmentation messi5.jpg selfie_messi5
gen selfie_segmentation basketball1.png selfie_basketball1
gen selfie_segmentation_landscape messi5.jpg landscape_messi5
