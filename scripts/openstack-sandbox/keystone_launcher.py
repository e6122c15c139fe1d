#!/usr/bin/env python3
"""Serves Keystone's public WSGI app for the test sandbox (what keystone-wsgi-public does),
and exits when the test process that started it is gone, even if that one was SIGKILLed.

Config comes from OS_KEYSTONE_CONFIG_FILES, as for keystone-wsgi-public.
usage: keystone_launcher.py HOST PORT
"""
import os
import sys
import threading
import time
import wsgiref.simple_server as wss

from keystone.server.wsgi import initialize_public_application


def _exit_with_parent():
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(1)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, daemon=True).start()


class _QuietHandler(wss.WSGIRequestHandler):
    def log_message(self, *_args):  # the access log goes to keystone.log already
        pass


if __name__ == "__main__":
    _exit_with_parent()
    host, port = sys.argv[1], int(sys.argv[2])
    # Keystone parses sys.argv with oslo.config: leave it only the program name.
    sys.argv[1:] = []
    server = wss.make_server(host, port, initialize_public_application(), handler_class=_QuietHandler)
    sys.stdout.write("keystone listening on %s:%d\n" % (host, port))
    sys.stdout.flush()
    server.serve_forever()
