"""The local webhook receiver keeps every notification per channel, like a Slack webhook."""

from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from http.server import ThreadingHTTPServer

import pytest

from dataflow.monitoring.sink import make_handler, read_channel


@pytest.fixture
def sink(tmp_path):
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", tmp_path
    server.shutdown()


def post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=5) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""


def test_a_posted_message_is_kept_in_its_channel_and_answered_ok(sink):
    url, folder = sink
    assert post(f"{url}/hooks/chat", json.dumps({"text": "hi"}).encode()) == (200, b"ok")
    assert [e["payload"] for e in read_channel(folder, "chat")] == [{"text": "hi"}]
    with urllib.request.urlopen(f"{url}/hooks/chat", timeout=5) as resp:
        assert json.load(resp)[0]["payload"] == {"text": "hi"}
    assert read_channel(folder, "oncall") == []


def test_invalid_json_and_unknown_paths_are_refused(sink):
    url, folder = sink
    assert post(f"{url}/hooks/chat", b"{not json")[0] == 400
    assert post(f"{url}/elsewhere", b"{}")[0] == 404
    assert read_channel(folder, "chat") == []
