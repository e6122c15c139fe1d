#!/usr/bin/env bash
# The whole test suite: type check, the RAMCloud build (cached), mocha (unit + integration against real Redis, real Heat,
# real parsers), then the native sanitizer tests and bounded fuzzing.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
# Each step's output is kept so that its failures can be repeated last: CI shows only the tail.
logdir=$(mktemp -d /tmp/snf-test.XXXXXX)
trap 'rm -rf "$logdir"' EXIT
step() {
  local name=$1; shift
  local log="$logdir/${name// /-}.log"
  echo
  echo "=== $name"
  local t0=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  if [ "$rc" -eq 0 ]; then echo "=== $name: ok ($((SECONDS - t0)) s)"; else echo "=== $name: FAILED ($((SECONDS - t0)) s, exit $rc)"; failed+=("$name"); fi
}

# What the tests and the third-party checkers they run (Tacker's loader, toscaparser) leave in
# /tmp when they forget to clean up: the last step fails on any of it that is new.
tmp_made() { { ls -d /tmp/snf-heat-* /tmp/snf-peers-* /tmp/csar_extract_* /tmp/tmp*/TOSCA-Metadata 2>/dev/null || true; } | sort; }
tmp_before=$(tmp_made)
tmp_left() {
  local left
  left=$(comm -13 <(echo "$tmp_before") <(tmp_made))
  if [ -n "$left" ]; then echo "left in /tmp by this run:"; echo "$left" | head -20; return 1; fi
  echo "nothing left in /tmp"
}

{ [ -f native/build/Release/snf.node ] && [ -f native/build/Release/snf-redis-module.so ]; } || npx node-gyp rebuild --directory=native -j 2 --loglevel=warn
step "typecheck" npx tsc --noEmit -p tsconfig.json
# RAMCloud and its store plugin: the stores-agree and zero-loss tests run on it too. Cached outside
# the checkout by a hash of its inputs (/var/tmp/snf-ramcloud): under a second when built, 15 to
# 19 minutes on 2 busy cores when not (docs/ramcloud.md).
step "ramcloud build" bash scripts/ramcloud/build.sh
run_mocha() {
  # The real Tacker and the VM image run as steps of their own below (each brings up a lab).
  # --exit: a test that passes but leaves the event loop alive must not hold CI until its 90-minute
  # limit (seen once: the supervision test's process idled after "passing" with no handle Node names).
  npx mocha --exit --reporter dot 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' \
    --ignore 'test/integration/tacker-real/**' --ignore 'test/integration/image/**'
}
step "mocha" run_mocha
if [ -f scripts/native-checks.sh ]; then step "native checks" bash scripts/native-checks.sh; fi
step "vm image" npx mocha --exit --timeout 2400000 'test/integration/image/*.test.ts'
step "tacker (real)" npm run -s test:tacker-real
step "temp files" tmp_left

echo
if [ ${#failed[@]} -gt 0 ]; then
  for name in "${failed[@]}"; do
    log="$logdir/${name// /-}.log"
    echo "=== $name: its failures (repeated from above)"
    if grep -q ' failing' "$log"; then
      sed -n '/ passing (/,$p' "$log" | cut -c1-400 | head -120
    else
      tail -n 40 "$log" | cut -c1-400
    fi
  done
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
