#!/usr/bin/env python3
"""A forwarding HTTP proxy that adds a fixed delay to every request, so
that moto answers with roughly the latency of a real AWS endpoint.

    nuke_latency_proxy.py UPSTREAM_URL DELAY_MS   (prints the port it listens on)

moto answers in a few milliseconds from one Python process; AWS answers in
tens of milliseconds from many machines. Waiting is where a cleaner's
parallelism pays off, and moto alone has almost none of it. The delay is
slept before forwarding (on the request's own thread, without holding the
interpreter lock), so concurrent requests overlap their delays as they
would overlap AWS's latency. bench/nuke uses it for an extra, labelled
measurement; its headline numbers are against plain moto.
"""
import http.client
import http.server
import socketserver
import sys
import time
import urllib.parse

HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade", "te",
       "trailer", "proxy-authenticate", "proxy-authorization"}


def handler_for(upstream, delay):
    target = urllib.parse.urlsplit(upstream)

    class Forward(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def forward(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else None
            time.sleep(delay)
            conn = getattr(self.server.local, "conn", None)
            headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
            for attempt in (0, 1):
                if conn is None:
                    conn = http.client.HTTPConnection(target.hostname, target.port, timeout=300)
                    self.server.local.conn = conn
                try:
                    conn.request(self.command, self.path, body=body, headers=headers)
                    resp = conn.getresponse()
                    data = resp.read()
                    break
                except (http.client.HTTPException, OSError):
                    conn.close()
                    conn = self.server.local.conn = None
                    if attempt:
                        raise
            self.send_response(resp.status, resp.reason)
            for k, v in resp.getheaders():
                if k.lower() not in HOP and k.lower() != "content-length":
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_PATCH = forward

    return Forward


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 256

    def __init__(self, *a):
        super().__init__(*a)
        import threading
        self.local = threading.local()


def main():
    upstream, delay_ms = sys.argv[1], float(sys.argv[2])
    srv = Server(("127.0.0.1", 0), handler_for(upstream, delay_ms / 1000.0))
    print(srv.server_address[1], flush=True)
    srv.serve_forever()


if __name__ == "__main__":
    main()
