# Shared by setup.sh / start.sh / stop.sh: where things live, which ports, the cache keys.
# Everything is under $SNF_TACKER_REAL_DIR (default /var/tmp/snf-tacker-real), never in the
# checkout and never under /etc. Sourced, not run.
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CHECKOUT=$(cd "$HERE/../.." && pwd)
R=${SNF_TACKER_REAL_DIR:-/var/tmp/snf-tacker-real}
# The tarballs (Tacker 8.0.0, heat-translator zed-eol) are read where CI has them: ../shared beside the clone.
TARBALLS=${SNF_TACKER_TARBALLS:-$CHECKOUT/../shared/tacker-real}
# Fixed loopback ports below the kernel's ephemeral range (32768+), so the free ports other tests
# take from the kernel never collide with them, and fixed so that the Keystone catalog cached in
# the database stays valid. SNF_TACKER_PORT_BASE moves all five (and keys a separate cache).
PORT_BASE=${SNF_TACKER_PORT_BASE:-27400}
PORT_DB=$((PORT_BASE + 0))
PORT_KEYSTONE=$((PORT_BASE + 1))
PORT_HEAT=$((PORT_BASE + 2))
PORT_HEAT_CFN=$((PORT_BASE + 3))
PORT_TACKER=$((PORT_BASE + 4))
ALL_PORTS="$PORT_DB $PORT_KEYSTONE $PORT_HEAT $PORT_HEAT_CFN $PORT_TACKER"
# Debian's interpreter: Heat and Keystone are Debian packages; Tacker's venv is built on it too.
SYS_PY=/usr/bin/python3
ADMIN_PASSWORD=adminpw

log() { echo "tacker-real: $*" >&2; }
die() { echo "tacker-real: ERROR: $*" >&2; exit 1; }

sha() { sha256sum | cut -c1-16; }

# The venv depends on the sources and the interpreter only.
venv_key() {
  { sha256sum "$TARBALLS/tacker-8.0.0.tar.gz" "$TARBALLS/heat-translator-zed-eol.tar.gz" | cut -c1-64
    $SYS_PY -c 'import sys; print(sys.version)'
    echo venv-v1; } | sha
}

# The databases depend on the venv, our config templates and launchers, the ports and the Debian
# versions of the services that migrate them.
db_key() {
  { venv_key; echo "$PORT_BASE"
    cat "$HERE"/conf/* "$HERE"/py/* "$HERE/setup.sh" "$HERE/lib.sh"
    dpkg-query -W -f='${Package} ${Version}\n' heat-engine python3-keystone mariadb-server 2>/dev/null; } | sha
}

# pid files hold "<pid> <start time>": a pid is ours only if that process still has that start
# time (pids are recycled), so stop never signals a stranger.
proc_start() { awk '{print $22}' "/proc/$1/stat" 2>/dev/null; }
record_pid() { echo "$1 $(proc_start "$1")" > "$2"; }
recorded_alive() {
  [ -f "$1" ] || return 1
  local pid st; read -r pid st < "$1"
  [ -n "$pid" ] && [ "$(proc_start "$pid")" = "$st" ]
}
stop_recorded() { # pidfile name
  local f=$1 name=$2 pid st
  [ -f "$f" ] || return 0
  read -r pid st < "$f"
  if recorded_alive "$f"; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 1 40); do [ "$(proc_start "$pid")" = "$st" ] || break; sleep 0.25; done
    # oslo.service does not finish its graceful stop here: our own pid gets SIGKILL after 10 s
    if [ "$(proc_start "$pid")" = "$st" ]; then kill -KILL "$pid" 2>/dev/null; log "$name ($pid) killed"; else log "$name ($pid) stopped"; fi
  fi
  rm -f "$f"
}

port_busy() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }

wait_http() { # url seconds name [pidfile]
  local url=$1 secs=$2 name=$3 pidf=${4:-} i
  for i in $(seq 1 $((secs * 4))); do
    curl -s -o /dev/null --max-time 2 "$url" && { log "$name up ($((i / 4)) s)"; return 0; }
    if [ -n "$pidf" ] && ! recorded_alive "$pidf"; then log "$name exited"; return 1; fi
    sleep 0.25
  done
  log "$name not answering at $url after $secs s"; return 1
}

# Fill @NAME@ placeholders of a config template.
render() { # template out
  sed -e "s#@R@#$R#g" -e "s#@CACHE@#$CACHE#g" -e "s#@RUN@#$RUN#g" -e "s#@VENV@#$VENV#g" \
      -e "s#@PORT_DB@#$PORT_DB#g" -e "s#@PORT_KEYSTONE@#$PORT_KEYSTONE#g" -e "s#@PORT_HEAT@#$PORT_HEAT#g" \
      -e "s#@PORT_HEAT_CFN@#$PORT_HEAT_CFN#g" -e "s#@PORT_TACKER@#$PORT_TACKER#g" \
      -e "s#@DB_DIR@#$DB_DIR#g" -e "s#@HEAT_ENV_DIR@#$CACHE/heat-env.d#g" "$1" > "$2"
}

paths() { # sets VENV CACHE RUN DB_DIR
  VENV=$R/venv-$(venv_key)
  CACHE=$R/cache-$(db_key)
  RUN=$R/run
  DB_DIR=${DB_DIR:-$RUN/db}
}
