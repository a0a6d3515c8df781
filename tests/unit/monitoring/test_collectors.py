"""Metric families built from warehouse facts: names, types, bounded labels, absent not faked."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from dataflow.monitoring import collectors, facts

NOW = datetime(2026, 12, 1, 12, tzinfo=UTC)


class FakeSource:
    def __init__(self, name, families=None, error=None):
        self.name, self._families, self._error = name, families or [], error

    def families(self):
        if self._error:
            raise self._error
        return self._families


def scrape(*sources) -> dict:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(collectors.PlatformCollector(list(sources)))
    text = generate_latest(registry).decode()
    return {f.name: f for f in text_string_to_metric_families(text)}


def test_freshness_exports_timestamps_per_table_and_skips_never_loaded_ones():
    rows = [
        facts.TableFreshness("raw", "customers", NOW, NOW),
        facts.TableFreshness("marts", "customer_360", None, None),
    ]
    families = scrape(FakeSource("warehouse", collectors.freshness_families(rows, {})))
    samples = families["dataflow_table_last_success_timestamp_seconds"].samples
    assert [(s.labels, s.value) for s in samples] == [
        ({"layer": "raw", "table": "customers"}, NOW.timestamp())
    ]


def test_row_volumes_are_counters_per_source():
    volumes = [facts.SourceVolume("transactions", 2, 1000, 990, 10, 500, 40)]
    families = scrape(FakeSource("warehouse", collectors.volume_families(volumes)))
    assert families["dataflow_rows_quarantined"].type == "counter"
    assert families["dataflow_rows_quarantined"].samples[0].value == 10
    assert families["dataflow_source_quarantined_ratio"].samples[0].value == 40 / 500


def test_a_failing_source_is_reported_down_and_exports_nothing_else():
    families = scrape(FakeSource("warehouse", error=OSError("connection refused")))
    up = {s.labels["source"]: s.value for s in families["dataflow_exporter_source_up"].samples}
    assert up == {"warehouse": 0}
    assert "dataflow_table_last_success_timestamp_seconds" not in families


def test_dbt_source_freshness_is_a_state_set_per_source():
    row = facts.SourceFreshnessResult("raw.customers", "warn", NOW, 7200.0, NOW)
    families = scrape(FakeSource("warehouse", collectors.dbt_families({"pass": 3}, [row])))
    states = {
        s.labels["dataflow_dbt_source_freshness_status"]: s.value
        for s in families["dataflow_dbt_source_freshness_status"].samples
    }
    assert states == {"pass": 0, "warn": 1, "error": 0, "runtime error": 0}


def test_dag_runs_are_counted_by_final_state_and_the_running_ones_are_gauges():
    counts = {"production_data_pipeline": {"success": 5, "failed": 1, "running": 1}}
    families = scrape(FakeSource("airflow", collectors.dag_run_families(counts, [], {})))
    finished = {s.labels["state"]: s.value for s in families["dataflow_dag_runs"].samples}
    assert finished == {"success": 5, "failed": 1}
    active = {s.labels["state"]: s.value for s in families["dataflow_dag_runs_active"].samples}
    assert active == {"queued": 0, "running": 1}


def test_label_names_never_carry_ids_or_file_names():
    rows = [facts.TableFreshness("raw", "customers", NOW, NOW)]
    volumes = [facts.SourceVolume("customers", 1, 1, 1, 0, 1, 0)]
    families = [
        *collectors.freshness_families(rows, {}),
        *collectors.volume_families(volumes),
        *collectors.dag_run_families({"d": {"success": 1}}, [], {}),
    ]
    labels = {name for f in families for s in f.samples for name in s.labels}
    assert labels <= {"layer", "table", "source", "dag_id", "state"}
