"""``generate_landing_data`` writes the landing layout and its manifest to the moto server."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from dataflow import contracts
from dataflow.generate import GenerationConfig, generate_landing_data

pytestmark = pytest.mark.integration

# An anchor no other test uses, so this test's keys never mix with theirs.
ANCHOR = datetime(2031, 3, 1, 5, tzinfo=UTC)
CONFIG = GenerationConfig.for_scale("small", anchor=ANCHOR, increment_hours=2, part_rows=1_500)


@pytest.fixture(scope="module")
def generated(settings):
    """One small run into the landing bucket; its objects are removed afterwards."""
    from dataflow.aws import s3_client

    manifest = generate_landing_data(settings, CONFIG, progress=False)
    yield manifest
    s3 = s3_client(settings)
    for key in [f.key for f in manifest.files] + [manifest.manifest_key]:
        s3.delete_object(Bucket=settings.landing_bucket, Key=key)


def _keys_under(s3, bucket: str, prefix: str) -> list[str]:
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
    return sorted(obj["Key"] for page in pages for obj in page.get("Contents", []))


def test_every_source_lands_under_every_hour(settings, s3, generated):
    assert generated.hours == CONFIG.hours
    for source in contracts.BATCH_SOURCES:
        for hour in CONFIG.hours:
            keys = _keys_under(s3, settings.landing_bucket, contracts.landing_prefix(source, hour))
            assert keys == sorted(f.key for f in generated.files_for(source, hour)), (source, hour)
            assert keys, (source, hour)


def test_big_backfill_file_is_split_into_parts(settings, s3, generated):
    prefix = contracts.landing_prefix("transactions", ANCHOR)

    keys = _keys_under(s3, settings.landing_bucket, prefix)

    assert [k.removeprefix(prefix) for k in keys] == [
        "transactions_2031030105_part0001.csv",
        "transactions_2031030105_part0002.csv",
    ]


def test_objects_hold_the_rows_the_manifest_counts(settings, s3, generated):
    for entry in generated.files:
        body = s3.get_object(Bucket=settings.landing_bucket, Key=entry.key)["Body"].read()
        header = 1 if entry.key.endswith(".csv") else 0
        assert body.count(b"\n") == entry.rows + header, entry.key


def test_manifest_object_equals_the_returned_manifest(settings, s3, generated):
    key = f"landing/_manifests/{CONFIG.run_name}.json"

    stored = s3.get_object(Bucket=settings.landing_bucket, Key=key)["Body"].read()

    assert generated.manifest_key == key
    document = json.loads(stored)
    assert document == json.loads(generated.to_json())
    assert document["hours"] == ["2031-03-01T05:00:00Z", "2031-03-01T06:00:00Z",
                                 "2031-03-01T07:00:00Z"]  # fmt: skip
    assert sum(document["defects_by_kind"].values()) > 0


def test_defect_lines_point_at_damaged_rows_in_the_objects(settings, s3, generated):
    entry = next(f for f in generated.files_for("transactions") if f.defects.get("wrong_type"))
    body = s3.get_object(Bucket=settings.landing_bucket, Key=entry.key)["Body"].read()
    lines = body.split(b"\n")

    for number in entry.defect_lines["wrong_type"]:
        fields = lines[number - 1].split(b",")
        assert b"abc" in fields or b"not-a-date" in fields
