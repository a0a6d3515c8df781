"""Header check: columns mapped by name in any order, extras ignored, missing ones fatal."""

from __future__ import annotations

import pytest

from dataflow.contracts import PRODUCTS
from dataflow.ingest.header import HeaderMismatchError, parse_header

KEY = "landing/products/2024-01-01/10/p.csv"


def test_columns_are_mapped_by_name_in_file_order():
    layout = parse_header(
        "updated_at,unit_price,product_id,product_category,product_name", PRODUCTS, KEY
    )

    assert layout.copy_columns == (
        "updated_at",
        "unit_price",
        "product_id",
        "product_category",
        "product_name",
    )
    assert layout.passthrough and layout.extra_columns == ()


def test_extra_columns_are_listed_and_skipped():
    layout = parse_header(
        "product_id,colour,product_name,product_category,unit_price,updated_at,size", PRODUCTS, KEY
    )

    assert layout.extra_columns == ("colour", "size")
    assert [i for i, _ in layout.kept] == [0, 2, 3, 4, 5]
    assert not layout.passthrough and layout.field_count == 7


def test_bom_case_and_spaces_are_tolerated():
    layout = parse_header(
        "\ufeffProduct_ID, product_name ,product_category,unit_price,updated_at", PRODUCTS, KEY
    )

    assert layout.copy_columns[0] == "product_id"


def test_missing_column_fails_naming_file_missing_and_likely_renamed_columns():
    with pytest.raises(HeaderMismatchError) as error:
        parse_header("product_id,name,product_category,unit_price,updated_at", PRODUCTS, KEY)

    assert error.value.missing == ("product_name",)
    assert error.value.unknown == ("name",)
    assert str(error.value).startswith(KEY + ": ")
    assert "missing column(s) product_name; unexpected column(s) name (renamed?)" in str(
        error.value
    )


def test_duplicate_columns_fail():
    with pytest.raises(HeaderMismatchError, match="product_id more than once"):
        parse_header(
            "product_id,product_id,product_name,product_category,unit_price,updated_at",
            PRODUCTS,
            KEY,
        )
