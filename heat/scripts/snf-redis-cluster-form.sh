#!/bin/sh
# Forms the store VDU's Redis Cluster from the nodes' own cloud-init, once every node answers.
# Every node runs this at boot; only the node with the lowest address on the store network acts
# (so exactly one `redis-cli --cluster create` runs), and it does nothing when any node already
# holds slots: a rebooted node, a re-run, or a cluster formed earlier are all left alone.
# Peers are found by asking every address of the node's own /24 (or the given SNF_REDIS_SCAN,
# hosts SNF_REDIS_SCAN_FIRST..LAST) for a PING: a HOT's ResourceGroup member does not know its siblings' addresses.
# Settings: /etc/statelessnf/redis.env (SNF_REDIS_ENV overrides the path, for tests).
set -eu
. "${SNF_REDIS_ENV:-/etc/statelessnf/redis.env}"
[ "${SNF_REDIS_CLUSTER:-false}" = true ] || { echo "snf-redis-cluster-form: not a cluster"; exit 0; }
PORT=${SNF_REDIS_PORT:-6379}
N=${SNF_REDIS_INSTANCES:?SNF_REDIS_INSTANCES is required}
REPLICAS=${SNF_REDIS_REPLICAS:-0}
WAIT_S=${SNF_REDIS_FORM_WAIT_S:-1800}
SELF=${SNF_REDIS_SELF:-$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')}
[ -n "$SELF" ] || { echo "snf-redis-cluster-form: no IPv4 address on the store network" >&2; exit 1; }
SCAN=${SNF_REDIS_SCAN:-${SELF%.*}}
FIRST=${SNF_REDIS_SCAN_FIRST:-1}
LAST=${SNF_REDIS_SCAN_LAST:-254}

case "${SNF_REDIS_PASSWORD:-}" in
  __*__) SNF_REDIS_PASSWORD='' ;;  # the user data's token left unfilled, as snf-redis reads it
esac

# TLS as snf-redis serves it: with a certificate given, the nodes answer only TLS (redis-cli
# checks the chain, not the name: the addresses come from DHCP).
TLS_DIR=${SNF_REDIS_TLS_DIR:-/etc/statelessnf/redis-tls}
TLS=""
if grep -q -- '-----BEGIN' "$TLS_DIR/server.crt" 2>/dev/null; then TLS="--tls --cacert $TLS_DIR/ca.crt"; fi

cli() {
  # shellcheck disable=SC2086
  if [ -n "${SNF_REDIS_PASSWORD:-}" ]; then REDISCLI_AUTH=$SNF_REDIS_PASSWORD timeout 5 redis-cli $TLS "$@"; else timeout 5 redis-cli $TLS "$@"; fi
}

peers() {
  tmp=$(mktemp -d)
  i=$FIRST
  while [ $i -le $LAST ]; do
    ( [ "$(cli -h "$SCAN.$i" -p "$PORT" PING 2>/dev/null)" = PONG ] && : >"$tmp/$SCAN.$i" ) &
    # 32 probes at a time: a busy node must not time its own probes out
    [ $(( (i - FIRST + 1) % 32 )) -ne 0 ] || wait
    i=$((i + 1))
  done
  wait
  ls "$tmp" | sort -t . -k 4 -n
  rm -rf "$tmp"
}

end=$(( $(date +%s) + WAIT_S ))
while :; do
  found=$(peers)
  count=$(printf '%s\n' "$found" | grep -c . || true)
  [ "$count" -ge "$N" ] && break
  if [ "$(date +%s)" -ge "$end" ]; then
    echo "snf-redis-cluster-form: only $count of $N nodes answered within ${WAIT_S}s: $(echo $found)" >&2
    exit 1
  fi
  sleep 2
done
nodes=$(printf '%s\n' "$found" | head -n "$N")
leader=$(printf '%s\n' "$nodes" | head -n 1)
if [ "$leader" != "$SELF" ]; then
  echo "snf-redis-cluster-form: $leader forms the cluster, not this node ($SELF)"
  exit 0
fi
for n in $nodes; do
  assigned=$(cli -h "$n" -p "$PORT" CLUSTER INFO | tr -d '\r' | awk -F: '$1 == "cluster_slots_assigned" { print $2 }')
  if [ "${assigned:-0}" != 0 ]; then
    echo "snf-redis-cluster-form: $n already holds $assigned slots: the cluster exists, nothing to do"
    exit 0
  fi
done
args=""
for n in $nodes; do args="$args $n:$PORT"; done
echo "snf-redis-cluster-form: creating the cluster on$args with $REPLICAS replica(s) per master"
# shellcheck disable=SC2086
if [ -n "${SNF_REDIS_PASSWORD:-}" ]; then export REDISCLI_AUTH=$SNF_REDIS_PASSWORD; fi
redis-cli $TLS --cluster create $args --cluster-replicas "$REPLICAS" --cluster-yes
