"""The manifest records exactly the defects an independent parse of the files finds."""

from __future__ import annotations

import pytest

from dataflow import contracts
from dataflow.generate import DEFECT_KINDS, KINDS_BY_SOURCE, GenerationConfig
from tests.unit.generate.landing_checks import (
    classify_file,
    customer_ids,
    physical_lines,
    run_in_memory,
)


def test_manifest_defect_lines_match_an_independent_parse(defective_run):
    manifest, files = defective_run
    known = customer_ids(files)

    for entry in manifest.files:
        found = classify_file(entry.source, files[entry.key], known)
        assert found == entry.defect_lines, entry.key
        assert {k: len(v) for k, v in found.items()} == entry.defects


def test_every_kind_is_injected_and_only_where_it_applies(defective_run):
    manifest, _ = defective_run

    injected = {source: set() for source in KINDS_BY_SOURCE}
    for entry in manifest.files:
        injected[entry.source] |= set(entry.defects)
    assert all(injected[s] <= set(kinds) for s, kinds in KINDS_BY_SOURCE.items())
    for big_source in ("customers", "transactions", "events"):  # enough rows for every kind
        assert injected[big_source] == set(KINDS_BY_SOURCE[big_source])
    assert set().union(*injected.values()) == set(DEFECT_KINDS)


def test_manifest_row_counts_match_the_files(defective_run):
    manifest, files = defective_run

    for entry in manifest.files:
        lines = physical_lines(files[entry.key])
        header = 1 if entry.key.endswith(".csv") else 0
        assert entry.rows == len(lines) - header


@pytest.mark.parametrize("rate", [0.01, 0.05])
def test_defect_share_follows_the_rate(rate):
    manifest, _ = run_in_memory(GenerationConfig.for_scale("small", defect_rate=rate))

    rows = sum(manifest.rows_by_source().values())
    defects = sum(manifest.defects_by_kind().values())
    assert rate * 0.6 < defects / rows < rate * 1.4


def test_bad_encoding_is_the_rarest_kind(defective_run):
    manifest, _ = defective_run

    totals = manifest.defects_by_kind()
    assert 0 < totals["bad_encoding"] < totals["wrong_type"]


def test_unknown_customer_ids_never_exist(defective_run):
    manifest, files = defective_run
    known = customer_ids(files)

    for entry in manifest.files_for("transactions"):
        lines = physical_lines(files[entry.key])
        for number in entry.defect_lines.get("unknown_customer", []):
            customer_id = int(lines[number - 1].split(b",")[1])
            assert customer_id not in known and customer_id >= 900_000_000


def test_parts_split_big_files_and_each_has_a_header(defective_run):
    manifest, files = defective_run

    parts = manifest.files_for("transactions", manifest.hours[0])
    assert [p.key.rsplit("/", 1)[1] for p in parts] == [
        "transactions_2026110100_part0001.csv",
        "transactions_2026110100_part0002.csv",
        "transactions_2026110100_part0003.csv",
    ]
    header = ",".join(contracts.TRANSACTIONS.column_names).encode()
    assert all(physical_lines(files[p.key])[0] == header for p in parts)
    duplicates = sum(p.defects.get("duplicate_key", 0) for p in parts)
    assert sum(p.rows for p in parts) == 2_000 + duplicates
