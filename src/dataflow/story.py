"""The demo summary's story: what the marts recovered of the structure the generator planted.

The generator's manifest says what was planted (``dataflow.generate.story``); every figure
printed here is read back from the marts, so a reader sees the pipeline find it.
"""

from __future__ import annotations

from dataflow.settings import Settings

LAPSED_STAGES = ("dormant", "churned")


def top_bundles(conn, limit: int = 5) -> list[tuple]:
    """The strongest product pairs of ``marts.product_affinity``, one row per unordered pair:
    ``(product, associated product, lift, support, baskets with both)``."""
    return conn.execute(
        """
        select a.product_name, b.product_name, round(pa.lift, 1), round(pa.support, 4),
               pa.baskets_with_both
        from marts.product_affinity pa
        join marts.dim_products a on a.product_id = pa.product_id
        join marts.dim_products b on b.product_id = pa.associated_product_id
        where pa.product_id < pa.associated_product_id
        order by pa.lift desc, pa.product_id limit %s
        """,
        (limit,),
    ).fetchall()


def churner_stages(conn, churner_ids: list[int]) -> list[tuple[str, int]]:
    """``customer_360.lifecycle_stage`` counts of the planted churners."""
    return conn.execute(
        "select lifecycle_stage, count(*) from marts.customer_360 "
        "where customer_id = any(%s) group by 1 order by 2 desc",
        (churner_ids,),
    ).fetchall()


def lapsed_examples(conn, churner_ids: list[int], limit: int = 3) -> list[tuple]:
    """A few planted churners by spend: ``(id, name, total spent, last purchase, stage)``."""
    return conn.execute(
        "select customer_id, first_name || ' ' || last_name, total_spent, "
        "cast(last_transaction_at as date), lifecycle_stage from marts.customer_360 "
        "where customer_id = any(%s) and lifecycle_stage = any(%s) "
        "order by total_spent desc, customer_id limit %s",
        (churner_ids, list(LAPSED_STAGES), limit),
    ).fetchall()


def quarterly_spend(conn) -> list[tuple[str, int, int]]:
    """``(quarter, completed spend, transactions)`` per calendar quarter of fct_transactions."""
    return conn.execute(
        """
        select to_char(transaction_date, 'YYYY-"Q"Q'), round(sum(transaction_amount)), count(*)
        from marts.fct_transactions where is_completed group by 1 order by 1
        """
    ).fetchall()


def segment_category_shares(conn) -> list[tuple[str, str, float]]:
    """Per segment, its favourite category and the share of its purchases in it."""
    return conn.execute(
        """
        with bought as (
            select c.customer_segment as segment, p.product_category as category,
                   count(*) as n
            from marts.fct_transactions f
            join marts.dim_customers c using (customer_id)
            join marts.dim_products p using (product_id)
            where f.is_completed group by 1, 2
        )
        select distinct on (segment) segment, category,
               round(100.0 * n / sum(n) over (partition by segment), 1)
        from bought order by segment, n desc
        """
    ).fetchall()


def print_story(settings: Settings, manifest) -> None:
    """Print what the marts show of the bundles, churners, season and segment tastes."""
    import psycopg

    with psycopg.connect(settings.warehouse_url, autocommit=True) as conn:
        print("\nThe story in the data (planted by the generator, found in the marts)")
        try:
            print_story_tables(conn, manifest)
        except psycopg.errors.UndefinedTable as exc:
            print(f"  marts not built (a pipeline run failed?): {exc}".rstrip())


def print_story_tables(conn, manifest) -> None:
    """The story's tables, read from the marts."""
    from dataflow.summary import print_table

    story = manifest.story
    churners = sorted(manifest.churner_ids())
    planted = ", ".join(
        f"{b['product_name']} + {b['associated_product_name']}" for b in story["bundles"][:3]
    )
    print(f"  {len(story['bundles'])} bundles planted, e.g. {planted}")
    print_table(
        "Strongest product pairs (marts.product_affinity)",
        top_bundles(conn) or [("none", "", "", "", "")],
        ("product", "bought with", "lift", "support", "baskets"),
    )
    stages = churner_stages(conn, churners)
    print_table(
        f"{len(churners)} planted churners by lifecycle stage (marts.customer_360)",
        stages or [("none", 0)],
        ("stage", "customers"),
    )
    print_table(
        "  for example",
        lapsed_examples(conn, churners) or [("-", "", "", "", "")],
        ("customer", "name", "spent", "last purchase", "stage"),
    )
    print_table(
        "Completed spend per quarter (marts.fct_transactions): Q4 is the busy season",
        quarterly_spend(conn),
        ("quarter", "spend", "transactions"),
    )
    print_table(
        "Favourite category per segment",
        segment_category_shares(conn),
        ("segment", "category", "% of purchases"),
    )
