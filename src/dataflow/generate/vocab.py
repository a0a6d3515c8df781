"""Fixed vocabularies and weight tables of the synthetic shop.

Values never contain a comma, a quote or a newline, so CSV rows need no quoting.
"""

from __future__ import annotations

# category, lowest and highest unit price (whole currency units), product nouns
CATEGORIES: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("Electronics", 15, 1500, ("Headphones", "Speaker", "Monitor", "Keyboard", "Tablet")),
    ("Books", 5, 60, ("Novel", "Cookbook", "Atlas", "Biography", "Field Guide")),
    ("Clothing", 10, 250, ("Jacket", "T-Shirt", "Sweater", "Jeans", "Scarf")),
    ("Home & Kitchen", 8, 400, ("Coffee Maker", "Blender", "Pan Set", "Kettle", "Lamp")),
    ("Sports & Outdoors", 10, 600, ("Tent", "Backpack", "Yoga Mat", "Bicycle Helmet", "Kayak")),
    ("Beauty", 5, 120, ("Serum", "Lipstick", "Shampoo", "Face Cream", "Perfume")),
    ("Toys & Games", 5, 150, ("Puzzle", "Board Game", "Robot Kit", "Doll House", "Kite")),
    ("Grocery", 2, 50, ("Coffee Beans", "Olive Oil", "Green Tea", "Pasta", "Chocolate")),
    ("Garden", 5, 350, ("Hose", "Planter", "Pruner", "Grill", "Seed Kit")),
    ("Automotive", 10, 700, ("Car Charger", "Dash Cam", "Floor Mats", "Jump Starter", "Wax")),
    ("Health", 5, 150, ("Vitamins", "Thermometer", "First Aid Kit", "Scale", "Massager")),
    ("Pet Supplies", 4, 120, ("Dog Bed", "Cat Tree", "Leash", "Aquarium", "Pet Food")),
)

ADJECTIVES = (
    "Classic", "Deluxe", "Compact", "Eco", "Ultra", "Smart", "Premium", "Essential",
    "Pro", "Vintage", "Urban", "Nordic", "Lightweight", "Everyday", "Signature",
)  # fmt: skip

FIRST_NAMES = (
    "James", "Mary", "John", "Patricia", "Robert", "Jennifer", "Michael", "Linda",
    "William", "Elizabeth", "David", "Barbara", "Richard", "Susan", "Joseph", "Jessica",
    "Thomas", "Sarah", "Charles", "Karen", "Daniel", "Nancy", "Matthew", "Lisa",
    "Anthony", "Betty", "Mark", "Margaret", "Paul", "Sandra", "Lukas", "Emma",
    "Noah", "Mia", "Hugo", "Lea", "Mateo", "Sofia", "Kenji", "Aiko", "Arjun", "Priya",
)  # fmt: skip

LAST_NAMES = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Wilson", "Anderson", "Thomas",
    "Taylor", "Moore", "Jackson", "Martin", "Lee", "Thompson", "White", "Harris",
    "Clark", "Lewis", "Walker", "Young", "Allen", "King", "Wright", "Muller",
    "Schmidt", "Dubois", "Rossi", "Kowalski", "Jansen", "Silva", "Tanaka", "Sato", "Patel",
)  # fmt: skip

EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example.com")

COUNTRY_WEIGHTS: tuple[tuple[str, int], ...] = (
    ("US", 30), ("GB", 10), ("DE", 10), ("FR", 8), ("CA", 7), ("ES", 5), ("IT", 5),
    ("AU", 5), ("NL", 4), ("BR", 4), ("SE", 3), ("PL", 3), ("JP", 3), ("IN", 3),
)  # fmt: skip

SEGMENT_WEIGHTS: tuple[tuple[str, int], ...] = (("premium", 15), ("standard", 55), ("basic", 30))

PAGE_PATHS = ("/", "/search", "/cart", "/deals", "/account", "/help", "/category", "/product")

CUSTOMER_UPDATE_SUB_TYPES = ("email_change", "segment_change", "address_change", "login")


def table(weights: tuple[tuple[str, int], ...], size: int) -> tuple[str, ...]:
    """A lookup table of ``size`` entries where each value appears in proportion to its weight.

    Indexing it with ``getrandbits(log2(size))`` is a weighted choice without a bisect.
    """
    total = sum(w for _, w in weights)
    out: list[str] = []
    for value, weight in weights:
        out.extend([value] * round(weight * size / total))
    out = (out + [weights[0][0]] * size)[:size]
    return tuple(out)


# 32 / 64 / 128-entry tables indexed by random bits in the hot loops.
# quantity - 1 (an index into per-product tables)
QUANTITY_INDEX_TABLE = tuple(
    int(q) for q in table((("0", 14), ("1", 8), ("2", 5), ("3", 3), ("4", 2)), 32)
)
PAYMENT_TABLE = table(
    (("credit_card", 45), ("debit_card", 25), ("paypal", 15), ("apple_pay", 10),
     ("bank_transfer", 5)),
    64,
)  # fmt: skip
STATUS_TABLE = table((("completed", 115), ("refunded", 8), ("cancelled", 5)), 128)

# --- the planted story (see dataflow.generate.story) ------------------------------------
# Bundles: (category, noun) of an anchor product and of the companion bought with it.
BUNDLE_TEMPLATES: tuple[tuple[tuple[str, str], tuple[str, str]], ...] = (
    (("Home & Kitchen", "Coffee Maker"), ("Grocery", "Coffee Beans")),
    (("Sports & Outdoors", "Tent"), ("Sports & Outdoors", "Backpack")),
    (("Electronics", "Monitor"), ("Electronics", "Keyboard")),
    (("Pet Supplies", "Dog Bed"), ("Pet Supplies", "Leash")),
    (("Garden", "Grill"), ("Grocery", "Olive Oil")),
    (("Electronics", "Tablet"), ("Electronics", "Headphones")),
    (("Home & Kitchen", "Kettle"), ("Grocery", "Green Tea")),
    (("Toys & Games", "Board Game"), ("Toys & Games", "Puzzle")),
    (("Automotive", "Dash Cam"), ("Automotive", "Car Charger")),
    (("Garden", "Planter"), ("Garden", "Seed Kit")),
    (("Sports & Outdoors", "Yoga Mat"), ("Health", "Massager")),
    (("Beauty", "Shampoo"), ("Beauty", "Serum")),
)

# Categories each segment buys more of (their products weigh PREFERRED_CATEGORY_FACTOR more).
SEGMENT_CATEGORY_PREFERENCES: dict[str, tuple[str, ...]] = {
    "premium": ("Electronics", "Home & Kitchen", "Beauty"),
    "standard": ("Clothing", "Sports & Outdoors", "Toys & Games"),
    "basic": ("Grocery", "Books", "Pet Supplies"),
}

# Relative order volume per calendar month (January first): Q4 is the busy season.
MONTH_WEIGHTS: tuple[float, ...] = (
    0.90, 0.85, 0.95, 0.95, 1.00, 1.00, 0.95, 1.00, 1.00, 1.25, 1.70, 2.10,
)  # fmt: skip
