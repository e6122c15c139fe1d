#!/usr/bin/env python3
"""Runs Debian's heat-all for the test sandbox with two in-process fixes.

1. heat-all with the in-process fake:// transport loses the request credentials when the
   engine emits the autoscaling notification, so every ScalingPolicy signal fails with
   AuthorizationFailure. Nothing in the sandbox consumes notifications: make notify a no-op.
2. Optional (SNF_HEAT_FAST=1): the engine sleeps between polls of resource progress for
   up to seconds; tests need create/scale/delete in about a second, so cap the sleep.

heat.cmd.all must be imported first: it monkey-patches eventlet before anything else loads.
"""
import os
import sys

import heat.cmd.all as heat_all  # noqa: E402  (monkey-patches eventlet on import)

from heat.engine import notification


def _no_notify(*_args, **_kwargs):
    return None


notification.notify = _no_notify
# Modules that did `from heat.engine import notification` call notification.notify at call
# time, so patching the attribute on the module is enough; these also import submodules.
try:
    from heat.engine.notification import autoscaling as _as_notify
    _as_notify.send = lambda *a, **k: None
except Exception:  # pragma: no cover - layout differs between Heat releases
    pass
try:
    from heat.engine.notification import stack as _stack_notify
    _stack_notify.send = lambda *a, **k: None
except Exception:  # pragma: no cover
    pass

if os.environ.get("SNF_HEAT_FAST") == "1":
    import eventlet
    from heat.engine import scheduler

    # ENABLE_SLEEP=False drops the 1 s pause between convergence traversals; TaskRunner's own
    # polling sleep is kept but capped, so green threads still yield to each other.
    scheduler.ENABLE_SLEEP = False

    def _short_sleep(self, wait_time):
        if wait_time is not None:
            eventlet.sleep(min(wait_time, 0.05))

    scheduler.TaskRunner._sleep = _short_sleep

def _exit_with_parent():
    """Dies when the test process that started us is gone (even if it was SIGKILLed).

    The harness starts us detached, so our parent is the test process; when it dies we are
    re-parented and getppid() changes. A real OS thread with the unpatched sleep, so it runs
    whatever the eventlet hub is doing.
    """
    import eventlet.patcher

    threading = eventlet.patcher.original("threading")
    time = eventlet.patcher.original("time")
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


if __name__ == "__main__":
    if os.environ.get("SNF_EXIT_WITH_PARENT") == "1":
        _exit_with_parent()
    sys.argv[0] = "heat-all"
    sys.exit(heat_all.main())
