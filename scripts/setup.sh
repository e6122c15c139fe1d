#!/usr/bin/env bash
# Installs what this project needs on a Debian 12 / Ubuntu machine and builds it.
# Idempotent: it installs only what is missing. Package lists live in scripts/deps/*.txt,
# one file per part of the product, so each part declares its own needs.
#   --ramcloud  also build RAMCloud and its store plugin (scripts/ramcloud/build.sh: ~15 min the
#               first time, cached outside the checkout by a hash of its inputs)
set -euo pipefail
cd "$(dirname "$0")/.."

ramcloud=0
for a in "$@"; do
  case "$a" in
    --ramcloud) ramcloud=1 ;;
    *) echo "setup: unknown option '$a' (known: --ramcloud)" >&2; exit 2 ;;
  esac
done

need_root() { [ "$(id -u)" = 0 ] || { echo "setup: run as root (sudo) to install packages" >&2; exit 1; }; }

mapfile -t pkgs < <(cat scripts/deps/*.txt | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  need_root
  echo "setup: installing ${#missing[@]} Debian packages: ${missing[*]}"
  # Keep apt from starting system services (redis, heat): our tests start their own on free ports.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  echo "setup: packages installed"
else
  echo "setup: all ${#pkgs[@]} Debian packages present"
fi

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

echo "setup: building the native data plane"
npx node-gyp rebuild --directory=native -j 2 --loglevel=warn >/tmp/snf-native-build.log 2>&1 \
  || { cat /tmp/snf-native-build.log; echo "setup: native build failed" >&2; exit 1; }
if [ "$ramcloud" = 1 ]; then
  echo "setup: building RAMCloud and its store plugin"
  bash scripts/ramcloud/build.sh
fi
echo "setup: ready"
