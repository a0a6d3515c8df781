"""The structure planted in the synthetic shop, so that the marts have a story to tell.

- **Bundles**: a few bestselling *anchor* products (a Coffee Maker) each with a *companion*
  (Coffee Beans). A customer who buys an anchor often buys its companion the same day, so
  ``product_affinity`` finds these pairs with a high lift.
- **Segment tastes**: each customer segment buys its preferred categories
  (``vocab.SEGMENT_CATEGORY_PREFERENCES``) ``PREFERRED_CATEGORY_FACTOR`` times as often.
- **Seasonality**: order times follow ``vocab.MONTH_WEIGHTS`` (October to December busiest).
- **Churners**: about ``CHURN_SHARE`` of the established, active customers stop buying (and
  visiting) at some moment at least ``QUIET_DAYS`` before the anchor, so ``customer_360``
  sees them as ``dormant`` or ``churned``.

Everything is decided up front from ``random.Random("<seed>/story")``; the world's own draws
are untouched. :meth:`Story.as_dict` is what the manifest records, so tests check the marts
against it without re-deriving anything.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from itertools import accumulate

from dataflow.generate import vocab
from dataflow.generate.clock import DAY, Clock
from dataflow.generate.world import Customers, Products, World, log_uniform_cents

BUNDLE_PROBABILITY = 0.7  # an anchor bought on an even row brings its companion on the next
ANCHOR_MIN_SHARE = 0.01  # anchors are bestsellers: at least this share of product weight
PRODUCTS_PER_BUNDLE = 40  # one bundle per this many products, 3 to len(BUNDLE_TEMPLATES)
PREFERRED_CATEGORY_FACTOR = 3.0
CHURN_SHARE = 0.15  # of the customers with at least median propensity and enough tenure
QUIET_DAYS = 120  # a churner's last possible purchase is at least this long before H0
MIN_ACTIVE_DAYS = 90  # and at least this long after their registration
SEGMENTS = tuple(vocab.SEGMENT_CATEGORY_PREFERENCES)


@dataclass(frozen=True)
class Bundle:
    """Two product indices (``product_id - 1``): the anchor and its companion."""

    anchor: int
    companion: int


class Season:
    """Order volume over time as a cumulative *mass*: one unit per day times its month weight.

    A time drawn uniformly in mass between ``mass(lo)`` and ``mass(hi)`` and mapped back with
    :meth:`at` lies in ``[lo, hi)`` with a density that follows ``vocab.MONTH_WEIGHTS``.
    """

    def __init__(self, clock: Clock) -> None:
        import numpy as np

        self.np = np
        self.day0 = clock.day0
        self.weights = np.array([vocab.MONTH_WEIGHTS[int(d[5:7]) - 1] for d in clock.dates])
        self.cum = np.concatenate(([0.0], np.cumsum(self.weights)))

    def mass(self, seconds):
        """Cumulative mass at epoch ``seconds`` (an int64 array)."""
        day = seconds // DAY - self.day0
        return self.cum[day] + self.weights[day] * (seconds % DAY) / DAY

    def at(self, mass):
        """Epoch seconds (int64) where the cumulative mass reaches ``mass``."""
        np = self.np
        day = np.clip(np.searchsorted(self.cum, mass, "right") - 1, 0, len(self.weights) - 1)
        within = (mass - self.cum[day]) / self.weights[day] * DAY
        return (day + self.day0) * DAY + np.minimum(within, DAY - 1).astype(np.int64)


class Story:
    """What was planted in one run's world; built by :func:`plant_story`."""

    def __init__(self, world: World, bundles: list[Bundle], churn_at: dict[int, int], clock):
        import numpy as np

        self.bundles = bundles
        self.season = Season(clock)
        self.companion_of = np.full(len(world.products), -1, dtype=np.int64)
        for bundle in bundles:
            self.companion_of[bundle.anchor] = bundle.companion
        self.churners = np.array(sorted(churn_at), dtype=np.int64)
        self.churn_at = np.array([churn_at[i] for i in sorted(churn_at)], dtype=np.int64)
        self.segment_cum = segment_product_weights(world.products)
        self._products = world.products

    def as_dict(self) -> dict:
        """The manifest's ``story`` section (ids are the landed ``*_id`` values)."""
        names = self._products.names
        return {
            "bundles": [
                {
                    "product_id": b.anchor + 1,
                    "product_name": names[b.anchor],
                    "associated_product_id": b.companion + 1,
                    "associated_product_name": names[b.companion],
                }
                for b in self.bundles
            ],
            "segment_categories": {
                segment: list(categories)
                for segment, categories in vocab.SEGMENT_CATEGORY_PREFERENCES.items()
            },
            "month_weights": dict(zip(range(1, 13), vocab.MONTH_WEIGHTS, strict=True)),
            "churners": {
                "quiet_days": QUIET_DAYS,
                "customer_ids": (self.churners + 1).tolist(),
            },
        }

    def segment_codes(self, customers: Customers, count: int):
        """Index into ``SEGMENTS`` of the first ``count`` customers' current segment."""
        import numpy as np

        code = {s: i for i, s in enumerate(SEGMENTS)}
        return np.fromiter(map(code.__getitem__, customers.segments[:count]), np.int8, count)

    def stop_times(self, count: int, end: int):
        """Per customer (first ``count``): the end of their buying time, at most ``end``."""
        import numpy as np

        stop = np.full(count, end, dtype=np.int64)
        mine = self.churners < count
        stop[self.churners[mine]] = np.minimum(self.churn_at[mine], end)
        return stop


def plant_story(world: World, seed: int, h0: int, clock: Clock) -> Story:
    """Plant bundles in ``world.products`` (renames and reweights a few) and pick churners."""
    rng = random.Random(f"{seed}/story")
    bundles = plant_bundles(world.products, rng)
    churn_at = pick_churners(world.customers, rng, h0)
    return Story(world, bundles, churn_at, clock)


def bundle_count(products: int) -> int:
    """3 to 12 bundles, one per ``PRODUCTS_PER_BUNDLE`` products; fewer for tiny catalogues."""
    wanted = max(3, products // PRODUCTS_PER_BUNDLE)
    return min(len(vocab.BUNDLE_TEMPLATES), wanted, products // 4)


def plant_bundles(products: Products, rng: random.Random) -> list[Bundle]:
    """Turn the heaviest products into bundle anchors and light ones into their companions.

    Both are renamed to the bundle template (a Coffee Maker with Coffee Beans) and repriced in
    the new category's range; anchors weigh at least ``ANCHOR_MIN_SHARE`` of all products.
    """
    count = bundle_count(len(products))
    cum = products.cum_weights
    weights = [b - a for a, b in zip([0.0, *cum[:-1]], cum, strict=True)]
    by_weight = sorted(range(len(weights)), key=lambda i: (-weights[i], i))
    anchors = by_weight[:count]
    companions = rng.sample(by_weight[len(weights) // 2 :], count)
    floor = ANCHOR_MIN_SHARE * sum(weights)
    bundles = []
    for (anchor_kind, companion_kind), a, c in zip(
        vocab.BUNDLE_TEMPLATES, anchors, companions, strict=False
    ):
        _become(products, a, *anchor_kind, rng)
        _become(products, c, *companion_kind, rng)
        weights[a] = max(weights[a], floor)
        bundles.append(Bundle(a, c))
    products.cum_weights = list(accumulate(weights))
    return bundles


def _become(products: Products, index: int, category: str, noun: str, rng) -> None:
    low, high = next((lo, hi) for name, lo, hi, _ in vocab.CATEGORIES if name == category)
    products.names[index] = f"{rng.choice(vocab.ADJECTIVES)} {noun}"
    products.categories[index] = category
    products.price_cents[index] = log_uniform_cents(rng, low, high)


def pick_churners(customers: Customers, rng: random.Random, h0: int) -> dict[int, int]:
    """Customer index → epoch second after which they never buy again.

    Candidates bought regularly (propensity at least the median) and were registered long
    enough before ``h0`` to have ``MIN_ACTIVE_DAYS`` of buying and ``QUIET_DAYS`` of silence.
    """
    import numpy as np

    gen = np.random.default_rng(rng.getrandbits(128))
    propensity = np.diff(np.asarray(customers.cum_weights), prepend=0.0)
    registered = np.asarray(customers.registered_at, dtype=np.int64)
    last = h0 - QUIET_DAYS * DAY
    first = registered + MIN_ACTIVE_DAYS * DAY
    eligible = (first < last) & (propensity >= np.median(propensity))
    chosen = np.flatnonzero(eligible & (gen.random(len(registered)) < CHURN_SHARE))
    stops = first[chosen] + (gen.random(len(chosen)) * (last - first[chosen])).astype(np.int64)
    return dict(zip(chosen.tolist(), stops.tolist(), strict=True))


def segment_product_weights(products: Products):
    """Cumulative product weights with each segment's tastes applied, normalised to [0, 1]
    and shifted by the segment's index in ``SEGMENTS``, laid end to end in one array: the
    products of segment ``s`` are found by searching ``s + u`` (``u`` uniform in [0, 1))."""
    import numpy as np

    base = np.diff(np.asarray(products.cum_weights), prepend=0.0)
    categories = np.asarray(products.categories)
    parts = []
    for code, segment in enumerate(SEGMENTS):
        liked = np.isin(categories, vocab.SEGMENT_CATEGORY_PREFERENCES[segment])
        cum = np.cumsum(np.where(liked, base * PREFERRED_CATEGORY_FACTOR, base))
        parts.append(code + cum / cum[-1])
    return np.concatenate(parts)
