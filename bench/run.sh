#!/usr/bin/env bash
# `npm run bench [-- <which> [args...]]`: runs the benchmarks that exist (bench/README.md).
#   engine    (default) in-process engine, local vs Redis vs Redis + cache: bench/engine/run.sh
#   io        one NF instance on veths vs the kernel, pps and RTT (root): bench/io/run.sh
#   failover  throughput around a kill and a scale event (root): bench/failover/run.ts
#   detect    failure detection soak, machine loaded, default 30 min (root): bench/detect/run.ts
#   ramcloud  the real-traffic replay on local, Redis, Redis + cache and RAMCloud: round trips and
#             store operations per packet (needs scripts/setup.sh --ramcloud): bench/trace/run.sh
#   claim     redis-server CPU per NAT claim, by how it is written and the tracking in force:
#             bench/store/claim.sh
#   all       the three, in that order (io and failover only when root)
# Arguments after <which> go to that benchmark. Benchmarks print tables; they are never tests.
set -euo pipefail
cd "$(dirname "$0")/.."
which="${1:-engine}"
[ $# -gt 0 ] && shift

need_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "bench $1: needs root (it creates network namespaces); run: sudo npm run bench -- $1" >&2
    return 1
  fi
}

case "$which" in
  engine) exec bash bench/engine/run.sh "$@" ;;
  io) need_root io && exec bash bench/io/run.sh "$@" ;;
  failover) need_root failover && exec node --import tsx bench/failover/run.ts "$@" ;;
  detect) need_root detect && exec node --import tsx bench/detect/run.ts "$@" ;;
  claim) exec bash bench/store/claim.sh "$@" ;;
  ramcloud) exec bash bench/trace/run.sh --stores local,redis,redis+cache,ramcloud "$@" ;;
  all)
    [ $# -eq 0 ] || { echo "bench all: takes no arguments (got '$*'); pass them to one benchmark" >&2; exit 2; }
    bash bench/engine/run.sh
    if [ "$(id -u)" = 0 ]; then
      bash bench/io/run.sh
      node --import tsx bench/failover/run.ts
    else
      echo "bench all: io and failover skipped (they need root)" >&2
    fi
    ;;
  *)
    echo "bench: unknown benchmark '$which' (expected engine, io, failover, detect, claim, ramcloud or all)" >&2
    exit 2
    ;;
esac
