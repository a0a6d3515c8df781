"""Suite files parse, match the contract and build into GX suites (no services needed)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from dataflow.contracts import SOURCES
from dataflow.quality.suites import (
    SuiteDefinitionError,
    available_suites,
    contract_columns,
    load_suite,
    parse_suite,
    to_gx_suite,
)
from dataflow.settings import get_settings

GX_DIR = get_settings().gx_dir
SUITES = available_suites(GX_DIR)


def minimal(**expectation):
    entry = {"expectation": "expect_column_values_to_not_be_null", "kwargs": {"column": "a"}}
    entry |= {"severity": "critical", "why": "test"} | expectation
    return {"suite": "s", "table": "raw.s", "expectations": [entry]}


def test_every_batch_source_has_a_suite_in_contract_order():
    assert SUITES == ["customers", "products", "transactions", "events"]


@pytest.mark.parametrize("source", SUITES)
def test_suite_validates_the_raw_table_of_its_source(source):
    spec = load_suite(GX_DIR, source)

    assert spec.name == source
    assert spec.table == SOURCES[source].raw_table


@pytest.mark.parametrize("source", SUITES)
def test_critical_value_checks_tolerate_one_percent_but_not_twenty(source):
    spec = load_suite(GX_DIR, source)

    for item in spec.expectations:
        mostly = item.kwargs.get("mostly", 1.0)
        if item.severity == "critical":
            assert mostly == 1.0 or 0.8 < mostly <= 0.99, item
        else:
            assert mostly == 1.0, item  # warnings record every single defect


@pytest.fixture(scope="module")
def gx_context():
    """GX attaches suites to the active context; an ephemeral one touches no service."""
    from dataflow.quality.engine import open_context

    return open_context(get_settings())


@pytest.mark.parametrize("source", SUITES)
def test_suite_builds_into_gx_with_severity_in_meta(source, gx_context):
    spec = load_suite(GX_DIR, source)

    suite = to_gx_suite(spec)

    assert len(suite.expectations) == len(spec.expectations)
    for expectation, item in zip(suite.expectations, spec.expectations, strict=True):
        assert expectation.meta["severity"] == item.severity
        assert expectation.severity.value == item.severity


def test_interval_query_selects_one_utc_interval_with_derived_columns():
    spec = load_suite(GX_DIR, "transactions")

    query = spec.interval_query(datetime(2024, 5, 1, 13, tzinfo=UTC))

    assert query.startswith(
        "select t.*, coalesce(t.customer_id in (select c.customer_id from raw.customers c), "
        "false) as has_known_customer"
    )
    assert query.endswith(
        "from raw.transactions t where t._interval_start = '2024-05-01T13:00:00+00:00'::timestamptz"
    )


def test_naive_interval_start_is_refused():
    spec = load_suite(GX_DIR, "customers")

    with pytest.raises(ValueError, match="no timezone"):
        spec.interval_query(datetime(2024, 5, 1, 13))


def test_unknown_source_names_the_missing_file():
    with pytest.raises(SuiteDefinitionError, match="no suite file .*orders.yml"):
        load_suite(GX_DIR, "orders")


def test_unknown_severity_is_refused_with_its_position():
    with pytest.raises(SuiteDefinitionError, match="f.yml expectation #1: severity must be"):
        parse_suite(minimal(severity="fatal"), "f.yml")


def test_entry_without_why_is_refused():
    data = minimal()
    del data["expectations"][0]["why"]

    with pytest.raises(SuiteDefinitionError, match="missing keys \\['why'\\]"):
        parse_suite(data, "f.yml")


def test_unknown_expectation_type_is_refused_when_building():
    spec = parse_suite(minimal(expectation="expect_column_to_be_nice"), "f.yml")

    with pytest.raises(
        SuiteDefinitionError, match="unknown expectation 'expect_column_to_be_nice'"
    ):
        to_gx_suite(spec)


def test_bad_kwargs_are_refused_when_building():
    spec = parse_suite(minimal(kwargs={"column": "a", "mostly": 7}), "f.yml")

    with pytest.raises(SuiteDefinitionError, match="suite s #1"):
        to_gx_suite(spec)


def test_contract_columns_include_lineage():
    assert contract_columns("products")[:1] == ["product_id"]
    assert contract_columns("products")[-1] == "_interval_start"


def test_threshold_describes_bounds_and_mostly():
    spec = load_suite(GX_DIR, "transactions")
    amount = next(
        e for e in spec.expectations if e.column == "transaction_amount" and e.kwargs.get("mostly")
    )

    assert amount.threshold == "min_value=0.01, max_value=100000, mostly=0.95"
