#!/usr/bin/python3
"""Blend the tiles' probabilities of one clip (scripts/eval_tiles.sh).

  eval_tiles.py DIR W H SIDE NX NY

DIR holds t_X_Y.gray (each square's probabilities, raw 8-bit SIDE x SIDE
frames) and full.gray (the whole frame's). Writes DIR/tiles.alpha and
DIR/full.alpha: raw 8-bit W x H alphas shaped as segstream's --solid 0.5
(opaque from probability 0.5, p / 0.5 below). The squares are blended with
tent weights (1 at their edge pixel, growing to the centre), normalised, so a
pixel seen by one square takes its value and seams fade over the overlap.
"""
import os
import sys

import numpy as np


def frames(path, w, h):
    a = np.fromfile(path, np.uint8)
    return a.reshape(-1, h, w).astype(np.float32) / 255.0


def shape(p):
    return (np.clip(p / 0.5, 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def main():
    d, w, h, side, nx, ny = sys.argv[1], *(int(v) for v in sys.argv[2:7])
    u = np.arange(side, dtype=np.float32)
    tent = np.minimum(u + 1, side - u)
    weight = np.outer(tent, tent)
    acc, wsum = None, np.zeros((h, w), np.float32)
    for j in range(ny):
        for i in range(nx):
            x = (w - side) * i // (nx - 1) if nx > 1 else (w - side) // 2
            y = (h - side) * j // (ny - 1) if ny > 1 else (h - side) // 2
            p = frames(os.path.join(d, f"t_{x}_{y}.gray"), side, side)
            if acc is None:
                acc = np.zeros((p.shape[0], h, w), np.float32)
            if p.shape[0] != acc.shape[0]:
                raise SystemExit(f"eval_tiles: tile {x},{y} has {p.shape[0]} frames, not {acc.shape[0]}")
            acc[:, y:y + side, x:x + side] += p * weight
            wsum[y:y + side, x:x + side] += weight
    shape(acc / wsum).tofile(os.path.join(d, "tiles.alpha"))
    shape(frames(os.path.join(d, "full.gray"), w, h)).tofile(os.path.join(d, "full.alpha"))


if __name__ == "__main__":
    main()
