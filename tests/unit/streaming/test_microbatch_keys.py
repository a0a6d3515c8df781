"""Which files a micro-batch run loads: the event files its S3 notifications name."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from types import SimpleNamespace

from dataflow.settings import load_settings
from dataflow.streaming.microbatch import keys_from_asset_events, landing_hours

SETTINGS = load_settings({})


def notification(key, bucket="dataflow-landing", event="ObjectCreated:Put"):
    return json.dumps(
        {
            "Records": [
                {"eventName": event, "s3": {"bucket": {"name": bucket}, "object": {"key": key}}}
            ]
        }
    )


def asset_event(*bodies):
    return SimpleNamespace(
        extra={
            "from_trigger": True,
            "payload": {"status": "success", "message_batch": [{"Body": b} for b in bodies]},
        }
    )


def test_created_event_files_of_the_landing_bucket_are_loaded_once_each():
    key = "landing/events/2026-12-01/09/transaction_events-shardId-0-5.jsonl"
    events = [asset_event(notification(key), notification(key)), asset_event(notification(key))]

    assert keys_from_asset_events(SETTINGS, events) == [key]


def test_test_events_other_prefixes_buckets_and_removals_are_ignored():
    events = [
        asset_event(
            json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}),
            notification("landing/customers/2026-12-01/09/c.csv"),
            notification("landing/events/2026-12-01/09/a.jsonl", bucket="elsewhere"),
            notification("landing/events/2026-12-01/09/b.jsonl", event="ObjectRemoved:Delete"),
            "not json",
        )
    ]

    assert keys_from_asset_events(SETTINGS, events) == []


def test_keys_arrive_url_encoded_and_are_decoded():
    events = [asset_event(notification("landing/events/2026-12-01/09/a+b%3D1.jsonl"))]

    assert keys_from_asset_events(SETTINGS, events) == ["landing/events/2026-12-01/09/a b=1.jsonl"]


def test_landing_hours_are_read_from_the_keys():
    keys = [
        "landing/events/2026-12-01/09/a.jsonl",
        "landing/events/2026-12-01/10/b.jsonl",
        "landing/events/2026-12-01/09/c.jsonl",
    ]

    assert landing_hours(keys) == [datetime(2026, 12, 1, h, tzinfo=UTC) for h in (9, 10)]
