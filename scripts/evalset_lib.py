"""Image I/O and mask helpers for the evaluation-set scripts (numpy only).

Pictures are read and written through ImageMagick's `convert` as raw bytes,
so nothing beyond python3-numpy is needed.
"""
import subprocess

import numpy as np


def size_of(path):
    out = subprocess.run(["identify", "-format", "%w %h\n", path],
                         check=True, capture_output=True, text=True).stdout
    w, h = out.split("\n")[0].split()
    return int(w), int(h)


def read_rgb(path):
    w, h = size_of(path)
    raw = subprocess.run(["convert", path + "[0]", "-colorspace", "sRGB",
                          "-depth", "8", "rgb:-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 3).copy()


def read_gray(path):
    w, h = size_of(path)
    raw = subprocess.run(["convert", path + "[0]", "-colorspace", "Gray",
                          "-depth", "8", "gray:-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w).copy()


def write_gray(path, img):
    h, w = img.shape
    subprocess.run(["convert", "-size", f"{w}x{h}", "-depth", "8", "gray:-",
                    "-define", "png:exclude-chunks=date,time",
                    "+set", "date:create", "+set", "date:modify", path],
                   input=np.ascontiguousarray(img, np.uint8).tobytes(), check=True)


def write_rgb(path, img):
    h, w, _ = img.shape
    subprocess.run(["convert", "-size", f"{w}x{h}", "-depth", "8", "rgb:-",
                    "-define", "png:exclude-chunks=date,time", path],
                   input=np.ascontiguousarray(img, np.uint8).tobytes(), check=True)


def dilate(m):
    """3x3 binary dilation."""
    p = np.pad(m, 1)
    out = np.zeros_like(m)
    for dy in (0, 1, 2):
        for dx in (0, 1, 2):
            out |= p[dy:dy + m.shape[0], dx:dx + m.shape[1]]
    return out


def erode(m):
    return ~dilate(~m)


def component_at(mask, seed_yx):
    """The 8-connected component of boolean `mask` holding seed_yx."""
    y, x = seed_yx
    if not mask[y, x]:
        ys, xs = np.nonzero(mask)
        if len(ys) == 0:
            return mask.copy()
        i = np.argmin((ys - y) ** 2 + (xs - x) ** 2)
        y, x = ys[i], xs[i]
    cur = np.zeros_like(mask)
    cur[y, x] = True
    # geodesic dilation, grown in big steps of 8 dilations between checks
    while True:
        nxt = cur
        for _ in range(8):
            nxt = dilate(nxt) & mask
        if np.array_equal(nxt, cur):
            return cur
        cur = nxt


def fill_holes(mask):
    """Fill the holes of a boolean mask (background not reachable from the border)."""
    bg = ~mask
    border = np.zeros_like(mask)
    border[0, :] = border[-1, :] = border[:, 0] = border[:, -1] = True
    reach = border & bg
    while True:
        nxt = reach
        for _ in range(8):
            nxt = dilate(nxt) & bg
        if np.array_equal(nxt, reach):
            break
        reach = nxt
    return ~reach


def checker(h, w, cell=16):
    yy, xx = np.mgrid[0:h, 0:w]
    c = (((yy // cell) + (xx // cell)) % 2).astype(np.uint8)
    img = np.where(c[..., None] == 1, np.uint8(200), np.uint8(120))
    return np.repeat(img, 3, axis=2)


def outline_on(img, mask, colour=(255, 0, 255)):
    """img with the boundary of mask drawn in colour."""
    edge = mask & ~erode(mask)
    out = img.copy()
    out[edge] = colour
    return out


def read_rgba(path):
    w, h = size_of(path)
    raw = subprocess.run(["convert", path + "[0]", "-depth", "8", "rgba:-"],
                         check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(h, w, 4).copy()


def sample_bilinear(src, x0, y0, scale, w, h):
    """A w x h view of float image src (H, W, 3): output pixel (i, j) takes
    src at (x0 + (j + 0.5) * scale - 0.5, y0 + (i + 0.5) * scale - 0.5)."""
    H, W = src.shape[:2]
    xs = x0 + (np.arange(w) + 0.5) * scale - 0.5
    ys = y0 + (np.arange(h) + 0.5) * scale - 0.5
    xs = np.clip(xs, 0, W - 1.001)
    ys = np.clip(ys, 0, H - 1.001)
    xi = xs.astype(np.int64)
    yi = ys.astype(np.int64)
    fx = (xs - xi)[None, :, None]
    fy = (ys - yi)[:, None, None]
    a = src[yi][:, xi]
    b = src[yi][:, xi + 1]
    c = src[yi + 1][:, xi]
    d = src[yi + 1][:, xi + 1]
    top = a + (b - a) * fx
    bot = c + (d - c) * fx
    return top + (bot - top) * fy
