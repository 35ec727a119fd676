#!/usr/bin/env bash
# What following people between searches costs (issue 12): a video's masks
# against the masks of its own frames segmented one by one as pictures. A
# picture gets a file job's first search (the whole frame and every tile),
# so it is the best the detector and the model do on that frame; the video
# searches only every 24th frame (one square at a time) and follows people
# by their masks in between. The pictures' masks are a pseudo ground truth:
# the detector's and the model's own mistakes are in both, and only what
# the video loses by not searching every frame shows.
#
# Usage: scripts/eval_video_vs_stills.sh INPUT [EVERY [OFFSET]] [-- SEGSTREAM_ARGS...]
# Frames OFFSET, OFFSET + EVERY, ... (default every 50th from 25) are
# compared; prints each frame's IoU, then the mean IoU and the mean share of
# the pictures' person pixels the video also calls person (recall).
# Needs /usr/bin/python3 with numpy (Debian's python3-numpy).
set -Eeuo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
input=${1:?usage: eval_video_vs_stills.sh INPUT [EVERY [OFFSET]] [-- SEGSTREAM_ARGS...]}
shift
every=50 offset=25
if [[ $# -gt 0 && $1 != -- ]]; then every=$1; shift; fi
if [[ $# -gt 0 && $1 != -- ]]; then offset=$1; shift; fi
[[ $# -gt 0 && $1 == -- ]] && shift
bin=${SEGSTREAM:-$root/build/release/segstream}
tmp=$(mktemp -d /tmp/segstills.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
pick="select=not(mod(n-$offset\\,$every))*gte(n\\,$offset)"
ffmpeg -nostdin -v error -i "$input" -vf "$pick" -fps_mode passthrough "$tmp/still_%04d.png"
for f in "$tmp"/still_*.png; do
  "$bin" "$f" -o "${f%.png}_mask.png" --mode mask -y -q "$@"
done
"$bin" "$input" -o "$tmp/video.mkv" --mode mask --codec ffv1 -y -q "$@"
size=$(ffprobe -v error -select_streams v:0 -show_entries stream=width,height -of csv=p=0:s=x "$tmp/video.mkv")
ffmpeg -nostdin -v error -i "$tmp/video.mkv" -vf "$pick,format=gray" -fps_mode passthrough \
  -f rawvideo "$tmp/video.gray"
for f in "$tmp"/still_*_mask.png; do
  ffmpeg -nostdin -v error -i "$f" -vf format=gray -f rawvideo -
done > "$tmp/stills.gray"
/usr/bin/python3 - "$tmp/video.gray" "$tmp/stills.gray" "$size" "$every" "$offset" <<'PY'
import sys
import numpy as np
w, h = map(int, sys.argv[3].split("x"))
every, offset = int(sys.argv[4]), int(sys.argv[5])
v = np.fromfile(sys.argv[1], np.uint8).reshape(-1, h, w) >= 128
g = np.fromfile(sys.argv[2], np.uint8).reshape(-1, h, w) >= 128
n = min(len(v), len(g))
ious, recalls = [], []
for k in range(n):
    a, b = v[k], g[k]
    union = (a | b).sum()
    ious.append((a & b).sum() / union if union else 1.0)
    recalls.append((a & b).sum() / b.sum() if b.sum() else 1.0)
    print("frame %d: IoU %.3f, recall %.3f" % (offset + k * every, ious[-1], recalls[-1]))
print("frames %d: IoU mean %.3f (min %.3f), recall mean %.3f"
      % (n, np.mean(ious), np.min(ious), np.mean(recalls)))
PY
