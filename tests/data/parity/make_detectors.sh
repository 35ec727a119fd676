#!/bin/sh
# Regenerates the parity data of MediaPipe's person/face detectors and pose
# landmark models (tests/test_nn_detectors.c) with the independent numpy
# reference (tflite_ref.py from the team's shared tools). Run from the
# repository root after scripts/setup.sh has fetched the models:
#   REF_DIR=../shared/tools sh tests/data/parity/make_detectors.sh
#
# Inputs (committed as RGB24 bytes; the test and this script normalise them
# the same way in float32):
#   det224_messi5.rgb  samples/messi5.jpg letterboxed as MediaPipe does for the
#                      pose detector: scaled to 224x140 (ffmpeg, bilinear),
#                      centred on black (0) rows; input x / 127.5 - 1, so the
#                      padding is -1.
#   det128_messi5.rgb  the same at 128x80 in 128x128 (face, short range).
#   det192_messi5.rgb  the same at 192x120 in 192x192 (face, full range).
#   roi256_messi5.rgb  the pose landmark crop: the region of interest the
#                      detector gives on messi5 (centre (267,226), side 425 px,
#                      rotated -11.5 degrees, see shared/notes/
#                      mediapipe-detectors.md), sampled bilinearly with the
#                      border replicated, 256x256; input x / 255.
# Expected: each output of the model (outputs in file order, k = 0, 1, ...),
# flattened, every S-th value from the first (S in the table below and in the
# test), raw little-endian float32: NAME.outK.f32.
set -eu
REF_DIR=${REF_DIR:-../shared/tools}
D=tests/data/parity
lb() { # size scaled_h pad_top name
    ffmpeg -v error -y -i samples/messi5.jpg \
        -vf "scale=$1:$2:flags=bilinear,pad=$1:$1:0:$3:black" \
        -f rawvideo -pix_fmt rgb24 "$D/$4.rgb"
}
lb 224 140 42 det224_messi5
lb 128 80 24 det128_messi5
lb 192 120 36 det192_messi5
ffmpeg -v error -y -i samples/messi5.jpg -f rawvideo -pix_fmt rgb24 "$D/.messi5_full.rgb"
/usr/bin/python3 - "$REF_DIR" "$D" <<'PY'
import math, os, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import tflite_ref
d = sys.argv[2]

# The landmark crop: u, v at pixel centres in [0,1]; a = u - 1/2, b = v - 1/2;
# x = cx + side (a cos t - b sin t), y = cy + side (a sin t + b cos t).
img = np.fromfile(d + '/.messi5_full.rgb', dtype=np.uint8).reshape(342, 548, 3).astype(np.float64)
os.remove(d + '/.messi5_full.rgb')
cx, cy, side, t = 267.0, 226.0, 425.0, math.radians(-11.5)
u = (np.arange(256) + 0.5) / 256 - 0.5
a, b = np.meshgrid(u, u)
x = cx + side * (a * math.cos(t) - b * math.sin(t)) - 0.5
y = cy + side * (a * math.sin(t) + b * math.cos(t)) - 0.5
x = np.clip(x, 0, 547)
y = np.clip(y, 0, 341)
x0 = np.minimum(np.floor(x).astype(int), 546)
y0 = np.minimum(np.floor(y).astype(int), 340)
fx = (x - x0)[..., None]
fy = (y - y0)[..., None]
v = (img[y0, x0] * (1 - fx) * (1 - fy) + img[y0, x0 + 1] * fx * (1 - fy) +
     img[y0 + 1, x0] * (1 - fx) * fy + img[y0 + 1, x0 + 1] * fx * fy)
np.clip(np.rint(v), 0, 255).astype(np.uint8).tofile(d + '/roi256_messi5.rgb')

# name, model file, input, size, normalisation, stride per output
CASES = [
    ('posedet_messi5', 'pose_detection', 'det224_messi5', 224, '11', [5, 1]),
    ('faceshort_messi5', 'face_detection_short_range', 'det128_messi5', 128, '11', [3, 1]),
    ('facefull_messi5', 'face_detection_full_range', 'det192_messi5', 192, '11', [5, 1]),
    ('facesparse_messi5', 'face_detection_full_range_sparse', 'det192_messi5', 192, '11', [5, 1]),
    ('poselite_messi5', 'pose_landmark_lite', 'roi256_messi5', 256, '01', [1, 1, 7, 13, 1]),
    ('posefull_messi5', 'pose_landmark_full', 'roi256_messi5', 256, '01', [1, 1, 7, 13, 1]),
]
for name, model, inp, size, norm, strides in CASES:
    rgb = np.fromfile('%s/%s.rgb' % (d, inp), dtype=np.uint8).reshape(1, size, size, 3)
    if norm == '11':
        xin = rgb.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
    else:
        xin = rgb.astype(np.float32) / np.float32(255.0)
    it = tflite_ref.Interpreter('models/%s.tflite' % model, dtype=np.float32)
    it.run(xin)
    outs = it.model.outputs
    assert len(outs) == len(strides), (model, len(outs))
    for k, (ti, s) in enumerate(zip(outs, strides)):
        o = np.asarray(it.values[ti], dtype=np.float32).ravel()
        o[::s].astype('<f4').tofile('%s/%s.out%d.f32' % (d, name, k))
        print('%s out%d %s %s: %d values, every %d-th kept, range %.4g..%.4g'
              % (name, k, it.model.tensors[ti].name, list(it.model.tensors[ti].shape),
                 o.size, s, o.min(), o.max()))
PY
