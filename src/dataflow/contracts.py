"""The landing-file contract: sources, their columns and types.

The generator writes files that follow it, the loader checks files against it and builds the
``raw`` tables from it, and the tests rely on it. Change a source here and everything follows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

LANDING_PREFIX = "landing"

# Postgres types the loader knows how to validate (see dataflow.ingest.parsers).
INT = "bigint"
TEXT = "text"
NUMERIC = "numeric(14,2)"
DATE = "date"
TIMESTAMP = "timestamptz"


@dataclass(frozen=True)
class Column:
    name: str
    pg_type: str
    required: bool = False  # an empty value is a row-level error


@dataclass(frozen=True)
class Source:
    name: str
    file_format: str  # "csv" (with header) or "jsonl"
    key: str
    columns: tuple[Column, ...]

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def raw_table(self) -> str:
        return f"raw.{self.name}"


CUSTOMERS = Source(
    name="customers",
    file_format="csv",
    key="customer_id",
    columns=(
        Column("customer_id", INT, required=True),
        Column("email", TEXT),
        Column("first_name", TEXT),
        Column("last_name", TEXT),
        Column("country", TEXT),
        Column("customer_segment", TEXT),
        Column("registration_date", DATE),
        Column("last_login_at", TIMESTAMP),
        Column("updated_at", TIMESTAMP, required=True),
    ),
)

PRODUCTS = Source(
    name="products",
    file_format="csv",
    key="product_id",
    columns=(
        Column("product_id", INT, required=True),
        Column("product_name", TEXT),
        Column("product_category", TEXT),
        Column("unit_price", NUMERIC),
        Column("updated_at", TIMESTAMP, required=True),
    ),
)

TRANSACTIONS = Source(
    name="transactions",
    file_format="csv",
    key="transaction_id",
    columns=(
        Column("transaction_id", INT, required=True),
        Column("customer_id", INT, required=True),
        Column("product_id", INT, required=True),
        Column("quantity", INT),
        Column("transaction_amount", NUMERIC, required=True),
        Column("transaction_at", TIMESTAMP, required=True),
        Column("payment_method", TEXT),
        Column("status", TEXT, required=True),
    ),
)

# Events are JSON lines (also the Kinesis payload). Type-specific fields (amount, product_id,
# sub_type, page_url) are kept whole in ``payload``.
EVENTS = Source(
    name="events",
    file_format="jsonl",
    key="event_id",
    columns=(
        Column("event_id", "uuid", required=True),
        Column("event_type", TEXT, required=True),
        Column("customer_id", INT, required=True),
        Column("occurred_at", TIMESTAMP, required=True),
        Column("payload", "jsonb", required=True),
    ),
)

EVENT_TYPES = ("transaction", "customer_update", "page_view", "add_to_cart")
CUSTOMER_SEGMENTS = ("premium", "standard", "basic")
TRANSACTION_STATUSES = ("completed", "refunded", "cancelled")
PAYMENT_METHODS = ("credit_card", "debit_card", "paypal", "apple_pay", "bank_transfer")

SOURCES: dict[str, Source] = {s.name: s for s in (CUSTOMERS, PRODUCTS, TRANSACTIONS, EVENTS)}
BATCH_SOURCES = ("customers", "products", "transactions", "events")

# Lineage columns every raw row carries.
LINEAGE_COLUMNS = (
    Column("_source_file", TEXT, required=True),
    Column("_source_line", INT, required=True),
    Column("_loaded_at", TIMESTAMP, required=True),
    Column("_interval_start", TIMESTAMP, required=True),
)


def landing_prefix(source: str, hour: datetime) -> str:
    """Key prefix of the files that landed for ``source`` in the UTC hour ``hour``."""
    return f"{LANDING_PREFIX}/{source}/{hour:%Y-%m-%d}/{hour:%H}/"


def landing_key(source: str, hour: datetime, file_name: str) -> str:
    """``landing/<source>/<YYYY-MM-DD>/<HH>/<file>``."""
    return landing_prefix(source, hour) + file_name
