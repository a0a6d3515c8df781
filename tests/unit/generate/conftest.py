"""Fixtures for the generator's unit tests: runs into memory, cached per config."""

from __future__ import annotations

import pytest

from dataflow.generate import GenerationConfig
from tests.unit.generate.landing_checks import run_in_memory


@pytest.fixture
def small_run():
    """The ``small`` scale with the default 1% defects."""
    return run_in_memory(GenerationConfig.for_scale("small"))


@pytest.fixture
def clean_run():
    """The ``small`` scale without defects."""
    return run_in_memory(GenerationConfig.for_scale("small", defect_rate=0.0))


@pytest.fixture
def defective_run():
    """Many defects of every kind, split in parts, to check the manifest against the files."""
    return run_in_memory(
        GenerationConfig.for_scale("small", defect_rate=0.1, part_rows=700, seed=7)
    )
