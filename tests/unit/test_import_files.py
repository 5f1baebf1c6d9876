"""Import files cut into batches by byte range, each batch parsed alone, rows numbered by line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from commands.imports.rows import UnreadableFile, parse_batch, plan_file
from shared.data.admin_listing import AdminFilters, plan_index
from shared.models.product import Availability, ProductStatus

CSV = (
    "\ufeffsku,name,category,price,inventory,description\r\n"
    "A-1,One,kit,1,1,\r\n"
    '"A-2",Two,kit,2,2,"first line\r\nsecond, ""quoted"""\r\n'
    "\r\n"
    "A-3,Three,kit,3,3,\r\n"
    "A-4,Four,kit,4,4,plain"  # no final newline
).encode()


def _chunks(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


@pytest.mark.parametrize("chunk_size", [1, 7, 1 << 20])
def test_batches_cover_every_row_once_with_its_first_line_whatever_the_chunking(chunk_size: int) -> None:
    plan = plan_file(_chunks(CSV, chunk_size), "csv", rows_per_batch=2)

    rows = [
        row
        for batch in plan.batches
        for row in parse_batch(CSV[batch.start : batch.end], "csv", plan.columns, batch.first_line)
    ]

    assert plan.total == 4
    assert [batch.rows for batch in plan.batches] == [2, 2]
    assert [(row.line, row.sku) for row in rows] == [(2, "A-1"), (3, "A-2"), (6, "A-3"), (7, "A-4")]
    assert rows[1].fields is not None
    assert rows[1].fields.description == 'first line\r\nsecond, "quoted"'
    assert all(row.errors == () for row in rows)


def test_a_character_split_across_chunks_is_still_utf8() -> None:
    data = "sku,name,category,price,inventory\nC-1,Café,kit,1,1\n".encode()

    plan = plan_file(_chunks(data, 39), "csv")  # byte 39 falls inside "é"

    assert plan.total == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"sku,name,category,price,inventory\nX,\xff,kit,1,1\n", "not UTF-8"),
        (b"sku,name,category,price,inventory\nX,\xc3", "ends inside a character"),
        (b"sku,name,sku,category,price,inventory\n", "named twice"),
        (b"sku,name,category,price,inventory,weight\n", "unknown columns ['weight']"),
        (b"sku,name,category\n", "lacks the required columns ['price', 'inventory']"),
    ],
)
def test_an_unreadable_csv_is_refused_with_the_reason(data: bytes, message: str) -> None:
    with pytest.raises(UnreadableFile, match=message.replace("[", r"\[").replace("]", r"\]")):
        plan_file([data], "csv")


def test_a_file_over_the_limit_is_refused_before_it_is_read_whole() -> None:
    seen: list[int] = []

    def chunks() -> Iterator[bytes]:
        for number in range(100):
            seen.append(number)
            yield b'{"sku": "X"}\n' * 10

    with pytest.raises(UnreadableFile, match="larger than"):
        plan_file(chunks(), "jsonl", limit=1000)
    assert len(seen) < 100


def test_csv_cells_become_typed_fields_and_empty_optional_cells_take_defaults() -> None:
    data = (
        b"sku,name,category,price,inventory,currency,status\nT-1,Typed,kit,12.50,7,,\nT-2,Bad,kit,1.5.0,x,,\n"
    )
    plan = plan_file([data], "csv")

    good, bad = parse_batch(data[plan.batches[0].start :], "csv", plan.columns, plan.batches[0].first_line)

    assert good.fields is not None
    assert (str(good.fields.price), good.fields.inventory, good.fields.currency) == ("12.5", 7, "USD")
    assert good.fields.status is ProductStatus.ACTIVE
    assert bad.line == 3
    assert {error.field for error in bad.errors} == {"price", "inventory"}


@pytest.mark.parametrize(
    ("filters", "index", "left"),
    [
        (AdminFilters(), "admin-all", set()),
        (AdminFilters(sku_prefix="A"), "admin-all", set()),
        (AdminFilters(status=ProductStatus.DRAFT), "admin-status", set()),
        (
            AdminFilters(stock=Availability.OUT_OF_STOCK, status=ProductStatus.DRAFT),
            "admin-stock",
            {"admin_status"},
        ),
        (
            AdminFilters(category="kit", stock=Availability.LOW_STOCK, status=ProductStatus.ACTIVE),
            "admin-category",
            {"admin_stock", "admin_status"},
        ),
    ],
)
def test_the_most_selective_filter_picks_the_index_and_the_rest_are_filtered(
    filters: AdminFilters, index: str, left: set[str]
) -> None:
    plan = plan_index(filters)

    assert plan.index.name == index
    assert set(plan.filters) == left
