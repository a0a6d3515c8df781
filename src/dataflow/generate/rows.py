"""Row streams of the small sources (products, customers): one rendered CSV line per row.

Lines follow the column order of :mod:`dataflow.contracts` and carry no newline. No generated
value contains a comma, quote or newline, so a line splits back into its fields with
``str.split(",")`` (the writer relies on that to damage rows). Streams draw from and update
the :class:`~dataflow.generate.world.World`, so they must be consumed in plan order. The big
sources (transactions, events) are in :mod:`dataflow.generate.bulk`.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from dataflow.generate.clock import HOUR, Clock
from dataflow.generate.world import (
    Customers,
    Products,
    add_customer,
    change_customer,
    reprice_product,
)


def money(cents: int) -> str:
    """``1234`` → ``'12.34'`` (two decimals, no float rounding)."""
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def product_rows(products: Products, indices: list[int], clock: Clock) -> Iterator[str]:
    """CSV lines of the current state of the products at ``indices``."""
    for i in indices:
        yield (
            f"{i + 1},{products.names[i]},{products.categories[i]},"
            f"{money(products.price_cents[i])},{clock.timestamp(products.updated_at[i])}"
        )


def price_update_rows(
    products: Products, rng: random.Random, count: int, hour: int, clock: Clock
) -> Iterator[str]:
    """``count`` distinct products repriced inside the hour starting at ``hour``."""
    indices = sorted(rng.sample(range(len(products)), min(count, len(products))))
    for i in indices:
        reprice_product(products, i, rng, hour + int(rng.random() * HOUR))
    yield from product_rows(products, indices, clock)


def customer_row(customers: Customers, i: int, last_login: int, updated: int, clock: Clock) -> str:
    """The CSV line of customer ``i`` (``customer_id - 1``) as it is now."""
    return (
        f"{i + 1},{customers.email(i)},{customers.first_names[i]},{customers.last_names[i]},"
        f"{customers.countries[i]},{customers.segments[i]},"
        f"{clock.date(customers.registered_at[i])},"
        f"{clock.timestamp(last_login)},{clock.timestamp(updated)}"
    )


def backfill_customer_rows(
    customers: Customers, rng: random.Random, end: int, clock: Clock
) -> Iterator[str]:
    """Every existing customer, last seen and last updated between registration and ``end``."""
    rnd = rng.random
    for i, registered in enumerate(customers.registered_at):
        span = end - registered
        yield customer_row(
            customers, i, registered + int(rnd() * span), registered + int(rnd() * span), clock
        )


def increment_customer_rows(
    customers: Customers, rng: random.Random, hour: int, new: int, updates: int, clock: Clock
) -> Iterator[str]:
    """``new`` sign-ups inside the hour, then ``updates`` changed profiles of older customers."""
    existing = len(customers)
    for _ in range(new):
        registered = hour + int(rng.random() * (HOUR - 60))
        i = add_customer(customers, rng, registered)
        yield customer_row(customers, i, registered + 30, registered, clock)
    for i in sorted(rng.sample(range(existing), min(updates, existing))):
        change_customer(customers, i, rng)
        at = hour + int(rng.random() * HOUR)
        yield customer_row(customers, i, at, at, clock)
