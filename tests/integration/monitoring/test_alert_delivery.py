"""Alert state and delivery against real Postgres, the moto SNS→SQS path and a chat receiver."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import ThreadingHTTPServer

import pytest

from dataflow.monitoring.alerts import UndeliveredNotifications, process_conditions
from dataflow.monitoring.checks import CheckResult, Condition
from dataflow.monitoring.sink import make_handler, read_channel

pytestmark = pytest.mark.integration


@pytest.fixture
def oncall_queue(settings):
    """An SQS queue subscribed (raw delivery) to the platform alerts topic."""
    from tests.alerts_support import alerts_topic_queue

    with alerts_topic_queue(settings, "oncall") as receive:
        yield lambda: [json.loads(body) for body in receive()]


@pytest.fixture
def chat(settings, tmp_path):
    """A local chat webhook receiver; settings pointing at it."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(tmp_path))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks/chat"
    yield replace(settings, chat_webhook_url=url), lambda: read_channel(tmp_path, "chat")
    server.shutdown()


def condition(severity: str, table: str) -> Condition:
    return Condition(
        "DataFreshnessSLABreached",
        severity,
        {"layer": "test", "table": table},
        f"test.{table} is stale",
        "injected by the test",
    )


def freshness(*active) -> list[CheckResult]:
    return [CheckResult("monitor_data_freshness", ("DataFreshnessSLABreached",), list(active))]


@pytest.fixture
def table_name(warehouse):
    name = f"t_{uuid.uuid4().hex[:8]}"
    yield name
    warehouse.execute("delete from audit.alert_state where labels->>'table' = %s", (name,))


def mine(messages, table):
    return [m for m in messages if m["labels"].get("table") == table]


def test_a_critical_alert_pages_once_then_resolves_once(settings, oncall_queue, table_name):
    now = datetime.now(UTC)
    stale = condition("critical", table_name)
    # WHEN three runs see the condition, then one run sees it cleared
    for minutes in (0, 15, 30):
        process_conditions(settings, freshness(stale), now + timedelta(minutes=minutes))
    first = mine(oncall_queue(), table_name)
    process_conditions(settings, freshness(), now + timedelta(minutes=45))
    second = mine(oncall_queue(), table_name)
    # THEN SNS carried one firing message, then one resolution
    assert [m["status"] for m in first] == ["firing"]
    assert [m["status"] for m in second] == ["resolved"]
    assert first[0]["runbook_url"].endswith("#datafreshnessslabreached")
    assert first[0]["fingerprint"] == second[0]["fingerprint"] == stale.fingerprint


def test_an_open_alert_is_reminded_after_the_renotify_interval(settings, oncall_queue, table_name):
    now = datetime.now(UTC)
    stale = condition("critical", table_name)
    process_conditions(settings, freshness(stale), now)
    later = now + timedelta(minutes=settings.alert_renotify_minutes)
    process_conditions(settings, freshness(stale), later)
    assert [m["status"] for m in mine(oncall_queue(), table_name)] == ["firing", "reminder"]


def test_a_warning_goes_to_chat_not_to_sns(chat, oncall_queue, table_name):
    settings, received = chat
    process_conditions(settings, freshness(condition("warning", table_name)), datetime.now(UTC))
    texts = [m["payload"]["text"] for m in received()]
    assert any(f"table={table_name}" in t or table_name in t for t in texts)
    assert mine(oncall_queue(), table_name) == []


def test_an_unreachable_chat_webhook_fails_the_run_and_the_next_run_retries(
    settings, warehouse, table_name, chat
):
    down = replace(settings, chat_webhook_url="http://127.0.0.1:9/hooks/chat")
    warning = condition("warning", table_name)
    with pytest.raises(UndeliveredNotifications, match="chat"):
        process_conditions(down, freshness(warning), datetime.now(UTC))
    up, received = chat
    run = process_conditions(up, freshness(warning), datetime.now(UTC))
    assert [t.split(":")[0] for t in run.to_dict()["transitions"]] == ["firing"]
    assert len(received()) == 1
