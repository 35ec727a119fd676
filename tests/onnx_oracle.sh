#!/usr/bin/env bash
# Regenerate tests/data/onnx/*.f32, the expected outputs of the ONNX op
# tests (tests/onnx_cases.c), with ONNX Runtime; the tests themselves do not
# need it. Usage: tests/onnx_oracle.sh BUILD_DIR ORT_DIR
#   BUILD_DIR  a configured build with make_onnx_cases (e.g. build/release)
#   ORT_DIR    a folder where `npm install onnxruntime-node@1.31.1` ran with
#              ONNXRUNTIME_NODE_INSTALL=skip (its install script otherwise
#              tries a download); node_modules/ is inside it
set -Eeuo pipefail
build=${1:?usage: tests/onnx_oracle.sh BUILD_DIR ORT_DIR}
ort=${2:?usage: tests/onnx_oracle.sh BUILD_DIR ORT_DIR}
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cmake --build "$build" --target make_onnx_cases >/dev/null
tmp=$(mktemp -d)
trap 'rm -rf -- "$tmp"' EXIT
"$build/tests/make_onnx_cases" "$tmp"
mkdir -p "$root/tests/data/onnx"
NODE_PATH="$ort/node_modules" node "$root/tests/onnx_oracle.js" "$tmp" "$root/tests/data/onnx"

# u2netp on real pictures: the 320x320 RGB inputs were made once with
#   ffmpeg -i PIC -vf scale=320:320:flags=bilinear -f rawvideo -pix_fmt rgb24 u2netp_NAME.rgb
# from opencv-doc's messi5.jpg and basketball1.png (samples/).
model=${SEG_MODELS_DIR:-$root/models}/u2netp.onnx
if [[ -f $model ]]; then
  for pic in messi5 basketball1; do
    NODE_PATH="$ort/node_modules" node "$root/tests/onnx_oracle.js" --u2netp "$model" \
      "$root/tests/data/onnx/u2netp_$pic.rgb" "$root/tests/data/onnx/u2netp_$pic"
    rm -f "$root/tests/data/onnx/u2netp_$pic".[1-6].f32 # only the fused mask is kept
  done
else
  echo "onnx_oracle: $model is missing (scripts/setup.sh fetches it): u2netp outputs not made" >&2
fi
