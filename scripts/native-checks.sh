#!/usr/bin/env bash
# Checks the C++ data plane on its own, without node:
#   1. unit tests built with AddressSanitizer + UndefinedBehaviorSanitizer (native/build-asan)
#   2. libFuzzer targets (native/build-fuzz), each run for FUZZ_SECONDS (default 20) from the
#      generated seed corpora plus the committed ones in native/fuzz/corpus/<target>/
# Any failed test, crash, leak, sanitizer report or broken invariant fails the script.
# Needs what scripts/deps/*.txt lists: cmake, clang, libclang-rt-14-dev, libhiredis-dev.
set -euo pipefail
cd "$(dirname "$0")/.."

FUZZ_SECONDS="${FUZZ_SECONDS:-20}"
JOBS="${JOBS:-$(nproc 2>/dev/null || echo 2)}"
NATIVE="$PWD/native"
ASAN_DIR="$NATIVE/build-asan"
FUZZ_DIR="$NATIVE/build-fuzz"
TARGETS=(fuzz_parse fuzz_nat fuzz_firewall fuzz_lb fuzz_resp)
CXX_BIN="${CXX_FOR_CHECKS:-clang++}"

step() { printf '\n== native-checks: %s\n' "$*"; }
die() { printf 'native-checks: FAILED: %s\n' "$*" >&2; exit 1; }
start=$SECONDS

command -v cmake >/dev/null || die "cmake not found (scripts/setup.sh installs it)"
command -v "$CXX_BIN" >/dev/null || die "$CXX_BIN not found (scripts/setup.sh installs clang)"

# Sanitizers: abort on the first report, so nothing scrolls past as a warning.
export ASAN_OPTIONS="abort_on_error=1:halt_on_error=1:detect_leaks=1:strict_string_checks=1"
export UBSAN_OPTIONS="halt_on_error=1:abort_on_error=1:print_stacktrace=1"
if command -v llvm-symbolizer >/dev/null; then export ASAN_SYMBOLIZER_PATH="$(command -v llvm-symbolizer)"; fi

configure() {  # dir, extra cmake args...
  local dir=$1; shift
  cmake -S "$NATIVE" -B "$dir" -DCMAKE_CXX_COMPILER="$CXX_BIN" "$@" >"$dir.configure.log" 2>&1 \
    || { cat "$dir.configure.log"; die "cmake configure of $dir"; }
}
build() {  # dir, targets...
  local dir=$1; shift
  cmake --build "$dir" -j "$JOBS" --target "$@" >"$dir.build.log" 2>&1 \
    || { tail -n 60 "$dir.build.log"; die "build in $dir"; }
}

step "unit tests (ASan + UBSan), build in native/build-asan"
mkdir -p "$ASAN_DIR"
configure "$ASAN_DIR" -DSNF_SANITIZE=ON -DCMAKE_BUILD_TYPE=Debug
build "$ASAN_DIR" snf_tests
"$ASAN_DIR/snf_tests" >"$ASAN_DIR/tests.log" 2>&1 || { cat "$ASAN_DIR/tests.log"; die "unit tests"; }
grep -v '^ok ' "$ASAN_DIR/tests.log" || true
tail -n 1 "$ASAN_DIR/tests.log" | grep -Eq '^[0-9]+ passed, 0 failed$' || die "unit tests: unexpected summary"
echo "unit tests passed ($((SECONDS - start))s so far)"

step "fuzz targets (libFuzzer + ASan + UBSan), build in native/build-fuzz"
mkdir -p "$FUZZ_DIR"
configure "$FUZZ_DIR" -DSNF_FUZZ=ON -DCMAKE_BUILD_TYPE=Debug
build "$FUZZ_DIR" "${TARGETS[@]}" gen_corpus
rm -rf "$FUZZ_DIR/seeds"
"$FUZZ_DIR/gen_corpus" "$FUZZ_DIR/seeds" >/dev/null || die "seed corpus generator"
echo "built (${SECONDS}s); fuzzing each target for ${FUZZ_SECONDS}s"

run_fuzzer() {  # target: runs it, leaves its log and exit code in native/build-fuzz/<target>.{log,rc}
  local t=$1 work="$FUZZ_DIR/corpus/$1" art="$FUZZ_DIR/artifacts/$1"
  mkdir -p "$work" "$art"   # the working corpus grows across runs: later runs start further on
  local dirs=("$work" "$FUZZ_DIR/seeds/$t")
  [ -d "$NATIVE/fuzz/corpus/$t" ] && dirs+=("$NATIVE/fuzz/corpus/$t")
  local rc=0
  "$FUZZ_DIR/$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$art/" "${dirs[@]}" >"$FUZZ_DIR/$t.log" 2>&1 || rc=$?
  echo "$rc" >"$FUZZ_DIR/$t.rc"
}

# One fuzzer per core at a time; each still gets its full FUZZ_SECONDS.
failed=()
for ((i = 0; i < ${#TARGETS[@]}; i += JOBS)); do
  group=("${TARGETS[@]:i:JOBS}")
  echo "running: ${group[*]}"
  pids=()
  for t in "${group[@]}"; do run_fuzzer "$t" & pids+=($!); done
  wait "${pids[@]}" || true
  for t in "${group[@]}"; do
    log="$FUZZ_DIR/$t.log"
    rc=$(cat "$FUZZ_DIR/$t.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -n 1 || true)
    printf -- '-- %-14s ' "$t"
    if [ "$rc" -ne 0 ] || grep -Eq 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|invariant broken|SUMMARY: ' "$log"; then
      echo "FAILED (exit $rc), log: $log"
      grep -E -m 20 -A 25 'ERROR:|runtime error:|invariant broken' "$log" | head -n 80 || tail -n 40 "$log"
      ls "$FUZZ_DIR/artifacts/$t" 2>/dev/null | sed 's/^/   artifact: /' || true
      failed+=("$t")
    else
      echo "ok  ${execs:-?} execs, ${rate:-?}/s, ${cov:-?}"
    fi
  done
done

[ ${#failed[@]} -eq 0 ] || die "fuzz targets: ${failed[*]} (reproduce: native/build-fuzz/<target> <artifact>)"
echo
echo "native-checks: all passed in $((SECONDS - start))s"
