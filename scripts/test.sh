#!/usr/bin/env bash
# The whole test suite: type check, mocha (unit + integration against real Redis, real Heat,
# real parsers), then the native sanitizer tests and bounded fuzzing.
set -uo pipefail
cd "$(dirname "$0")/.."
failed=()
step() {
  local name=$1; shift
  echo
  echo "=== $name"
  local t0=$SECONDS
  if "$@"; then echo "=== $name: ok ($((SECONDS - t0)) s)"; else echo "=== $name: FAILED ($((SECONDS - t0)) s)"; failed+=("$name"); fi
}

[ -f native/build/Release/snf.node ] || npx node-gyp rebuild --directory=native -j 2 --loglevel=warn
step "typecheck" npx tsc --noEmit -p tsconfig.json
step "mocha" npx mocha --reporter dot 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts'
if [ -f scripts/native-checks.sh ]; then step "native checks" bash scripts/native-checks.sh; fi

echo
if [ ${#failed[@]} -gt 0 ]; then
  echo "FAILED: ${failed[*]}"
  exit 1
fi
echo "all test steps passed"
