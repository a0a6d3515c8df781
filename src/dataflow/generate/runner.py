"""Runs a generation: plans every (source, hour) stream, then writes them in order.

Each stream has its own ``random.Random`` seeded from ``(seed, purpose, source, hour)``, and the
streams run in a fixed order over one shared :class:`World`, so the same config always yields
the same bytes.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from dataflow.generate import bulk
from dataflow.generate import rows as row_streams
from dataflow.generate.clock import HOUR, Clock, epoch_seconds
from dataflow.generate.config import GenerationConfig
from dataflow.generate.defects import plan_defects
from dataflow.generate.manifest import FileEntry, GenerationManifest, manifest_key
from dataflow.generate.sinks import Sink
from dataflow.generate.story import plant_story
from dataflow.generate.world import World, build_customers, build_products
from dataflow.generate.writer import FileSpec, write_stream

SOURCE_ORDER = ("products", "customers", "transactions", "events")


@dataclass(frozen=True)
class HourPlan:
    """Row counts of one landing hour (hour 0 is the backfill)."""

    hour: datetime
    products: int
    customers_new: int
    customers_updated: int
    transactions: int
    events: int

    def rows(self, source: str) -> int:
        if source == "customers":
            return self.customers_new + self.customers_updated
        return getattr(self, source)


def stream_rng(
    config: GenerationConfig, purpose: str, source: str, hour: datetime
) -> random.Random:
    """The independent random stream of one purpose of one (source, hour)."""
    return random.Random(f"{config.seed}/{purpose}/{source}/{hour:%Y%m%d%H}")


def plan_hours(config: GenerationConfig) -> list[HourPlan]:
    """Row counts of the backfill and of every increment hour, decided before any row."""
    backfill_events = round(config.transactions * config.events_per_transaction)
    plans = [
        HourPlan(config.anchor, config.products, config.customers, 0, config.transactions,
                 backfill_events)
    ]  # fmt: skip
    per_hour = config.increment_transactions
    for hour in config.hours[1:]:
        rng = stream_rng(config, "counts", "all", hour)
        repriced = 0 if rng.random() < 0.6 else rng.randint(1, max(1, config.products // 100))
        plans.append(
            HourPlan(
                hour=hour,
                products=repriced,
                customers_new=rng.randint(1, max(2, config.customers // 500)),
                customers_updated=rng.randint(1, max(2, config.customers // 250)),
                transactions=per_hour,
                events=round(per_hour * config.events_per_transaction),
            )
        )
    return plans


class _Run:
    """State of one run: the world, the id counters and the clock."""

    def __init__(self, config: GenerationConfig) -> None:
        self.config = config
        self.start = epoch_seconds(config.history_start)
        self.h0 = epoch_seconds(config.anchor)
        self.clock = Clock(config.history_start, config.hours[-1] + timedelta(hours=1))
        world_rng = random.Random(f"{config.seed}/world")
        self.world = World(
            products=build_products(world_rng, config.products, self.start, self.h0),
            customers=build_customers(world_rng, config.customers, self.start, self.h0),
        )
        self.story = plant_story(self.world, config.seed, self.h0, self.clock)
        self.backfill_actors = bulk.backfill_actors(
            self.world.customers, self.story, self.start, self.h0
        )
        self.next_transaction_id = 1

    def rows(self, source: str, plan: HourPlan, rng: random.Random) -> Iterator[str]:
        """The clean line stream of ``source`` for ``plan``'s hour."""
        if source == "products":
            return self._product_rows(plan, rng)
        if source == "customers":
            return self._customer_rows(plan, rng)
        backfill = plan.hour == self.config.anchor
        hour = epoch_seconds(plan.hour)
        window = (self.start, self.h0) if backfill else (hour, hour + HOUR)
        actors = self.backfill_actors if backfill else self._hour_actors(plan)
        if source == "transactions":
            first_id = self.next_transaction_id
            self.next_transaction_id += plan.transactions
            return bulk.transaction_lines(
                self.world, rng, plan.transactions, first_id, window, actors, self.clock,
                self.story,
            )  # fmt: skip
        return bulk.event_lines(
            self.world, rng, plan.events, window, actors, self.clock, self.story
        )

    def _product_rows(self, plan: HourPlan, rng: random.Random) -> Iterator[str]:
        products = self.world.products
        if plan.hour == self.config.anchor:
            return row_streams.product_rows(products, list(range(plan.products)), self.clock)
        hour = epoch_seconds(plan.hour)
        return row_streams.price_update_rows(products, rng, plan.products, hour, self.clock)

    def _customer_rows(self, plan: HourPlan, rng: random.Random) -> Iterator[str]:
        customers = self.world.customers
        if plan.hour == self.config.anchor:
            return row_streams.backfill_customer_rows(customers, rng, self.h0, self.clock)
        hour, new, updated = epoch_seconds(plan.hour), plan.customers_new, plan.customers_updated
        return row_streams.increment_customer_rows(customers, rng, hour, new, updated, self.clock)

    def _hour_actors(self, plan: HourPlan) -> bulk.CustomerPick:
        # this hour's sign-ups are already in the world; they act from the next hour on
        eligible = len(self.world.customers) - plan.customers_new
        return bulk.hour_actors(self.world.customers, self.story, eligible)


def generate_into(
    sink: Sink, config: GenerationConfig, progress: bool = True
) -> GenerationManifest:
    """Generate every file of ``config`` into ``sink`` and write the manifest there too."""
    from tqdm import tqdm

    plans = plan_hours(config)
    run = _Run(config)
    total = sum(plan.rows(source) for plan in plans for source in SOURCE_ORDER)
    files: list[FileEntry] = []
    with tqdm(total=total, unit="rows", unit_scale=True, desc="generate", file=sys.stderr,
              disable=not progress) as bar:  # fmt: skip
        for plan in plans:
            for source in SOURCE_ORDER:
                files.extend(_write_source_hour(sink, run, plan, source, bar.update))
    manifest = GenerationManifest(
        run_name=config.run_name,
        manifest_key=manifest_key(config.run_name),
        config=config.as_dict(),
        hours=config.hours,
        files=files,
        story=run.story.as_dict(),
    )
    sink.put(manifest.manifest_key, manifest.to_json().encode())
    return manifest


def _write_source_hour(sink: Sink, run: _Run, plan: HourPlan, source: str, on_rows):
    config = run.config
    spec = FileSpec(source, plan.hour, plan.rows(source), config.part_rows)
    rows = run.rows(source, plan, stream_rng(config, "rows", source, plan.hour))
    defect_rng = stream_rng(config, "defects", source, plan.hour)
    defects = plan_defects(defect_rng, source, spec.rows, config.defect_rate)
    return write_stream(sink, spec, rows, defects, defect_rng, on_rows)
