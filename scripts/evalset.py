#!/usr/bin/python3
"""segstream evaluation set: cut-out masks, pseudo ground truth, clip renders.

  evalset.py cutout NAME CROP.png SELFIE_MASK DEEPLAB_MASK RULE SEEDY,SEEDX OUT_DIR
      the cut-out alpha (0/255) of one person from two model masks of a tight
      crop, and a review sheet (outline on the crop | cut-out on a checkerboard)
  evalset.py pseudo SELFIE_DIR DEEPLAB_DIR FIRST LAST OUT_DIR
      pseudo ground truth of a close-up clip: gt = mean of both models' masks
      >= 0.5, void = the two models disagree (one >= 0.5, the other < 0.5)
  evalset.py render DATA_DIR SRC_DIR OUT_DIR [CLIP...]
      renders clips of CLIPS below into OUT_DIR/CLIP/{input.mp4,gt/,info.json}
  evalset.py manifest OUT_DIR      OUT_DIR/manifest.{json,tsv} from the clips
  evalset.py list                  the clip names

See tests/data/evalset/README.md for the recipe. Needs python3-numpy,
ImageMagick and ffmpeg only.
"""
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from evalset_lib import (checker, component_at, erode, fill_holes,  # noqa: E402
                         outline_on, read_gray, read_rgb, read_rgba,
                         sample_bilinear, size_of, write_gray, write_rgb)

W, H, FPS, NFRAMES = 1280, 720, 25, 75

# --------------------------------------------------------------------------
# cut-outs and pseudo ground truth (run once by make_evalset_masks.sh)
# --------------------------------------------------------------------------


def cmd_cutout(name, crop, selfie, deeplab, rule, seed, out_dir):
    img = read_rgb(crop)
    s = read_gray(selfie) / 255.0
    d = read_gray(deeplab) / 255.0
    if rule == "selfie":
        m = s >= 0.5
    elif rule == "mean":
        m = (s + d) / 2 >= 0.5
    elif rule == "and":
        m = (s >= 0.5) & (d >= 0.5)
    else:
        raise SystemExit(f"unknown rule {rule}")
    sy, sx = (int(v) for v in seed.split(","))
    m = fill_holes(component_at(m, (sy, sx)))
    m = erode(m)   # 1 px in from the model's edge: less background rim
    os.makedirs(out_dir, exist_ok=True)
    write_gray(os.path.join(out_dir, f"{name}_alpha.png"), m.astype(np.uint8) * 255)
    h, w = m.shape
    sheet = np.concatenate([outline_on(img, m),
                            np.where(m[..., None], img, checker(h, w, 8))], 1)
    write_rgb(os.path.join(out_dir, f"review_{name}.png"), sheet)


def cmd_pseudo(selfie_dir, deeplab_dir, first, last, out_dir):
    os.makedirs(os.path.join(out_dir, "gt"), exist_ok=True)
    os.makedirs(os.path.join(out_dir, "void"), exist_ok=True)
    for k, f in enumerate(range(int(first), int(last) + 1)):
        s = read_gray(os.path.join(selfie_dir, f"mask_{f:06d}.png")) / 255.0
        d = read_gray(os.path.join(deeplab_dir, f"mask_{f:06d}.png")) / 255.0
        gt = (s + d) / 2 >= 0.5
        void = (s >= 0.5) != (d >= 0.5)
        write_gray(os.path.join(out_dir, "gt", f"{k:06d}.png"), gt.astype(np.uint8) * 255)
        write_gray(os.path.join(out_dir, "void", f"{k:06d}.png"), void.astype(np.uint8) * 255)


# --------------------------------------------------------------------------
# the clips
# --------------------------------------------------------------------------
# A person: (cut-out, height as a fraction of the frame, start and end of
# the cut-out's bottom-centre point in frame fractions, depth order).
# A background: (picture, pan/zoom from (cx, cy, zoom) to (cx, cy, zoom)),
# centre in picture fractions, zoom 1 = the picture just covers the frame.
CLIPS = {
    # ---- nobody ----
    "empty_home_pan": dict(cat="empty", bg=("home.jpg", (0.40, 0.5, 1.15), (0.60, 0.5, 1.15))),
    "empty_building_zoom": dict(cat="empty", bg=("building.jpg", (0.5, 0.55, 1.0), (0.5, 0.55, 1.3))),
    "empty_aero3_pan": dict(cat="empty", bg=("aero3.jpg", (0.5, 0.40, 1.2), (0.5, 0.60, 1.25))),
    "empty_stills": dict(cat="empty", stills=["home.jpg", "box_in_scene.png", "baboon.jpg",
                                              "fruits.jpg", "stuff.jpg", "leuvenA.jpg",
                                              "building.jpg", "aero1.jpg"], hold=10),
    # ---- one person at 1/2, 1/4, 1/8 of the frame height ----
    "half_messi_building": dict(cat="person", frac=0.5, bg=("building.jpg", (0.5, 0.5, 1.05), (0.5, 0.5, 1.05)),
                                people=[("messi", 0.5, (0.25, 0.95), (0.75, 0.95))]),
    "half_bball_leuven": dict(cat="person", frac=0.5, bg=("leuvenA.jpg", (0.45, 0.5, 1.1), (0.55, 0.5, 1.1)),
                              people=[("bball", 0.5, (0.80, 0.97), (0.20, 0.97))]),
    "quarter_messi_leuven": dict(cat="person", frac=0.25, bg=("leuvenA.jpg", (0.5, 0.5, 1.0), (0.5, 0.5, 1.0)),
                                 people=[("messi", 0.25, (0.15, 0.92), (0.85, 0.92))]),
    "quarter_bball_building": dict(cat="person", frac=0.25, bg=("building.jpg", (0.5, 0.5, 1.0), (0.5, 0.5, 1.0)),
                                   people=[("bball", 0.25, (0.90, 0.95), (0.10, 0.95))]),
    "eighth_messi_home": dict(cat="person", frac=0.125, bg=("home.jpg", (0.5, 0.5, 1.0), (0.5, 0.5, 1.0)),
                              people=[("messi", 0.125, (0.10, 0.90), (0.90, 0.90))]),
    "eighth_bball_leuven": dict(cat="person", frac=0.125, bg=("leuvenA.jpg", (0.5, 0.5, 1.0), (0.5, 0.5, 1.0)),
                                people=[("bball", 0.125, (0.80, 0.85), (0.30, 0.80))]),
    # ---- several people ----
    "several_leuven": dict(cat="several", frac=None, bg=("leuvenA.jpg", (0.48, 0.5, 1.05), (0.52, 0.5, 1.05)),
                           people=[("bball", 0.125, (0.40, 0.72), (0.60, 0.72)),
                                   ("messi", 0.25, (0.90, 0.85), (0.55, 0.85)),
                                   ("bball", 0.5, (0.05, 0.98), (0.35, 0.98))]),
    # ---- close-ups ----
    "closeup_man_building": dict(cat="closeup", frac=1.0, bg=("building.jpg", (0.45, 0.5, 1.0), (0.55, 0.5, 1.0)),
                                 people=[("mm_man", 1.0, (0.42, 1.0), (0.58, 1.0))]),
    "closeup_woman_home": dict(cat="closeup", frac=0.95, bg=("home.jpg", (0.5, 0.5, 1.0), (0.5, 0.5, 1.0)),
                               people=[("mm_woman", 0.95, (0.55, 1.0), (0.40, 1.0))]),
    # ---- close-ups of Megamind.avi with pseudo ground truth ----
    "closeup_megamind_a": dict(cat="closeup-pseudo", frac=None, megamind=(20, 91), pseudo="megamind_a"),
    "closeup_megamind_b": dict(cat="closeup-pseudo", frac=None, megamind=(201, 269), pseudo="megamind_b"),
}


class Encoder:
    """Raw frames piped into one ffmpeg process."""

    def __init__(self, args):
        self.p = subprocess.Popen(args, stdin=subprocess.PIPE)

    def put(self, arr):
        self.p.stdin.write(np.ascontiguousarray(arr).tobytes())

    def close(self):
        self.p.stdin.close()
        if self.p.wait() != 0:
            raise SystemExit("ffmpeg failed")


def video_encoder(path, w, h, fps):
    # H.264 CRF 12 (near-lossless), BT.709 limited range, tagged as such
    return Encoder(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
                    "-s", f"{w}x{h}", "-r", str(fps), "-i", "-",
                    "-vf", "scale=out_color_matrix=bt709:out_range=tv,format=yuv420p",
                    "-c:v", "libx264", "-preset", "fast", "-crf", "12", "-threads", "2",
                    "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
                    "-color_range", "tv", "-g", "50", "-bitexact", "-map_metadata", "-1",
                    "-fflags", "+bitexact", path])


def mask_writer(folder, w, h):
    os.makedirs(folder, exist_ok=True)
    return Encoder(["ffmpeg", "-v", "error", "-y", "-f", "rawvideo", "-pix_fmt", "gray",
                    "-s", f"{w}x{h}", "-i", "-", "-start_number", "0", "-c:v", "png",
                    "-pred", "mixed", "-bitexact", os.path.join(folder, "%06d.png")])


def inside_polygon(poly, shape):
    """Pixels whose centres lie inside the polygon (even-odd rule)."""
    h, w = shape
    ys, xs = np.mgrid[0:h, 0:w]
    px, py = xs + 0.5, ys + 0.5
    inside = np.zeros(shape, bool)
    n = len(poly)
    for i in range(n):
        (x0, y0), (x1, y1) = poly[i], poly[(i + 1) % n]
        if y0 == y1:
            continue
        crosses = (py >= min(y0, y1)) & (py < max(y0, y1))
        xc = x0 + (py - y0) * (x1 - x0) / (y1 - y0)
        inside ^= crosses & (px < xc)
    return inside


def load_cutout(data_dir, src_dir, name, height_px, cache):
    """RGBA cut-out scaled so its alpha's bounding box is height_px tall."""
    key = (name, height_px)
    if key in cache:
        return cache[key]
    spec = CUTOUTS[name]
    tmp = os.path.join(cache["tmp"], f"{name}_{height_px}")
    crop = spec["crop"]
    src = os.path.join(src_dir, spec["src"])
    if "frame" in spec:   # a frame of a video
        frame_png = tmp + "_frame.png"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-vf",
                        f"select=eq(n\\,{spec['frame']})", "-frames:v", "1", frame_png], check=True)
        src = frame_png
    alpha = read_gray(os.path.join(data_dir, "cutouts", f"{name}_alpha.png"))
    for poly in spec.get("not_person", []):
        alpha = np.where(inside_polygon(poly, alpha.shape), 0, alpha).astype(alpha.dtype)
    rgb = read_rgb(src)
    x, y, w, h = crop
    rgb = rgb[y:y + h, x:x + w]
    assert rgb.shape[:2] == alpha.shape, (name, rgb.shape, alpha.shape)
    ys, xs = np.nonzero(alpha >= 128)
    y0, y1, x0, x1 = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    rgba = np.concatenate([rgb, alpha[..., None]], 2)[y0:y1, x0:x1]
    write_rgb(tmp + "_rgb.png", rgba[..., :3])
    write_gray(tmp + "_a.png", rgba[..., 3])
    # premultiplied resize: colour outside the alpha never bleeds in
    bh = y1 - y0
    out_h = height_px
    out_w = max(1, int(round((x1 - x0) * height_px / bh)))
    subprocess.run(["convert", tmp + "_rgb.png", tmp + "_a.png", "-alpha", "off",
                    "-compose", "CopyOpacity", "-composite",
                    "-filter", "Lanczos", "-resize", f"{out_w}x{out_h}!",
                    "-depth", "8", tmp + ".png"], check=True)
    im = read_rgba(tmp + ".png").astype(np.float32)
    cache[key] = im
    return im


# name: source picture or video frame and the crop (x, y, w, h) the alpha covers
CUTOUTS = {
    # not_person: polygons (x, y in the crop) drawn by hand where the model-made
    # alpha took in background; they are cut out of the alpha before use.
    # messi: the crowd between his right side and his raised arm (the model
    # filled the gap under the arm; composited, it showed as a dark square
    # "person" next to the shirt). Traced on a 9x zoom of the crop.
    "messi": dict(src="messi5.jpg", crop=(60, 50, 400, 292),
                  not_person=[[(226, 100), (225.5, 107), (226, 118), (227, 127), (231.5, 133),
                               (234, 137), (236, 147), (236.5, 156), (239, 162), (239, 175),
                               (300, 175), (300, 125), (294, 123.5), (285, 118.5), (275, 113.5),
                               (265, 109.5), (255, 106), (245, 102.5), (236, 98.5)]]),
    "bball": dict(src="basketball1.png", crop=(25, 60, 150, 420)),
    "mm_woman": dict(src="Megamind.avi", frame=60, crop=(0, 0, 420, 528)),
    "mm_man": dict(src="Megamind.avi", frame=240, crop=(0, 0, 720, 528)),
}


def load_bg(src_dir, name):
    return read_rgb(os.path.join(src_dir, name)).astype(np.float32)


def bg_view(img, cx, cy, zoom):
    """The 1280x720 view centred at (cx, cy) (picture fractions); zoom 1 = cover."""
    Hs, Ws = img.shape[:2]
    scale = min(Ws / W, Hs / H) / zoom      # source pixels per output pixel
    x0 = cx * Ws - W * scale / 2
    y0 = cy * Hs - H * scale / 2
    x0 = min(max(x0, 0), Ws - W * scale)
    y0 = min(max(y0, 0), Hs - H * scale)
    return sample_bilinear(img, x0, y0, scale, W, H)


def smooth(t):
    return t * t * (3 - 2 * t)


def render_clip(name, spec, data_dir, src_dir, out_dir, cache):
    cdir = os.path.join(out_dir, name)
    os.makedirs(cdir, exist_ok=True)
    info = dict(name=name, category=spec["cat"], input=f"{name}/input.mp4", gt=f"{name}/gt",
                gt_first_index=0)
    if "megamind" in spec:
        first, last = spec["megamind"]
        n = last - first + 1
        src = os.path.join(src_dir, "Megamind.avi")
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", src, "-an", "-vf",
                        f"select=between(n\\,{first}\\,{last}),setpts=N/(24000/1001)/TB",
                        "-r", "24000/1001", "-c:v", "libx264", "-preset", "fast", "-crf", "12",
                        "-threads", "2", "-pix_fmt", "yuv420p", "-bitexact", "-map_metadata", "-1",
                        "-fflags", "+bitexact", os.path.join(cdir, "input.mp4")], check=True)
        for kind in ("gt", "void"):
            os.makedirs(os.path.join(cdir, kind), exist_ok=True)
            subprocess.run(["ffmpeg", "-v", "error", "-y", "-i",
                            os.path.join(data_dir, "pseudo", f"{spec['pseudo']}_{kind}.mkv"),
                            "-start_number", "0", "-pix_fmt", "gray", "-bitexact",
                            os.path.join(cdir, kind, "%06d.png")], check=True)
        got = len(os.listdir(os.path.join(cdir, "gt")))
        assert got == n, (name, got, n)
        info.update(frames=n, fps="24000/1001", width=720, height=528,
                    person_height_fraction=None, gt_kind="pseudo",
                    void=f"{name}/void",
                    source=f"Megamind.avi frames {first}..{last}",
                    gt_how="mean of selfie_segmentation and deeplabv3 (person) masks >= 0.5; "
                           "void = where the two models disagree")
        return info

    enc = video_encoder(os.path.join(cdir, "input.mp4"), W, H, FPS)
    gtw = mask_writer(os.path.join(cdir, "gt"), W, H)
    if "stills" in spec:
        frames = []
        for pic in spec["stills"]:
            view = np.clip(bg_view(load_bg(src_dir, pic), 0.5, 0.5, 1.0) + 0.5, 0, 255).astype(np.uint8)
            frames += [view] * spec["hold"]
        n = len(frames)
        zero = np.zeros((H, W), np.uint8)
        for f in frames:
            enc.put(f)
            gtw.put(zero)
        enc.close()
        gtw.close()
        info.update(frames=n, fps=FPS, width=W, height=H, person_height_fraction=0.0,
                    gt_kind="exact", source=" ".join(f"{p}x{spec['hold']}" for p in spec["stills"]),
                    gt_how="nobody: every mask is 0")
        return info

    bgname, (cx0, cy0, z0), (cx1, cy1, z1) = spec["bg"]
    bg = load_bg(src_dir, bgname)
    people = spec.get("people", [])
    cuts = [load_cutout(data_dir, src_dir, p[0], int(round(p[1] * H)), cache) for p in people]
    # nearer (taller) people are drawn last
    order = sorted(range(len(people)), key=lambda i: people[i][1])
    static = (cx0, cy0, z0) == (cx1, cy1, z1)
    still = bg_view(bg, cx0, cy0, z0) if static else None
    for k in range(NFRAMES):
        t = k / (NFRAMES - 1)
        ts = smooth(t)
        frame = still.copy() if static else \
            bg_view(bg, cx0 + (cx1 - cx0) * ts, cy0 + (cy1 - cy0) * ts, z0 + (z1 - z0) * ts)
        gt = np.zeros((H, W), bool)
        for i in order:
            _, _, (fx0, fy0), (fx1, fy1) = people[i]
            cut = cuts[i]
            ch, cw = cut.shape[:2]
            # bottom-centre of the cut-out, whole pixels (no resampling per frame)
            bx = int(round((fx0 + (fx1 - fx0) * t) * W))
            by = int(round((fy0 + (fy1 - fy0) * t) * H))
            # a small walking bob for full-height people, none for close-ups
            if people[i][1] < 0.9:
                by -= int(round(abs(np.sin(2 * np.pi * 1.5 * t)) * 0.02 * ch))
            x0, y0 = bx - cw // 2, by - ch
            xa, ya = max(x0, 0), max(y0, 0)
            xb, yb = min(x0 + cw, W), min(y0 + ch, H)
            if xa >= xb or ya >= yb:
                continue
            sub = cut[ya - y0:yb - y0, xa - x0:xb - x0]
            a = sub[..., 3:4] / 255.0
            region = frame[ya:yb, xa:xb]
            frame[ya:yb, xa:xb] = region * (1 - a) + sub[..., :3] * a
            gt[ya:yb, xa:xb] |= sub[..., 3] >= 128
        enc.put(np.clip(frame + 0.5, 0, 255).astype(np.uint8))
        gtw.put(gt.astype(np.uint8) * 255)
    enc.close()
    gtw.close()
    cut_names = sorted({p[0] for p in people})
    info.update(frames=NFRAMES, fps=FPS, width=W, height=H,
                person_height_fraction=spec.get("frac", 0.0) if people else 0.0,
                people=[dict(cutout=p[0], height_fraction=p[1]) for p in people],
                gt_kind="exact" if not people else "exact-composite",
                source=f"background {bgname}" + (f"; cut-outs {', '.join(cut_names)}" if people else ""),
                gt_how=("nobody: every mask is 0" if not people else
                        "the pasted cut-outs' scaled alpha >= 50% (same pixels as pasted)"))
    return info


def cmd_render(data_dir, src_dir, out_dir, names):
    """Renders the named clips (all without names), each with its info.json."""
    names = names or list(CLIPS)
    os.makedirs(out_dir, exist_ok=True)
    cache = {"tmp": os.path.join(out_dir, ".tmp")}
    os.makedirs(cache["tmp"], exist_ok=True)
    for name in names:
        print(f"evalset: {name}", file=sys.stderr, flush=True)
        info = render_clip(name, CLIPS[name], data_dir, src_dir, out_dir, cache)
        with open(os.path.join(out_dir, name, "info.json"), "w") as f:
            json.dump(info, f, indent=1)
            f.write("\n")


def cmd_manifest(out_dir):
    """manifest.json and manifest.tsv from every clip's info.json."""
    manifest = []
    for name in CLIPS:
        with open(os.path.join(out_dir, name, "info.json")) as f:
            manifest.append(json.load(f))
    with open(os.path.join(out_dir, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)
        f.write("\n")
    with open(os.path.join(out_dir, "manifest.tsv"), "w") as f:
        f.write("clip\tcategory\tperson_height_fraction\tframes\tfps\tsize\tgt_kind\n")
        for m in manifest:
            frac = m["person_height_fraction"]
            f.write(f"{m['name']}\t{m['category']}\t{'-' if frac is None else frac}\t{m['frames']}"
                    f"\t{m['fps']}\t{m['width']}x{m['height']}\t{m['gt_kind']}\n")


def read_video_frames(path, w, h):
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo",
                          "-pix_fmt", "rgb24", "-"], check=True, capture_output=True).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, h, w, 3)


def cmd_sheet(out_dir, name, mask_dir=None, mask_fmt="%06d.png"):
    """A contact sheet: 4 frames, each input | input with the GT outline (and
    void in yellow) | GT (| the masks of a run in mask_dir, mask_fmt)."""
    with open(os.path.join(out_dir, name, "info.json")) as f:
        info = json.load(f)
    w, h, n = info["width"], info["height"], info["frames"]
    frames = read_video_frames(os.path.join(out_dir, name, "input.mp4"), w, h)
    rows = []
    for k in sorted({0, n // 3, 2 * n // 3, n - 1}):
        img = frames[k]
        gt = read_gray(os.path.join(out_dir, name, "gt", f"{k:06d}.png")) >= 128
        ol = img.copy()
        vpath = os.path.join(out_dir, name, "void", f"{k:06d}.png")
        if os.path.exists(vpath):
            v = read_gray(vpath) >= 128
            ol[v] = (ol[v] * 0.5 + np.array([255, 255, 0]) * 0.5).astype(np.uint8)
        ol = outline_on(ol, gt)
        panels = [img, ol, np.repeat(gt[..., None].astype(np.uint8) * 255, 3, 2)]
        if mask_dir:
            m = read_gray(os.path.join(mask_dir, mask_fmt % k))
            panels.append(np.repeat(m[..., None], 3, 2))
        row = np.concatenate([np.pad(p, ((2, 2), (2, 2), (0, 0))) for p in panels], 1)
        rows.append(row[::2, ::2])
    os.makedirs(os.path.join(out_dir, "sheets"), exist_ok=True)
    suffix = "_run" if mask_dir else ""
    write_rgb(os.path.join(out_dir, "sheets", f"{name}{suffix}.png"), np.concatenate(rows, 0))


def main(argv):
    if len(argv) < 2:
        raise SystemExit(__doc__)
    cmd, args = argv[1], argv[2:]
    if cmd == "cutout":
        cmd_cutout(*args)
    elif cmd == "pseudo":
        cmd_pseudo(*args)
    elif cmd == "render":
        cmd_render(args[0], args[1], args[2], args[3:])
    elif cmd == "manifest":
        cmd_manifest(args[0])
    elif cmd == "sheet":
        cmd_sheet(*args)
    elif cmd == "list":
        print("\n".join(CLIPS))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
