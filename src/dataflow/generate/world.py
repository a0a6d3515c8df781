"""The shop's evolving state: products and customers the row streams draw from and update.

Everything is plain lists indexed by ``id - 1`` so that 500k customers stay a few tens of MB;
weighted picks search the cumulative-weight lists (see :mod:`dataflow.generate.bulk`).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from itertools import accumulate

from dataflow.generate import vocab

# Lognormal sigma of customers' purchase propensity (times tenure): about 2% of customers
# spend ~5x the average, which puts a few dozen above 10,000 at the default scale.
CUSTOMER_SKEW_SIGMA = 0.9
PRODUCT_SKEW_SIGMA = 1.0


@dataclass
class Products:
    names: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    price_cents: list[int] = field(default_factory=list)
    updated_at: list[int] = field(default_factory=list)
    cum_weights: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.price_cents)


@dataclass
class Customers:
    first_names: list[str] = field(default_factory=list)
    last_names: list[str] = field(default_factory=list)
    domains: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    registered_at: list[int] = field(default_factory=list)
    cum_weights: list[float] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.registered_at)

    def email(self, index: int) -> str:
        """Email of the customer at ``index`` (``customer_id - 1``), derived, never stored."""
        first, last = self.first_names[index].lower(), self.last_names[index].lower()
        return f"{first}.{last}{index + 1}@{self.domains[index]}"


@dataclass
class World:
    products: Products
    customers: Customers


def build_products(rng: random.Random, count: int, start: int, end: int) -> Products:
    """``count`` products with log-uniform prices in their category's range."""
    products = Products()
    for _ in range(count):
        category, low, high, nouns = vocab.CATEGORIES[rng.randrange(len(vocab.CATEGORIES))]
        products.names.append(f"{rng.choice(vocab.ADJECTIVES)} {rng.choice(nouns)}")
        products.categories.append(category)
        products.price_cents.append(log_uniform_cents(rng, low, high))
        products.updated_at.append(start + int(rng.random() * (end - start)))
    weights = (rng.lognormvariate(0, PRODUCT_SKEW_SIGMA) for _ in range(count))
    products.cum_weights = list(accumulate(weights))
    return products


def log_uniform_cents(rng: random.Random, low: int, high: int) -> int:
    """Shop-style prices ending in .99, spread evenly on a log scale."""
    price = low * (high / low) ** rng.random()
    return max(99, round(price) * 100 - 1)


def build_customers(rng: random.Random, count: int, start: int, end: int) -> Customers:
    """``count`` customers; ids follow registration order, registrations span [start, end)."""
    customers = Customers()
    for registered in sorted(start + int(rng.random() * (end - start)) for _ in range(count)):
        add_customer(customers, rng, registered)
    return customers


COUNTRY_TABLE = vocab.table(vocab.COUNTRY_WEIGHTS, 128)
SEGMENT_TABLE = vocab.table(vocab.SEGMENT_WEIGHTS, 128)


def add_customer(customers: Customers, rng: random.Random, registered: int) -> int:
    """Append one customer registered at epoch second ``registered``; returns its index."""
    r = rng.getrandbits(32)  # one draw for five attributes keeps 500k customers quick
    customers.first_names.append(vocab.FIRST_NAMES[(r & 0xFF) % len(vocab.FIRST_NAMES)])
    customers.last_names.append(vocab.LAST_NAMES[(r >> 8 & 0xFF) % len(vocab.LAST_NAMES)])
    customers.domains.append(vocab.EMAIL_DOMAINS[r >> 16 & 3])
    customers.countries.append(COUNTRY_TABLE[r >> 18 & 127])
    customers.segments.append(SEGMENT_TABLE[r >> 25])
    customers.registered_at.append(registered)
    previous = customers.cum_weights[-1] if customers.cum_weights else 0.0
    customers.cum_weights.append(previous + rng.lognormvariate(0, CUSTOMER_SKEW_SIGMA))
    return len(customers.registered_at) - 1


def change_customer(customers: Customers, index: int, rng: random.Random) -> None:
    """A profile change: sometimes a new segment, occasionally a move to another country."""
    if rng.random() < 0.4:
        customers.segments[index] = SEGMENT_TABLE[rng.getrandbits(7)]
    if rng.random() < 0.15:
        customers.countries[index] = COUNTRY_TABLE[rng.getrandbits(7)]


def reprice_product(products: Products, index: int, rng: random.Random, at: int) -> None:
    """Move a product's price by -20%..+20% (at least one cent, stays positive)."""
    old = products.price_cents[index]
    products.price_cents[index] = max(1, round(old * rng.uniform(0.8, 1.2)))
    products.updated_at[index] = at
