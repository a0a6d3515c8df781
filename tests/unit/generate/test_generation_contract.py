"""Without defects every row follows the landing contract and the shop's rules."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from dataflow import contracts
from dataflow.generate import GenerationConfig
from tests.unit.generate.landing_checks import (
    csv_fields,
    physical_lines,
    run_in_memory,
    typed_csv_row,
    typed_event,
)

H0 = datetime(2026, 11, 1, tzinfo=UTC)


def _rows(files, source: str, hour: datetime | None = None):
    prefix = contracts.landing_prefix(source, hour) if hour else f"landing/{source}/"
    for key in sorted(k for k in files if k.startswith(prefix)):
        lines = physical_lines(files[key])
        if contracts.SOURCES[source].file_format == "csv":
            for line in lines[1:]:
                yield typed_csv_row(source, csv_fields(line.decode("utf-8")))
        else:
            yield from (typed_event(line.decode("utf-8")) for line in lines)


def test_clean_run_has_no_defects_and_every_row_parses(clean_run):
    manifest, files = clean_run

    assert manifest.defects_by_kind() == {}
    for source in contracts.BATCH_SOURCES:
        assert sum(1 for _ in _rows(files, source)) == manifest.rows_by_source()[source]


def test_keys_follow_the_landing_layout_for_every_source_and_hour(clean_run):
    manifest, files = clean_run
    hours = [H0 + timedelta(hours=h) for h in range(3)]

    assert manifest.hours == hours
    expected = {
        contracts.landing_key(s, h, f"{s}_{h:%Y%m%d%H}.{'jsonl' if s == 'events' else 'csv'}")
        for s in contracts.BATCH_SOURCES
        for h in hours
    }
    assert {k for k in files if "_manifests" not in k} == expected
    assert {f.key for f in manifest.files} == expected


def test_backfill_sizes_follow_the_config(clean_run):
    manifest, _ = clean_run
    config = GenerationConfig.for_scale("small")

    by_source = {f.source: f.rows for f in manifest.files if f.hour == H0}
    assert by_source == {
        "products": config.products,
        "customers": config.customers,
        "transactions": config.transactions,
        "events": round(config.transactions * config.events_per_transaction),
    }


def test_backfill_spans_two_years_with_q4_and_after_registration(clean_run):
    _, files = clean_run
    registered = {c["customer_id"]: c["registration_date"] for c in _rows(files, "customers", H0)}
    transactions = list(_rows(files, "transactions", H0))

    times = [t["transaction_at"] for t in transactions]
    assert min(times) >= H0 - timedelta(days=731) and max(times) < H0
    assert {t.month for t in times} >= {10, 11, 12}
    assert all(t["transaction_at"].date() >= registered[t["customer_id"]] for t in transactions)
    assert min(registered.values()) < (H0 - timedelta(days=600)).date()


def test_customers_are_consistent(clean_run):
    _, files = clean_run

    for customer in _rows(files, "customers"):
        assert customer["customer_segment"] in contracts.CUSTOMER_SEGMENTS
        assert len(customer["country"]) == 2 and customer["country"].isupper()
        assert customer["last_login_at"].date() >= customer["registration_date"]
        assert customer["updated_at"].date() >= customer["registration_date"]
        assert "@" in customer["email"]


def test_transactions_are_consistent_with_products(clean_run):
    _, files = clean_run
    prices = {p["product_id"]: p["unit_price"] for p in _rows(files, "products", H0)}

    for t in _rows(files, "transactions", H0):
        assert 1 <= t["quantity"] <= 5
        assert t["payment_method"] in contracts.PAYMENT_METHODS
        assert t["status"] in contracts.TRANSACTION_STATUSES
        full = prices[t["product_id"]] * t["quantity"]
        assert full * Decimal("0.79") <= t["transaction_amount"] <= full  # ≤20% discount


def test_statuses_are_mostly_completed(clean_run):
    _, files = clean_run

    statuses = Counter(t["status"] for t in _rows(files, "transactions"))
    share = statuses["completed"] / sum(statuses.values())
    assert 0.85 < share < 0.95
    assert statuses["refunded"] and statuses["cancelled"]


def test_increments_land_inside_their_hour_and_continue_the_ids(clean_run):
    manifest, files = clean_run
    config = GenerationConfig.for_scale("small")
    last_id = config.transactions
    for hour in manifest.hours[1:]:
        rows = list(_rows(files, "transactions", hour))
        assert len(rows) == config.increment_transactions
        assert all(hour <= t["transaction_at"] < hour + timedelta(hours=1) for t in rows)
        ids = sorted(t["transaction_id"] for t in rows)
        assert ids == list(range(last_id + 1, last_id + 1 + len(rows)))
        last_id = ids[-1]
        events = list(_rows(files, "events", hour))
        assert all(hour.isoformat()[:13] == e["occurred_at"][:13] for e in events)


def test_increment_customers_are_new_signups_or_later_versions(clean_run):
    manifest, files = clean_run
    versions = defaultdict(list)
    for hour in manifest.hours:
        for c in _rows(files, "customers", hour):
            versions[c["customer_id"]].append(c)

    updated = [v for v in versions.values() if len(v) > 1]
    assert updated, "some customers get a new version in an increment"
    for history in updated:
        assert history[-1]["updated_at"] > history[0]["updated_at"]
        assert history[-1]["email"] == history[0]["email"]
    new_ids = [i for i in versions if i > GenerationConfig.for_scale("small").customers]
    assert new_ids and all(len(versions[i]) == 1 for i in new_ids[:1])


def test_events_have_type_specific_fields_and_unique_ids(clean_run):
    _, files = clean_run

    events = list(_rows(files, "events"))
    assert len({e["event_id"] for e in events}) == len(events)
    assert {e["event_type"] for e in events} == set(contracts.EVENT_TYPES)
    required = {
        "page_view": {"page_url"},
        "add_to_cart": {"product_id"},
        "transaction": {"amount", "product_id"},
        "customer_update": {"sub_type"},
    }
    assert all(required[e["event_type"]] <= e.keys() for e in events)


def test_spending_is_skewed_so_rfm_tiers_vary():

    _, files = run_in_memory(GenerationConfig(defect_rate=0.0))  # the default scale
    spent: Counter[int] = Counter()
    for t in _rows(files, "transactions"):
        if t["status"] == "completed":
            spent[t["customer_id"]] += t["transaction_amount"]

    big = [c for c, total in spent.items() if total > 10_000]
    assert 3 <= len(big) < len(spent) * 0.05
    assert sum(1 for total in spent.values() if total < 500) > len(spent) * 0.2
