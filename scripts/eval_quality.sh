#!/usr/bin/env bash
# Quality on the evaluation set (BENCHMARKS.md, "Quality"): every clip of
# scripts/make_evalset.sh's output scored with `segstream --eval`, one row
# per clip and a mean per category, as a Markdown table. A clip's void/
# folder (pixels of a pseudo ground truth where its models disagree) is
# left out of the scores (--eval-void).
#
# Usage: scripts/eval_quality.sh [EVALSET_DIR] -- [segstream options...]
#   e.g. scripts/eval_quality.sh out/evalset -- -m models/selfie_segmentation.tflite
# The machine is shared: run it under `flock /tmp/seg-bench.lock` when the
# ms per frame matter.
set -Eeuo pipefail
root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
set_dir=${1:-$root/out/evalset}
shift || true
[[ ${1:-} == "--" ]] && shift
bin=${SEGSTREAM:-$root/build/release/segstream}
[[ -r $set_dir/manifest.tsv ]] || { echo "eval_quality: no $set_dir/manifest.tsv (run scripts/make_evalset.sh)" >&2; exit 1; }
tmp=$(mktemp -d /tmp/segeval.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
tail -n +2 "$set_dir/manifest.tsv" | while IFS=$'\t' read -r clip cat frac frames fps size kind; do
  void=(); [[ -d $set_dir/$clip/void ]] && void=(--eval-void "$set_dir/$clip/void")
  "$bin" "$set_dir/$clip/input.mp4" --eval "$set_dir/$clip/gt" "${void[@]}" --json -q "$@" \
    >"$tmp/$clip.json" 2>"$tmp/$clip.err" || { echo "eval_quality: $clip failed:" >&2; cat "$tmp/$clip.err" >&2; }
  printf '%s\t%s\t%s\t%s\n' "$clip" "$cat" "$frac" "$kind" >>"$tmp/index.tsv"
done
/usr/bin/python3 - "$tmp" "$*" <<'PY'
import json, sys, os, math
tmp, opts = sys.argv[1], sys.argv[2]
rows = [l.rstrip("\n").split("\t") for l in open(os.path.join(tmp, "index.tsv"))]
def f(v, pct=False):
    if v is None or (isinstance(v, float) and math.isnan(v)): return "—"
    return f"{100*v:.1f} %" if pct else f"{v:.3f}"
print(f"options: `{opts}`\n")
print("| clip | kind | person height | IoU mean | IoU p10 | boundary F | false positives (empty) | see-through | flicker | ms/frame (infer) |")
print("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |")
bycat = {}
for clip, cat, frac, kind in rows:
    try:
        j = json.load(open(os.path.join(tmp, clip + ".json")))
    except Exception:
        print(f"| {clip} | {cat} | failed | | | | | | | |"); continue
    e = j["eval"]; ms = 1000.0 * j["seconds"] / max(1, j["frames"])
    inf = j["stages"]["infer"]["mean"]
    print(f"| {clip} | {kind} | {frac} | {f(e['iou_mean'])} | {f(e['iou_p10'])} | {f(e['boundary_f'])} | "
          f"{f(e['fp_mean'], True)} | {f(e['see_through'], True)} | {f(e['flicker'])} | {ms:.1f} ({inf:.1f}) |")
    bycat.setdefault(cat + (" " + frac if cat == "person" else ""), []).append(e)
print("\n| category | IoU mean | IoU p10 (worst clip) | false positives | see-through | flicker |")
print("| --- | --- | --- | --- | --- | --- |")
def mean(xs):
    xs = [x for x in xs if x is not None]
    return sum(xs) / len(xs) if xs else None
for cat, es in sorted(bycat.items()):
    p10 = [e["iou_p10"] for e in es if e["iou_p10"] is not None]
    print(f"| {cat} | {f(mean([e['iou_mean'] for e in es]))} | {f(min(p10) if p10 else None)} | "
          f"{f(mean([e['fp_mean'] for e in es]), True)} | {f(mean([e['see_through'] for e in es]), True)} | "
          f"{f(mean([e['flicker'] for e in es]))} |")
PY
