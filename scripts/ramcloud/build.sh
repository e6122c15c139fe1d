#!/usr/bin/env bash
# Builds RAMCloud (the stateless.net fork) and the SNF store plugin for it into a cache outside
# the checkout, keyed by a hash of every input, so a second run with the same inputs costs nothing.
#
#   scripts/ramcloud/build.sh            build (or reuse) and print the result directory
#   scripts/ramcloud/build.sh --where    print the result directory; exit 0 if built, 1 if not
#   scripts/ramcloud/build.sh --help
#
# Environment:
#   SNF_RAMCLOUD_CACHE  cache root (default /var/tmp/snf-ramcloud)
#   SNF_RAMCLOUD_SRC    directory holding the two tarballs (default: the first of
#                       <repo>/third_party/ramcloud and <repo>/../shared/ramcloud that has them)
#   SNF_RAMCLOUD_JOBS   make -j (default: the number of CPUs)
#
# Result: <cache>/<key>/{bin/rc-coordinator,bin/rc-server,lib/libramcloud.so,
#                        lib/libsnf_store_ramcloud.so,build-info.json,logs/}
# Two stages, each renamed into place only when complete, under one flock:
#   <cache>/ramcloud-<rckey>  RAMCloud itself (tarballs, patches/*.patch, recipe.sh): the slow part
#   <cache>/<key>             + the plugin (native/plugins/ramcloud/*, plugin_abi.h) and this
#                             script: seconds
# so changing the plugin or this driver does not rebuild RAMCloud.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF="$ROOT/scripts/ramcloud/build.sh"
CACHE=${SNF_RAMCLOUD_CACHE:-/var/tmp/snf-ramcloud}
RC_TARBALL=ramcloud-OferMania-023888a1.tar.gz
GTEST_TARBALL=gtest-ddd3502.tar.gz
DEPS_FILE="$ROOT/scripts/deps/ramcloud.txt"
PATCH_DIR="$ROOT/scripts/ramcloud/patches"
PLUGIN_DIR="$ROOT/native/plugins/ramcloud"
ABI_H="$ROOT/native/store/plugin_abi.h"

# shellcheck source=recipe.sh
. "$ROOT/scripts/ramcloud/recipe.sh"
PLUGIN_CXXFLAGS=(-std=c++20 -O2 -fPIC -march=x86-64-v2 -msse4.2 -DNDEBUG -Wall -Wextra -Wno-unused-parameter)

usage() {
  awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$SELF"
}

die() { echo "ramcloud build: $*" >&2; exit 1; }

find_src() {
  local d dirs=("$ROOT/third_party/ramcloud" "$ROOT/../shared/ramcloud")
  [ -n "${SNF_RAMCLOUD_SRC:-}" ] && dirs=("$SNF_RAMCLOUD_SRC")   # named explicitly: only there
  for d in "${dirs[@]}"; do
    if [ -f "$d/$RC_TARBALL" ] && [ -f "$d/$GTEST_TARBALL" ]; then
      (cd "$d" && pwd); return 0
    fi
  done
  return 1
}

# The inputs of each stage, as "sha256  name" lines (names relative, so the key does not depend
# on where the checkout or the tarballs live), read from $IN: the checkout for --where, a private
# copy taken before hashing for a build, so a commit landing mid-build cannot mix two versions
# into one keyed result.
IN=$ROOT
rc_inputs() {
  (cd "$SRC" && sha256sum "$RC_TARBALL" "$GTEST_TARBALL")
  (cd "$IN" && sha256sum scripts/ramcloud/recipe.sh)
  if compgen -G "$IN/scripts/ramcloud/patches/*.patch" >/dev/null; then (cd "$IN" && sha256sum scripts/ramcloud/patches/*.patch); fi
}
plugin_inputs() {
  (cd "$IN" && sha256sum scripts/ramcloud/build.sh native/store/plugin_abi.h && find native/plugins/ramcloud -type f | LC_ALL=C sort | xargs sha256sum)
}

MODE=build
case "${1:-}" in
  --where) MODE=where ;;
  --help|-h) usage; exit 0 ;;
  "") ;;
  *) usage >&2; die "unknown argument '$1' (expected --where or --help)" ;;
esac
[ $# -le 1 ] || die "expected at most one argument, got $#"

SRC=$(find_src) || die "RAMCloud sources not found: need $RC_TARBALL and $GTEST_TARBALL in ${SNF_RAMCLOUD_SRC:-$ROOT/third_party/ramcloud or $ROOT/../shared/ramcloud}"
[ -f "$ABI_H" ] || die "missing $ABI_H"
[ -d "$PLUGIN_DIR" ] || die "missing $PLUGIN_DIR"

if [ "$MODE" = build ]; then
  IN=$(mktemp -d "${TMPDIR:-/tmp}/snf-ramcloud-inputs.XXXXXX")
  trap 'rm -rf "$IN"' EXIT
  mkdir -p "$IN/scripts/ramcloud" "$IN/native/store" "$IN/native/plugins"
  cp "$SELF" "$IN/scripts/ramcloud/build.sh"
  cp "$ROOT/scripts/ramcloud/recipe.sh" "$IN/scripts/ramcloud/recipe.sh"
  [ -d "$PATCH_DIR" ] && cp -r "$PATCH_DIR" "$IN/scripts/ramcloud/patches"
  cp "$ABI_H" "$IN/native/store/plugin_abi.h"
  cp -r "$PLUGIN_DIR" "$IN/native/plugins/ramcloud"
fi
RC_INPUTS=$(rc_inputs)
INPUTS=$( { echo "$RC_INPUTS"; plugin_inputs; } )
RC_KEY=$(echo "$RC_INPUTS" | sha256sum | cut -c1-16)
KEY=$(echo "$INPUTS" | sha256sum | cut -c1-16)
OUT="$CACHE/$KEY"
RC_TREE="$CACHE/ramcloud-$RC_KEY"

if [ "$MODE" = where ]; then
  echo "$OUT"
  [ -f "$OUT/build-info.json" ] && exit 0 || exit 1
fi
if [ -f "$OUT/build-info.json" ]; then
  echo "ramcloud build: cached $OUT"
  exit 0
fi

# ---------------------------------------------------------------- prerequisites
if command -v dpkg-query >/dev/null; then
  missing=()
  while read -r p; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done < <(sed 's/#.*//' "$DEPS_FILE" | tr -s ' \t' '\n' | grep -v '^$')
  [ ${#missing[@]} -eq 0 ] || die "missing Debian packages: ${missing[*]} (install them with: sudo bash scripts/setup.sh)"
fi

mkdir -p "$CACHE/logs" || die "cannot create the cache directory $CACHE (set SNF_RAMCLOUD_CACHE)"
exec 9>"$CACHE/.lock"
if ! flock -n 9; then
  echo "ramcloud build: another build holds $CACHE/.lock; waiting"
  flock 9
fi
if [ -f "$OUT/build-info.json" ]; then   # built by the run we waited for
  echo "ramcloud build: cached $OUT"
  exit 0
fi
# leftovers of an interrupted run (we hold the lock, so nobody is using them)
rm -rf "$CACHE"/.tmp-*

JOBS=${SNF_RAMCLOUD_JOBS:-$(nproc)}
START=$(date +%s)
elapsed() { local s=$(( $(date +%s) - START )); printf '%dm%02ds' $((s / 60)) $((s % 60)); }

# ---------------------------------------------------------------- stage 1: RAMCloud
build_ramcloud() {
  local tmp="$CACHE/.tmp-ramcloud-$RC_KEY.$$" log="$CACHE/logs/ramcloud-$RC_KEY.make.log"
  mkdir -p "$tmp"
  echo "ramcloud build: RAMCloud $RC_KEY from $SRC (-j$JOBS; log $log)"
  prepare_tree "$tmp" "$SRC" "$IN/scripts/ramcloud/patches"

  # make prints one "g++ ... -c -o obj/X.o" line per object: count them for progress, every 25
  # objects or every minute, whichever comes first.
  local n=0 last_n=0 last_t rc now
  last_t=$(date +%s)
  progress() {
    local line
    while true; do
      if IFS= read -r -t 5 line; then
        case "$line" in *" -c -o "*.o" "*) n=$((n + 1)) ;; esac
      elif [ $? -le 128 ]; then
        break   # end of make's output (not a read timeout)
      fi
      now=$(date +%s)
      if [ $((n - last_n)) -ge 25 ] || [ $((now - last_t)) -ge 60 ]; then
        echo "ramcloud build: $n objects compiled, $(elapsed)"
        last_n=$n; last_t=$now
      fi
    done
    echo "$n" >"$tmp/.objects"
  }
  set +e
  (cd "$tmp/ramcloud" && exec nice -n 10 make -j"$JOBS" "${MAKE_VARS[@]}" "${MAKE_TARGETS[@]}") 2>&1 \
    | tee "$log" | progress
  rc=${PIPESTATUS[0]}
  set -e
  n=$(cat "$tmp/.objects" 2>/dev/null || echo 0)
  if [ $rc -ne 0 ]; then
    echo "ramcloud build: make failed (exit $rc) after $(elapsed); last lines of $log:" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  echo "ramcloud build: RAMCloud built ($n objects) in $(elapsed)"
  # Keep headers (the plugin compiles against them), generated protobuf headers and the three
  # targets; the objects are not needed again.
  find "$tmp/ramcloud/obj" -name '*.o' -delete
  echo "$(( $(date +%s) - START ))" >"$tmp/ramcloud/.build-seconds"
  echo "$n" >"$tmp/ramcloud/.build-objects"
  mv -T "$tmp/ramcloud" "$RC_TREE"
  rm -rf "$tmp"
}

if [ ! -f "$RC_TREE/.build-seconds" ]; then
  rm -rf "$RC_TREE"
  build_ramcloud
else
  echo "ramcloud build: reusing RAMCloud $RC_TREE"
fi

# ---------------------------------------------------------------- stage 2: plugin + result
TMP_OUT="$CACHE/.tmp-$KEY.$$"
rm -rf "$TMP_OUT"
mkdir -p "$TMP_OUT/bin" "$TMP_OUT/lib" "$TMP_OUT/logs"
cp "$RC_TREE/obj/coordinator" "$TMP_OUT/bin/rc-coordinator"
cp "$RC_TREE/obj/server" "$TMP_OUT/bin/rc-server"
cp "$RC_TREE/obj/libramcloud.so" "$TMP_OUT/lib/libramcloud.so"
[ -f "$RC_TREE/../logs/ramcloud-$RC_KEY.make.log" ] && cp "$RC_TREE/../logs/ramcloud-$RC_KEY.make.log" "$TMP_OUT/logs/ramcloud.make.log"

plugin_log="$TMP_OUT/logs/plugin.log"
# $ORIGIN: the plugin finds libramcloud.so beside it wherever the cache directory is moved.
if ! g++ "${PLUGIN_CXXFLAGS[@]}" -shared -o "$TMP_OUT/lib/libsnf_store_ramcloud.so" \
    "$IN/native/plugins/ramcloud/ramcloud_plugin.cpp" \
    -I"$IN/native/store" -isystem "$RC_TREE/src" -isystem "$RC_TREE/obj" -isystem "$RC_TREE/gtest/include" \
    -L"$TMP_OUT/lib" -lramcloud -Wl,-rpath,'$ORIGIN' -Wl,--no-undefined \
    -Wl,--version-script="$IN/native/plugins/ramcloud/exports.map" >"$plugin_log" 2>&1; then
  cat "$plugin_log" >&2
  rm -rf "$TMP_OUT"
  die "plugin compile failed"
fi

rc_seconds=$(cat "$RC_TREE/.build-seconds")
rc_objects=$(cat "$RC_TREE/.build-objects")
json_str() { python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$1"; }
{
  echo "{"
  echo "  \"key\": \"$KEY\","
  echo "  \"ramcloudKey\": \"$RC_KEY\","
  echo "  \"inputs\": {"
  echo "$INPUTS" | awk '{printf "%s    \"%s\": \"%s\"", (NR > 1 ? ",\n" : ""), $2, $1} END {print ""}'
  echo "  },"
  echo "  \"makeVars\": $(json_str "${MAKE_VARS[*]}"),"
  echo "  \"makeTargets\": $(json_str "${MAKE_TARGETS[*]}"),"
  echo "  \"pluginCxxflags\": $(json_str "${PLUGIN_CXXFLAGS[*]}"),"
  echo "  \"compiler\": $(json_str "$(g++ --version | head -1)"),"
  echo "  \"ramcloudObjects\": $rc_objects,"
  echo "  \"ramcloudSeconds\": $rc_seconds,"
  echo "  \"seconds\": $(( $(date +%s) - START )),"
  echo "  \"date\": \"$(date -u +%Y-%m-%dT%H:%M:%SZ)\""
  echo "}"
} >"$TMP_OUT/build-info.json"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$TMP_OUT/build-info.json" || die "build-info.json is not valid JSON"
rm -rf "$OUT"
mv -T "$TMP_OUT" "$OUT"
echo "ramcloud build: done in $(elapsed): $OUT"
