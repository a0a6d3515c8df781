"""Fault injection for the integration tests: an HTTP proxy in front of the moto server.

:class:`S3FaultProxy` forwards every request to the real moto endpoint and, when told to,
answers ``GetObject`` with ``503 SlowDown`` (S3's throttling) or cuts the response body
after some bytes with a TCP reset or a plain close (a short read) — the faults a long S3
stream meets in production.
Ports come from ``DATAFLOW_PORT_RANGE`` (the worktree's block) when set, else the OS picks.
"""

from __future__ import annotations

import http.client
import os
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_HEADERS = {"connection", "keep-alive", "transfer-encoding", "proxy-connection"}
SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message></Error>"
)


def free_port() -> int:
    """A free 127.0.0.1 port from ``DATAFLOW_PORT_RANGE`` (e.g. ``9300-9399``), else any."""
    low, _, high = os.environ.get("DATAFLOW_PORT_RANGE", "").partition("-")
    candidates = range(int(low), int(high) + 1) if low and high else [0]
    for port in candidates:
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return sock.getsockname()[1]
    raise RuntimeError(f"no free port in DATAFLOW_PORT_RANGE={os.environ['DATAFLOW_PORT_RANGE']}")


class S3FaultProxy:
    """A forwarding proxy with switchable faults on ``GET`` of object keys under ``prefix``."""

    def __init__(self, upstream: str, prefix: str):
        self.upstream = urlsplit(upstream)
        self.prefix = prefix
        self.throttle_next = 0  # answer this many matching GETs with 503 SlowDown
        self.reset_after_bytes: int | None = None  # cut matching GET bodies after N bytes
        self.resets_left = 0
        self.reset_with_rst = True  # False: a clean close (FIN) instead, a short read
        self.log: list[tuple[str, str, str | None, int]] = []  # method, path, Range, status
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> S3FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._server.shutdown()
        self._server.server_close()

    def object_gets(self) -> list[tuple[str | None, int]]:
        """(Range header, status) of every GET of a matching object so far."""
        return [(rng, status) for method, path, rng, status in self.log if method == "GET"
                and self.prefix in path and "list-type" not in path]  # fmt: skip

    def _fault_for(self, method: str, path: str) -> str | None:
        if method != "GET" or self.prefix not in path or "list-type" in path:
            return None
        with self._lock:
            if self.throttle_next:
                self.throttle_next -= 1
                return "throttle"
            if self.reset_after_bytes is not None and self.resets_left:
                self.resets_left -= 1
                return "reset"
        return None

    def _handler(self):
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:  # keep pytest output clean
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                fault = proxy._fault_for(self.command, self.path)
                rng = self.headers.get("Range")
                if fault == "throttle":
                    proxy.log.append((self.command, self.path, rng, 503))
                    self._send(503, {"Content-Type": "application/xml"}, SLOW_DOWN)
                    return
                upstream = http.client.HTTPConnection(
                    proxy.upstream.hostname, proxy.upstream.port, timeout=60
                )
                try:
                    headers = {
                        k: v for k, v in self.headers.items() if k.lower() not in HOP_HEADERS
                    }
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    response = upstream.getresponse()
                    data = response.read()
                finally:
                    upstream.close()
                proxy.log.append((self.command, self.path, rng, response.status))
                out_headers = {
                    k: v for k, v in response.getheaders() if k.lower() not in HOP_HEADERS
                }
                if fault == "reset" and len(data) > proxy.reset_after_bytes:
                    self._send_then_reset(response.status, out_headers, data)
                    return
                self._send(response.status, out_headers, data)

            def _send(self, status: int, headers: dict, data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length" or self.command == "HEAD":
                        self.send_header(key, value)
                if self.command != "HEAD":
                    self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(data)

            def _send_then_reset(self, status: int, headers: dict, data: bytes) -> None:
                self.send_response(status)
                for key, value in headers.items():
                    if key.lower() != "content-length":
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: proxy.reset_after_bytes])
                self.wfile.flush()
                if proxy.reset_with_rst:  # SO_LINGER 0: close() sends a TCP RST
                    self.connection.setsockopt(
                        socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                    )
                self.close_connection = True
                self.connection.close()

            do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = _forward

        return Handler
