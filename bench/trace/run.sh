#!/usr/bin/env bash
# Real-traffic benchmark: replays every capture under bench/trace/captures through the four
# chains (nat, firewall, fw+nat, lb) on the local store, Redis, and Redis with the coherent
# cache, in one process, and prints one table (see docs/replay.md). `snf replay` starts its own
# redis-server on a free loopback port and stops it by pid when done.
# Extra arguments go to `snf replay` (e.g. --batch 32, --findings, --json, --redis HOST:PORT).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(uname -n), $(nproc) CPU, load average $(cut -d' ' -f1-3 /proc/loadavg)" >&2
exec node --import tsx "$root/src/cli/main.ts" replay "$here/captures" --nf nat,firewall,fw+nat,lb "$@"
