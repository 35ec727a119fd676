#!/usr/bin/env bash
# Regenerate the committed seed corpora in tests/fuzz/corpus/ with the
# project's own tools: models from make_seeds.c (tests/tflite_builder), media
# from the ffmpeg CLI (tiny clips of every container and codec family a user
# is likely to feed, plus damaged ones). Deterministic for a given FFmpeg.
#
# usage: tests/fuzz/make_corpus.sh [BUILD_DIR]
#   BUILD_DIR: a configured build tree (default build/dev, configured with the
#   dev preset if missing); fuzz_make_seeds is built there.
#
# The selfie models are not committed (models/ is fetched by setup.sh), so
# they are not seeds here: scripts/fuzz.sh adds them, cut and bit-flipped,
# to its working corpus when they are present.
set -Eeuo pipefail
trap 'echo "make_corpus: failed at line $LINENO: $BASH_COMMAND" >&2' ERR

here=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
root=$(cd -P -- "$here/../.." && pwd)
build=${1:-$root/build/dev}
corpus=$here/corpus

if [[ ! -f $build/CMakeCache.txt ]]; then
  (cd "$root" && cmake --preset dev >/dev/null)
fi
cmake --build "$build" --target fuzz_make_seeds make_onnx_cases -j2 >/dev/null

rm -rf "$corpus/model" "$corpus/media" "$corpus/onnx"
mkdir -p "$corpus/model" "$corpus/media" "$corpus/onnx"
"$build/tests/fuzz_make_seeds" "$corpus/model"
# ONNX: the op test cases (tests/onnx_cases.c), models only.
onnx_tmp=$(mktemp -d)
"$build/tests/make_onnx_cases" "$onnx_tmp" >/dev/null
cp "$onnx_tmp"/*.onnx "$corpus/onnx/"
rm -rf "$onnx_tmp"

m=$corpus/media
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ff() { ffmpeg -nostdin -hide_banner -v error -y "$@"; }
# No encoder version strings, dates or random ids in the files.
bx=(-fflags +bitexact -flags:v +bitexact -flags:a +bitexact -map_metadata -1)
src() { echo "testsrc2=size=$1:rate=${2:-5}"; }

ff -f lavfi -i "$(src 32x24)" -frames:v 3 -c:v mpeg4 -q:v 8 "${bx[@]}" "$m/mpeg4.avi"
ff -f lavfi -i "$(src 32x32)" -f lavfi -i sine=frequency=440:sample_rate=8000 -t 0.6 \
   -c:v libx264 -preset ultrafast -pix_fmt yuv420p -g 2 -c:a aac -b:a 8k -shortest \
   "${bx[@]}" "$m/h264_aac.mp4"
ff -f lavfi -i "$(src 24x16)" -frames:v 2 -c:v mjpeg -q:v 20 "${bx[@]}" "$m/mjpeg.mkv"
ff -f lavfi -i "$(src 16x16)" -frames:v 2 -pix_fmt yuv420p "${bx[@]}" "$m/raw.y4m"
ff -f lavfi -i "$(src 16x16)" -frames:v 1 "${bx[@]}" "$m/still.png"
ff -f lavfi -i "$(src 16x16)" -frames:v 1 -q:v 20 "${bx[@]}" "$m/still.jpg"
ff -f lavfi -i "$(src 16x16)" -frames:v 3 "${bx[@]}" "$m/anim.gif"
ff -f lavfi -i "$(src 16x16)" -frames:v 2 -c:v ffv1 "${bx[@]}" "$m/ffv1.nut"
ff -f lavfi -i "$(src 32x32)" -frames:v 3 -c:v libvpx -b:v 20k "${bx[@]}" "$m/vp8.webm"
ff -f lavfi -i "$(src 32x32)" -frames:v 3 -c:v flv -q:v 20 "${bx[@]}" "$m/flv1.flv"
ff -f lavfi -i "$(src 8x8)" -frames:v 2 -c:v rawvideo -pix_fmt bgr24 "${bx[@]}" "$m/bgr24.avi"
ff -f lavfi -i sine=frequency=440:sample_rate=8000 -t 0.05 -c:a pcm_u8 "${bx[@]}" \
   "$m/audio_only.wav"
# A size change mid-stream: two MPEG-TS clips of different sizes, cat'ed.
ff -f lavfi -i "$(src 32x24)" -frames:v 2 -c:v mpeg2video "${bx[@]}" -f mpegts "$tmp/a.ts"
ff -f lavfi -i "$(src 48x32)" -frames:v 2 -c:v mpeg2video "${bx[@]}" -f mpegts "$tmp/b.ts"
cat "$tmp/a.ts" "$tmp/b.ts" >"$m/size_change.ts"
# Damaged: cut in half; bytes overwritten in the middle.
size=$(stat -c %s "$m/h264_aac.mp4")
head -c $((size / 2)) "$m/h264_aac.mp4" >"$m/h264_truncated.mp4"
size=$(stat -c %s "$m/mpeg4.avi")
head -c $((size / 2)) "$m/mpeg4.avi" >"$m/mpeg4_truncated.avi"
cp "$m/mpeg4.avi" "$m/mpeg4_corrupt.avi"
printf '\xff\x00\xde\xad\xbe\xef\x00\xff%.0s' {1..16} |
  dd of="$m/mpeg4_corrupt.avi" bs=1 seek=$((size / 2)) conv=notrunc status=none
# A header declaring a 16384x16384 picture (BITMAPINFOHEADER and avih).
python3 - "$m/bgr24.avi" "$m/declares_16384.avi" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], 'rb').read())
strf = b.find(b'strf'); avih = b.find(b'avih')
struct.pack_into('<ii', b, strf + 12, 16384, 16384)
struct.pack_into('<II', b, avih + 8 + 32, 16384, 16384)
open(sys.argv[2], 'wb').write(b)
PY
printf 'segstream fuzz seed: not media at all\n' >"$m/text.txt"

echo "make_corpus: $(ls "$corpus/model" | wc -l) models ($(du -sk "$corpus/model" | cut -f1) KiB)," \
     "$(ls "$m" | wc -l) media files ($(du -sk "$m" | cut -f1) KiB) in $corpus"
