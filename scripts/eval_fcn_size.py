#!/usr/bin/python3
"""Issue 12's "the FCN at another input size", measured outside the pipeline.

  eval_fcn_size.py REF_DIR MODEL EVALSET_DIR CLIP WxH[,WxH...] [STEP]

Runs a selfie model on every STEP-th frame (default 2) of an evaluation clip
at each input size, re-planned as a fully convolutional network is: every
layer's height and width scale with the input's, the global means and the
global average pools stay global, and the resize targets scale too (the
only sizes the selfie models hold as constants). The interpreter is the team's numpy reference,
tflite_ref.py, from REF_DIR (it is not part of this repository; segstream's
own engine runs TFLite models at their file's size only: re-planned, they
lost, BENCHMARKS.md "Quality"). The probability is upsampled bilinearly to
the frame, shaped as segstream's default --solid 0.5 and scored by
build/release/tests/score_masks (segstream's scorer). Prints one line per
size: clip, size, the scorer's JSON.
"""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np


def gray_frames(path, w, h):
    b = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "gray", "-"],
                       capture_output=True, check=True).stdout
    return np.frombuffer(b, np.uint8).reshape(-1, h, w)


def main():
    if len(sys.argv) not in (6, 7):
        raise SystemExit(__doc__)
    ref_dir, model, set_dir, clip, sizes = sys.argv[1:6]
    step = int(sys.argv[6]) if len(sys.argv) == 7 else 2
    sys.path.insert(0, ref_dir)
    import tflite_ref as T  # noqa: E402 (the reference lives outside the repository)

    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    score = os.environ.get("SCORE_MASKS", os.path.join(root, "build/release/tests/score_masks"))
    info = json.load(open(os.path.join(set_dir, clip, "info.json")))
    w, h = info["width"], info["height"]
    b = subprocess.run(["ffmpeg", "-v", "error", "-i", os.path.join(set_dir, clip, "input.mp4"),
                        "-f", "rawvideo", "-pix_fmt", "rgb24", "-"], capture_output=True, check=True).stdout
    rgb = np.frombuffer(b, np.uint8).reshape(-1, h, w, 3)[::step]
    with tempfile.TemporaryDirectory(prefix="segfcn.") as tmp:
        files = {}
        for kind in ("gt", "void"):
            d = os.path.join(set_dir, clip, kind)
            if os.path.isdir(d):
                files[kind] = os.path.join(tmp, kind + ".gray")
                gray_frames(os.path.join(d, "%06d.png"), w, h)[::step].tofile(files[kind])
        plain_resize, plain_pool = T.resize_bilinear, T.pool2d
        for size in sizes.split(","):
            sw, sh = (int(v) for v in size.split("x"))
            it = T.Interpreter(model, dtype=np.dtype("float32"))
            m = it.model
            _, ih, iw, _ = m.tensors[m.inputs[0]].shape
            ky, kx = sh / ih, sw / iw

            def scaled(x, th, tw, *a, **k):
                return plain_resize(x, int(round(th * ky)), int(round(tw * kx)), *a, **k)

            def pool(x, kind, fh, fw, sh, sw, *a):
                # a global pool (the general model's squeeze-and-excite
                # averages) stays global
                if (fh, fw) != (1, 1) and x.shape[1] == round(fh * ky) and x.shape[2] == round(fw * kx):
                    fh, fw = sh, sw = x.shape[1], x.shape[2]
                return plain_pool(x, kind, fh, fw, sh, sw, *a)

            T.resize_bilinear = scaled
            T.pool2d = pool
            if (ky, kx) != (1.0, 1.0):
                for op in m.ops:   # shapes follow the data; the file's are for its own size
                    for oi in op.outputs:
                        m.tensors[oi].shape = ()
            alphas = []
            for f in rgb:
                x = (T.resize_rgb_bilinear(f.astype(np.float32), sh, sw) / np.float32(255.0))[None]
                p = it.run(x.astype(np.float32))[0, ..., 0]
                up = plain_resize(p[None, ..., None], h, w, False, True)[0, ..., 0]
                alphas.append((np.clip(up / 0.5, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8))
            T.resize_bilinear, T.pool2d = plain_resize, plain_pool
            out = os.path.join(tmp, "alpha.gray")
            np.stack(alphas).tofile(out)
            args = [score, str(w), str(h), files["gt"], out] + ([files["void"]] if "void" in files else [])
            res = subprocess.run(args, capture_output=True, text=True, check=True).stdout.strip()
            print(f"{clip}\t{size}\t{res}", flush=True)


if __name__ == "__main__":
    main()
