#!/usr/bin/env python3
"""A TLS front for a plain-HTTP endpoint (the moto emulator, the federation stand-in), with a
certificate from a throwaway private CA: what a TLS-inspecting proxy looks like to a client. The
client's TLS ends here, and each request goes on, unchanged (its Host header too, so signatures
still verify), to --backend over HTTP; the answer comes back the same way.

- the CA and the server certificate (for 127.0.0.1, ::1 and localhost) are made fresh, with the
  `cryptography` package (tests/emulator/private_ca.py), in --dir (else a temporary directory,
  removed at exit);
- one thread per connection, HTTP/1.1 keep-alive, the TLS handshake in the connection's thread:
  an SDK's pooled connections and many requests at once are served;
- a client that refuses the certificate (it does not trust the CA) is counted and let go.

It prints one JSON line, {"endpoint": "https://127.0.0.1:PORT", "ca": "/path/ca.pem"} (also
written to --info-file), and serves until its parent goes away (with --info-file, until killed).
`GET /_tls_front/stats` (answered here, not forwarded) returns {"connections", "requests",
"refused"} (handshakes that failed).

Usage: tls_front.py --backend http://127.0.0.1:5000 [--dir DIR] [--port 0] [--info-file F]
"""
import argparse
import http.client
import http.server
import json
import os
import shutil
import ssl
import sys
import tempfile
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import private_ca  # noqa: E402

# Headers for one hop only: not passed on, either way.
HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer",
       "upgrade", "content-length"}


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.refused = 0

    def add(self, name):
        with self.lock:
            setattr(self, name, getattr(self, name) + 1)

    def json(self):
        with self.lock:
            return {"connections": self.connections, "requests": self.requests, "refused": self.refused}


class Front(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024

    def __init__(self, address, context, backend, stats):
        super().__init__(address, Handler)
        self.context = context
        self.backend = backend
        self.stats = stats

    def finish_request(self, request, client_address):
        # The handshake here, in the connection's own thread: one slow or refusing client holds
        # up no other.
        request.settimeout(30)
        try:
            tls = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            self.stats.add("refused")
            return
        self.stats.add("connections")
        try:
            self.RequestHandlerClass(tls, client_address, self)
        finally:
            try:
                tls.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        # A client that went away mid-answer is no news.
        pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # An idle keep-alive connection is closed after this long.
    timeout = 60

    def log_message(self, *args):
        pass

    def read_body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def answer(self, status, headers, body):
        self.send_response_only(status)
        for k, v in headers:
            if k.lower() not in HOP:
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def forward(self):
        self.server.stats.add("requests")
        body = self.read_body()
        if self.command == "GET" and self.path == "/_tls_front/stats":
            data = json.dumps(self.server.stats.json()).encode()
            return self.answer(200, [("Content-Type", "application/json")], data)
        host, port = self.server.backend
        conn = http.client.HTTPConnection(host, port, timeout=300)
        try:
            conn.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                if k.lower() not in HOP:
                    conn.putheader(k, v)
            if body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body or None)
            resp = conn.getresponse()
            data = resp.read()
            self.answer(resp.status, resp.getheaders(), data)
        except OSError as e:
            msg = f"tls_front: the backend failed: {e}".encode()
            self.answer(502, [("Content-Type", "text/plain")], msg)
        finally:
            conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = forward


def start(backend, directory, port=0):
    """Starts the front in a thread; returns (server, ca)."""
    url = urllib.parse.urlsplit(backend)
    if url.scheme != "http" or not url.hostname:
        raise SystemExit(f"--backend must be http://HOST:PORT, not {backend}")
    ca = private_ca.make(directory)
    server = Front(("127.0.0.1", port), ca.server_context(), (url.hostname, url.port or 80), Stats())
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, ca


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--backend", required=True, help="http://HOST:PORT that requests go on to")
    p.add_argument("--dir", help="where the CA and certificates are written (else a temporary directory)")
    p.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: a free one)")
    p.add_argument("--info-file", help="also write the JSON here (for scripts that run it in the background)")
    args = p.parse_args()
    directory = args.dir or tempfile.mkdtemp(prefix="rolecall-tls-front-")
    try:
        server, ca = start(args.backend, directory, args.port)
        info = json.dumps({"endpoint": f"https://127.0.0.1:{server.server_address[1]}", "ca": ca.ca_pem})
        if args.info_file:
            tmp = args.info_file + ".tmp"
            with open(tmp, "w") as f:
                f.write(info)
            os.replace(tmp, args.info_file)
        print(info, flush=True)
        parent = os.getppid()
        while args.info_file or os.getppid() == parent:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    finally:
        if not args.dir:
            shutil.rmtree(directory, ignore_errors=True)


if __name__ == "__main__":
    main()
