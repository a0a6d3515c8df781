"""The whole production_data_pipeline run the way production runs it.

Generated data with the default ≈1% of defects lands in the moto S3 server; the running
Airflow services (scheduler with LocalExecutor, dag-processor, triggerer, api-server) execute
a backfill of the backfill hour and one hourly increment, created through the REST API
(``dataflow.runtime.dagruns``); the marts are checked against an independent Python model of
the rules (tests/e2e/expected.py).
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


def tail(path, lines=60):
    if not path.exists():
        return f"(no log at {path})"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def run_hours(settings, hours, fresh=False):
    """Run the intervals starting at ``hours`` through the scheduler; their outcomes."""
    from dataflow.runtime.dagruns import run_intervals

    return run_intervals(settings, DAG_ID, hours, fresh=fresh)


def explain(outcome):
    failed = [t for t in outcome.failed_tasks if t.state != "upstream_failed"]
    return outcome.failure_report() + "".join(f"\n{tail(t.log_path)}" for t in failed[:1])


@pytest.fixture(scope="module")
def fresh_warehouse(settings):
    """Start from empty raw/audit tables, no dbt relations and no registered lake features."""
    import psycopg

    from dataflow.aws import aws_client
    from tests.e2e import lake_features

    lake_features.forget_registered_features(aws_client(settings, "glue"))

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        conn.execute(
            "truncate raw.customers, raw.products, raw.transactions, raw.events, "
            "audit.load_audit, audit.quarantine, audit.validation_results"
        )
        for schema in ("staging", "intermediate", "marts", "snapshots"):
            conn.execute(f"drop schema if exists {schema} cascade")
            conn.execute(f"create schema {schema}")


@pytest.fixture(scope="module")
def pipeline_runs(settings, airflow_services, fresh_warehouse):
    """Generate small data; backfill the backfill hour and one increment through the scheduler."""
    import time

    from dataflow.generate import GenerationConfig, generate_landing_data

    config = GenerationConfig.for_scale("small", increment_hours=1)  # backfill + 1 increment
    manifest = generate_landing_data(settings, config, progress=False)
    asked_at = time.time()
    outcomes = run_hours(settings, manifest.hours, fresh=True)
    for outcome in outcomes:
        assert outcome.ok, explain(outcome)
    return manifest, outcomes, asked_at


@pytest.fixture(scope="module")
def pipeline_run(pipeline_runs):
    return pipeline_runs[0]


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


def test_runs_show_in_the_ui_as_backfill_runs_with_real_start_times(pipeline_runs):
    from datetime import datetime

    manifest, outcomes, asked_at = pipeline_runs
    asked = datetime.fromtimestamp(asked_at).astimezone()
    assert [o.interval_start for o in outcomes] == manifest.hours
    for outcome in outcomes:
        assert outcome.run_type == "backfill"
        assert outcome.interval_end - outcome.interval_start == timedelta(hours=1)
        assert outcome.start >= asked, "the run started when asked, not on its logical date"
        assert 0 < outcome.seconds < 3600


def test_every_model_ran_as_its_own_task_with_its_tests_after_it(pipeline_runs):
    _, outcomes, _ = pipeline_runs
    states = outcomes[0].task_states()
    assert states["transformations.dbt.dbt_producer_watcher"] == "success"
    for model in ("stg_raw__transactions", "fct_transactions", "customer_360"):
        assert states[f"transformations.dbt.{model}.run"] == "success"
        assert states[f"transformations.dbt.{model}.test"] == "success"


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
    # A new first attempt of the interval (its earlier run deleted): a Clear would rerun every
    # model as its own dbt invocation (Cosmos's watcher fallback), minutes more for the same data.
    (rerun,) = run_hours(settings, [pipeline_run.hours[-1]], fresh=True)
    assert rerun.ok, explain(rerun)
    assert snapshot() == before


def write_csv(s3, bucket, key, header, rows):
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    s3.put_object(Bucket=bucket, Key=key, Body=buf.getvalue().encode())


def test_broadly_bad_batch_stops_before_transformations(settings, s3, warehouse, pipeline_run):
    from dataflow.contracts import CUSTOMERS, landing_key

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

    (run,) = run_hours(settings, [hour], fresh=True)

    assert not run.ok, "a batch with 25% invalid emails must fail the quality gate"
    states = run.task_states()
    assert states["quality_validation.enforce_critical_expectations"] == "failed"
    dbt_states = {s for t, s in states.items() if t.startswith("transformations.")}
    assert dbt_states == {"upstream_failed"}
    failed = warehouse.execute(
        "select count(*) from audit.validation_results where suite = 'customers' "
        "and severity = 'critical' and not success and interval_start = %s",
        (hour,),
    ).fetchone()[0]
    assert failed >= 1


# --- the planted story (dataflow.generate.story), as the marts recover it -------------------


def test_planted_bundles_have_the_highest_lift_in_product_affinity(warehouse, pipeline_run):
    loaded = {r[0] for r in warehouse.execute("select product_id from marts.dim_products")}
    # a bundle whose product row was quarantined (an injected defect) cannot show
    visible = {pair for pair in pipeline_run.planted_pairs() if set(pair) <= loaded}
    ranked = warehouse.execute(
        "select product_id, associated_product_id from marts.product_affinity "
        "order by lift desc, product_id, associated_product_id"
    ).fetchall()

    assert len(visible) >= 4, "most bundles should survive the ≈1% defects"
    assert {tuple(r) for r in ranked[: len(visible)]} == visible


def test_planted_churners_are_dormant_or_churned_in_customer_360(warehouse, pipeline_run):
    churners = sorted(pipeline_run.churner_ids())
    stages = dict(
        warehouse.execute(
            "select customer_id, lifecycle_stage from marts.customer_360 "
            "where customer_id = any(%s)",
            (churners,),
        ).fetchall()
    )

    assert len(stages) >= 0.9 * len(churners)
    # a churner whose few purchases were all refunded or defective never purchased at all
    assert set(stages.values()) <= {"dormant", "churned", "never_purchased"}
    lapsed = [s for s in stages.values() if s in ("dormant", "churned")]
    assert len(lapsed) >= 0.8 * len(stages)


def test_q4_spending_rises_above_the_quarters_around_it(warehouse, pipeline_run):
    spent = {
        (int(year), int(quarter)): total
        for year, quarter, total in warehouse.execute(
            "select extract(year from transaction_date), extract(quarter from transaction_date),"
            " sum(transaction_amount) from marts.fct_transactions where is_completed "
            "group by 1, 2"
        ).fetchall()
    }

    assert spent[(2025, 4)] > spent[(2025, 3)]
    assert spent[(2025, 4)] > spent[(2026, 1)], "Q4 beats the next quarter's larger customer base"


def test_segments_spend_more_on_their_preferred_categories(warehouse, pipeline_run):
    rows = warehouse.execute(
        "select c.customer_segment, p.product_category, count(*) from marts.fct_transactions f "
        "join marts.dim_customers c using (customer_id) "
        "join marts.dim_products p using (product_id) group by 1, 2"
    ).fetchall()
    bought = {(segment, category): n for segment, category, n in rows}

    for segment, liked in pipeline_run.story["segment_categories"].items():
        mine = [n for (s, c), n in bought.items() if s == segment]
        mine_liked = [n for (s, c), n in bought.items() if s == segment and c in liked]
        others = [n for (s, c), n in bought.items() if s != segment]
        others_liked = [n for (s, c), n in bought.items() if s != segment and c in liked]
        assert sum(mine_liked) / sum(mine) > 1.5 * sum(others_liked) / sum(others), segment


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
