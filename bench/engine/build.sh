#!/usr/bin/env bash
# Builds the standalone engine benchmark: bench/engine/bench from bench.cpp and the data plane's
# core sources, the list native/core-sources.txt that the addon and the sanitizer builds compile
# too (everything but the N-API surface and the optional AF_XDP / DPDK backends).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# NATIVE=<dir> builds against another copy of native/ (e.g. to measure a proposed patch), OUT=<file>.
native="${NATIVE:-$here/../../native}"
out="${OUT:-$here/bench}"
list="$native/core-sources.txt"
if [ ! -f "$list" ]; then
  echo "build.sh: $list not found (a native/ from before the shared list: build it with that tree's own bench/engine/build.sh)" >&2
  exit 2
fi
mapfile -t core < <(grep -v -e '^#' -e '^$' "$list")
args=()
for s in "${core[@]}"; do args+=("$native/$s"); done
CXX="${CXX:-g++}"
"$CXX" -O2 -std=c++17 -Wall -Wextra -Wno-unused-parameter ${CXXFLAGS:-} \
  -I"$native/.." -I"$native" -o "$out" "$here/bench.cpp" "${args[@]}" -lhiredis -lssl -lcrypto
echo "built $out"
