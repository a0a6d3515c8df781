"""The big streams (transactions, events), generated in vectorised chunks.

Per-row Python loops cap out far below the throughput a 10M-row benchmark needs, so random
draws, weighted picks and time arithmetic run in numpy on chunks of ``CHUNK_ROWS`` rows, and
lines are assembled from precomputed string tables with ``map``/``zip``/``str.join`` (C loops).
Each stream's numpy ``Generator`` is seeded from the stream's ``random.Random``, so output is
deterministic for a given numpy version.
"""

from __future__ import annotations

import operator
import random
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import chain

from dataflow.generate import vocab
from dataflow.generate.clock import DAY, Clock
from dataflow.generate.rows import money
from dataflow.generate.story import BUNDLE_PROBABILITY, Story
from dataflow.generate.world import Customers, Products, World

CHUNK_ROWS = 8_192
EVENT_TYPES = ("page_view", "add_to_cart", "transaction", "customer_update")
EVENT_TYPE_WEIGHTS = (("0", 50), ("1", 20), ("2", 20), ("3", 10))  # indexes into EVENT_TYPES
# "payment_method,status" indexed by 13 random bits: 6 for the method, 7 for the status
PAYMENT_STATUS_TABLE = tuple(
    f"{vocab.PAYMENT_TABLE[i & 63]},{vocab.STATUS_TABLE[i >> 6]}" for i in range(8192)
)


@dataclass(frozen=True)
class CustomerPick:
    """Who can act: the first ``count`` customers, drawn with ``cum_weights`` (cumulative)."""

    cum_weights: list[float]
    count: int


def _propensity(customers: Customers):
    import numpy as np

    return np.diff(np.asarray(customers.cum_weights), prepend=0.0)


def backfill_actors(customers: Customers, story: Story, start: int, end: int) -> CustomerPick:
    """Propensity × the seasonal mass of each customer's buying time in ``[start, end)``, so a
    customer's purchases spread evenly over their tenure (a churner's ends early) and volume
    grows with the customer base."""
    import numpy as np

    registered = np.maximum(np.asarray(customers.registered_at, dtype=np.int64), start)
    stop = story.stop_times(len(customers), end)
    span = story.season.mass(stop) - story.season.mass(registered)
    weights = _propensity(customers) * np.maximum(span, 0.0)
    return CustomerPick(np.cumsum(weights).tolist(), len(customers))


def hour_actors(customers: Customers, story: Story, count: int) -> CustomerPick:
    """The first ``count`` customers by propensity, churners left out: an increment's actors."""
    import numpy as np

    weights = _propensity(customers)[:count]
    weights[story.churners[story.churners < count]] = 0.0
    return CustomerPick(np.cumsum(weights).tolist(), count)


class _Draws:
    """Shared per-chunk draws: a weighted customer, a product to their taste and a time in
    their buying time inside the window, seasonal."""

    def __init__(self, world: World, actors: CustomerPick, window, rng, story: Story) -> None:
        import numpy as np

        self.np = np
        self.gen = np.random.default_rng(rng.getrandbits(128))
        count = actors.count
        self.c_cum = np.asarray(actors.cum_weights[:count])
        self.segment_cum = story.segment_cum
        self.product_count = len(world.products)
        self.segments = story.segment_codes(world.customers, count)
        self.season = story.season
        self.lo = np.maximum(np.asarray(world.customers.registered_at[:count], np.int64), window[0])
        self.hi = story.stop_times(count, window[1])
        self.lo_mass, self.hi_mass = self.season.mass(self.lo), self.season.mass(self.hi)

    def customers(self, n: int):
        picks = self.np.searchsorted(self.c_cum, self.gen.random(n) * self.c_cum[-1], "right")
        return self.np.minimum(picks, len(self.c_cum) - 1)

    def products(self, customers, n: int):
        """A product per row, weighted by the tastes of the row's customer's segment: one
        search in the segments' normalised cumulative weights laid end to end."""
        target = self.segments[customers] + self.gen.random(n)
        picks = self.np.searchsorted(self.segment_cum, target, "right") % self.product_count
        return picks

    def times(self, customers, n: int):
        """Epoch seconds in each customer's buying time (registration or window start to the
        window end or their churn), following the season."""
        lo, hi = self.lo_mass[customers], self.hi_mass[customers]
        t = self.season.at(lo + self.gen.random(n) * (hi - lo))
        return self.np.clip(t, self.lo[customers], self.hi[customers] - 1)


def _timestamps(clock: Clock, seconds) -> Iterator[str]:
    days = (seconds // DAY - clock.day0).tolist()
    times = (seconds % DAY).tolist()
    return map(
        operator.add,
        map(clock.day_prefixes.__getitem__, days),
        map(clock.times_of_day.__getitem__, times),
    )


def _chunks(count: int) -> Iterator[tuple[int, int]]:
    for offset in range(0, count, CHUNK_ROWS):
        yield offset, min(CHUNK_ROWS, count - offset)


def transaction_lines(
    world: World,
    rng: random.Random,
    count: int,
    first_id: int,
    window: tuple[int, int],
    buyers: CustomerPick,
    clock: Clock,
    story: Story,
) -> Iterator[str]:
    """``count`` transaction CSV lines of ``buyers`` timed in ``window``, with the story's
    bundles, tastes and season.

    A transaction never precedes its customer's registration; amount = unit price × quantity,
    with a 5-20% discount on one in eight.
    """
    if count == 0:
        return iter(())
    draws = _Draws(world, buyers, window, rng, story)
    orders = _order_fields(world.products)
    context = (draws, orders, world.products.price_cents, clock, story.companion_of)
    return chain.from_iterable(
        _transaction_chunk(context, first_id + offset, n) for offset, n in _chunks(count)
    )


def _transaction_chunk(context, first_id: int, n: int) -> list[str]:
    draws, orders, prices, clock, companion_of = context
    np = draws.np
    customers = draws.customers(n)
    products = draws.products(customers, n)
    t = draws.times(customers, n)
    bits = draws.gen.integers(0, 1 << 30, n)
    _bundle_companions(draws, companion_of, customers, products, t, bits)
    quantity = np.asarray(vocab.QUANTITY_INDEX_TABLE)[bits & 31]
    order_texts = list(map(orders.__getitem__, (products * 5 + quantity).tolist()))
    for i in np.flatnonzero(((bits >> 18) & 7) == 0).tolist():  # the discounted ones
        p, q = int(products[i]), int(quantity[i]) + 1
        cents = prices[p] * q * (95 - (int(bits[i]) >> 21 & 15)) // 100
        order_texts[i] = f"{p + 1},{q},{money(cents)}"
    return list(
        map(
            ",".join,
            zip(
                map(str, range(first_id, first_id + n)),
                map(str, (customers + 1).tolist()),
                order_texts,
                _timestamps(clock, t),
                map(PAYMENT_STATUS_TABLE.__getitem__, ((bits >> 5) & 8191).tolist()),
                strict=True,
            ),
        )
    )


BUNDLE_THRESHOLD = round(BUNDLE_PROBABILITY * 32)  # out of 5 random bits


def _bundle_companions(draws, companion_of, customers, products, t, bits) -> None:
    """In place: an anchor bought on an even row (with BUNDLE_PROBABILITY) makes the next row
    its companion, bought by the same customer up to 30 minutes later on the same UTC day."""
    np = draws.np
    n = len(products)
    companion = companion_of[products]
    lead = np.flatnonzero(
        (companion >= 0) & ((bits >> 25) < BUNDLE_THRESHOLD) & (np.arange(n) % 2 == 0)
    )
    lead = lead[lead < n - 1]
    follow = lead + 1
    customers[follow] = customers[lead]
    products[follow] = companion[lead]
    later = t[lead] + draws.gen.integers(60, 1_800, len(lead))
    day_end = (t[lead] // DAY + 1) * DAY - 1
    t[follow] = np.minimum(np.minimum(later, day_end), draws.hi[customers[lead]] - 1)


def _order_fields(products: Products) -> list[str]:
    """``product_id,quantity,amount`` at index ``product_index * 5 + quantity - 1``."""
    return [
        f"{p + 1},{q},{money(cents * q)}"
        for p, cents in enumerate(products.price_cents)
        for q in range(1, 6)
    ]


def event_lines(
    world: World,
    rng: random.Random,
    count: int,
    window: tuple[int, int],
    visitors: CustomerPick,
    clock: Clock,
    story: Story,
) -> Iterator[str]:
    """``count`` clickstream event lines (JSON objects) of ``visitors`` timed in ``window``.

    ``event_id`` has the uuid4 layout (version 4, variant ``a``) with 120 random bits from the
    seed, so it is deterministic, unlike ``uuid.uuid4``.
    """
    if count == 0:
        return iter(())
    draws = _Draws(world, visitors, window, rng, story)
    details = _event_details(world.products)
    context = (draws, details, len(world.products), clock)
    return chain.from_iterable(_event_chunk(context, n) for _, n in _chunks(count))


_EVENT_LINE = '{{"event_id":"{}","event_type":"{}","customer_id":{},"occurred_at":"{}",{}}}'


def _event_chunk(context, n: int) -> list[str]:
    draws, details, product_count, clock = context
    np = draws.np
    customers = draws.customers(n)
    products = draws.products(customers, n)
    t = draws.times(customers, n)
    bits = draws.gen.integers(0, 1 << 10, n)
    kinds = np.asarray(EVENT_TYPE_INDEX)[bits & 63]
    detail = _detail_index(np, kinds, products, bits >> 6, product_count)
    return list(
        map(
            _EVENT_LINE.format,
            _uuids(np, draws.gen, n),
            map(EVENT_TYPES.__getitem__, kinds.tolist()),
            (customers + 1).tolist(),
            _timestamps(clock, t),
            map(details.__getitem__, detail.tolist()),
        )
    )


EVENT_TYPE_INDEX = tuple(int(i) for i in vocab.table(EVENT_TYPE_WEIGHTS, 64))
_HEX = b"0123456789abcdef"
_UUID_DIGITS = [i for i in range(36) if i not in (8, 13, 18, 23)]


def _uuids(np, gen, n: int) -> list[str]:
    """``n`` uuid4-shaped strings from ``gen`` (built as one ASCII array, no per-row code)."""
    nibbles = gen.integers(0, 16, (n, 32), dtype=np.uint8)
    nibbles[:, 12] = 4  # version
    nibbles[:, 16] = 10  # variant "a"
    text = np.full((n, 36), ord("-"), dtype=np.uint8)
    text[:, _UUID_DIGITS] = np.frombuffer(_HEX, np.uint8)[nibbles]
    return text.view("S36").ravel().astype("U36").tolist()


def _detail_index(np, kinds, products, sub, product_count: int):
    """Index into :func:`_event_details` for each event's type, product and 4 random bits."""
    paths = len(vocab.PAGE_PATHS)
    sub_types = len(vocab.CUSTOMER_UPDATE_SUB_TYPES)
    page = sub % paths
    is_product_page = page == vocab.PAGE_PATHS.index("/product")
    page_view = np.where(is_product_page, paths + products, page)
    base = paths + product_count  # add_to_cart, then transaction ×1 and ×2, then sub-types
    return np.select(
        [kinds == 0, kinds == 1, kinds == 2],
        [page_view, base + products, base + product_count * (1 + (sub & 1)) + products],
        base + 3 * product_count + sub % sub_types,
    )


def _event_details(products: Products) -> list[str]:
    """Type-specific JSON fields: pages, product pages, carts, purchases ×1 and ×2, sub-types."""
    ids = range(1, len(products) + 1)
    prices = products.price_cents
    return [
        *(f'"page_url":"{path}"' for path in vocab.PAGE_PATHS),
        *(f'"page_url":"/product/{p}"' for p in ids),
        *(f'"product_id":{p}' for p in ids),
        *(f'"amount":{money(c)},"product_id":{p}' for p, c in zip(ids, prices, strict=True)),
        *(f'"amount":{money(2 * c)},"product_id":{p}' for p, c in zip(ids, prices, strict=True)),
        *(f'"sub_type":"{s}"' for s in vocab.CUSTOMER_UPDATE_SUB_TYPES),
    ]
