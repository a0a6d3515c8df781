"""dbt vars for a data interval: ISO-8601 UTC, and clear errors on ambiguous input."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from dataflow.transform import dbt_vars


def test_dbt_vars_gives_iso_utc_bounds_of_the_interval():
    start = datetime(2024, 12, 31, 23, tzinfo=UTC)

    result = dbt_vars(start, start + timedelta(hours=1))

    assert result == {
        "data_interval_start": "2024-12-31T23:00:00+00:00",
        "data_interval_end": "2025-01-01T00:00:00+00:00",
    }


def test_dbt_vars_converts_other_offsets_to_utc():
    paris = timezone(timedelta(hours=1))

    result = dbt_vars(datetime(2025, 1, 1, 1, tzinfo=paris), datetime(2025, 1, 1, 2, tzinfo=paris))

    assert result["data_interval_start"] == "2025-01-01T00:00:00+00:00"
    assert result["data_interval_end"] == "2025-01-01T01:00:00+00:00"


def test_dbt_vars_accepts_airflow_pendulum_datetimes():
    import pendulum

    start = pendulum.datetime(2025, 3, 1, 5, tz="UTC")

    result = dbt_vars(start, start.add(hours=1))

    assert result["data_interval_end"] == "2025-03-01T06:00:00+00:00"


def test_dbt_vars_rejects_naive_datetimes():
    with pytest.raises(ValueError, match="no time zone"):
        dbt_vars(datetime(2025, 1, 1), datetime(2025, 1, 1, 1, tzinfo=UTC))


def test_dbt_vars_rejects_an_interval_that_does_not_move_forward():
    moment = datetime(2025, 1, 1, tzinfo=UTC)

    with pytest.raises(ValueError, match="must be after its start"):
        dbt_vars(moment, moment)


def test_replacing_a_file_gives_the_new_bytes_and_leaves_no_temporary_file(tmp_path):
    from dataflow.transform import replace_file_atomically

    source, destination = tmp_path / "new.json", tmp_path / "out" / "manifest.json"
    source.write_bytes(b'{"v": 2}')

    replace_file_atomically(source, destination)

    assert destination.read_bytes() == b'{"v": 2}'
    assert [p.name for p in destination.parent.iterdir()] == ["manifest.json"]


def test_a_reader_never_sees_a_half_written_manifest(tmp_path):
    """GIVEN a reader parsing it in a loop WHEN it is replaced 40 times THEN every read parses."""
    import json
    import threading

    from dataflow.transform import replace_file_atomically

    destination = tmp_path / "manifest.json"
    versions = []
    for n in range(2):
        path = tmp_path / f"v{n}.json"
        path.write_text(json.dumps({"version": n, "nodes": ["x" * 64] * 40_000}))  # ~2.8 MB
        versions.append(path)
    replace_file_atomically(versions[0], destination)
    seen, broken, done = set(), [], threading.Event()

    def read_until_done():
        while not done.is_set():
            try:
                seen.add(json.loads(destination.read_bytes())["version"])
            except ValueError as exc:
                broken.append(exc)

    reader = threading.Thread(target=read_until_done)
    reader.start()
    try:
        for n in range(40):
            replace_file_atomically(versions[n % 2], destination)
    finally:
        done.set()
        reader.join()

    assert broken == []
    assert seen == {0, 1}, "the reader should have seen both versions"
