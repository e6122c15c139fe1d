#!/usr/bin/env bash
# One-time (cached) setup of a real OpenStack Tacker 8.0.0 (Zed) with Keystone and Heat, all on
# loopback, everything under $SNF_TACKER_REAL_DIR (default /var/tmp/snf-tacker-real):
#   venv-<key>/   Tacker 8.0.0 + heat-translator (tarballs in ../shared/tacker-real) in a venv on
#                 Debian's python3 that sees Debian's OpenStack libraries (scripts/deps/tacker-real.txt)
#   cache-<key>/  rendered configs, Heat's facade templates, Keystone's keys and a pristine MariaDB
#                 datadir with Keystone (bootstrapped, service user, catalog), Heat and Tacker migrated
# Idempotent: each part is keyed on a hash of its inputs (tarballs, interpreter, our configs and
# launchers, ports, Debian package versions); a second run with the same inputs does nothing.
# Needs the Debian packages of scripts/deps/tacker-real.txt (scripts/setup.sh installs them).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
paths
t0=$SECONDS

[ -f "$CACHE/READY" ] && [ -f "$VENV/READY" ] && { log "setup: reusing $VENV and $CACHE"; exit 0; }

for p in mariadbd mariadb-install-db keystone-manage heat-manage; do
  command -v "$p" >/dev/null || die "$p not found: install scripts/deps/tacker-real.txt (sudo bash scripts/setup.sh)"
done
for f in tacker-8.0.0.tar.gz heat-translator-zed-eol.tar.gz; do
  [ -f "$TARBALLS/$f" ] || die "$TARBALLS/$f missing (SNF_TACKER_TARBALLS names the folder)"
done
mkdir -p "$R"
# A running instance uses the same ports: stop it (only processes we recorded) before migrating.
bash "$HERE/stop.sh" >/dev/null 2>&1 || true
# whatever happens below, leave no process of ours running
trap 'bash "$HERE/stop.sh" >/dev/null 2>&1' EXIT

# ---- venv: Tacker and heat-translator from the tarballs, editable (pbr without git still ships
#      the non-.py files that way: translator.conf, the sol_refactored API schemas)
if [ ! -f "$VENV/READY" ]; then
  log "setup: [1/4] venv $VENV (Tacker 8.0.0, heat-translator zed-eol)"
  rm -rf "$VENV"; mkdir -p "$VENV.src"
  tar -xzf "$TARBALLS/tacker-8.0.0.tar.gz" -C "$VENV.src"
  tar -xzf "$TARBALLS/heat-translator-zed-eol.tar.gz" -C "$VENV.src"
  $SYS_PY -m venv --system-site-packages "$VENV"
  for d in heat-translator:2.6.1 tacker:8.0.0; do
    (cd "$VENV.src/${d%%:*}" && PBR_VERSION=${d##*:} "$VENV/bin/pip" install -q --no-deps --no-build-isolation --no-index -e . >"$R/pip-${d%%:*}.log" 2>&1) \
      || { cat "$R/pip-${d%%:*}.log"; die "pip install of ${d%%:*} failed"; }
  done
  "$VENV/bin/python" -c 'import tacker.sol_refactored.conductor.conductor_v2, toscaparser, translator' \
    || die "the venv cannot import Tacker: a Debian package of scripts/deps/tacker-real.txt is missing?"
  touch "$VENV/READY"
  log "setup: venv ready ($((SECONDS - t0)) s)"
else
  log "setup: [1/4] reusing $VENV"
fi

# ---- the databases: built in a scratch datadir, then moved in place with its stamp
log "setup: [2/4] MariaDB, Keystone bootstrap ($CACHE)"
rm -rf "$CACHE" "$CACHE.new"
NEW=$CACHE.new
mkdir -p "$NEW/etc/heat-policy.d" "$NEW/keystone/fernet-keys" "$NEW/keystone/credential-keys" "$NEW/heat-templates" "$NEW/heat-env.d" \
  "$RUN/log" "$RUN/pids" "$RUN/var"
CACHE_FINAL=$CACHE; CACHE=$NEW; DB_DIR=$NEW/db
for t in keystone heat tacker; do render "$HERE/conf/$t.conf.in" "$NEW/etc/$t.conf"; done
render "$HERE/conf/my.cnf.in" "$NEW/etc/my-setup.cnf"
cp "$HERE/conf/heat-api-paste.ini" "$HERE/conf/tacker-api-paste.ini" "$NEW/etc/"
# the configs must name the final cache folder, not the scratch one
sed -i "s#$NEW#$CACHE_FINAL#g" "$NEW/etc/keystone.conf" "$NEW/etc/heat.conf" "$NEW/etc/tacker.conf"
# ...except while setting up, when they run from the scratch folder
for t in keystone heat tacker; do sed "s#$CACHE_FINAL#$NEW#g" "$NEW/etc/$t.conf" > "$NEW/etc/$t-setup.conf"; done

mariadb-install-db --defaults-file="$NEW/etc/my-setup.cnf" --auth-root-authentication-method=normal --skip-test-db >"$RUN/log/mysql-install.log" 2>&1 \
  || { tail -20 "$RUN/log/mysql-install.log"; die "mariadb-install-db failed"; }
setsid mariadbd --defaults-file="$NEW/etc/my-setup.cnf" >"$RUN/log/mysqld.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/mysqld"
for _ in $(seq 1 120); do mariadb -S "$RUN/mysqld.sock" -uroot -e 'select 1' >/dev/null 2>&1 && break; sleep 0.25; done
mariadb -S "$RUN/mysqld.sock" -uroot <<'SQL'
CREATE DATABASE tacker CHARACTER SET utf8; CREATE USER 'tacker'@'127.0.0.1' IDENTIFIED BY 'tackerpw'; GRANT ALL ON tacker.* TO 'tacker'@'127.0.0.1';
CREATE DATABASE keystone; CREATE USER 'keystone'@'127.0.0.1' IDENTIFIED BY 'keystonepw'; GRANT ALL ON keystone.* TO 'keystone'@'127.0.0.1';
CREATE DATABASE heat; CREATE USER 'heat'@'127.0.0.1' IDENTIFIED BY 'heatpw'; GRANT ALL ON heat.* TO 'heat'@'127.0.0.1';
SQL

K=(keystone-manage --config-file "$NEW/etc/keystone-setup.conf")
"${K[@]}" db_sync >"$RUN/log/keystone-manage.log" 2>&1 || { tail -20 "$RUN/log/keystone-manage.log"; die "keystone db_sync failed"; }
"${K[@]}" fernet_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$RUN/log/keystone-manage.log" 2>&1
"${K[@]}" credential_setup --keystone-user "$(id -un)" --keystone-group "$(id -gn)" >>"$RUN/log/keystone-manage.log" 2>&1
# The identity endpoint is unversioned: Tacker's VIM code GETs '/v3/regions' relative to it.
"${K[@]}" bootstrap --bootstrap-password "$ADMIN_PASSWORD" --bootstrap-region-id RegionOne \
  --bootstrap-admin-url "http://127.0.0.1:$PORT_KEYSTONE" --bootstrap-public-url "http://127.0.0.1:$PORT_KEYSTONE" \
  --bootstrap-internal-url "http://127.0.0.1:$PORT_KEYSTONE" >>"$RUN/log/keystone-manage.log" 2>&1
OS_KEYSTONE_CONFIG_FILES=$NEW/etc/keystone-setup.conf setsid "$SYS_PY" "$HERE/py/keystone_serve.py" 127.0.0.1 "$PORT_KEYSTONE" >"$RUN/log/keystone.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/keystone"
wait_http "http://127.0.0.1:$PORT_KEYSTONE/v3" 60 keystone "$RUN/pids/keystone" || { tail "$RUN/log/keystone.stdout"; die "keystone did not start"; }
"$SYS_PY" "$HERE/py/keystone_objects.py" "http://127.0.0.1:$PORT_KEYSTONE" "$ADMIN_PASSWORD" \
  "http://127.0.0.1:$PORT_TACKER/" "http://127.0.0.1:$PORT_HEAT/v1/%(project_id)s" >&2
stop_recorded "$RUN/pids/keystone" keystone

log "setup: [3/4] Heat: migrations, facades of Nova/Neutron/Cinder types ($((SECONDS - t0)) s)"
heat-manage --config-file "$NEW/etc/heat-setup.conf" db_sync >"$RUN/log/heat-manage.log" 2>&1 || { tail -20 "$RUN/log/heat-manage.log"; die "heat db_sync failed"; }
setsid "$SYS_PY" "$HERE/py/heat_all.py" --config-file "$NEW/etc/heat-setup.conf" >"$RUN/log/heat-all.stdout" 2>&1 </dev/null &
record_pid $! "$RUN/pids/heat"
wait_http "http://127.0.0.1:$PORT_HEAT/v1/admin/stacks" 90 heat "$RUN/pids/heat" || { tail "$RUN/log/heat-all.stdout" "$RUN/log/heat-all.log"; die "heat did not start"; }
"$SYS_PY" "$HERE/py/make_facades.py" "http://127.0.0.1:$PORT_HEAT/v1/admin" "$NEW/heat-templates" "$NEW/heat-env.d" >/dev/null
stop_recorded "$RUN/pids/heat" heat
sed -i "s#$NEW#$CACHE_FINAL#g" "$NEW/heat-env.d/facades.yaml"

log "setup: [4/4] Tacker migrations ($((SECONDS - t0)) s)"
"$VENV/bin/tacker-db-manage" --config-file "$NEW/etc/tacker-setup.conf" upgrade head >"$RUN/log/tacker-db-manage.log" 2>&1 \
  || { tail -30 "$RUN/log/tacker-db-manage.log"; die "tacker-db-manage failed"; }
mariadb -S "$RUN/mysqld.sock" -uroot -e 'SET GLOBAL innodb_fast_shutdown = 0'
stop_recorded "$RUN/pids/mysqld" mariadb
rm -f "$NEW"/etc/*-setup.c*nf
mv "$NEW" "$CACHE_FINAL"
touch "$CACHE_FINAL/READY"
# older caches and venvs (other inputs) are dead weight
for d in "$R"/cache-* "$R"/venv-*; do
  case "$d" in "$CACHE_FINAL"|"$VENV"|"$VENV.src") ;; *) rm -rf "$d" ;; esac
done
log "setup: done in $((SECONDS - t0)) s ($CACHE_FINAL)"
