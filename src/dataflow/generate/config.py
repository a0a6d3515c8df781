"""What to generate: :class:`GenerationConfig` and its named scales."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime, timedelta

SCALES: dict[str, dict[str, int]] = {
    "small": {"customers": 200, "products": 40, "transactions": 2_000},
    "demo": {"customers": 5_000, "products": 500, "transactions": 100_000},
    "bench": {"customers": 500_000, "products": 10_000, "transactions": 10_000_000},
}


class InvalidGenerationConfig(ValueError):
    """A :class:`GenerationConfig` value is out of range; the message names the option."""


@dataclass(frozen=True)
class GenerationConfig:
    """Size, seed and timing of one generation run; the same config gives the same bytes."""

    seed: int = 42
    customers: int = 2_000
    products: int = 200
    transactions: int = 20_000  # backfill
    increment_hours: int = 2
    increment_fraction: float = 0.01  # new transactions per hour / backfill transactions
    defect_rate: float = 0.01
    anchor: datetime = datetime(2026, 11, 1, tzinfo=UTC)  # H0, the backfill's landing hour
    part_rows: int = 1_000_000
    events_per_transaction: float = 0.5
    history_days: int = 730  # registrations and backfill transactions span this many days

    def __post_init__(self) -> None:
        _check_config(self)

    @classmethod
    def for_scale(cls, scale: str, **overrides) -> GenerationConfig:
        """The config of a named scale: ``small`` (tests), ``demo`` or ``bench``."""
        if scale not in SCALES:
            raise InvalidGenerationConfig(
                f"unknown scale {scale!r}; choose one of {', '.join(SCALES)}"
            )
        return replace(cls(), **SCALES[scale], **overrides)

    @property
    def hours(self) -> list[datetime]:
        """Landing hours: the backfill's H0, then one per increment."""
        return [self.anchor + timedelta(hours=h) for h in range(self.increment_hours + 1)]

    @property
    def history_start(self) -> datetime:
        return self.anchor - timedelta(days=self.history_days)

    @property
    def increment_transactions(self) -> int:
        """New transactions per increment hour."""
        return max(1, round(self.transactions * self.increment_fraction))

    @property
    def run_name(self) -> str:
        """A stable name for this config (manifest file name): anchor, seed and a digest."""
        digest = hashlib.sha256(repr(self.as_dict()).encode()).hexdigest()[:8]
        return f"{self.anchor:%Y%m%d%H}_seed{self.seed}_{digest}"

    def as_dict(self) -> dict:
        """JSON-friendly values of every option."""
        values = asdict(self)
        values["anchor"] = self.anchor.strftime("%Y-%m-%dT%H:%M:%SZ")
        return values


def _check_config(config: GenerationConfig) -> None:
    for name in ("customers", "products", "transactions", "part_rows", "history_days"):
        if getattr(config, name) < 1:
            raise InvalidGenerationConfig(
                f"{name} must be at least 1 (got {getattr(config, name)})"
            )
    if config.increment_hours < 0:
        raise InvalidGenerationConfig("increment_hours must be 0 or more")
    if not 0 <= config.defect_rate <= 0.5:
        raise InvalidGenerationConfig(f"defect_rate must be in [0, 0.5] (got {config.defect_rate})")
    if not 0 <= config.increment_fraction <= 1:
        raise InvalidGenerationConfig("increment_fraction must be in [0, 1]")
    if config.events_per_transaction < 0:
        raise InvalidGenerationConfig("events_per_transaction must be 0 or more")
    _check_anchor(config.anchor)


def _check_anchor(anchor: datetime) -> None:
    if anchor.tzinfo is None or anchor.utcoffset() != timedelta(0):
        raise InvalidGenerationConfig(f"anchor must be a UTC datetime (got {anchor!r})")
    if (anchor.minute, anchor.second, anchor.microsecond) != (0, 0, 0):
        raise InvalidGenerationConfig(f"anchor must be on the hour (got {anchor.isoformat()})")
