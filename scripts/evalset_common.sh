# shellcheck shell=bash
# Shared by make_evalset.sh and make_evalset_masks.sh (sourced, not run).

# The opencv-doc files the evaluation set is made from (Debian 12's
# opencv-doc 4.6.0+dfsg-12, usr/share/doc/opencv-doc/examples/data/).
declare -A EVALSET_SHA256=(
  [messi5.jpg]=1d570e49654e84c7a943918537bd9e5e1ef82920152e147c834006e235be97c9
  [basketball1.png]=ba06f6701f7260998b430c39b6557f775497e6ce7b1a74f0b7ea6af371bf54a6
  [Megamind.avi]=0057387cb7e75c8fd1663b62cfdc51fa53f527795d0fe3c1fea2fd159d3130b5
  [home.jpg]=23b8cf46a1965d0ec33459b875aed43187802834db49e0daa9fa2cc842e9d8d2
  [building.jpg]=742a1baad62ac82e91e718e77eedf7e85c2eddc4badfb8c87c6cbc86c45a8b07
  [aero1.jpg]=d9a69191f6e3642ea361bc3c62e677b2f40fe6534b78da540f4155e0734b59ef
  [aero3.jpg]=1c407146f8762b3b14a7953ff9bc4c01ed64c467d7277122e769bf7e816017a4
  [box_in_scene.png]=8b0225ff76244a42bd1400c0904f8b7afea7d97b7d8115495e42e98ad347bd51
  [baboon.jpg]=1a1dd18d78eec44420af3b0b7f08ee3d41c982916cae3ce203d7ff35d754cc0f
  [fruits.jpg]=9c031d80a1c52da5eca790db896baffec6a7e52bf786cdb7bbfca5c7f880e6a1
  [stuff.jpg]=21cd00afbdd0727f445dd91c0a09633e6345ed5b05a3d2355453a1f3c314c6c5
  [leuvenA.jpg]=b2977cdbd9fb3f94dadd6f76cf586d145676deb8a22b5f0f42149d21c058c09f
)

# Heavy commands share the machine: one at a time (the lock), niced.
heavy() { flock /tmp/seg-build.lock nice "$@"; }

# Sets OPENCV_DATA to a folder holding every file above with its sha256:
# $OPENCV_DATA if set, else out/opencv-doc/data, filled on first use from
# `apt-get download opencv-doc` (nothing is installed).
find_opencv_data() {
  local dir=${OPENCV_DATA:-out/opencv-doc/data} f missing=0
  for f in "${!EVALSET_SHA256[@]}"; do
    [[ -f $dir/$f ]] || { missing=1; break; }
  done
  if ((missing)); then
    [[ -z ${OPENCV_DATA:-} ]] || { echo "evalset: $dir lacks $f" >&2; exit 1; }
    echo "evalset: fetching opencv-doc into $dir (apt-get download, ~96 MB)" >&2
    local tmp; tmp=$(mktemp -d "${TMPDIR:-/tmp}/evalset.XXXXXX")
    local opts=(); [[ $(id -u) -eq 0 ]] && opts=(-o APT::Sandbox::User=root)
    (cd "$tmp" && apt-get "${opts[@]}" -q download opencv-doc >/dev/null) \
      || { rm -rf -- "$tmp"; echo "evalset: apt-get download opencv-doc failed" >&2; exit 1; }
    mkdir -p -- "$dir"
    local pats=(); for f in "${!EVALSET_SHA256[@]}"; do pats+=("*/examples/data/$f"); done
    dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -x -C "$tmp" --no-same-owner --wildcards "${pats[@]}"
    for f in "${!EVALSET_SHA256[@]}"; do
      cp -- "$tmp/usr/share/doc/opencv-doc/examples/data/$f" "$dir/$f"
    done
    rm -rf -- "$tmp"
  fi
  for f in "${!EVALSET_SHA256[@]}"; do
    [[ $(sha256sum -- "$dir/$f" | cut -d' ' -f1) == "${EVALSET_SHA256[$f]}" ]] \
      || { echo "evalset: $dir/$f has the wrong sha256" >&2; exit 1; }
  done
  OPENCV_DATA=$dir
}
