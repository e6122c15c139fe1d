#!/usr/bin/env bash
# In-process engine benchmark, end to end, on loopback only:
#   1. builds bench/engine/bench,
#   2. starts its own redis-server (no persistence) on a free 127.0.0.1 port, pinned to one core,
#   3. measures redis-benchmark -P 64 for the commands the engine sends (GET, and EVALSHA of the
#      engine's own nat_alloc and nat_update scripts), with 50 clients and with 1 client, pinned
#      to the other core, with the redis-server CPU time each request costs,
#   4. runs the engine bench (local vs redis store) pinned to that other core and prints the table
#      and the comparison with redis-benchmark.
# The redis-server is stopped by its pid on exit. Extra arguments go to the bench
# (e.g. --seconds 1 --chain firewall,nat).
# Environment: REDIS_CPU (default 0), BENCH_CPU (default 1), PIN=0 to let the scheduler place
# both (on a host crowded by other work, a pinned redis-server waits behind it; see RESULTS.md),
# REDIS_ARGS (more redis-server arguments, e.g. "--tracking-table-max-keys 0"),
# SKIP_BUILD=1, BEFORE=<bench binary> to run a second build (e.g. one from before a change, built
# with `NATIVE=<old native/> OUT=<file> build.sh`) on the same Redis in the same run, first, so
# the two tables compare side by side under the same load.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
REDIS_CPU="${REDIS_CPU:-0}"
BENCH_CPU="${BENCH_CPU:-1}"
PIN="${PIN:-1}"
pin_redis=(taskset -c "$REDIS_CPU")
pin_bench=(taskset -c "$BENCH_CPU")
if [ "$PIN" = 0 ]; then
  pin_redis=()
  pin_bench=()
fi

[ "${SKIP_BUILD:-0}" = 1 ] || "$here/build.sh" >&2

port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
workdir="$(mktemp -d)"
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ] && kill -0 "$redis_pid" 2>/dev/null; then
    kill "$redis_pid" 2>/dev/null || true
    wait "$redis_pid" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT INT TERM

# The store module (native compare-and-sets), as the product's stores load it; SNF_REDIS_MODULE=off
# runs the engine's scripts instead, to compare.
module=()
if [ "${SNF_REDIS_MODULE:-}" != off ]; then
  so="${SNF_REDIS_MODULE:-$here/../../native/build/Release/snf-redis-module.so}"
  [ -f "$so" ] || { echo "bench/engine: $so missing: run 'npm run build:native' (or SNF_REDIS_MODULE=off)" >&2; exit 2; }
  module=(--loadmodule "$so")
fi
"${pin_redis[@]}" redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no \
  --protected-mode yes --dir "$workdir" --logfile "$workdir/redis.log" --daemonize no "${module[@]}" ${REDIS_ARGS:-} &
redis_pid=$!
for _ in $(seq 1 100); do
  redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null 2>&1 && break
  sleep 0.05
done
redis-cli -h 127.0.0.1 -p "$port" ping >/dev/null

# redis-server CPU seconds so far (user + sys), to price each command in server CPU time.
rcpu() { redis-cli -h 127.0.0.1 -p "$port" info cpu | tr -d '\r' | awk -F: '/^used_cpu_(user|sys):/ {s += $2} END {printf "%.6f", s}'; }
# ns of redis-server CPU per request between two rcpu readings
per() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN {printf "%.0f", 1e9 * (b - a) / n}'; }
rb() { "${pin_bench[@]}" redis-benchmark -h 127.0.0.1 -p "$port" "$@"; }
# "GET: 780000.00 requests per second, p50=..." -> 780000.00
rate() { tr '\r' '\n' | grep 'requests per second' | tail -1 | sed -E 's/.*: ([0-9.]+) requests per second.*/\1/'; }

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), kernel $(uname -r)"
echo "== $(redis-server --version)"
if [ "$PIN" = 0 ]; then
  echo "== redis-server pid $redis_pid on 127.0.0.1:$port; nothing pinned (PIN=0); store module: ${module[1]:-off}"
else
  echo "== redis-server pid $redis_pid on 127.0.0.1:$port pinned to cpu $REDIS_CPU; clients pinned to cpu $BENCH_CPU; store module: ${module[1]:-off}"
fi
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# GET over 100k existing keys with 32-byte values (a NAT mapping value is ~32 bytes).
rb -P 64 -n 200000 -r 100000 -d 32 -t set -q >/dev/null
c0="$(rcpu)"; get50="$(rb -P 64 -c 50 -n 1000000 -r 100000 -d 32 -t get -q | rate)"; c1="$(rcpu)"
get50ns="$(per "$c0" "$c1" 1000000)"
c0="$(rcpu)"; get1="$(rb -P 64 -c 1 -n 500000 -r 100000 -d 32 -t get -q | rate)"; c1="$(rcpu)"
get1ns="$(per "$c0" "$c1" 500000)"

# EVALSHA of a small script (one GET inside Lua), to compare with the usual EVALSHA figure, and
# of the engine's own nat_alloc script with a fresh flow key each call, as a new flow costs in
# the engine (GET miss, INCR cursor, EXISTS reverse, SET reverse, SET forward).
small="$(redis-cli -h 127.0.0.1 -p "$port" script load "return redis.call('GET', KEYS[1])")"
c0="$(rcpu)"; small50="$(rb -P 64 -c 50 -n 1000000 -r 100000 -q EVALSHA "$small" 1 'key:__rand_int__' | rate)"; c1="$(rcpu)"
small50ns="$(per "$c0" "$c1" 1000000)"
lua="$("$here/bench" --print-lua nat_alloc)"
sha="$(redis-cli -h 127.0.0.1 -p "$port" script load "$lua")"
tagk='{rb|203.0.113.7|5}'
alloc=(EVALSHA "$sha" 2 "snf:rb:nat:f:$tagk:17:10.1.2.3:__rand_int__" "snf:rb:nat:c:$tagk:17"
       "|U|1764130000000" "snf:rb:nat:r:$tagk:17:" "10.1.2.3|40000|U|1764130000000" "203.0.113.7"
       1024 100000000 1 30000 64)
c0="$(rcpu)"; eval50="$(rb -P 64 -c 50 -n 150000 -r 100000000 -q "${alloc[@]}" | rate)"; c1="$(rcpu)"
eval50ns="$(per "$c0" "$c1" 150000)"
c0="$(rcpu)"; eval1="$(rb -P 64 -c 1 -n 50000 -r 100000000 -q "${alloc[@]}" | rate)"; c1="$(rcpu)"
eval1ns="$(per "$c0" "$c1" 50000)"
# EVALSHA of nat_update, the TTL refresh of an existing mapping (GET, 2 x SET PX): 100k mappings.
ulua="$("$here/bench" --print-lua nat_update)"
usha="$(redis-cli -h 127.0.0.1 -p "$port" script load "$ulua")"
rb -P 64 -n 400000 -r 100000 -q SET "snf:rb:nat:f:$tagk:17:10.1.2.4:__rand_int__" "203.0.113.7|1000|U|1764130000000" >/dev/null
upd=(EVALSHA "$usha" 2 "snf:rb:nat:f:$tagk:17:10.1.2.4:__rand_int__" "snf:rb:nat:r:$tagk:17:__rand_int__"
     "203.0.113.7|1000|" "203.0.113.7|1000|U|1764130000001" "10.1.2.4|1000|U|1764130000001" 30000)
c0="$(rcpu)"; upd50="$(rb -P 64 -c 50 -n 300000 -r 100000 -q "${upd[@]}" | rate)"; c1="$(rcpu)"
upd50ns="$(per "$c0" "$c1" 300000)"
c0="$(rcpu)"; upd1="$(rb -P 64 -c 1 -n 100000 -r 100000 -q "${upd[@]}" | rate)"; c1="$(rcpu)"
upd1ns="$(per "$c0" "$c1" 100000)"

printf '== redis-benchmark -P 64: requests/s (redis-server CPU ns per request)\n'
printf '| command | -c 50 | -c 1 |\n|---|---:|---:|\n'
printf '| GET (32-byte values, 100k keys) | %.0f (%s ns) | %.0f (%s ns) |\n' "$get50" "$get50ns" "$get1" "$get1ns"
printf '| EVALSHA small script (one GET in Lua) | %.0f (%s ns) | - |\n' "$small50" "$small50ns"
printf '| EVALSHA nat_alloc (new mapping each call) | %.0f (%s ns) | %.0f (%s ns) |\n' "$eval50" "$eval50ns" "$eval1" "$eval1ns"
printf '| EVALSHA nat_update (refresh of an existing mapping) | %.0f (%s ns) | %.0f (%s ns) |\n' "$upd50" "$upd50ns" "$upd1" "$upd1ns"
# This server is ours alone: start the engine bench from an empty store.
redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
echo

bench_args=(--redis "127.0.0.1:$port"
  --ref-get "$get50" --ref-evalsha "$eval50" --ref-update "$upd50"
  --ref-get-c1 "$get1" --ref-evalsha-c1 "$eval1" --ref-update-c1 "$upd1" --scale 2,4,8
  --timeout-ms 1000)
set +e
if [ -n "${BEFORE:-}" ]; then
  echo "== BEFORE: $BEFORE (load average $(cut -d' ' -f1-3 /proc/loadavg))"
  "${pin_bench[@]}" "$BEFORE" "${bench_args[@]}" "$@"
  redis-cli -h 127.0.0.1 -p "$port" flushall >/dev/null
  echo
  echo "== AFTER: $here/bench (load average $(cut -d' ' -f1-3 /proc/loadavg))"
fi
"${pin_bench[@]}" "$here/bench" "${bench_args[@]}" "$@"
rc=$?
set -e
echo
echo "== load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $rc
