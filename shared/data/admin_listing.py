"""The admin listing: its index keys and its bounded, filtered pages over the views table.

Every live product's view item (active or draft) carries the admin document and four sparse index
keys, all sorted by ``admin_sk = <updated_at>#<id>`` (a fixed-width UTC timestamp, so string
order is time order). A page reads ONE index, newest first:

=============================  ==================  ======================================
filters given                  index read          key condition / filter expression
=============================  ==================  ======================================
``category`` (+ anything)      ``admin-category``  category; the rest filtered
``stock`` (no category)        ``admin-stock``     availability; the rest filtered
``status`` (no category/stock) ``admin-status``    status; the rest filtered
none of those three            ``admin-all``       one partition; ``sku_prefix`` filtered
=============================  ==================  ======================================

``updated_since`` is always a key condition on ``admin_sk`` (``>=``), so it never costs reads
beyond the matching range; ``sku_prefix`` is always a filter (the order must stay newest first).
Category is read first because it is the most selective partition in a typical catalog; stock
next because the interesting values (``low_stock``, ``out_of_stock``) are rare.

A page examines at most ``max_examined`` index entries (DynamoDB's ``Limit`` counts items
*before* the filter), whatever the catalog size, so it may return fewer items than asked while
more remain; the caller then gets a cursor at the last examined entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from shared.data.dynamo import dynamodb_client, from_attribute_values, read_document
from shared.models.product import Availability, Product, ProductStatus, availability_of
from shared.tables import (
    ADMIN_ALL_INDEX,
    ADMIN_CATEGORY_INDEX,
    ADMIN_SORT_KEY,
    ADMIN_STATUS_INDEX,
    ADMIN_STOCK_INDEX,
    IndexSchema,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

ADMIN_ALL_PARTITION = "ADMIN"
ADMIN_DOCUMENT = "admin"
ADMIN_SKU = "admin_sku"
_TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


def sort_timestamp(moment: datetime) -> str:
    """``moment`` in UTC at a fixed width (microseconds always present): sortable as a string."""
    if moment.tzinfo is None:
        raise ValueError("an admin listing timestamp needs a time zone")
    return moment.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def admin_sort_key(product: Product) -> str:
    """Where a product sits in every admin index: by last change, ties broken by id."""
    return f"{sort_timestamp(product.updated_at)}#{product.id}"


def admin_listing_keys(product: Product) -> dict[str, str]:
    """The index attributes that put a live product into every admin index."""
    return {
        ADMIN_ALL_INDEX.partition_key: ADMIN_ALL_PARTITION,
        ADMIN_CATEGORY_INDEX.partition_key: product.category,
        ADMIN_STOCK_INDEX.partition_key: availability_of(
            product.inventory, product.low_stock_threshold
        ).value,
        ADMIN_STATUS_INDEX.partition_key: product.status.value,
        ADMIN_SORT_KEY: admin_sort_key(product),
        ADMIN_SKU: product.sku,
    }


@dataclass(frozen=True)
class AdminFilters:
    """What an admin asked the listing for; ``None`` means "any"."""

    status: ProductStatus | None = None
    category: str | None = None
    stock: Availability | None = None
    sku_prefix: str | None = None
    updated_since: datetime | None = None

    def fingerprint(self) -> str:
        """A canonical text of these filters: a cursor is only valid for the same one."""
        since = sort_timestamp(self.updated_since) if self.updated_since is not None else ""
        return "&".join(
            (
                f"status={self.status.value if self.status else ''}",
                f"category={self.category or ''}",
                f"stock={self.stock.value if self.stock else ''}",
                f"sku_prefix={self.sku_prefix or ''}",
                f"updated_since={since}",
            )
        )


@dataclass(frozen=True)
class IndexPlan:
    """The index a page reads, its partition, and the filters left for the filter expression."""

    index: IndexSchema
    partition: str
    filters: dict[str, str]


def plan_index(filters: AdminFilters) -> IndexPlan:
    """Which index serves ``filters`` (see the module table) and what is left to filter."""
    remaining = {
        ADMIN_CATEGORY_INDEX.partition_key: filters.category,
        ADMIN_STOCK_INDEX.partition_key: filters.stock.value if filters.stock else None,
        ADMIN_STATUS_INDEX.partition_key: filters.status.value if filters.status else None,
    }
    for index in (ADMIN_CATEGORY_INDEX, ADMIN_STOCK_INDEX, ADMIN_STATUS_INDEX):
        value = remaining[index.partition_key]
        if value is not None:
            del remaining[index.partition_key]
            return IndexPlan(index, value, {k: v for k, v in remaining.items() if v is not None})
    return IndexPlan(ADMIN_ALL_INDEX, ADMIN_ALL_PARTITION, {})


@dataclass(frozen=True)
class AdminPage:
    """One admin listing page: products, where to resume (``None``: the end), what it examined."""

    items: list[Product]
    resume_after: str | None
    examined: int


class AdminListing:
    """Bounded, filtered pages of the admin indexes of the views table (read-only)."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def page(self, filters: AdminFilters, after: str | None, limit: int, max_examined: int) -> AdminPage:
        """Up to ``limit`` products matching ``filters`` after sort key ``after``, newest first.

        Reads in growing chunks (``limit + 1`` first, then doubling) so an unfiltered page costs
        ``limit + 1`` entries, and never more than ``max_examined`` entries in all.
        """
        plan = plan_index(filters)
        names: dict[str, str] = {"#pk": plan.index.partition_key, "#sk": ADMIN_SORT_KEY}
        values: dict[str, Any] = {":pk": {"S": plan.partition}}
        condition = "#pk = :pk"
        since = sort_timestamp(filters.updated_since) if filters.updated_since is not None else None
        if since is not None and after is not None:
            # BETWEEN is inclusive: the entry equal to ``after`` is skipped below.
            condition += " AND #sk BETWEEN :since AND :after"
            values.update({":since": {"S": since}, ":after": {"S": after}})
        elif since is not None:
            condition += " AND #sk >= :since"
            values[":since"] = {"S": since}
        elif after is not None:
            condition += " AND #sk < :after"
            values[":after"] = {"S": after}
        clauses = []
        for position, (attribute, value) in enumerate(sorted(plan.filters.items())):
            names[f"#f{position}"] = attribute
            values[f":f{position}"] = {"S": value}
            clauses.append(f"#f{position} = :f{position}")
        if filters.sku_prefix:
            names["#sku"] = ADMIN_SKU
            values[":sku"] = {"S": filters.sku_prefix}
            clauses.append("begins_with(#sku, :sku)")
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": plan.index.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {**names, "#doc": ADMIN_DOCUMENT},
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "#doc, #sk",
            "ScanIndexForward": False,
        }
        if clauses:
            arguments["FilterExpression"] = " AND ".join(clauses)
        matched: list[tuple[str, Product]] = []
        examined = 0
        chunk = limit + 1
        last_examined: str | None = None
        while True:
            arguments["Limit"] = min(chunk, max_examined - examined)
            response = self._client.query(**arguments)
            examined += response.get("ScannedCount", 0)
            for raw in response["Items"]:
                item = from_attribute_values(raw)
                if item[ADMIN_SORT_KEY] != after:
                    matched.append((str(item[ADMIN_SORT_KEY]), read_document(Product, item[ADMIN_DOCUMENT])))
            last_key = response.get("LastEvaluatedKey")
            if len(matched) > limit:
                return AdminPage([p for _, p in matched[:limit]], matched[limit - 1][0], examined)
            if last_key is None:
                return AdminPage([p for _, p in matched], None, examined)
            last_examined = str(last_key[ADMIN_SORT_KEY]["S"])
            if examined >= max_examined:
                return AdminPage([p for _, p in matched], last_examined, examined)
            arguments["ExclusiveStartKey"] = last_key
            chunk *= 2
