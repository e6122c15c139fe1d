# Keystone's public WSGI app on a threaded wsgiref server (keystone-wsgi-public serves one
# request at a time; Tacker and Heat call it concurrently).
# usage: OS_KEYSTONE_CONFIG_FILES=keystone.conf /usr/bin/python3 keystone_serve.py HOST PORT
import socketserver
import sys
import wsgiref.simple_server as wss

from keystone.server.wsgi import initialize_public_application


class Server(socketserver.ThreadingMixIn, wss.WSGIServer):
    daemon_threads = True


class Quiet(wss.WSGIRequestHandler):
    def log_message(self, *a):
        pass


host, port = sys.argv[1], int(sys.argv[2])
sys.argv[1:] = []
wss.make_server(host, port, initialize_public_application(), server_class=Server,
                handler_class=Quiet).serve_forever()
