#!/usr/bin/env bash
# redis-server CPU per NAT claim, side by side: each way of writing the claim under each kind of
# CLIENT TRACKING (bench/store/claim.cpp says what each is). A fresh redis-server per cell on a
# loopback port, pinned to one core and the client to another when there are two.
#   bash bench/store/claim.sh [--rounds N] [--claims N] [--pipeline B] [--port P]
#        [--variants multi,multi-pexpireat,lua,no-ttl] [--tracking none,default,bcast]
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
rounds=2 claims=200000 pipeline=32 port=16500
variants=multi,multi-pexpireat,lua,no-ttl tracking=none,default,bcast
while [ $# -gt 0 ]; do
  [ $# -ge 2 ] || { echo "claim.sh: missing value after $1" >&2; exit 2; }
  case "$1" in
    --rounds) rounds=$2 ;;
    --claims) claims=$2 ;;
    --pipeline) pipeline=$2 ;;
    --port) port=$2 ;;
    --variants) variants=$2 ;;
    --tracking) tracking=$2 ;;
    *) echo "claim.sh: unknown argument $1" >&2; exit 2 ;;
  esac
  shift 2
done
for v in ${variants//,/ }; do
  case "$v" in multi|multi-pexpireat|lua|no-ttl) ;; *) echo "claim.sh: --variants: unknown variant '$v' (multi, multi-pexpireat, lua, no-ttl)" >&2; exit 2 ;; esac
done
for t in ${tracking//,/ }; do
  case "$t" in none|default|bcast) ;; *) echo "claim.sh: --tracking: unknown mode '$t' (none, default, bcast)" >&2; exit 2 ;; esac
done
command -v redis-server >/dev/null || { echo "claim.sh: redis-server not found (bash scripts/setup.sh installs it)" >&2; exit 2; }
if redis-cli -p "$port" ping >/dev/null 2>&1; then
  echo "claim.sh: port $port is in use; pass --port" >&2
  exit 2
fi

bin=$(mktemp /tmp/snf-claim.XXXXXX)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -f "$bin"
}
trap cleanup EXIT
g++ -O2 -std=c++17 -Wall -Wextra -o "$bin" "$here/claim.cpp" -lhiredis

server_core="" client_core=""
if [ "$(nproc)" -ge 2 ]; then server_core="taskset -c 0"; client_core="taskset -c 1"; fi

echo "redis-server $(redis-server --version | sed -n 's/.*v=\([^ ]*\).*/\1/p'), $(nproc) cores, $claims claims per cell, $pipeline per round trip, $(date -u '+%Y-%m-%d %H:%M UTC')"
echo
echo "| variant | tracking | redis-server µs/claim | claims/s |"
echo "|---|---|---:|---:|"
for r in $(seq "$rounds"); do
  for v in ${variants//,/ }; do
    for t in ${tracking//,/ }; do
      $server_core redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >/dev/null 2>&1 &
      pid=$!
      for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
      read -r _ _ _ us rate < <($client_core "$bin" --port "$port" --variant "$v" --tracking "$t" --claims "$claims" --pipeline "$pipeline")
      printf '| %s | %s | %s | %s |\n' "$v" "$t" "$us" "$rate"
      kill "$pid"; wait "$pid" 2>/dev/null || true
      pid=
    done
  done
done
