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
#   det300_messi5.rgb  samples/messi5.jpg stretched to 300x300 (ffmpeg,
#                      bilinear), as the Open Images person detector sees a
#                      frame (MediaPipe's Objectron stretches); x / 127.5 - 1.
#   det300_vtest240.rgb frame 240 of samples/vtest.avi (walkers seen from
#                      above) stretched the same way.
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
ffmpeg -v error -y -i samples/messi5.jpg -vf "scale=300:300:flags=bilinear" \
    -f rawvideo -pix_fmt rgb24 "$D/det300_messi5.rgb"
ffmpeg -v error -y -i samples/vtest.avi -vf "select=eq(n\\,240),scale=300:300:flags=bilinear" \
    -frames:v 1 -f rawvideo -pix_fmt rgb24 "$D/det300_vtest240.rgb"
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
    ('persondet_messi5', 'person_detection_oidv4', 'det300_messi5', 300, '11', [3, 7]),
    ('persondet_vtest240', 'person_detection_oidv4', 'det300_vtest240', 300, '11', [3, 7]),
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

# The people the Open Images detector finds on det300_vtest240 (what
# seg_detector_run must find; tests/test_pipeline.c), decoded here on its own:
# MediaPipe's SsdAnchorsCalculator options of object_detection_oid_v4_cpu.pbtxt
# (6 layers, scales 0.2..0.95, strides 16..512, aspects 1, 2, 0.5, 3, 1/3,
# the lowest layer reduced to 3 boxes), boxes (y, x, h, w) / (10, 10, 5, 5)
# with exponential sizes, class 4 ("Person") sigmoid >= 0.4, then weighted
# NMS at IoU 0.3. One line per person: score x0 y0 x1 y1 (0..1 of the input).
/usr/bin/python3 - "$REF_DIR" "$D" <<'PY'
import math, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
import tflite_ref
d = sys.argv[2]
anchors = []
for l in range(6):
    s = 0.2 + 0.75 * l / 5
    nxt = 1.0 if l == 5 else 0.2 + 0.75 * (l + 1) / 5
    spec = ([(1.0, 0.1), (2.0, s), (0.5, s)] if l == 0 else
            [(a, s) for a in (1.0, 2.0, 0.5, 3.0, 0.3333)] + [(1.0, math.sqrt(s * nxt))])
    g = math.ceil(300 / (16 << l))
    for y in range(g):
        for x in range(g):
            for a, sc in spec:
                anchors.append(((x + 0.5) / g, (y + 0.5) / g, sc * math.sqrt(a), sc / math.sqrt(a)))
A = np.array(anchors)
assert len(A) == 1917
rgb = np.fromfile(d + '/det300_vtest240.rgb', dtype=np.uint8).reshape(1, 300, 300, 3)
it = tflite_ref.Interpreter('models/person_detection_oidv4.tflite', dtype=np.float32)
it.run(rgb.astype(np.float32) / np.float32(127.5) - np.float32(1.0))
box = np.asarray(it.values[it.model.outputs[0]], np.float64).reshape(-1, 4)
logit = np.asarray(it.values[it.model.outputs[1]], np.float64).reshape(1917, 24)[:, 4]
score = 1 / (1 + np.exp(-np.clip(logit, -100, 100)))
cy = box[:, 0] / 10 * A[:, 3] + A[:, 1]
cx = box[:, 1] / 10 * A[:, 2] + A[:, 0]
h = np.exp(box[:, 2] / 5) * A[:, 3]
w = np.exp(box[:, 3] / 5) * A[:, 2]
c = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
keep = np.nonzero(score >= 0.4)[0]
keep = keep[np.argsort(-score[keep], kind='stable')]
def iou(a, b):
    ix = min(a[2], b[2]) - max(a[0], b[0]); iy = min(a[3], b[3]) - max(a[1], b[1])
    if ix <= 0 or iy <= 0: return 0.0
    i = ix * iy
    return i / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - i)
used = set(); lines = []
for i in keep:
    if i in used: continue
    grp = [j for j in keep if j not in used and (j == i or iou(c[i], c[j]) > 0.3)]
    used.update(grp)
    wts = score[grp]
    m = (c[grp] * wts[:, None]).sum(0) / wts.sum()
    lines.append('%.5f %.5f %.5f %.5f %.5f' % (score[i], *m))
open(d + '/persondet_vtest240.people.txt', 'w').write('\n'.join(lines[:8]) + '\n')
print('persondet_vtest240: %d people' % len(lines))
PY
