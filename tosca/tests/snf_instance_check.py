#!/usr/bin/env python3
"""Acceptance check of a deployed StatelessNF VNF (shipped in the CSAR as its SOL004 tests).

usage: snf_instance_check.py [--interval S] [--timeout S] METRICS_URL [METRICS_URL ...]

Scrapes each NF instance's Prometheus endpoint twice, --interval seconds apart. An instance
passes when it answers with the StatelessNF metric families and its registry heartbeat counter
advanced with no heartbeat failure in between: the heartbeat is a write to the state store, so
this proves the instance is alive AND reaches its store, which is everything a stateless
instance needs to carry any flow. Exit 0 when every instance passes, 1 otherwise, 2 on usage.
Python 3 standard library only: it runs on any operator host.
"""
import argparse
import re
import sys
import time
import urllib.error
import urllib.request

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)')
REQUIRED = ("snf_registry_heartbeats_total", "snf_registry_heartbeat_failures_total")


def scrape(url, timeout):
    """Returns {metric name: summed value over its label sets}."""
    with urllib.request.urlopen(url, timeout=timeout) as r:
        if r.status != 200:
            raise ValueError("HTTP %d" % r.status)
        body = r.read(4 << 20).decode("utf-8", "replace")
    totals = {}
    for line in body.splitlines():
        m = SAMPLE.match(line)
        if not m:
            continue
        try:
            value = float(m.group(3))
        except ValueError:
            continue
        totals[m.group(1)] = totals.get(m.group(1), 0.0) + value
    return totals


def check(url, interval, timeout):
    """Returns (ok, message)."""
    try:
        first = scrape(url, timeout)
        missing = [n for n in REQUIRED if n not in first]
        if missing:
            return False, "not a StatelessNF instance (no %s)" % ", ".join(missing)
        time.sleep(interval)
        second = scrape(url, timeout)
    except (urllib.error.URLError, OSError, ValueError) as e:
        return False, "unreachable: %s" % (getattr(e, "reason", None) or e)
    beats = second["snf_registry_heartbeats_total"] - first["snf_registry_heartbeats_total"]
    failures = (second["snf_registry_heartbeat_failures_total"]
                - first["snf_registry_heartbeat_failures_total"])
    counters = "rx %d tx %d dropped %d" % (second.get("snf_rx_packets_total", 0),
                                           second.get("snf_tx_packets_total", 0),
                                           second.get("snf_dropped_packets_total", 0))
    if failures > 0:
        return False, "%d heartbeat(s) failed in %gs: the store is unreachable (%s)" % (failures, interval, counters)
    if beats <= 0:
        return False, "no heartbeat in %gs: the instance is hung or stopped (%s)" % (interval, counters)
    return True, "alive, %d heartbeat(s) in %gs, store reachable (%s)" % (beats, interval, counters)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--interval", type=float, default=3.0, help="seconds between the two scrapes")
    p.add_argument("--timeout", type=float, default=5.0, help="HTTP timeout per scrape")
    p.add_argument("urls", nargs="+", metavar="METRICS_URL")
    a = p.parse_args(argv)
    if a.interval <= 0 or a.timeout <= 0:
        p.error("--interval and --timeout must be positive")
    failed = 0
    for url in a.urls:
        ok, msg = check(url, a.interval, a.timeout)
        print("%s %s: %s" % ("PASS" if ok else "FAIL", url, msg))
        failed += 0 if ok else 1
    print("%d passed, %d failed" % (len(a.urls) - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
