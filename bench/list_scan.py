"""Items DynamoDB examines per public list page, at two catalog sizes, beside a Scan-based list.

The views are seeded by ``bench.seeding`` (the projector's items straight into moto's backend).

The baseline is the seed's list: a Scan of its one table, which held one item per product, so
every list page examined every product. It Scans a table of that shape (the same products' view
items, without the discovery and admin entries the views table now also holds: Scanning those
would count index entries the seed never had, twelve per product at 1,000). ``Select=COUNT``
keeps ``ScannedCount`` (Scan counts what it reads, whatever it returns) and spares moto building
and serialising every item of every page.
"""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from bench.sections import Context, Figure, Measured
from bench.seeding import seed_items, seed_views
from local.resources import create_resources, table_definition
from shared.data.views import DynamoViewRepository, view_item
from shared.ids import new_id
from shared.tables import TableSchema
from tests.builders import active_view

SIZES = (1_000, 20_000)
LIMIT = 20
TARGET_RATIO = 1.05  # items examined per page may not grow with the catalog
CATEGORIES = 10
# The seed's table: one item per product, keyed as the view item is.
SEED_TABLE = TableSchema(role="seed-products", partition_key="pk", sort_key="sk")


def scan_examined(client: Any, table: str) -> int:
    """The seed's list: Scan the whole table (and filter in code); returns the items examined."""
    examined = 0
    kwargs: dict[str, Any] = {"TableName": table, "Select": "COUNT"}
    while True:
        page = client.scan(**kwargs)
        examined += int(page["ScannedCount"])
        if "LastEvaluatedKey" not in page:
            return examined
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def measure(context: Context) -> Measured:  # noqa: ARG001 - the section signature
    """ScannedCount of the first, a middle and the last-but-one page, per size, for both approaches."""
    result: dict[str, Any] = {"limit": LIMIT, "sizes": {}}
    for size in SIZES:
        with mock_aws():
            resources = create_resources("us-west-1")
            repository = DynamoViewRepository(resources.names.views_table)
            views = [active_view(n, product_id=new_id(), categories=CATEGORIES) for n in range(size)]
            seed_views(resources.names.views_table, views)
            examined = []
            after = None
            for _ in range(3):  # three consecutive pages of the all-products listing
                page = repository.list_page(None, after, LIMIT)
                examined.append(page.scanned_count)
                after = page.items[-1].id
            category_page = repository.list_page("cat-3", None, LIMIT)
            client = boto3.client("dynamodb", region_name="us-west-1")
            client.create_table(**table_definition(SEED_TABLE, SEED_TABLE.role))
            seed_items(SEED_TABLE.role, (view_item(view) for view in views))
            result["sizes"][str(size)] = {
                "index_query_examined_per_page": max(examined),
                "category_page_examined": category_page.scanned_count,
                "scan_list_examined_per_page": scan_examined(client, SEED_TABLE.role),
            }
    small, large = (result["sizes"][str(s)] for s in SIZES)
    result["ratio_20k_to_1k"] = round(
        large["index_query_examined_per_page"] / small["index_query_examined_per_page"], 3
    )
    result["scan_ratio_20k_to_1k"] = round(
        large["scan_list_examined_per_page"] / small["scan_list_examined_per_page"], 3
    )
    figure = Figure(result["ratio_20k_to_1k"], TARGET_RATIO, "x")
    return Measured(result, {"list_scan.ratio_20k_to_1k": figure})
