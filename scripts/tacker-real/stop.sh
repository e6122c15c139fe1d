#!/usr/bin/env bash
# Stops what start.sh / setup.sh started: exactly the processes recorded in $RUN/pids (a pid is
# signalled only while it still has the recorded start time), newest first.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
RUN=$R/run
for n in tacker heat keystone mysqld; do stop_recorded "$RUN/pids/$n" "$n"; done
rm -rf "$RUN/tmp"
exit 0
