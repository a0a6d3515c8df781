"""A local webhook receiver standing in for Slack and the pager when no URL is configured.

``POST /hooks/<channel>`` appends the JSON body, with the time it arrived, as one line to
``<DATAFLOW_HOME>/monitoring/notifications/<channel>.jsonl`` and answers ``ok`` like a Slack
incoming webhook. ``GET /hooks/<channel>`` returns what arrived so far (for the demo and the
tests). Run: ``python -m dataflow.monitoring.sink --port N --dir PATH``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

CHANNEL = re.compile(r"^/hooks/([a-z][a-z0-9_-]{0,40})$")


def notifications_dir(home: Path) -> Path:
    return home / "monitoring" / "notifications"


def read_channel(folder: Path, channel: str) -> list[dict]:
    """Every notification received on ``channel``, oldest first."""
    path = folder / f"{channel}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def make_handler(folder: Path):
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def _channel(self) -> str | None:
            match = CHANNEL.match(self.path)
            if match is None:
                self.send_error(404, "POST to /hooks/<channel>")
                return None
            return match.group(1)

        def _reply(self, status: int, body: bytes, kind: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):  # noqa: N802 - http.server's naming
            channel = self._channel()
            if channel is None:
                return
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            try:
                payload = json.loads(raw or b"null")
            except ValueError:
                self._reply(400, b"invalid JSON")
                return
            entry = {"received_at": datetime.now(UTC).isoformat(), "payload": payload}
            with lock:
                folder.mkdir(parents=True, exist_ok=True)
                with open(folder / f"{channel}.jsonl", "a") as out:
                    out.write(json.dumps(entry) + "\n")
            self._reply(200, b"ok")

        def do_GET(self):  # noqa: N802
            channel = self._channel()
            if channel is not None:
                body = json.dumps(read_channel(folder, channel)).encode()
                self._reply(200, body, "application/json")

        def log_message(self, fmt, *args):  # quiet: one line per request is noise here
            pass

    return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--dir", type=Path, required=True)
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), make_handler(args.dir))
    server.serve_forever()


if __name__ == "__main__":
    main()
