"""Items DynamoDB examines per public list page, at two catalog sizes, beside a Scan-based list.

The views are seeded by ``bench.seeding`` (the projector's items straight into moto's backend).
"""

from __future__ import annotations

from typing import Any

import boto3
from moto import mock_aws

from bench.sections import Context, Figure, Measured
from bench.seeding import seed_views
from local.resources import create_resources
from shared.data.views import DynamoViewRepository
from shared.ids import new_id
from tests.builders import active_view

SIZES = (1_000, 20_000)
LIMIT = 20
TARGET_RATIO = 1.05  # items examined per page may not grow with the catalog
CATEGORIES = 10


def _scan_list(client: Any, table: str) -> int:
    """The seed's approach: Scan the whole table and filter in code; returns the items examined."""
    examined = 0
    kwargs: dict[str, Any] = {"TableName": table}
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
            seed_views(
                resources.names.views_table,
                (active_view(n, product_id=new_id(), categories=CATEGORIES) for n in range(size)),
            )
            examined = []
            after = None
            for _ in range(3):  # three consecutive pages of the all-products listing
                page = repository.list_page(None, after, LIMIT)
                examined.append(page.scanned_count)
                after = page.items[-1].id
            category_page = repository.list_page("cat-3", None, LIMIT)
            client = boto3.client("dynamodb", region_name="us-west-1")
            result["sizes"][str(size)] = {
                "index_query_examined_per_page": max(examined),
                "category_page_examined": category_page.scanned_count,
                "scan_list_examined_per_page": _scan_list(client, resources.names.views_table),
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
