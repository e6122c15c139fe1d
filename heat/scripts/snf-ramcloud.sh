#!/bin/sh
# The ramcloud flavour's RAMCloud process on this VM, configured from /etc/statelessnf/ramcloud.env
# (written by the VDU's user data): rc-coordinator on the coordinator VDU, rc-server on each
# masters VDU member; `snf-ramcloud.sh sweeper` runs the expiry sweeper (coordinator VDU). Both listen on the VM's store-network address over RAMCloud's TCP transport
# (the fork's; no InfiniBand or DPDK transport in the image's build). The binaries and
# libramcloud.so come from /opt/snf/ramcloud, which `snf image build --ramcloud` puts in the image.
# An rc-server runs a master and, with SNF_RC_REPLICAS > 0, a backup whose segment replicas go to
# the data volume (/dev/vdb, used raw: RAMCloud writes its own frame layout) or, without one, to a
# file on the root disk. statelessnf-ramcloud.service restarts it until the coordinator answers.
# SNF_RC_ENV, SNF_RC_HOME, SNF_RC_LOGS, SNF_RC_BIND and SNF_RC_BACKUP_FILE move its files and
# address for a run on a host (test/integration/image/ramcloud-vdu.test.ts); the VDUs use the defaults.
set -eu
. "${SNF_RC_ENV:-/etc/statelessnf/ramcloud.env}"
RC=${SNF_RC_HOME:-/opt/snf/ramcloud}
LOGS=${SNF_RC_LOGS:-/var/log/statelessnf}
if [ ! -x "$RC/bin/rc-server" ] || [ ! -x "$RC/bin/rc-coordinator" ]; then
  echo "snf-ramcloud: no RAMCloud in $RC: this image was built without it (snf image build --ramcloud)" >&2
  exit 3
fi
case "${SNF_RC_CLUSTER_NAME:-}" in ''|__*__) echo "snf-ramcloud: SNF_RC_CLUSTER_NAME was never filled in" >&2; exit 2 ;; esac
# The store network is the VM's only NIC with a global address; late DHCP: fail, systemd retries.
SELF=${SNF_RC_BIND:-$(ip -4 -o addr show scope global | awk '{ split($4, a, "/"); print a[1]; exit }')}
[ -n "$SELF" ] || { echo "snf-ramcloud: no IPv4 address on the store network yet" >&2; exit 1; }
mkdir -p "$LOGS"
export LD_LIBRARY_PATH="$RC/lib"
ROLE=${1:-${SNF_RC_ROLE:-}}
case "$ROLE" in
  coordinator)
    echo "snf-ramcloud: rc-coordinator on tcp:host=$SELF,port=$SNF_RC_PORT, cluster $SNF_RC_CLUSTER_NAME"
    exec "$RC/bin/rc-coordinator" -C "tcp:host=$SELF,port=$SNF_RC_PORT" --clusterName "$SNF_RC_CLUSTER_NAME" --logFile "$LOGS/rc-coordinator.log"
    ;;
  server)
    case "${SNF_RC_COORDINATOR:-}" in tcp:host=*) ;; *) echo "snf-ramcloud: SNF_RC_COORDINATOR '${SNF_RC_COORDINATOR:-}' is not a tcp: locator" >&2; exit 2 ;; esac
    set -- -L "tcp:host=$SELF,port=$SNF_RC_PORT" -C "$SNF_RC_COORDINATOR" --clusterName "$SNF_RC_CLUSTER_NAME" \
      --totalMasterMemory "$SNF_RC_MASTER_MEMORY_MB" --replicas "$SNF_RC_REPLICAS" --logFile "$LOGS/rc-server.log"
    if [ "$SNF_RC_REPLICAS" = 0 ]; then
      set -- "$@" --masterOnly
    else
      DEV=${SNF_RC_BACKUP_DEVICE:-}
      if [ -n "$DEV" ] && [ -b "$DEV" ]; then FILE=$DEV; else FILE=${SNF_RC_BACKUP_FILE:-/var/lib/statelessnf/ramcloud/backup.log}; mkdir -p "${FILE%/*}"; fi
      set -- "$@" --file "$FILE" --segmentFrames "$SNF_RC_SEGMENT_FRAMES"
    fi
    echo "snf-ramcloud: rc-server $*"
    exec "$RC/bin/rc-server" "$@"
    ;;
  sweeper)
    # RAMCloud has no TTLs: flow state carries its expiry and this deletes what has expired
    # (src/dataplane/ramcloud-sweeper-main.ts, bundled into the image). On the coordinator VDU.
    APP=${SNF_APP_HOME:-/opt/statelessnf}
    export SNF_RAMCLOUD_PLUGIN="$RC/lib/libsnf_store_ramcloud.so"
    export SNF_ADDON="$APP/snf.node"
    echo "snf-ramcloud: sweeper for tcp:host=$SELF,port=$SNF_RC_PORT, cluster $SNF_RC_CLUSTER_NAME"
    exec "$APP/bin/node" "$APP/ramcloud-sweeper.mjs" \
      "{\"kind\":\"ramcloud\",\"coordinator\":\"tcp:host=$SELF,port=$SNF_RC_PORT\",\"clusterName\":\"$SNF_RC_CLUSTER_NAME\"}"
    ;;
  *) echo "snf-ramcloud: SNF_RC_ROLE must be coordinator, server or sweeper, got '$ROLE'" >&2; exit 2 ;;
esac
