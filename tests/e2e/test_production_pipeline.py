"""The whole production_data_pipeline through real Airflow task execution.

Generated data with the default ≈1% of defects lands in the moto S3 server, Airflow runs the
DAG (``airflow dags test``: real task execution, recorded in the metadata DB) for the backfill
hour and one hourly increment, and the marts are checked against an independent Python model
of the rules (tests/e2e/expected.py).
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.e2e import expected

pytestmark = pytest.mark.e2e
DAG_ID = "production_data_pipeline"


def fetch_dicts(conn, sql, params=()):
    cur = conn.execute(sql, params)
    names = [d.name for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def run_dag(settings, logical_date):
    from dataflow.runtime.airflow import run_dag_test

    log = settings.run_dir / "e2e" / f"{logical_date:%Y%m%dT%H%M}.log"
    ok = run_dag_test(settings, DAG_ID, logical_date, log)
    return ok, log


def tail(path, lines=60):
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="module")
def airflow_db(settings, dbt_manifest):
    from dataflow.runtime.airflow import ensure_airflow_db

    ensure_airflow_db(settings)


@pytest.fixture(scope="module")
def fresh_warehouse(settings):
    """Start from empty raw/audit tables and no dbt relations."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "truncate raw.customers, raw.products, raw.transactions, raw.events, "
            "audit.load_audit, audit.quarantine, audit.validation_results"
        )
        for schema in ("staging", "intermediate", "marts", "snapshots"):
            conn.execute(f"drop schema if exists {schema} cascade")
            conn.execute(f"create schema {schema}")


@pytest.fixture(scope="module")
def pipeline_run(settings, airflow_db, fresh_warehouse):
    """Generate small data and run the DAG for the backfill hour and one increment."""
    from dataflow.generate import GenerationConfig, generate_landing_data

    config = GenerationConfig.for_scale("small", increment_hours=1)  # backfill + 1 increment
    manifest = generate_landing_data(settings, config, progress=False)
    for hour in manifest.hours:
        ok, log = run_dag(settings, hour + timedelta(hours=1))
        assert ok, f"DAG run for {hour} failed:\n{tail(log)}"
    return manifest


@pytest.fixture(scope="module")
def raw_rows(settings, pipeline_run):
    import psycopg

    with psycopg.connect(settings.warehouse_url) as conn:
        return {
            s: fetch_dicts(conn, f"select * from raw.{s}")
            for s in ("customers", "products", "transactions")
        }


def data_lines(body: bytes, has_header: bool) -> int:
    lines = [line for line in body.split(b"\n") if line.strip()]
    return len(lines) - (1 if has_header else 0)


def test_every_landed_row_is_loaded_or_quarantined(settings, s3, warehouse, pipeline_run):
    audits = fetch_dicts(warehouse, "select * from audit.load_audit")
    by_file = {a["source_file"]: a for a in audits}
    assert set(by_file) == {f.key for f in pipeline_run.files}
    for key, audit in by_file.items():
        body = s3.get_object(Bucket=settings.landing_bucket, Key=key)["Body"].read()
        assert audit["rows_received"] == data_lines(body, key.endswith(".csv")), key
        assert audit["rows_received"] == audit["rows_loaded"] + audit["rows_quarantined"]
        loaded = warehouse.execute(
            f"select count(*) from raw.{audit['source']} where _source_file = %s", (key,)
        ).fetchone()[0]
        assert loaded == audit["rows_loaded"], key


def test_malformed_rows_are_quarantined_with_their_line_and_reason(warehouse, pipeline_run):
    quarantined = {
        (q["source_file"], q["line_number"]): q["reason"]
        for q in fetch_dicts(
            warehouse, "select source_file, line_number, reason from audit.quarantine"
        )
    }
    assert quarantined, "≈1% defects were injected but nothing was quarantined"
    assert all(reason for reason in quarantined.values())
    for entry in pipeline_run.files:
        for kind in ("malformed", "wrong_type", "bad_encoding"):
            for line in entry.defect_lines.get(kind, []):
                assert (entry.key, line) in quarantined, (kind, entry.key, line)


def test_quality_warnings_recorded_and_no_critical_failure(warehouse, pipeline_run):
    results = fetch_dicts(warehouse, "select * from audit.validation_results")
    assert {r["suite"] for r in results} >= {"customers", "products", "transactions"}
    assert not [r for r in results if r["severity"] == "critical" and not r["success"]]
    assert [r for r in results if r["severity"] == "warning" and not r["success"]], (
        "injected defects (invalid emails, empty segments) should fail some warnings"
    )


def test_customer_360_matches_an_independent_computation(warehouse, pipeline_run, raw_rows):
    as_of = pipeline_run.hours[-1] + timedelta(hours=1)
    want = expected.customer_360(
        raw_rows["customers"], raw_rows["products"], raw_rows["transactions"], as_of
    )
    got = {r["customer_id"]: r for r in fetch_dicts(warehouse, "select * from marts.customer_360")}
    assert set(got) == set(want)
    assert {r["as_of"] for r in got.values()} == {as_of}
    for cid, exp in want.items():
        row = got[cid]
        actual = {field: row[field] for field in exp.__dataclass_fields__}
        actual["total_spent"] = Decimal(actual["total_spent"])
        actual["q4_spending"] = Decimal(actual["q4_spending"])
        actual["top_categories"] = actual["top_categories"] or None
        assert actual == exp.__dict__, f"customer {cid}"
    tiers = {e.value_tier for e in want.values()}
    assert len(tiers) >= 3, f"test data too uniform to exercise the rules: {tiers}"


def test_invalid_transactions_are_kept_out_of_fct_transactions(warehouse, raw_rows):
    customers = expected.current_customers(raw_rows["customers"])
    products = expected.current_products(raw_rows["products"])
    txs = expected.current_transactions(raw_rows["transactions"])
    valid = {k for k, t in txs.items() if expected.is_valid_transaction(t, customers, products)}
    assert len(valid) < len(txs), "defects should make some transactions invalid"
    got = {
        r[0]
        for r in warehouse.execute("select transaction_id from marts.fct_transactions").fetchall()
    }
    assert got == valid


def test_rerunning_an_interval_is_idempotent(settings, warehouse, pipeline_run):
    def snapshot():
        counts = warehouse.execute(
            "select (select count(*) from raw.transactions), (select count(*) from "
            "raw.customers), (select count(*) from audit.quarantine), "
            "(select count(*) from marts.fct_transactions)"
        ).fetchone()
        c360 = warehouse.execute(
            "select md5(string_agg(c::text, '|' order by customer_id)) from marts.customer_360 c"
        ).fetchone()[0]
        return counts, c360

    before = snapshot()
    ok, log = run_dag(settings, pipeline_run.hours[-1] + timedelta(hours=1))
    assert ok, tail(log)
    assert snapshot() == before


def write_csv(s3, bucket, key, header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue().encode())


def test_broadly_bad_batch_stops_before_transformations(settings, s3, warehouse, pipeline_run):
    from dataflow.contracts import CUSTOMERS, landing_key
    from dataflow.runtime.airflow import latest_runs, task_states

    hour = pipeline_run.hours[-1] + timedelta(hours=5)
    rows = []
    for i in range(200):
        email = "not-an-email" if i % 4 == 0 else f"user{i}@example.com"  # 25% invalid
        rows.append(
            [
                900_000 + i,
                email,
                "Ada",
                "Lovelace",
                "GB",
                "premium",
                "2024-01-01",
                "2025-01-01T00:00:00Z",
                f"{hour:%Y-%m-%dT%H}:10:00Z",
            ]
        )
    write_csv(
        s3,
        settings.landing_bucket,
        landing_key("customers", hour, "customers_bad.csv"),
        CUSTOMERS.column_names,
        rows,
    )

    ok, log = run_dag(settings, hour + timedelta(hours=1))

    assert not ok, "a batch with 25% invalid emails must fail the quality gate"
    run = next(
        r
        for r in latest_runs(settings, DAG_ID)
        if r["logical_date"].startswith(f"{hour + timedelta(hours=1):%Y-%m-%dT%H}")
    )
    states = {t["task_id"]: t["state"] for t in task_states(settings, DAG_ID, run["run_id"])}
    assert states["quality_validation.enforce_critical_expectations"] == "failed"
    dbt_states = {s for t, s in states.items() if t.startswith("transformations.")}
    assert dbt_states == {"upstream_failed"}
    failed = warehouse.execute(
        "select count(*) from audit.validation_results where suite = 'customers' "
        "and severity = 'critical' and not success and interval_start = %s",
        (hour,),
    ).fetchone()[0]
    assert failed >= 1


# --- aws_integration: the customer_features job (local Spark) and the lake ---------------------
@pytest.fixture(scope="module")
def glue(settings):
    from dataflow.aws import aws_client

    return aws_client(settings, "glue")


@pytest.fixture
def lake_as_of(pipeline_run):
    """as_of of the last successful interval: what customer_360 and the lake are as of."""
    return pipeline_run.hours[-1] + timedelta(hours=1)


def test_lake_features_match_an_independent_sql_computation(
    s3, glue, warehouse, pipeline_run, lake_as_of
):
    from tests.e2e import lake_features

    _, files = lake_features.lake_snapshot(s3, glue)
    got = lake_features.rows_by_customer(files)
    want = lake_features.expected_features(warehouse, lake_as_of)

    assert set(got) == set(want)
    for cid, exp in want.items():
        row = got[cid]
        for field in exp:
            if (
                field in ("order_value_std", "avg_days_between_purchases")
                and exp[field] is not None
            ):
                assert row[field] == pytest.approx(exp[field], rel=1e-9), (cid, field)
            else:
                assert row[field] == exp[field], (cid, field, row[field], exp[field])
        assert lake_features.utc(row["as_of"]) == lake_as_of
    assert len({r["customer_value_segment"] for r in got.values()}) >= 2, "data too uniform"


def test_lake_rfm_scores_equal_customer_360_for_every_customer(s3, glue, warehouse, pipeline_run):
    from tests.e2e import lake_features

    _, files = lake_features.lake_snapshot(s3, glue)
    got = lake_features.rows_by_customer(files)
    c360 = fetch_dicts(
        warehouse,
        "select customer_id, recency_score, frequency_score, monetary_score, rfm_score, "
        "rfm_segment as customer_value_segment from marts.customer_360",
    )

    assert len(got) == len(c360)
    for row in c360:
        assert {k: got[row["customer_id"]][k] for k in row} == row


def test_catalog_partitions_are_exactly_the_snapshot_files(settings, s3, glue, pipeline_run):
    from tests.e2e import lake_features

    location, files = lake_features.lake_snapshot(s3, glue)
    partitions = glue.get_partitions(DatabaseName="dataflow_lake", TableName="customer_features")
    registered = {
        tuple(p["Values"]): p["StorageDescriptor"]["Location"] for p in partitions["Partitions"]
    }
    on_disk = {}
    for relative in files:
        values = lake_features.hive_values(relative)
        folder = relative.rsplit("/", 1)[0] + "/"
        on_disk[(values["customer_value_segment"], values["customer_segment"])] = location + folder

    assert registered == on_disk
    assert all(name.endswith(".snappy.parquet") for name in files)
    everything = lake_features.list_keys(
        s3, settings.lake_bucket, "analytics/customer_features/runs/"
    )
    _, prefix = lake_features.split_uri(location)
    assert all(key.startswith(prefix) for key in everything), "superseded snapshots remain"


def test_lake_summary_stats_describe_the_features(s3, glue, pipeline_run, lake_as_of):
    from tests.e2e import lake_features

    _, files = lake_features.lake_snapshot(s3, glue)
    rows = list(lake_features.rows_by_customer(files).values())
    table = glue.get_table(DatabaseName="dataflow_lake", Name="customer_features_summary")
    bucket, prefix = lake_features.split_uri(table["Table"]["StorageDescriptor"]["Location"])
    (key,) = lake_features.list_keys(s3, bucket, prefix)
    (summary,) = lake_features.read_parquet(s3, bucket, key)

    assert summary["total_customers"] == len(rows)
    assert summary["total_platform_revenue"] == sum(r["total_revenue"] for r in rows)
    assert summary["avg_rfm_score"] == pytest.approx(sum(r["rfm_score"] for r in rows) / len(rows))
    assert summary["analysis_date"] == lake_as_of.date()


def test_rerunning_the_features_job_publishes_the_same_files_and_rows(
    settings, s3, glue, pipeline_run, lake_as_of
):
    from dataflow.features.runner import register_lake_partitions, run_features_locally
    from tests.e2e import lake_features

    def contents(files):
        return {
            name: sorted(
                ({k: v for k, v in row.items() if k != "processing_timestamp"} for row in rows),
                key=lambda r: r["customer_id"],
            )
            for name, rows in files.items()
        }

    location_before, before = lake_features.lake_snapshot(s3, glue)

    result = run_features_locally(settings, lake_as_of)
    registration = register_lake_partitions(settings, result)

    location_after, after = lake_features.lake_snapshot(s3, glue)
    assert location_after != location_before  # a new snapshot, switched to in the catalog
    assert registration["registered"] and registration["removed_files"] > 0
    assert set(after) == set(before)
    assert contents(after) == contents(before)
    keys = lake_features.list_keys(s3, settings.lake_bucket, "analytics/customer_features/runs/")
    assert len(keys) == len(after), "the replaced snapshot's files were not removed"
