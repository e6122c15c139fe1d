# Debian's heat-all (API + CFN API + engine in one process) with two changes for a lab:
# - notifications dropped: oslo.messaging 14's _sanitize_context() rebuilds the context without
#   credentials, and every ScalingPolicy signal then fails with AuthorizationFailure; nobody
#   consumes them here;
# - HEAT_FAST_POLL=<s>: the engine's 1 s polls/staggers capped (Tacker's scale/heal are stack
#   updates of nested groups: this takes several seconds off each operation).
# usage: /usr/bin/python3 heat_all.py --config-file heat.conf
import os
import sys

from heat.cmd import all as heat_all  # must be first: eventlet.monkey_patch()
from heat.engine import notification

notification.notify = lambda *a, **k: None
poll = os.environ.get("HEAT_FAST_POLL")
if poll:
    import eventlet
    from heat.engine import scheduler
    scheduler.ENABLE_SLEEP = False

    def _sleep(self, wait_time):
        if wait_time is not None:
            eventlet.sleep(min(wait_time, float(poll)))
    scheduler.TaskRunner._sleep = _sleep
sys.exit(heat_all.main())
