"""The planted story (bundles, segment tastes, seasonality, churners) is in the landed rows.

Every check reads the generated files back independently and compares them with what the
manifest's ``story`` section says was planted.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import UTC, date, datetime, timedelta
from itertools import permutations

import pytest
import yaml

from dataflow.generate import GenerationConfig
from dataflow.settings import PROJECT_ROOT
from tests.unit.generate.landing_checks import csv_fields, physical_lines, run_in_memory

H0 = datetime(2026, 11, 1, tzinfo=UTC)


def _csv_rows(files, source: str):
    for key in sorted(k for k in files if k.startswith(f"landing/{source}/")):
        lines = physical_lines(files[key])
        header = csv_fields(lines[0].decode())
        for line in lines[1:]:
            yield dict(zip(header, csv_fields(line.decode()), strict=True))


def _transactions(files, completed_only: bool = False):
    """``(customer_id, product_id, transaction_at)`` of every (completed) transaction."""
    for row in _csv_rows(files, "transactions"):
        if completed_only and row["status"] != "completed":
            continue
        at = datetime.fromisoformat(row["transaction_at"])
        yield int(row["customer_id"]), int(row["product_id"]), at


def _baskets(files) -> dict[tuple[int, date], set[int]]:
    """product_affinity's baskets: one customer's completed purchases on one UTC day."""
    baskets: dict[tuple[int, date], set[int]] = defaultdict(set)
    for customer, product, at in _transactions(files, completed_only=True):
        baskets[(customer, at.date())].add(product)
    return baskets


def test_manifest_names_the_bundles_as_the_products_file_does(clean_run):
    manifest, files = clean_run
    names = {int(p["product_id"]): p["product_name"] for p in _csv_rows(files, "products")}

    bundles = manifest.story["bundles"]

    assert len(bundles) == 3  # the small scale's 40 products
    for bundle in bundles:
        assert names[bundle["product_id"]] == bundle["product_name"]
        assert names[bundle["associated_product_id"]] == bundle["associated_product_name"]
    assert "Coffee Maker" in bundles[0]["product_name"]
    assert "Coffee Beans" in bundles[0]["associated_product_name"]


def test_a_bundle_companion_is_bought_the_same_day_by_the_anchor_buyer(clean_run):
    manifest, files = clean_run
    baskets = _baskets(files).values()

    def together(a: int, b: int) -> float:
        with_a = [items for items in baskets if a in items]
        return sum(1 for items in with_a if b in items) / len(with_a)

    for bundle in manifest.story["bundles"]:
        assert together(bundle["product_id"], bundle["associated_product_id"]) > 0.2
    planted = manifest.planted_pairs()
    busiest = [p for p, _ in Counter(p for _, p, _ in _transactions(files)).most_common(8)]
    unplanted = [(a, b) for a, b in permutations(busiest, 2) if (a, b) not in planted]
    assert max(together(a, b) for a, b in unplanted) < 0.05


def test_at_demo_scale_every_bundle_clears_product_affinitys_default_min_support():
    manifest, files = run_in_memory(GenerationConfig.for_scale("demo", defect_rate=0.0))
    project = yaml.safe_load((PROJECT_ROOT / "dbt" / "dbt_project.yml").read_text())
    min_support = project["vars"]["product_affinity_min_support"]
    baskets = list(_baskets(files).values())

    supports = {
        (b["product_id"], b["associated_product_id"]): sum(
            1 for items in baskets if {b["product_id"], b["associated_product_id"]} <= items
        )
        / len(baskets)
        for b in manifest.story["bundles"]
    }

    assert len(supports) == 12
    assert min(supports.values()) >= min_support, supports


def _events(files):
    for key in sorted(k for k in files if k.startswith("landing/events/")):
        yield from (json.loads(line) for line in physical_lines(files[key]))


def test_churners_neither_buy_nor_visit_in_their_quiet_days(clean_run):
    manifest, files = clean_run
    churners = manifest.churner_ids()
    quiet_since = H0 - timedelta(days=manifest.story["churners"]["quiet_days"])

    late_buyers = {c for c, _, at in _transactions(files) if at >= quiet_since}
    late_visitors = {
        e["customer_id"]
        for e in _events(files)
        if datetime.fromisoformat(e["occurred_at"]) >= quiet_since
    }
    buyers = {c for c, _, _ in _transactions(files)}

    assert len(churners) >= 5
    assert not churners & (late_buyers | late_visitors)
    assert len(churners & buyers) >= 0.8 * len(churners), "churners bought before they stopped"
    assert len(late_buyers) > 0.5 * len(buyers), "most other customers still buy"


def test_each_segment_buys_more_of_its_preferred_categories(clean_run):
    manifest, files = clean_run
    segment = {int(c["customer_id"]): c["customer_segment"] for c in _csv_rows(files, "customers")}
    category = {int(p["product_id"]): p["product_category"] for p in _csv_rows(files, "products")}
    bought: dict[str, Counter[str]] = defaultdict(Counter)
    for customer, product, _ in _transactions(files):
        bought[segment[customer]][category[product]] += 1

    for seg, liked in manifest.story["segment_categories"].items():
        mine = sum(bought[seg][c] for c in liked) / sum(bought[seg].values())
        others = [s for s in bought if s != seg]
        theirs = sum(bought[s][c] for s in others for c in liked) / sum(
            sum(bought[s].values()) for s in others
        )
        assert mine > 1.5 * theirs, (seg, mine, theirs)


@pytest.mark.parametrize("seed", [42, 7])
def test_q4_is_busier_than_the_quarter_after_it_despite_a_growing_customer_base(seed):
    _, files = run_in_memory(GenerationConfig.for_scale("small", seed=seed, defect_rate=0.0))
    per_quarter = Counter((at.year, (at.month - 1) // 3 + 1) for _, _, at in _transactions(files))

    assert per_quarter[(2025, 4)] > 1.3 * per_quarter[(2026, 1)], per_quarter
    assert per_quarter[(2026, 1)] > per_quarter[(2025, 1)], "the customer base grows"
