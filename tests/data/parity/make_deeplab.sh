#!/bin/sh
# Regenerates the DeepLabV3 parity data with the independent numpy reference
# (tflite_ref.py from the team's shared tools; DeepLab from shared/models):
#   REF_DIR=../shared/tools MODEL=../shared/models/deeplabv3_257_mv_gpu.tflite \
#     sh tests/data/parity/make_deeplab.sh
# Input recipe: samples/messi5.jpg scaled to 257x257 RGB24 by the ffmpeg CLI
# (bilinear), committed as deeplab_messi5.rgb; the model input is
# float32(x) / 127.5 - 1, computed the same way by the test.
# Expected: argmax labels of every pixel (deeplab_messi5.labels, uint8) and the
# softmax probabilities of every 4th row and column (deeplab_messi5.prob4.f32,
# 65x65x21 float32).
set -eu
REF_DIR=${REF_DIR:-../shared/tools}
MODEL=${MODEL:-../shared/models/deeplabv3_257_mv_gpu.tflite}
D=tests/data/parity
ffmpeg -v error -y -i samples/messi5.jpg -vf scale=257:257:flags=bilinear -f rawvideo -pix_fmt rgb24 "$D/deeplab_messi5.rgb"
/usr/bin/python3 - "$REF_DIR" "$MODEL" "$D" <<'PY'
import sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import tflite_ref
d = sys.argv[3]
rgb = np.fromfile(d + '/deeplab_messi5.rgb', dtype=np.uint8).reshape(1, 257, 257, 3)
x = rgb.astype(np.float32) / np.float32(127.5) - np.float32(1.0)
out = tflite_ref.Interpreter(sys.argv[2], dtype=np.float32).run(x)[0]
e = np.exp(out - out.max(axis=-1, keepdims=True))
p = (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)
out.argmax(axis=-1).astype(np.uint8).tofile(d + '/deeplab_messi5.labels')
np.ascontiguousarray(p[::4, ::4]).astype('<f4').tofile(d + '/deeplab_messi5.prob4.f32')
labels = out.argmax(axis=-1)
print('classes present:', {int(c): int((labels == c).sum()) for c in np.unique(labels)})
PY
