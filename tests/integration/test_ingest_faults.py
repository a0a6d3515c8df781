"""Faults in the middle of a load: S3 throttling and resets, Postgres restarted.

S3 faults come from :class:`~tests.integration.faults.S3FaultProxy` in front of the real
moto server; the Postgres restart is a real ``pg_ctl restart`` of a cluster of this module's
own (the session's cluster serves every other test). Either way the interval ends up loaded
exactly once: in the same call when the loader can resume (S3 streams), or by the task's
retry after a failed call that committed nothing (Postgres gone).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from dataflow.contracts import landing_key
from dataflow.ingest import LandingFileError, load_interval
from dataflow.ingest.s3object import MAX_RESUMES
from tests.integration.faults import S3FaultProxy, free_port

pytestmark = pytest.mark.integration

TX_HEADER = (
    "transaction_id,customer_id,product_id,quantity,transaction_amount,transaction_at,"
    "payment_method,status"
)
ROWS = 150_000


def big_file(rows: int = ROWS) -> bytes:
    lines = (f"{i},{i % 997},{i % 31},1,{i % 9999}.25,2024-01-01T10:00:00Z,paypal,completed"
             for i in range(1, rows + 1))  # fmt: skip
    return ("\n".join((TX_HEADER, *lines)) + "\n").encode()


def interval_counts(conn, hour: datetime) -> tuple[int, int, int]:
    """(raw rows, distinct source lines, audit rows) of the hour's transactions."""
    raw = conn.execute(
        "select count(*), count(distinct (_source_file, _source_line)) from raw.transactions"
        " where _interval_start = %s",
        (hour,),
    ).fetchone()
    audits = conn.execute(
        "select count(*) from audit.load_audit where source = 'transactions'"
        " and interval_start = %s",
        (hour,),
    ).fetchone()[0]
    return raw[0], raw[1], audits


@pytest.fixture
def landed(settings, warehouse, s3):
    """One big transactions file in an hour of its own; removed afterwards."""
    hour = datetime(2004, 4, 4, tzinfo=UTC) + timedelta(hours=int(time.time()) % 100_000)
    key = landing_key("transactions", hour, "big.csv")
    s3.put_object(Bucket=settings.landing_bucket, Key=key, Body=big_file())
    yield hour, key
    s3.delete_object(Bucket=settings.landing_bucket, Key=key)
    warehouse.execute("delete from raw.transactions where _interval_start = %s", (hour,))
    for table in ("quarantine", "load_audit"):
        warehouse.execute(f"delete from audit.{table} where interval_start = %s", (hour,))


@pytest.fixture
def proxy(settings, landed):
    with S3FaultProxy(settings.aws_endpoint_url, prefix="/landing/transactions/") as running:
        yield running


def through(settings, proxy) -> object:
    return replace(settings, aws_endpoint_url=proxy.url)


# --- S3 ------------------------------------------------------------------------------------


def test_connection_resets_mid_stream_resume_and_load_every_row_once(
    settings, warehouse, landed, proxy
):
    hour, _ = landed
    # 2 MiB: each of the 3 resets finds more than 2 MiB left to send (the file is 8.7 MiB),
    # even when an RST drops bytes the client had not read yet and a resume starts earlier
    # (with 3 MiB the third reset fired or not, by that timing).
    proxy.reset_after_bytes, proxy.resets_left = 2 << 20, 3

    result = load_interval(
        through(settings, proxy), "transactions", hour, hour + timedelta(hours=1)
    )

    assert result.rows_loaded == ROWS
    assert interval_counts(warehouse, hour) == (ROWS, ROWS, 1)
    assert len(proxy.object_gets()) == 4  # the first GET and 3 resumed ones


def test_a_body_cut_short_resumes_from_the_first_missing_byte(settings, warehouse, landed, proxy):
    hour, _ = landed
    proxy.reset_after_bytes, proxy.resets_left, proxy.reset_with_rst = 3 << 20, 2, False

    load_interval(through(settings, proxy), "transactions", hour, hour + timedelta(hours=1))

    assert interval_counts(warehouse, hour) == (ROWS, ROWS, 1)
    ranges = [rng for rng, _ in proxy.object_gets()]
    firsts = [int(rng.removeprefix("bytes=").rstrip("-")) for rng in ranges[1:]]
    assert ranges[0] is None and len(firsts) == 2
    assert 0 < firsts[0] < firsts[1]  # each resume starts where the delivered bytes end


def test_throttled_requests_are_retried_and_load_every_row_once(settings, warehouse, landed, proxy):
    hour, _ = landed
    proxy.throttle_next = 2

    load_interval(through(settings, proxy), "transactions", hour, hour + timedelta(hours=1))

    assert interval_counts(warehouse, hour) == (ROWS, ROWS, 1)
    assert [status for _, status in proxy.object_gets()][:3] == [503, 503, 200]


def test_a_stream_that_keeps_breaking_fails_the_task_and_its_retry_loads_once(
    settings, warehouse, landed, proxy, monkeypatch
):
    monkeypatch.setattr("dataflow.ingest.s3object.RESUME_BACKOFF_SECONDS", 0.01)
    hour, _ = landed
    end = hour + timedelta(hours=1)
    proxy.reset_after_bytes, proxy.resets_left = 1 << 20, MAX_RESUMES + 1

    with pytest.raises(Exception) as failure:
        load_interval(through(settings, proxy), "transactions", hour, end, run_id="try-1")

    assert not isinstance(failure.value, LandingFileError)  # transient: Airflow retries it
    assert interval_counts(warehouse, hour) == (0, 0, 0)  # nothing half-loaded
    load_interval(through(settings, proxy), "transactions", hour, end, run_id="try-2")
    assert interval_counts(warehouse, hour) == (ROWS, ROWS, 1)


# --- Postgres restarted ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def own_cluster(settings, tmp_path_factory):
    """A Postgres 18 cluster of this module's own, bootstrapped like the real one."""
    from dataflow.runtime.postgres import ensure_databases, ensure_postgres, stop_postgres
    from dataflow.warehouse import bootstrap_warehouse

    home = tmp_path_factory.mktemp("restart-home")
    cluster = replace(settings, home=home, pg_port=free_port())
    ensure_postgres(cluster)
    ensure_databases(cluster)
    bootstrap_warehouse(cluster)
    yield cluster
    stop_postgres(cluster)


def wait_for_copy(cluster, timeout: float = 60.0) -> bool:
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(cluster.warehouse_url, autocommit=True) as conn:
        while time.monotonic() < deadline:
            busy = conn.execute(
                "select 1 from pg_stat_activity where application_name = 'dataflow-ingest'"
                " and query ilike 'copy \"raw\".\"transactions\"%%' and state = 'active'"
            ).fetchone()
            if busy:
                time.sleep(0.3)  # well inside the COPY
                return True
            time.sleep(0.02)
    return False


@pytest.mark.parametrize("mode", ["fast", "immediate"])
def test_postgres_restarted_mid_copy_fails_the_task_and_its_retry_loads_once(
    own_cluster, landed, mode
):
    import psycopg

    from dataflow.runtime.postgres import pg_ctl

    hour, _ = landed
    end = hour + timedelta(hours=1)
    failure: list[BaseException] = []

    def first_try() -> None:
        try:
            load_interval(own_cluster, "transactions", hour, end, run_id="try-1")
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            failure.append(exc)

    loader = threading.Thread(target=first_try)
    loader.start()
    assert wait_for_copy(own_cluster), "the COPY finished before Postgres could be restarted"
    pg_ctl(own_cluster, "-m", mode, "-w", "-t", "60", "restart", "-l",
           str(own_cluster.pg_data_dir.parent / "postgres.log"))  # fmt: skip
    loader.join(timeout=120)

    assert failure and isinstance(failure[0], psycopg.OperationalError)  # retried by Airflow
    with psycopg.connect(own_cluster.warehouse_url, autocommit=True) as conn:
        assert interval_counts(conn, hour) == (0, 0, 0)
        load_interval(own_cluster, "transactions", hour, end, run_id="try-2")
        assert interval_counts(conn, hour) == (ROWS, ROWS, 1)
        conn.execute("delete from raw.transactions where _interval_start = %s", (hour,))
        conn.execute("delete from audit.load_audit where interval_start = %s", (hour,))
