"""The metrics exporter against the real warehouse: what /metrics says is what the tables say.

Data is loaded by the real loader from generated landing files in the moto server; /metrics
is scraped over HTTP from the exporter's own server. Expected values are computed here with
independent SQL over the audit tables, so whatever else the session loaded, they must agree.
"""

from __future__ import annotations

import urllib.request
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.parser import text_string_to_metric_families

from dataflow.contracts import BATCH_SOURCES
from dataflow.monitoring.collectors import PlatformCollector, WarehouseSource
from dataflow.quality.results import ExpectationOutcome, SuiteResult, record_results
from dataflow.quality.suites import available_suites

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def loaded(settings):
    """Two landing hours of generated data through the real loader."""
    from dataflow.generate import GenerationConfig, generate_landing_data
    from dataflow.ingest import load_interval

    manifest = generate_landing_data(
        settings, GenerationConfig.for_scale("small", increment_hours=1), progress=False
    )
    for hour in manifest.hours:
        for source in BATCH_SOURCES:
            load_interval(settings, source, hour, hour + timedelta(hours=1), run_id="exporter_test")
    return manifest


def serve(settings) -> str:
    """An exporter with the warehouse source on a free port; returns its /metrics URL."""
    registry = CollectorRegistry(auto_describe=False)
    source = WarehouseSource(settings, available_suites(settings.gx_dir), list(BATCH_SOURCES))
    registry.register(PlatformCollector([source]))
    server, _ = start_http_server(0, addr="127.0.0.1", registry=registry)
    return f"http://127.0.0.1:{server.server_address[1]}/metrics"


@pytest.fixture(scope="module")
def metrics_url(settings, loaded):
    return serve(settings)


def scrape(url: str) -> dict[str, dict[tuple, float]]:
    """family name → {sorted label items: value} (counter families by sample name)."""
    with urllib.request.urlopen(url, timeout=10) as resp:
        text = resp.read().decode()
    out: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, {})[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def value(metrics, name, **labels) -> float:
    return metrics[name][tuple(sorted(labels.items()))]


def test_row_counters_equal_the_load_audit_per_source(warehouse, metrics_url):
    metrics = scrape(metrics_url)
    for source, received, loaded, quarantined in warehouse.execute(
        "select source, sum(rows_received), sum(rows_loaded), sum(rows_quarantined) "
        "from audit.load_audit group by source"
    ):
        assert value(metrics, "dataflow_rows_received_total", source=source) == received
        assert value(metrics, "dataflow_rows_loaded_total", source=source) == loaded
        assert value(metrics, "dataflow_rows_quarantined_total", source=source) == quarantined


def test_each_raw_table_reports_its_newest_load_and_newest_landing_hour(warehouse, metrics_url):
    metrics = scrape(metrics_url)
    for source, finished, newest_hour in warehouse.execute(
        "select source, max(finished_at), max(interval_start) from audit.load_audit group by 1"
    ):
        labels = {"layer": "raw", "table": source}
        last = value(metrics, "dataflow_table_last_success_timestamp_seconds", **labels)
        assert last == pytest.approx(finished.timestamp(), abs=1e-3)
        newest = value(metrics, "dataflow_table_newest_data_timestamp_seconds", **labels)
        assert newest == (newest_hour + timedelta(hours=1)).timestamp()


def test_a_table_that_stops_loading_shows_its_old_last_load(warehouse, metrics_url):
    # GIVEN customers' loads all lie ten hours back
    warehouse.execute(
        "update audit.load_audit set finished_at = finished_at - interval '10 hours' "
        "where source = 'customers'"
    )
    try:
        # WHEN Prometheus scrapes
        metrics = scrape(metrics_url)
        # THEN the table's last success is at least ten hours old, the others are recent
        now = datetime.now(UTC).timestamp()
        last = value(
            metrics, "dataflow_table_last_success_timestamp_seconds", layer="raw", table="customers"
        )
        assert now - last > 10 * 3600
        other = value(
            metrics, "dataflow_table_last_success_timestamp_seconds", layer="raw", table="events"
        )
        assert now - other < 3600
    finally:
        warehouse.execute(
            "update audit.load_audit set finished_at = finished_at + interval '10 hours' "
            "where source = 'customers'"
        )


def test_a_failing_suite_lowers_its_score_and_counts_its_critical_failures(
    settings, warehouse, metrics_url
):
    # GIVEN a validation of customers whose email check failed for 300 of 1000 rows
    def outcome(expectation, severity, success, unexpected):
        return ExpectationOutcome(
            "customers", expectation, "email", severity, success, "", "", unexpected, 1000
        )

    result = SuiteResult(
        "customers",
        "exporter_test_failing",
        datetime(2032, 1, 1, tzinfo=UTC),
        (
            outcome("expect_column_values_to_match_regex", "critical", False, 300),
            outcome("expect_column_values_to_not_be_null", "critical", True, 0),
        ),
    )
    record_results(settings, result)
    try:
        # WHEN scraped
        metrics = scrape(metrics_url)
    finally:
        warehouse.execute(
            "delete from audit.validation_results where run_id = 'exporter_test_failing'"
        )
    # THEN the score is the mean pass ratio and the failure is counted by severity
    assert value(metrics, "dataflow_quality_score_ratio", suite="customers") == pytest.approx(
        (0.7 + 1.0) / 2
    )
    failed = value(
        metrics,
        "dataflow_quality_expectations",
        suite="customers",
        severity="critical",
        outcome="failed",
    )
    assert failed == 1


def test_an_unreachable_warehouse_is_reported_and_nothing_stale_is_exported(settings, loaded):
    # GIVEN an exporter pointed at a port where no Postgres listens
    from dataflow.runtime.processes import port_open

    free = next(p for p in range(19950, 19999) if not port_open(p))
    url = serve(replace(settings, pg_port=free))
    # WHEN scraped
    metrics = scrape(url)
    # THEN the warehouse source is down and no warehouse metric is exported
    assert value(metrics, "dataflow_exporter_source_up", source="warehouse") == 0
    assert "dataflow_table_last_success_timestamp_seconds" not in metrics


def test_no_label_value_is_a_file_name_or_a_run_id(metrics_url):
    metrics = scrape(metrics_url)
    values = {v for samples in metrics.values() for key in samples for _, v in key}
    assert not [v for v in values if "/" in v or v.startswith(("manual__", "scheduled__"))]
    assert not [v for v in values if "exporter_test" in v]


def test_row_totals_stay_equal_to_the_audit_through_a_reload_and_a_truncate(
    settings, warehouse, loaded
):
    from dataflow.ingest import load_interval

    def totals():
        return warehouse.execute(
            "select t.source, t.files, t.rows_received, t.rows_quarantined, a.files, a.received, "
            "a.quarantined from audit.load_totals t join (select source, count(*) files, "
            "sum(rows_received) received, sum(rows_quarantined) quarantined from audit.load_audit "
            "group by 1) a using (source)"
        ).fetchall()

    # WHEN an interval is reloaded (the loader deletes and re-inserts its audit rows)
    hour = loaded.hours[0]
    load_interval(settings, "transactions", hour, hour + timedelta(hours=1), run_id="reload")
    # THEN the trigger-kept totals still equal the sums
    assert totals() and all(r[1:4] == r[4:7] for r in totals())
    # WHEN the audit is truncated (as fresh test warehouses do) THEN the totals are empty too
    warehouse.execute("create temp table keep as select * from audit.load_audit")
    try:
        warehouse.execute("truncate audit.load_audit")
        assert warehouse.execute("select count(*) from audit.load_totals").fetchone()[0] == 0
    finally:
        warehouse.execute("insert into audit.load_audit select * from keep")
    assert all(r[1:4] == r[4:7] for r in totals())
