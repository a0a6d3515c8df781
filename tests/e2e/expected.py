"""An independent Python model of the marts' rules, used to check what dbt built.

Written from the issue's specification, not from the dbt SQL: it reads ``raw.*`` rows and
applies the rules row by row in Python.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")


def latest(rows, key, order):
    """One row per ``key``: the row with the greatest ``order`` tuple."""
    best = {}
    for row in rows:
        k = row[key]
        if k not in best or order(row) > order(best[k]):
            best[k] = row
    return best


def lineage(row):
    return (row["_loaded_at"], row["_source_file"], row["_source_line"])


def current_customers(rows):
    return latest(rows, "customer_id", lambda r: (r["updated_at"], *lineage(r)))


def current_products(rows):
    return latest(rows, "product_id", lambda r: (r["updated_at"], *lineage(r)))


def current_transactions(rows):
    return latest(rows, "transaction_id", lineage)


def is_valid_transaction(t, customers, products) -> bool:
    return (
        t["transaction_amount"] > 0
        and t["customer_id"] in customers
        and t["product_id"] in products
    )


@dataclass
class Expected360:
    total_transactions: int
    total_spent: Decimal
    days_since_last_transaction: int | None
    value_tier: str
    lifecycle_stage: str
    rfm_score: int
    rfm_segment: str
    top_categories: str | None
    category_diversity: int
    q4_transactions: int
    q4_spending: Decimal


def value_tier(spent: Decimal) -> str:
    if spent > 10000:
        return "high_value"
    if spent > 1000:
        return "medium_value"
    return "low_value" if spent > 0 else "no_purchases"


def lifecycle_stage(days: int | None) -> str:
    if days is None:
        return "never_purchased"
    if days <= 30:
        return "active"
    if days <= 90:
        return "at_risk"
    return "dormant" if days <= 365 else "churned"


def recency_score(days):
    if days is None:
        return 1
    for limit, score in ((30, 5), (60, 4), (90, 3), (180, 2)):
        if days <= limit:
            return score
    return 1


def frequency_score(n):
    for limit, score in ((50, 5), (20, 4), (10, 3), (5, 2)):
        if n >= limit:
            return score
    return 1


def monetary_score(spent):
    for limit, score in ((10000, 5), (5000, 4), (1000, 3), (500, 2)):
        if spent >= limit:
            return score
    return 1


def rfm_segment(score):
    if score >= 12:
        return "champions"
    if score >= 9:
        return "loyal_customers"
    return "potential_loyalists" if score >= 6 else "at_risk"


def customer_360(customers_raw, products_raw, transactions_raw, as_of: datetime):
    customers = current_customers(customers_raw)
    products = current_products(products_raw)
    counted = defaultdict(list)
    for t in current_transactions(transactions_raw).values():
        if (
            is_valid_transaction(t, customers, products)
            and t["status"] == "completed"
            and t["transaction_at"] < as_of
        ):
            counted[t["customer_id"]].append(t)
    result = {}
    for cid in customers:
        txs = counted.get(cid, [])
        spent = sum((t["transaction_amount"] for t in txs), Decimal("0"))
        last = max((t["transaction_at"] for t in txs), default=None)
        days = (as_of.date() - last.date()).days if last else None
        cats = Counter(products[t["product_id"]]["product_category"] for t in txs)
        top = sorted(cats.items(), key=lambda kv: (-kv[1], kv[0]))[:3]
        q4 = [t for t in txs if t["transaction_at"].month >= 10]
        score = recency_score(days) + frequency_score(len(txs)) + monetary_score(spent)
        result[cid] = Expected360(
            total_transactions=len(txs),
            total_spent=spent,
            days_since_last_transaction=days,
            value_tier=value_tier(spent),
            lifecycle_stage=lifecycle_stage(days),
            rfm_score=score,
            rfm_segment=rfm_segment(score),
            top_categories=", ".join(c for c, _ in top) or None,
            category_diversity=len(cats),
            q4_transactions=len(q4),
            q4_spending=sum((t["transaction_amount"] for t in q4), Decimal("0")),
        )
    return result
