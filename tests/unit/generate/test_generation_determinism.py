"""The same config yields byte-identical files; another seed yields other data."""

from __future__ import annotations

from dataclasses import replace

from dataflow.generate import GenerationConfig, MemorySink, generate_into
from tests.unit.generate.landing_checks import run_in_memory


def _fresh(config: GenerationConfig) -> dict[str, bytes]:
    sink = MemorySink()
    generate_into(sink, config, progress=False)
    return sink.files


def test_same_config_gives_byte_identical_files():
    config = GenerationConfig.for_scale("small", increment_hours=2)

    first, second = _fresh(config), _fresh(config)

    assert first.keys() == second.keys()
    assert all(first[key] == second[key] for key in first)


def test_another_seed_gives_other_rows_under_the_same_keys():
    config = GenerationConfig.for_scale("small")
    other = replace(config, seed=config.seed + 1)

    first, second = _fresh(config), _fresh(other)

    data_keys = [k for k in first if "_manifests" not in k]
    assert data_keys == [k for k in second if "_manifests" not in k]
    assert all(first[k] != second[k] for k in data_keys if first[k].count(b"\n") > 3)


def test_manifest_is_written_next_to_the_data_and_equals_the_returned_one(small_run):
    manifest, files = small_run

    assert manifest.manifest_key == f"landing/_manifests/{manifest.run_name}.json"
    assert files[manifest.manifest_key] == manifest.to_json().encode()


def test_run_name_changes_with_the_config_only():
    config = GenerationConfig.for_scale("small")

    assert config.run_name == GenerationConfig.for_scale("small").run_name
    assert config.run_name != replace(config, seed=1).run_name
    assert config.run_name.startswith("2026110100_seed42_")


def test_cached_run_matches_a_fresh_run(small_run):
    _, files = small_run

    assert _fresh(GenerationConfig.for_scale("small")) == files
    assert run_in_memory(GenerationConfig.for_scale("small"))[1] is files
