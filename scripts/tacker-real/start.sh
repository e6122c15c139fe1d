#!/usr/bin/env bash
# Starts MariaDB, Keystone, Heat and Tacker (server + conductor in one process) on loopback from
# the cache setup.sh made, each from a FRESH copy of the pristine databases (no packages, VNF
# instances or stacks left over from an earlier run; --keep reuses the last run's state).
# Pids go to $RUN/pids (stop.sh kills exactly those), logs to $RUN/log, and $RUN/env.json / env.sh
# say where everything listens and how to authenticate (OS_* variables for `snf`).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
paths
keep=0; [ "${1:-}" = --keep ] && keep=1
t0=$SECONDS
[ -f "$CACHE/READY" ] && [ -f "$VENV/READY" ] || die "not set up for these inputs: run scripts/tacker-real/setup.sh first ($CACHE)"

bash "$HERE/stop.sh" >/dev/null
for p in $ALL_PORTS; do port_busy "$p" && die "port $p is in use by a process we did not start (SNF_TACKER_PORT_BASE moves our ports)"; done

mkdir -p "$RUN/log" "$RUN/pids"
if [ $keep = 0 ] || [ ! -d "$RUN/db" ]; then
  rm -rf "$RUN/db" "$RUN/var"
  cp -a --reflink=auto "$CACHE/db" "$RUN/db"
  for f in "$RUN"/log/*; do : > "$f"; done 2>/dev/null || true
fi
mkdir -p "$RUN/var/vnfpackage" "$RUN/var/csar_files" "$RUN/var/vim_keys" "$RUN/var/locks"
# toscaparser leaves every CSAR it unzips in TMPDIR: keep them in the run, where stop.sh removes them.
rm -rf "$RUN/tmp"; mkdir -p "$RUN/tmp"
export TMPDIR=$RUN/tmp
DB_DIR=$RUN/db render "$HERE/conf/my.cnf.in" "$RUN/my.cnf"
E=$CACHE/etc

log "start: mariadb :$PORT_DB"
setsid mariadbd --defaults-file="$RUN/my.cnf" >"$RUN/log/mysqld.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/mysqld"
up=0
for _ in $(seq 1 120); do
  mariadb -S "$RUN/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1 && { up=1; break; }
  recorded_alive "$RUN/pids/mysqld" || break
  sleep 0.25
done
[ $up = 1 ] || { tail -20 "$RUN/log/mysqld.err"; die "mariadb did not start"; }

log "start: keystone :$PORT_KEYSTONE"
OS_KEYSTONE_CONFIG_FILES=$E/keystone.conf setsid "$SYS_PY" "$HERE/py/keystone_serve.py" 127.0.0.1 "$PORT_KEYSTONE" >"$RUN/log/keystone.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/keystone"

log "start: heat :$PORT_HEAT (cfn :$PORT_HEAT_CFN)"
HEAT_FAST_POLL=${HEAT_FAST_POLL:-0.1} setsid "$SYS_PY" "$HERE/py/heat_all.py" --config-file "$E/heat.conf" >"$RUN/log/heat-all.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/heat"

# Tacker runs Scripts/ mgmt drivers as `python3` from its PATH: the venv's. SNF_ADAPTER_URL is
# removed on purpose: the hook shim must find the VNF manager from the VNF instance itself.
log "start: tacker :$PORT_TACKER (server + conductor)"
env -u SNF_ADAPTER_URL -u SNF_ADAPTER_TOKEN PATH="$VENV/bin:$PATH" setsid "$VENV/bin/python" "$HERE/py/tacker_all.py" --config-file "$E/tacker.conf" \
  >"$RUN/log/tacker-all.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/tacker"

ok=1
wait_http "http://127.0.0.1:$PORT_KEYSTONE/v3" 60 keystone "$RUN/pids/keystone" || { ok=0; tail -20 "$RUN/log/keystone.stdout"; }
wait_http "http://127.0.0.1:$PORT_HEAT/v1/admin/stacks" 120 heat "$RUN/pids/heat" || { ok=0; tail -20 "$RUN/log/heat-all.stdout" "$RUN/log/heat-all.log"; }
wait_http "http://127.0.0.1:$PORT_TACKER/" 120 tacker "$RUN/pids/tacker" || { ok=0; tail -30 "$RUN/log/tacker-all.stdout" "$RUN/log/tacker-all.log"; }
[ $ok = 1 ] || { bash "$HERE/stop.sh" >&2; die "start failed (logs in $RUN/log)"; }

cat > "$RUN/env.sh" <<ENV
# source me: credentials and endpoints of the running lab Tacker (scripts/tacker-real/start.sh)
export OS_AUTH_URL=http://127.0.0.1:$PORT_KEYSTONE/v3 OS_USERNAME=admin OS_PASSWORD=$ADMIN_PASSWORD OS_PROJECT_NAME=admin
export OS_USER_DOMAIN_NAME=Default OS_PROJECT_DOMAIN_NAME=Default OS_IDENTITY_API_VERSION=3 OS_REGION_NAME=RegionOne
export OS_CLOUD= SNF_TACKER_URL=http://127.0.0.1:$PORT_TACKER SNF_HEAT_URL=http://127.0.0.1:$PORT_HEAT/v1/admin
ENV
cat > "$RUN/env.json" <<JSON
{"authUrl":"http://127.0.0.1:$PORT_KEYSTONE/v3","username":"admin","password":"$ADMIN_PASSWORD","projectName":"admin",
 "userDomainName":"Default","projectDomainName":"Default","region":"RegionOne",
 "tackerUrl":"http://127.0.0.1:$PORT_TACKER","heatUrl":"http://127.0.0.1:$PORT_HEAT/v1/admin",
 "logDir":"$RUN/log","runDir":"$RUN"}
JSON
log "start: all up in $((SECONDS - t0)) s; credentials: . $RUN/env.sh; stop: scripts/tacker-real/stop.sh"
