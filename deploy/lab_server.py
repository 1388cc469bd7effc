#!/usr/bin/env python3
"""Webhook receiver for the namespace lab (deploy/lab.sh): a real HTTP/1.1 server.

Answers every request (GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS) with 200 and
{"ok":true,"received":N}, N = number of body bytes received; keep-alive, chunked request
bodies and "Expect: 100-continue" are supported.

Every request is appended to the log file as one JSON line, written and flushed before the
response is sent, so a client that got its answer can read its request from the log:
  {"seq":1,"ts":"2024-...Z","client":"198.18.0.1:40000","method":"POST","path":"/hook",
   "version":"HTTP/1.1","headers":[["Host","..."],...],"complete":true,"body_len":1024,
   "body_sha256":"...","body_b64":"..."}
A request whose body did not arrive completely (peer reset or closed the connection, e.g.
after the appliance rejected it) is logged with "complete":false and what did arrive, and is
not answered.

Usage: lab_server.py --log FILE [--host 198.18.0.2] [--port 8080] [--max-body BYTES] [--quiet]
"""

import argparse
import base64
import datetime
import hashlib
import http.server
import json
import os
import signal
import socket
import sys
import threading


class Log:
    """Append-only JSON-lines log shared by all handler threads."""

    def __init__(self, path):
        self.lock = threading.Lock()
        self.seq = 0
        self.f = open(path, "a", encoding="utf-8")

    def write(self, rec):
        with self.lock:
            self.seq += 1
            rec = {"seq": self.seq, **rec}
            self.f.write(json.dumps(rec, separators=(",", ":")) + "\n")
            self.f.flush()
            return self.seq


class BodyError(Exception):
    def __init__(self, msg, partial=b""):
        super().__init__(msg)
        self.partial = partial


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hookpath-lab-server/1"
    sys_version = ""
    # headers and body go out as two writes: without TCP_NODELAY, Nagle + the client's delayed
    # ACK would add ~40 ms to every keep-alive response
    disable_nagle_algorithm = True

    # -- body reading --------------------------------------------------------------------
    def _read_exact(self, n, got):
        buf = bytearray()
        while len(buf) < n:
            try:
                chunk = self.rfile.read(n - len(buf))
            except (ConnectionError, socket.timeout, OSError) as e:
                raise BodyError(f"read failed: {e}", bytes(got + buf))
            if not chunk:
                raise BodyError("connection closed before the end of the body", bytes(got + buf))
            buf += chunk
        return bytes(buf)

    def _read_line(self, got):
        try:
            line = self.rfile.readline(65537)
        except (ConnectionError, socket.timeout, OSError) as e:
            raise BodyError(f"read failed: {e}", bytes(got))
        if not line.endswith(b"\n"):
            raise BodyError("connection closed inside a chunk header", bytes(got))
        return line

    def _read_body(self):
        te = self.headers.get("Transfer-Encoding", "")
        if te:
            if te.strip().lower() != "chunked":
                raise BodyError(f"unsupported Transfer-Encoding {te!r}")
            body = bytearray()
            while True:
                size_line = self._read_line(body).split(b";", 1)[0].strip()
                try:
                    size = int(size_line, 16)
                except ValueError:
                    raise BodyError(f"bad chunk size {size_line!r}", bytes(body))
                if size == 0:
                    while self._read_line(body) not in (b"\r\n", b"\n"):  # trailers
                        pass
                    return bytes(body)
                if len(body) + size > self.server.max_body:
                    raise BodyError("body too large", bytes(body))
                body += self._read_exact(size, body)
                self._read_exact(2, body)  # CRLF after the chunk
        cl = self.headers.get("Content-Length")
        if cl is None:
            return b""
        try:
            n = int(cl)
        except ValueError:
            raise BodyError(f"bad Content-Length {cl!r}")
        if n < 0 or n > self.server.max_body:
            raise BodyError(f"Content-Length {n} out of range")
        return self._read_exact(n, b"")

    # -- request handling ----------------------------------------------------------------
    def _record(self, body, complete, error=None):
        rec = {
            "ts": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z"),
            "client": f"{self.client_address[0]}:{self.client_address[1]}",
            "method": self.command,
            "path": self.path,
            "version": self.request_version,
            "headers": [[k, v] for k, v in self.headers.items()],
            "complete": complete,
            "body_len": len(body),
            "body_sha256": hashlib.sha256(body).hexdigest(),
            "body_b64": base64.b64encode(body).decode("ascii"),
        }
        if error:
            rec["error"] = error
        return self.server.log.write(rec)

    def _handle(self):
        try:
            body = self._read_body()
        except BodyError as e:
            self._record(e.partial, False, str(e))
            self.log_message("incomplete %s %s: %s (%d bytes)", self.command, self.path, e, len(e.partial))
            self.close_connection = True
            return
        self._record(body, True)
        out = json.dumps({"ok": True, "received": len(body)}, separators=(",", ":")).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(out)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle

    def log_message(self, fmt, *args):
        if not self.server.quiet:
            sys.stderr.write("lab_server: %s %s\n" % (self.address_string(), fmt % args))


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--host", default="198.18.0.2")
    ap.add_argument("--port", type=int, default=8080)
    ap.add_argument("--log", required=True, help="JSON-lines request log (appended)")
    ap.add_argument("--max-body", type=int, default=64 << 20)
    ap.add_argument("--quiet", action="store_true", help="no per-request lines on stderr")
    a = ap.parse_args()

    srv = Server((a.host, a.port), Handler)
    srv.log = Log(a.log)
    srv.max_body = a.max_body
    srv.quiet = a.quiet

    def stop(signum, frame):
        threading.Thread(target=srv.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"lab_server: listening on {a.host}:{a.port} (pid {os.getpid()}), log {a.log}", flush=True)
    try:
        srv.serve_forever(poll_interval=0.2)
    finally:
        srv.server_close()
        print(f"lab_server: stopped after {srv.log.seq} requests", flush=True)


if __name__ == "__main__":
    main()
