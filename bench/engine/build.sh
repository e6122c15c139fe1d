#!/usr/bin/env bash
# Builds the standalone engine benchmark: bench/engine/bench from bench.cpp and the data-plane
# sources in native/ (everything except native/binding/, which is the N-API surface).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# NATIVE=<dir> builds against another copy of native/ (e.g. to measure a proposed patch), OUT=<file>.
native="${NATIVE:-$here/../../native}"
out="${OUT:-$here/bench}"
# The engine's own directories (globbed, so new data-plane files are picked up). io/ (packet I/O
# backends, some needing libdpdk), binding/, test/ and fuzz/ are not part of the in-process engine.
args=()
for d in packet store nf engine; do
  for s in "$native/$d"/*.cpp; do [ -e "$s" ] && args+=("$s"); done
done
CXX="${CXX:-g++}"
"$CXX" -O2 -std=c++17 -Wall -Wextra -Wno-unused-parameter ${CXXFLAGS:-} \
  -I"$native/.." -I"$native" -o "$out" "$here/bench.cpp" "${args[@]}" -lhiredis -lssl -lcrypto
echo "built $out"
