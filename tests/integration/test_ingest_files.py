"""File-level idempotency, ``load_files``, non-data objects, gzip and the COPY fallback.

Against the real moto server and Postgres. Like ``test_ingest.py``, every test owns a few
landing hours of its own (``hours`` fixture) and removes its files and rows afterwards.
"""

from __future__ import annotations

import gzip
import itertools
import json
import os
from datetime import UTC, datetime, timedelta

import pytest

from dataflow.contracts import SOURCES, TIMESTAMP, landing_key
from dataflow.ingest import (
    LandingKeyError,
    UnreadableFileError,
    load_files,
    load_interval,
    parsers,
    rows,
)

pytestmark = pytest.mark.integration

TX_HEADER = (
    "transaction_id,customer_id,product_id,quantity,transaction_amount,transaction_at,"
    "payment_method,status"
)
HOURS = 4
_BASE = itertools.count(int.from_bytes(os.urandom(4)) % 900_000 * HOURS, HOURS)


def tx_line(i: int, at: str = "2024-01-01T10:00:00Z") -> str:
    return f"{i},{100 + i},{200 + i},1,9.99,{at},paypal,completed"


def tx_file(*ids: int) -> str:
    return "\n".join((TX_HEADER, *(tx_line(i) for i in ids))) + "\n"


@pytest.fixture
def hours(settings, warehouse, s3):
    """The test's landing hours h0..h3; files and rows of them are removed afterwards."""
    start = datetime(2002, 1, 1, tzinfo=UTC) + timedelta(hours=next(_BASE))
    owned = [start + timedelta(hours=i) for i in range(HOURS)]
    yield owned
    end = start + timedelta(hours=HOURS)
    for source in SOURCES:
        for hour in owned:
            listing = s3.list_objects_v2(
                Bucket=settings.landing_bucket, Prefix=landing_key(source, hour, "")
            )
            for obj in listing.get("Contents", []):
                s3.delete_object(Bucket=settings.landing_bucket, Key=obj["Key"])
        warehouse.execute(
            f"delete from raw.{source} where _interval_start >= %s and _interval_start < %s",
            (start, end),
        )
    for table in ("quarantine", "load_audit"):
        warehouse.execute(
            f"delete from audit.{table} where interval_start >= %s and interval_start < %s",
            (start, end),
        )


@pytest.fixture
def land(settings, s3):
    def put(hour: datetime, name: str, body: str | bytes, source: str = "transactions") -> str:
        key = landing_key(source, hour, name)
        data = body.encode() if isinstance(body, str) else body
        s3.put_object(Bucket=settings.landing_bucket, Key=key, Body=data)
        return key

    return put


def rows_by_file(warehouse, hours, source: str = "transactions") -> dict[str, list[tuple]]:
    found = warehouse.execute(
        f"select _source_file, _interval_start, _source_line from raw.{source}"
        " where _interval_start >= %s and _interval_start < %s order by 1, 3",
        (hours[0], hours[-1] + timedelta(hours=1)),
    ).fetchall()
    out: dict[str, list[tuple]] = {}
    for key, hour, line in found:
        out.setdefault(key, []).append((hour, line))
    return out


def audit_rows(warehouse, hours, source: str = "transactions") -> list[tuple]:
    return warehouse.execute(
        "select source_file, interval_start, run_interval_start, run_interval_end, status,"
        " skip_reason, rows_received, rows_loaded, rows_quarantined, rows_rejected_by_postgres"
        " from audit.load_audit where source = %s and interval_start >= %s"
        " and interval_start < %s order by source_file",
        (source, hours[0], hours[-1] + timedelta(hours=1)),
    ).fetchall()


def quarantine_rows(warehouse, hours, source: str = "transactions") -> list[tuple]:
    return warehouse.execute(
        "select source_file, interval_start, line_number, raw_text, reason from audit.quarantine"
        " where source = %s and interval_start >= %s and interval_start < %s"
        " order by source_file, line_number",
        (source, hours[0], hours[-1] + timedelta(hours=1)),
    ).fetchall()


# --- lineage: the landing hour of the file ------------------------------------------------


def test_rows_carry_their_files_landing_hour_whatever_the_run_interval(
    settings, warehouse, land, hours
):
    a = land(hours[0], "a.csv", tx_file(1, 2))
    b = land(hours[1], "b.csv", tx_file(3))

    load_interval(settings, "transactions", hours[0], hours[2], run_id="wide")

    assert rows_by_file(warehouse, hours) == {
        a: [(hours[0], 2), (hours[0], 3)],
        b: [(hours[1], 2)],
    }
    audits = audit_rows(warehouse, hours)
    assert [(r[0], r[1], r[2], r[3], r[4]) for r in audits] == [
        (a, hours[0], hours[0], hours[2], "loaded"),
        (b, hours[1], hours[0], hours[2], "loaded"),
    ]


def test_a_narrower_rerun_inside_a_wider_load_leaves_each_files_rows_once(
    settings, warehouse, land, hours
):
    keys = [land(hours[i], f"f{i}.csv", tx_file(10 * i + 1, 10 * i + 2)) for i in range(3)]
    load_interval(settings, "transactions", hours[0], hours[3], run_id="backfill")

    load_interval(settings, "transactions", hours[1], hours[2], run_id="rerun")

    assert {k: len(v) for k, v in rows_by_file(warehouse, hours).items()} == dict.fromkeys(keys, 2)
    audits = audit_rows(warehouse, hours)
    assert [r[0] for r in audits] == keys  # one audit row per file
    assert [(r[2], r[3]) for r in audits] == [
        (hours[0], hours[3]),
        (hours[1], hours[2]),  # the rerun reloaded only its own file
        (hours[0], hours[3]),
    ]


def test_an_offset_interval_loads_both_hours_it_touches_once(settings, warehouse, land, hours):
    a = land(hours[0], "a.csv", tx_file(1))
    b = land(hours[1], "b.csv", tx_file(2))
    half = timedelta(minutes=30)

    load_interval(settings, "transactions", hours[0] + half, hours[1] + half)
    load_interval(settings, "transactions", hours[0], hours[2])

    assert rows_by_file(warehouse, hours) == {a: [(hours[0], 2)], b: [(hours[1], 2)]}


def test_a_changed_file_replaces_exactly_its_own_rows(settings, warehouse, land, hours):
    a = land(hours[0], "a.csv", tx_file(1, 2, 3))
    b = land(hours[0], "b.csv", tx_file(4, 5))
    load_interval(settings, "transactions", hours[0], hours[1])

    land(hours[0], "a.csv", tx_file(1))  # corrected upstream: fewer rows
    load_files(settings, "transactions", [a])

    assert rows_by_file(warehouse, hours) == {a: [(hours[0], 2)], b: [(hours[0], 2), (hours[0], 3)]}


def test_a_file_gone_from_s3_keeps_its_rows_when_its_interval_is_rerun(
    settings, warehouse, s3, land, hours
):
    a = land(hours[0], "a.csv", tx_file(1))
    b = land(hours[0], "b.csv", tx_file(2))
    load_interval(settings, "transactions", hours[0], hours[1])
    s3.delete_object(Bucket=settings.landing_bucket, Key=a)  # expired by the lifecycle rule

    load_interval(settings, "transactions", hours[0], hours[1])

    assert set(rows_by_file(warehouse, hours)) == {a, b}
    assert [r[0] for r in audit_rows(warehouse, hours)] == [a, b]


# --- load_files -----------------------------------------------------------------------------


def test_load_files_loads_just_the_given_keys_and_records_the_run_interval(
    settings, warehouse, land, hours
):
    a = land(hours[0], "a.jsonl", event(1) + "\n", source="events")
    land(hours[0], "b.jsonl", event(2) + "\n", source="events")
    window = (hours[0] + timedelta(minutes=5), hours[0] + timedelta(minutes=6))

    result = load_files(settings, "events", [a], "micro-1", *window)

    assert [f.source_file for f in result.files] == [a]
    assert list(rows_by_file(warehouse, hours, "events")) == [a]
    assert [(r[0], r[2], r[3]) for r in audit_rows(warehouse, hours, "events")] == [(a, *window)]
    assert result.to_dict()["files"][0]["interval_start"] == hours[0].isoformat()


def test_a_given_key_no_longer_in_the_bucket_costs_only_itself(
    settings, warehouse, s3, land, hours
):
    a = land(hours[0], "a.jsonl", event(1) + "\n", source="events")
    gone = land(hours[0], "gone.jsonl", event(2) + "\n", source="events")
    load_files(settings, "events", [gone], "micro-1")
    s3.delete_object(Bucket=settings.landing_bucket, Key=gone)  # announced, then deleted

    result = load_files(settings, "events", [a, gone], "micro-2")

    assert [f.source_file for f in result.files] == [a]
    assert result.to_dict()["files_missing"] == [gone]
    # an earlier load of the deleted file is left as it was: nothing is lost
    assert sorted(rows_by_file(warehouse, hours, "events")) == [a, gone]
    runs = warehouse.execute(
        "select source_file, run_id from audit.load_audit where source_file = any(%s)", ([a, gone],)
    ).fetchall()
    assert dict(runs) == {a: "micro-2", gone: "micro-1"}


def test_the_hourly_run_after_a_micro_batch_leaves_the_files_rows_once(
    settings, warehouse, land, hours
):
    a = land(hours[0], "a.jsonl", "\n".join(event(i) for i in range(3)) + "\n", source="events")
    load_files(settings, "events", [a], "micro-1")

    load_interval(settings, "events", hours[0], hours[1], run_id="hourly")
    load_files(settings, "events", [a], "micro-2")

    assert [line for _, line in rows_by_file(warehouse, hours, "events")[a]] == [1, 2, 3]
    assert len(audit_rows(warehouse, hours, "events")) == 1


def test_load_files_refuses_a_key_of_another_layout_before_loading_anything(
    settings, warehouse, land, hours
):
    a = land(hours[0], "a.csv", tx_file(1))

    with pytest.raises(LandingKeyError, match="not a landing key of transactions"):
        load_files(settings, "transactions", [a, "landing/customers/2024-01-01/00/c.csv"])

    assert rows_by_file(warehouse, hours) == {}


# --- objects that are not data ------------------------------------------------------------


def test_markers_placeholders_and_temporary_files_are_skipped_and_audited(
    settings, warehouse, land, hours
):
    data = land(hours[0], "part-0.csv", tx_file(1, 2))
    others = {
        land(hours[0], "_SUCCESS", ""): "marker",
        land(hours[0], "", ""): "folder placeholder",
        land(hours[0], "part-1.csv.tmp", tx_file(3)): "temporary file",
        land(hours[0], "part-2.parquet", b"PAR1"): "unexpected file type",
    }

    result = load_interval(settings, "transactions", hours[0], hours[1])

    assert (result.rows_loaded, result.files_skipped) == (2, 4)
    audits = {r[0]: r for r in audit_rows(warehouse, hours)}
    assert audits[data][4:] == ("loaded", None, 2, 2, 0, 0)
    for key, reason in others.items():
        status, skip_reason, *counts = audits[key][4:]
        assert status == "skipped" and reason in skip_reason and counts == [0, 0, 0, 0]
    assert list(rows_by_file(warehouse, hours)) == [data]


# --- gzip -----------------------------------------------------------------------------------


def test_gzip_files_load_streamed_like_plain_ones(settings, warehouse, land, hours):
    body = tx_file(*range(1, 5001)) + "bad line\n"
    plain = land(hours[0], "a.csv", body)
    packed = land(hours[1], "a.csv.gz", gzip.compress(body.encode()))

    result = load_interval(settings, "transactions", hours[0], hours[2])

    counts = [(f.rows_received, f.rows_loaded, f.rows_quarantined) for f in result.files]
    assert counts == [(5001, 5000, 1), (5001, 5000, 1)]
    assert result.files[1].compression == "gzip"
    by_file = rows_by_file(warehouse, hours)
    assert [line for _, line in by_file[plain]] == [line for _, line in by_file[packed]]
    assert [q[2] for q in quarantine_rows(warehouse, hours)] == [5002, 5002]


def test_a_corrupt_gzip_file_fails_the_load_naming_it_and_keeps_the_earlier_state(
    settings, warehouse, land, hours
):
    land(hours[0], "a.csv", tx_file(1))
    load_interval(settings, "transactions", hours[0], hours[1])
    before = rows_by_file(warehouse, hours), audit_rows(warehouse, hours)
    broken = land(hours[0], "b.csv.gz", gzip.compress(tx_file(2, 3).encode())[:-20])

    with pytest.raises(UnreadableFileError, match="truncated") as error:
        load_interval(settings, "transactions", hours[0], hours[1])

    assert error.value.file_key == broken
    assert (rows_by_file(warehouse, hours), audit_rows(warehouse, hours)) == before


# --- when Postgres refuses a row the validation accepted ------------------------------------


def test_a_row_postgres_skips_is_quarantined_with_its_reason_and_the_rest_loads(
    settings, warehouse, land, hours, monkeypatch
):
    # Simulate a gap in the validation: timestamps are no longer checked in Python.
    monkeypatch.setitem(parsers.VALIDATORS, TIMESTAMP, lambda value: value)
    lines = [tx_line(1), tx_line(2, at="2024-01-01T10:00:00+16:00"), tx_line(3)]
    key = land(hours[0], "a.csv", "\n".join((TX_HEADER, *lines)) + "\n")

    result = load_interval(settings, "transactions", hours[0], hours[1])

    assert [line for _, line in rows_by_file(warehouse, hours)[key]] == [2, 4]
    [(file, _, line, raw, reason)] = quarantine_rows(warehouse, hours)
    assert (file, line, raw) == (key, 3, lines[1])
    assert reason.startswith("refused by Postgres: ") and "2024-01-01T10:00:00+16:00" in reason
    assert audit_rows(warehouse, hours)[0][6:] == (3, 2, 1, 1)
    assert result.files[0].rows_rejected_by_postgres == 1


def test_a_row_that_makes_copy_fail_outright_is_quarantined_and_the_rest_loads(
    settings, warehouse, land, hours, monkeypatch
):
    # Simulate a bug in the encoder: a value with a comma is sent unquoted, so COPY fails
    # with a hard error (not one ON_ERROR ignores) that names its line.
    real_field = rows.csv_field
    monkeypatch.setattr(rows, "csv_field", lambda v: v if v and "," in v else real_field(v))
    lines = [tx_line(1), tx_line(2).replace("paypal", '"pay,pal"'), tx_line(3), tx_line(4)]
    key = land(hours[0], "a.csv", "\n".join((TX_HEADER, *lines)) + "\n")

    result = load_interval(settings, "transactions", hours[0], hours[1])

    assert [line for _, line in rows_by_file(warehouse, hours)[key]] == [2, 4, 5]
    [(_, _, line, raw, reason)] = quarantine_rows(warehouse, hours)
    assert (line, raw) == (3, lines[1])
    assert reason.startswith("refused by Postgres: extra data after last expected column")
    assert result.files[0].rows_rejected_by_postgres == 1


def event(i: int, **extra) -> str:
    return json.dumps(
        {
            "event_id": f"00000000-0000-4000-8000-{i:012d}",
            "event_type": "page_view",
            "customer_id": i,
            "occurred_at": "2024-01-01T10:00:00Z",
            **extra,
        }
    )
