#!/usr/bin/env bash
# Run the libFuzzer harnesses (tests/fuzz/), one at a time, at the lowest
# CPU priority, and print what each did.
#
# Usage: scripts/fuzz.sh [-t SECONDS] [-k] [NAME...]
#   NAME        model_load, model_run, decode, onnx_load (default: all four, in turn)
#   -t SECONDS  fuzzing time per harness (default 60)
#   -k          keep going after a harness finds something (default: stop)
#
# Builds the "fuzz" preset (clang, ASan+UBSan, build/fuzz) first; needs
# clang and libclang-rt-14-dev (scripts/setup.sh installs them).
# Working corpora live in build/fuzz/corpus/NAME and grow from run to run;
# each run also reads the committed seeds (tests/fuzz/corpus/) and, for the
# model harnesses, the selfie models in models/ when setup.sh fetched them
# (they are not committed), whole and cut short. Findings (crash-*, leak-*,
# timeout-*, oom-*) go to build/fuzz/findings/NAME-DATE/; replay one with
#   build/fuzz/tests/fuzz_NAME FILE        (or fuzz_replay_NAME FILE)
# Exit status: 0 when no harness found anything, 1 otherwise, 2 on misuse.
set -Eeuo pipefail

secs=60
keep_going=0
while getopts "t:kh" opt; do
  case $opt in
    t) secs=$OPTARG ;;
    k) keep_going=1 ;;
    h) sed -n '2,19p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
shift $((OPTIND - 1))
names=("$@")
((${#names[@]})) || names=(model_load model_run decode onnx_load)
[[ $secs =~ ^[0-9]+$ ]] || { echo "fuzz: -t wants seconds, got '$secs'" >&2; exit 2; }

root=$(cd -P -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
cd -- "$root"
build=build/fuzz
command -v clang >/dev/null || { echo "fuzz: clang not found (apt-get install clang libclang-rt-14-dev)" >&2; exit 2; }

seeds_for() {
  case $1 in
    model_load | model_run) echo tests/fuzz/corpus/model tests/fuzz/corpus/regress_model ;;
    decode) echo tests/fuzz/corpus/media tests/fuzz/corpus/regress_media ;;
    onnx_load) echo tests/fuzz/corpus/onnx tests/fuzz/corpus/regress_onnx ;;
    *) echo "fuzz: unknown harness '$1' (model_load, model_run, decode, onnx_load)" >&2; exit 2 ;;
  esac
}
# Names checked here, in this shell: inside $(...) below, exit would leave
# only the subshell.
for name in "${names[@]}"; do seeds_for "$name" >/dev/null; done

echo "fuzz: building the fuzz preset in $build (log $build/fuzz-build.log)" >&2
mkdir -p "$build"
if ! { cmake --preset fuzz && nice -n 19 cmake --build --preset fuzz -j2; } >"$build/fuzz-build.log" 2>&1; then
  tail -30 "$build/fuzz-build.log" >&2
  echo "fuzz: the build failed (log above)" >&2
  exit 1
fi

# The real models as extra seeds: whole, and cut where the tables end and
# the weights begin (the cuts make the loader's refusals reachable).
real_models() {
  local dst=$1 m n
  mkdir -p "$dst"
  for m in models/*.tflite; do
    [[ -f $m ]] || continue
    n=$(stat -c %s "$m")
    cp "$m" "$dst/"
    head -c $((n / 2)) "$m" >"$dst/$(basename "$m" .tflite).half"
    head -c 16384 "$m" >"$dst/$(basename "$m" .tflite).head16k"
  done
}

# The same for the ONNX models (only cut: u2netp runs for seconds under ASan).
real_onnx_models() {
  local dst=$1 m n
  mkdir -p "$dst"
  for m in models/*.onnx; do
    [[ -f $m ]] || continue
    n=$(stat -c %s "$m")
    head -c $((n / 2)) "$m" >"$dst/$(basename "$m" .onnx).half"
    head -c 16384 "$m" >"$dst/$(basename "$m" .onnx).head16k"
  done
}

# One of libFuzzer's -print_final_stats lines.
final_stat() { sed -n "s/^stat::$2: *//p" "$1" | tail -1; }

found=0
stamp=$(date +%Y%m%d-%H%M%S)
summary=$build/fuzz-summary.txt
printf '%-11s %8s %12s %9s %6s %6s %16s %7s %s\n' harness seconds executions exec/s cov "new" "corpus (units)" "rss MB" findings >"$summary"
for name in "${names[@]}"; do
  read -r -a seeds <<<"$(seeds_for "$name")"
  work=$build/corpus/$name
  findings=$build/findings/$name-$stamp
  extra=()
  mkdir -p "$work" "$findings"
  if [[ $name == model_* ]] && compgen -G "models/*.tflite" >/dev/null; then
    real_models "$build/corpus/real_models"
    extra=("$build/corpus/real_models")
  fi
  if [[ $name == onnx_load ]] && compgen -G "models/*.onnx" >/dev/null; then
    real_onnx_models "$build/corpus/real_onnx_models"
    extra=("$build/corpus/real_onnx_models")
  fi
  log=$build/fuzz-$name.log
  echo "fuzz: $name for ${secs}s (log $log)" >&2
  rc=0
  # -rss_limit_mb: the engine may legitimately plan a 2 GiB activation
  # arena (NN_MAX_ARENA_BYTES) for a tiny hostile file; ASan adds to that.
  nice -n 19 env ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    "$build/tests/fuzz_$name" -max_total_time="$secs" -timeout=25 -rss_limit_mb=4096 \
    -print_final_stats=1 -artifact_prefix="$findings/" \
    "$work" "${seeds[@]}" "${extra[@]}" >"$log" 2>&1 || rc=$?
  execs=$(final_stat "$log" number_of_executed_units)
  rate=$(final_stat "$log" average_exec_per_sec)
  new=$(final_stat "$log" new_units_added)
  rss=$(final_stat "$log" peak_rss_mb)
  # libFuzzer's last status line: "#N DONE cov: C ft: F corp: U/SIZE ..."
  cov=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
  corp=$(grep -E '^#[0-9]+' "$log" | tail -1 | sed -n 's/.* corp: \([0-9]*\/[0-9]*[a-zA-Z]*\).*/\1/p')
  nfind=$(find "$findings" -type f | wc -l)
  printf '%-11s %8s %12s %9s %6s %6s %16s %7s %s\n' "$name" "$secs" "${execs:-?}" "${rate:-?}" \
    "${cov:-?}" "${new:-?}" "${corp:-?}" "${rss:-?}" "$nfind" >>"$summary"
  # The harness's own count of how far inputs got (printed at exit).
  { grep -E "^fuzz_$name: " "$log" || true; } | tail -1 | sed 's/^/    /' >>"$summary"
  ((nfind > 0)) || rmdir "$findings"
  if ((rc != 0 || nfind > 0)); then
    found=1
    echo "fuzz: $name FOUND SOMETHING (exit $rc); see $log and $findings/:" >&2
    grep -E "^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*contract broken)" "$log" | head -5 >&2 || true
    ((keep_going)) || break
  fi
done
cat "$summary"
exit "$found"
