"""What a generation run wrote: per file, the rows and the defects injected (with line numbers)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from dataflow.contracts import LANDING_PREFIX

MANIFEST_PREFIX = f"{LANDING_PREFIX}/_manifests/"


def manifest_key(run_name: str) -> str:
    """``landing/_manifests/<run_name>.json``."""
    return f"{MANIFEST_PREFIX}{run_name}.json"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FileEntry:
    """One landing file. ``rows`` counts data lines (not the CSV header); ``defect_lines``
    holds 1-based physical line numbers (CSV header = line 1) per defect kind."""

    key: str
    source: str
    hour: datetime
    rows: int = 0
    defects: dict[str, int] = field(default_factory=dict)
    defect_lines: dict[str, list[int]] = field(default_factory=dict)

    def record(self, kind: str, line: int) -> None:
        self.defects[kind] = self.defects.get(kind, 0) + 1
        self.defect_lines.setdefault(kind, []).append(line)

    def as_dict(self) -> dict:
        return {
            "key": self.key,
            "source": self.source,
            "hour": _iso(self.hour),
            "rows": self.rows,
            "defects": dict(sorted(self.defects.items())),
            "defect_lines": dict(sorted(self.defect_lines.items())),
        }


@dataclass
class GenerationManifest:
    """The result of :func:`dataflow.generate.generate_landing_data`."""

    run_name: str
    manifest_key: str
    config: dict
    hours: list[datetime]
    files: list[FileEntry]
    story: dict = field(default_factory=dict)  # what was planted (dataflow.generate.story)

    def rows_by_source(self) -> dict[str, int]:
        """Data lines written per source, all hours and parts together."""
        totals: Counter[str] = Counter()
        for entry in self.files:
            totals[entry.source] += entry.rows
        return dict(totals)

    def defects_by_kind(self) -> dict[str, int]:
        """Defects injected per kind, all files together."""
        totals: Counter[str] = Counter()
        for entry in self.files:
            totals.update(entry.defects)
        return dict(sorted(totals.items()))

    def files_for(self, source: str, hour: datetime | None = None) -> list[FileEntry]:
        """Entries of ``source`` (optionally of one landing hour), in write order."""
        return [f for f in self.files if f.source == source and hour in (None, f.hour)]

    def planted_pairs(self) -> set[tuple[int, int]]:
        """Bundled product pairs ``(product_id, associated_product_id)``, both directions."""
        pairs = {(b["product_id"], b["associated_product_id"]) for b in self.story["bundles"]}
        return pairs | {(b, a) for a, b in pairs}

    def churner_ids(self) -> set[int]:
        """Customers who stopped buying at least ``story.churners.quiet_days`` before H0."""
        return set(self.story["churners"]["customer_ids"])

    def as_dict(self) -> dict:
        return {
            "run_name": self.run_name,
            "manifest_key": self.manifest_key,
            "config": self.config,
            "hours": [_iso(h) for h in self.hours],
            "rows_by_source": self.rows_by_source(),
            "defects_by_kind": self.defects_by_kind(),
            "story": self.story,
            "files": [f.as_dict() for f in self.files],
        }

    def to_json(self) -> str:
        """The manifest as written to the landing bucket (stable key order, indented)."""
        return json.dumps(self.as_dict(), indent=1)
