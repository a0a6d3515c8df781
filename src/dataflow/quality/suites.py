"""Expectation suites as data: ``great_expectations/suites/<source>.yml`` → specs → GX suites.

Parsing and the interval query are plain Python (unit-tested without GX); only
:func:`to_gx_suite` imports Great Expectations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from dataflow.contracts import LINEAGE_COLUMNS, SOURCES
from dataflow.timeutil import to_utc

SEVERITIES = ("critical", "warning")
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_TABLE = re.compile(r"^[a-z_][a-z0-9_]*\.[a-z_][a-z0-9_]*$")


class SuiteDefinitionError(ValueError):
    """A suite YAML file is missing or malformed; the message names the file and entry."""


@dataclass(frozen=True)
class ExpectationSpec:
    """One expectation of a suite file."""

    expectation: str  # GX snake_case type, e.g. expect_column_values_to_be_unique
    kwargs: dict[str, Any]
    severity: str
    why: str

    @property
    def column(self) -> str | None:
        """Column(s) the expectation is about, as stored in ``audit.validation_results``."""
        if "column" in self.kwargs:
            return self.kwargs["column"]
        pair = [self.kwargs[k] for k in ("column_A", "column_B") if k in self.kwargs]
        columns = pair or self.kwargs.get("column_list") or []
        return ",".join(columns) or None

    @property
    def threshold(self) -> str:
        """Human-readable pass condition, e.g. ``min_value=0.01, max_value=100000, mostly=0.95``."""
        parts = [
            f"{key}={_show(self.kwargs[key])}"
            for key in ("min_value", "max_value")
            if key in self.kwargs
        ]
        if self.column:
            parts.append(f"mostly={self.kwargs.get('mostly', 1.0)}")
        return ", ".join(parts) or "must hold"


@dataclass(frozen=True)
class SuiteSpec:
    """A suite file: which table it validates and its expectations."""

    name: str
    table: str
    expectations: tuple[ExpectationSpec, ...]
    derived_columns: dict[str, str] = field(default_factory=dict)

    def interval_query(self, interval_start: datetime) -> str:
        """SQL selecting this table's rows of one interval, plus the derived columns."""
        start = as_utc(interval_start).isoformat()
        derived = "".join(f", {expr} as {name}" for name, expr in self.derived_columns.items())
        return (
            f"select t.*{derived} from {self.table} t "
            f"where t._interval_start = '{start}'::timestamptz"
        )


def _show(value: Any) -> str:
    if isinstance(value, dict) and "$PARAMETER" in value:
        return f"${value['$PARAMETER']}"
    return str(value)


def as_utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is refused because intervals are UTC instants."""
    if moment.tzinfo is None:
        raise ValueError(
            f"interval_start {moment.isoformat()} has no timezone; pass an aware UTC datetime"
        )
    return to_utc(moment)


def suites_dir(gx_dir: Path) -> Path:
    return gx_dir / "suites"


def available_suites(gx_dir: Path) -> list[str]:
    """Names of the suite files, in the contract's source order (unknown names last)."""
    names = [p.stem for p in suites_dir(gx_dir).glob("*.yml")]
    order = list(SOURCES)
    return sorted(names, key=lambda n: (order.index(n) if n in order else len(order), n))


def load_suite(gx_dir: Path, source: str) -> SuiteSpec:
    """Parse ``<gx_dir>/suites/<source>.yml``; raises :class:`SuiteDefinitionError` if bad."""
    import yaml

    path = suites_dir(gx_dir) / f"{source}.yml"
    if not path.is_file():
        known = ", ".join(available_suites(gx_dir)) or "none"
        raise SuiteDefinitionError(f"no suite file {path} for source {source!r} (known: {known})")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise SuiteDefinitionError(f"{path}: invalid YAML: {exc}") from exc
    return parse_suite(data, str(path))


def parse_suite(data: Any, origin: str) -> SuiteSpec:
    """Validate the parsed YAML of one suite file (``origin`` names it in errors)."""
    if not isinstance(data, dict):
        raise SuiteDefinitionError(f"{origin}: expected a mapping with suite, table, expectations")
    missing = {"suite", "table", "expectations"} - data.keys()
    if missing:
        raise SuiteDefinitionError(f"{origin}: missing keys {sorted(missing)}")
    if not _TABLE.match(str(data["table"])):
        raise SuiteDefinitionError(f"{origin}: table must be schema.table, got {data['table']!r}")
    derived = data.get("derived_columns") or {}
    for name in derived:
        if not _IDENTIFIER.match(str(name)):
            raise SuiteDefinitionError(
                f"{origin}: derived column name {name!r} is not an identifier"
            )
    entries = data["expectations"]
    if not isinstance(entries, list) or not entries:
        raise SuiteDefinitionError(f"{origin}: expectations must be a non-empty list")
    specs = tuple(
        _parse_expectation(e, f"{origin} expectation #{i + 1}") for i, e in enumerate(entries)
    )
    return SuiteSpec(str(data["suite"]), str(data["table"]), specs, dict(derived))


def _parse_expectation(entry: Any, origin: str) -> ExpectationSpec:
    if not isinstance(entry, dict):
        raise SuiteDefinitionError(f"{origin}: expected a mapping")
    missing = {"expectation", "severity", "why"} - entry.keys()
    if missing:
        raise SuiteDefinitionError(f"{origin}: missing keys {sorted(missing)}")
    if entry["severity"] not in SEVERITIES:
        raise SuiteDefinitionError(
            f"{origin}: severity must be one of {SEVERITIES}, got {entry['severity']!r}"
        )
    kwargs = entry.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise SuiteDefinitionError(f"{origin}: kwargs must be a mapping")
    return ExpectationSpec(str(entry["expectation"]), kwargs, entry["severity"], str(entry["why"]))


def contract_columns(source: str) -> list[str]:
    """Columns a raw table must have: the landing contract's plus the lineage columns."""
    contract = SOURCES[source].column_names if source in SOURCES else ()
    return [*contract, *(c.name for c in LINEAGE_COLUMNS)]


def to_gx_suite(spec: SuiteSpec):
    """Build the GX ``ExpectationSuite``; severity and why also go into each ``meta``."""
    import great_expectations as gx

    suite = gx.ExpectationSuite(name=spec.name, meta={"table": spec.table})
    for index, item in enumerate(spec.expectations):
        suite.add_expectation(_to_gx_expectation(item, index, f"suite {spec.name} #{index + 1}"))
    return suite


def _to_gx_expectation(spec: ExpectationSpec, index: int, origin: str):
    from great_expectations.exceptions import ExpectationNotFoundError
    from great_expectations.expectations.registry import get_expectation_impl

    try:
        cls = get_expectation_impl(spec.expectation)
    except ExpectationNotFoundError as exc:
        raise SuiteDefinitionError(f"{origin}: unknown expectation {spec.expectation!r}") from exc
    try:
        return cls(
            **spec.kwargs,
            severity=spec.severity,
            notes=spec.why,
            # index maps GX's results back to the spec (GX reorders them).
            meta={"severity": spec.severity, "why": spec.why, "index": index},
        )
    except Exception as exc:  # pydantic validation errors carry the offending kwarg
        raise SuiteDefinitionError(f"{origin} ({spec.expectation}): {exc}") from exc
