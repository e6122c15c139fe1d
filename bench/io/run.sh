#!/usr/bin/env bash
# Throughput and latency through one NF instance on real interfaces, side by side in one run:
# the coupled baseline (state in the process), stateless without and with the coherent cache,
# and the Linux kernel's NAT (nftables + conntrack) on the same namespaces and veths.
#   bash bench/io/run.sh [seconds per cell, default 3]
# SIZES="64" and FLOWS=N override the frame sizes and flow count; VARIANTS="direct,coupled,..."
# runs only the variants whose key is listed (keys in the VARIANT table below); RTT_PROBES=N
# probes (default 2000, at 1000 pps) per RTT cell.
# Needs root (namespaces), redis-server, g++, nftables, ethtool. Traffic stays in namespaces.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECS=${1:-3}
SIZES=${SIZES:-"64 256 512 1500"}
FLOWS=${FLOWS:-1000}
P=snfb$$
W=$(mktemp -d /tmp/snf-iobench.XXXXXX)
NFPID= ; REDISPID= ; ECHOPID=
cleanup() {
  [ -n "$NFPID" ] && kill "$NFPID" 2>/dev/null || true
  [ -n "$ECHOPID" ] && kill "$ECHOPID" 2>/dev/null || true
  [ -n "$REDISPID" ] && kill "$REDISPID" 2>/dev/null || true
  for n in g n s; do ip netns del "$P$n" 2>/dev/null || true; done
  rm -rf "$W"
}
trap cleanup EXIT

g++ -O2 -std=c++17 -o "$W/pktgen" bench/io/pktgen.cpp
g++ -O2 -std=c++17 -o "$W/rtt" bench/io/rtt.cpp

GMAC=02:00:00:00:01:01 NIN=02:00:00:00:01:02 NOUT=02:00:00:00:01:03 SMAC=02:00:00:00:01:04
for n in g n s; do ip netns add "$P$n"; ip -n "$P$n" link set lo up; done
ip link add "${P}a" type veth peer name "${P}b"
ip link set "${P}a" netns "${P}g"; ip link set "${P}b" netns "${P}n"
ip link add "${P}c" type veth peer name "${P}d"
ip link set "${P}c" netns "${P}n"; ip link set "${P}d" netns "${P}s"
ip -n "${P}g" link set "${P}a" name eth0 address $GMAC
ip -n "${P}n" link set "${P}b" name in0 address $NIN
ip -n "${P}n" link set "${P}c" name out0 address $NOUT
ip -n "${P}s" link set "${P}d" name eth0 address $SMAC
for spec in g:eth0 n:in0 n:out0 s:eth0; do
  ns=$P${spec%%:*}; ifc=${spec#*:}
  ip -n "$ns" link set "$ifc" up
  ip netns exec "$ns" ethtool -K "$ifc" tso off gso off gro off tx off rx off >/dev/null 2>&1 || true
done
ip -n "${P}g" addr add 10.0.0.2/16 dev eth0
ip -n "${P}g" route add default via 10.0.0.1
ip -n "${P}g" neigh add 10.0.0.1 lladdr $NIN dev eth0
ip -n "${P}s" addr add 203.0.113.10/24 dev eth0
ip -n "${P}s" route add 198.51.100.0/24 via 203.0.113.1
ip -n "${P}s" route add 10.0.0.0/16 via 203.0.113.1
ip -n "${P}s" neigh add 203.0.113.1 lladdr $NOUT dev eth0
ip netns exec "${P}s" "$W/rtt" echo 203.0.113.10 7 & ECHOPID=$!

redis-server --port 0 --unixsocket "$W/redis.sock" --unixsocketperm 777 --save '' --appendonly no --dir "$W" >/dev/null &
REDISPID=$!
for _ in $(seq 50); do [ -S "$W/redis.sock" ] && break; sleep 0.1; done
taskset -pc 0 $REDISPID >/dev/null

sink_rx() { ip netns exec "${P}s" cat /sys/class/net/eth0/statistics/rx_packets; }

kernel_on() {
  ip netns exec "${P}n" sysctl -qw net.ipv4.ip_forward=1
  ip -n "${P}n" addr add 10.0.0.1/16 dev in0
  ip -n "${P}n" addr add 203.0.113.1/24 dev out0
  ip -n "${P}n" neigh replace 203.0.113.99 lladdr $SMAC dev out0
  ip -n "${P}n" neigh replace 203.0.113.10 lladdr $SMAC dev out0
  ip -n "${P}n" neigh replace 10.0.0.2 lladdr $GMAC dev in0
  if [ "$1" = nat ]; then
    ip netns exec "${P}n" nft -f - <<NFT
table ip snfbench {
  chain post {
    type nat hook postrouting priority 100;
    oifname "out0" snat to 198.51.100.1
  }
}
NFT
  fi
}
kernel_off() {
  ip netns exec "${P}n" nft delete table ip snfbench 2>/dev/null || true
  ip netns exec "${P}n" sysctl -qw net.ipv4.ip_forward=0
  ip -n "${P}n" addr flush dev in0; ip -n "${P}n" addr flush dev out0
}
nf_on() {  # store io [afpacket ring] [idle spin µs] [bursts in flight]
  redis-cli -s "$W/redis.sock" flushall >/dev/null
  local spin=()
  [ -n "${4:-}" ] && spin=(SNF_IO_SPIN_US="$4")
  [ -n "${5:-}" ] && spin+=(SNF_IO_INFLIGHT="$5")
  env "${spin[@]}" SNF_AFPACKET_RING="${3:-}" SNF_REDIS_SOCK="$W/redis.sock" ip netns exec "${P}n" taskset -c 1 node --import tsx bench/io/nf.ts "$1" "$2" $GMAC $SMAC >"$W/nf.out" 2>"$W/nf.err" &
  NFPID=$!
  for _ in $(seq 100); do grep -q "nf ready" "$W/nf.err" 2>/dev/null && break; sleep 0.1; done
  grep -q "nf ready" "$W/nf.err" || { cat "$W/nf.err" >&2; exit 1; }
}
nf_off() {  # the NF prints its counters on SIGTERM: where the frames that did not arrive went
  kill -TERM "$NFPID"; wait "$NFPID" || true; NFPID=
  printf '  %-28s ring drops (rx_dropped) %s, tx errors %s, bursts %s\n' "" \
    "$(grep -o '"rxDropped":[0-9]*' "$W/nf.out" | awk -F: '{s+=$2} END {print s+0}')" \
    "$(grep -o '"txErrors":[0-9]*' "$W/nf.out" | awk -F: '{s+=$2} END {print s+0}')" \
    "$(grep -o '"bursts":[0-9]*' "$W/nf.out" | cut -d: -f2)" >&2
}

declare -A PPS LAT
measure() {  # label
  local label=$1 size
  # Create the flows first, so what follows is established-flow forwarding.
  ip netns exec "${P}g" "$W/pktgen" eth0 $NIN 64 "$FLOWS" 0.5 20000 >/dev/null
  sleep 0.3
  for size in $SIZES; do
    local a b sent
    a=$(sink_rx)
    sent=$(ip netns exec "${P}g" taskset -c 0 "$W/pktgen" eth0 $NIN "$size" "$FLOWS" "$SECS")
    sleep 0.2
    b=$(sink_rx)
    PPS[$label,$size]=$(( (b - a) / SECS ))
    printf '  %-28s %5s B  offered %8d pps  forwarded %8d pps\n' "$label" "$size" $((sent / SECS)) "${PPS[$label,$size]}" >&2
  done
  LAT[$label]=$(ip netns exec "${P}g" "$W/rtt" probe 203.0.113.10 7 "${RTT_PROBES:-2000}" 1000)
  printf '  %-28s rtt p50/p99 at 1000 pps %s us (lost %s)\n' "$label" $(echo "${LAT[$label]}" | awk '{print $1"/"$2, $3}') >&2
}

# key|label|how: "kernel plain|nat" or "nf <store> <io> [afpacket ring] [idle spin µs] [bursts in flight]". The
# default AF_PACKET ring is TPACKET_V2 with a 50 µs idle spin; the v3 rows keep the block ring it
# replaced side by side, the "no spin" row shows what the spin adds.
VARIANT=(
  "direct|direct (kernel routing)|kernel plain"
  "kernelnat|linux nftables NAT|kernel nat"
  "coupled|coupled baseline|nf local afpacket"
  "coupled-nospin|coupled baseline (v2, no spin)|nf local afpacket v2 0"
  "coupled-v3|coupled baseline (afpacket v3)|nf local afpacket v3"
  "nocache|stateless, no cache|nf redis afpacket"
  "cache|stateless + cache|nf redis-cache afpacket"
  "cache-v3|stateless + cache (afpacket v3)|nf redis-cache afpacket v3"
  "cache-1|stateless + cache, 1 burst in flight|nf redis-cache afpacket v2 50 1"
  "cache-4|stateless + cache, 4 bursts in flight|nf redis-cache afpacket v2 50 4"
  "xdp-coupled|coupled baseline (af_xdp)|nf local af_xdp"
  "xdp-cache|stateless + cache (af_xdp)|nf redis-cache af_xdp"
)
RAN=()
echo "I/O benchmark: $FLOWS flows, ${SECS}s per cell, sizes $SIZES" >&2
for v in "${VARIANT[@]}"; do
  IFS='|' read -r key label how <<<"$v"
  [ -n "${VARIANTS:-}" ] && [[ ",$VARIANTS," != *",$key,"* ]] && continue
  set -- $how
  if [ "$1" = kernel ]; then kernel_on "$2"; measure "$label"; kernel_off
  else nf_on "$2" "$3" "${4:-}" "${5:-}" "${6:-}"; measure "$label"; nf_off; fi
  RAN+=("$label")
done

ratio() { [ -n "$1" ] && [ -n "$2" ] && awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}' || printf -- '-'; }
echo
echo "| variant | $(for s in $SIZES; do printf '%s B pps | ' "$s"; done)vs coupled (64 B) | vs kernel NAT (64 B) | RTT p50 / p99 µs at 1000 pps |"
echo "|---|$(for s in $SIZES; do printf -- '---|'; done)---|---|---|"
for label in "${RAN[@]}"; do
  row="| $label |"
  for s in $SIZES; do row="$row ${PPS[$label,$s]} |"; done
  base=${PPS["coupled baseline",64]:-}; kern=${PPS["linux nftables NAT",64]:-}
  [[ $label == *af_xdp* ]] && base=${PPS["coupled baseline (af_xdp)",64]:-}
  row="$row $(ratio "${PPS[$label,64]:-}" "$base") | $(ratio "${PPS[$label,64]:-}" "$kern") | $(echo "${LAT[$label]}" | awk '{print $1" / "$2}') |"
  echo "$row"
done
