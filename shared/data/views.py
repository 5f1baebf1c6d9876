"""The read views: the only code that touches the views table.

The projector writes them (version-guarded transitions) and the public queries read them. One
table holds three kinds of item:

``pk=PRODUCT#<id>, sk=VIEW``
    The product's view state at a write-model version: ``active`` (carries the public document
    and the sparse listing keys), ``draft`` or ``deleted`` (a tombstone). Hidden states keep the
    version, so an older stream record can never bring a product back.
``pk=CATEGORIES, sk=<category>``
    The exact number of active products in a category (``product_count``).

Listings read the two sparse GSIs, which hold only active products, sorted by product id:
``category-listing`` (``gsi1pk=CATEGORY#<category>``) and ``catalog-listing`` (``gsi2pk=CATALOG``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.data.dynamo import dynamodb_client, from_attribute_values, paginate, to_attribute_values
from shared.data.event_log import EventLogTable
from shared.models.events import CatalogEventBase
from shared.models.product import PublicProduct
from shared.tables import CATALOG_LISTING_INDEX, CATEGORY_LISTING_INDEX, product_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

VIEW_SORT_KEY = "VIEW"
COUNTS_PARTITION = "CATEGORIES"
CATALOG_PARTITION = "CATALOG"
CATEGORY_PARTITION_PREFIX = "CATEGORY#"
PRODUCT_VIEW_ENTITY = "product-view"
CATEGORY_COUNT_ENTITY = "category-count"
# Cancellation codes that mean "someone else wrote first": re-read and try again.
_LOST_RACE_CODES = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


class ViewState(StrEnum):
    """Where a product stands in the public views."""

    ACTIVE = "active"
    DRAFT = "draft"
    DELETED = "deleted"


@dataclass(frozen=True)
class ProductView:
    """A product's view state at one write-model version.

    ``public`` is set exactly when ``state`` is ``active``; ``category`` is absent on tombstones.
    """

    product_id: str
    version: int
    state: ViewState
    category: str | None = None
    public: PublicProduct | None = None

    @property
    def visible(self) -> bool:
        """Whether shoppers see this product (listings, detail, counts)."""
        return self.state is ViewState.ACTIVE


@dataclass(frozen=True)
class ViewTransition:
    """One atomic change of the views: a product's new state plus the count changes it implies.

    ``expected_version`` is the version the writer read (``None``: no view item existed); the
    write is applied only if the stored item is still at that version. ``events`` are logged in
    the same transaction, so they exist exactly when the view change does.
    """

    view: ProductView
    expected_version: int | None
    count_deltas: Mapping[str, int] = field(default_factory=dict)
    events: tuple[CatalogEventBase, ...] = ()


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing, and what it cost."""

    items: list[PublicProduct]
    has_more: bool
    scanned_count: int


@dataclass(frozen=True)
class CategoryCount:
    """Active products in one category."""

    category: str
    product_count: int


def category_partition(category: str) -> str:
    """The ``category-listing`` partition key of a category."""
    return f"{CATEGORY_PARTITION_PREFIX}{category}"


def _public_document(public: PublicProduct) -> dict[str, Any]:
    # Prices stay Decimal (exact) in the table; everything else in its JSON form.
    return {**public.model_dump(mode="json", exclude={"price"}), "price": public.price}


def view_item(view: ProductView) -> dict[str, Any]:
    """The plain (not yet attribute-value) item that stores ``view``; listing keys only if visible."""
    item: dict[str, Any] = {
        "pk": product_key(view.product_id),
        "sk": VIEW_SORT_KEY,
        "entity": PRODUCT_VIEW_ENTITY,
        "product_id": view.product_id,
        "version": view.version,
        "state": view.state.value,
        "category": view.category,
    }
    if view.visible:
        if view.public is None or view.category is None:
            raise ValueError(f"an active view needs its public document and category: {view.product_id}")
        item.update(
            {
                "public": _public_document(view.public),
                CATEGORY_LISTING_INDEX.partition_key: category_partition(view.category),
                CATEGORY_LISTING_INDEX.sort_key: view.product_id,
                CATALOG_LISTING_INDEX.partition_key: CATALOG_PARTITION,
                CATALOG_LISTING_INDEX.sort_key: view.product_id,
            }
        )
    return item


def view_from_item(item: Mapping[str, Any]) -> ProductView:
    """Parse a stored view item (plain values, as :func:`from_attribute_values` returns them)."""
    state = ViewState(item["state"])
    public = PublicProduct.model_validate(item["public"]) if state is ViewState.ACTIVE else None
    return ProductView(
        product_id=str(item["product_id"]),
        version=int(item["version"]),
        state=state,
        category=item.get("category"),
        public=public,
    )


class DynamoViewRepository:
    """The read views on a DynamoDB table (see the module docstring for the item layout)."""

    def __init__(
        self, table_name: str, client: DynamoDBClient | None = None, *, event_log: EventLogTable | None = None
    ) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()
        self._event_log = event_log

    @property
    def table_name(self) -> str:
        """The views table this repository reads and writes."""
        return self._table

    # --- projector side -------------------------------------------------------------------

    def current(self, product_id: str) -> ProductView | None:
        """The stored view state of a product (strongly consistent), or ``None``."""
        response = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": product_key(product_id)}, "sk": {"S": VIEW_SORT_KEY}},
            ConsistentRead=True,
        )
        item = response.get("Item")
        return view_from_item(from_attribute_values(item)) if item else None

    def apply(self, transition: ViewTransition) -> bool:
        """Write the view, ADD the count deltas and log the events in one transaction.

        Returns
        -------
        bool
            ``False`` when the stored view is no longer at ``transition.expected_version`` (or a
            concurrent transaction touched the same items): nothing was written; re-read and retry.

        Raises
        ------
        ValueError
            When the transition carries events but this repository has no event log.
        """
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(view_item(transition.view)),
        }
        if transition.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(transition.expected_version)}}
        actions: list[dict[str, Any]] = [{"Put": put}]
        for category, delta in sorted(transition.count_deltas.items()):
            if delta == 0:
                continue
            actions.append(
                {
                    "Update": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": COUNTS_PARTITION}, "sk": {"S": category}},
                        "UpdateExpression": "SET entity = :entity ADD product_count :delta",
                        "ExpressionAttributeValues": {
                            ":entity": {"S": CATEGORY_COUNT_ENTITY},
                            ":delta": {"N": str(delta)},
                        },
                    }
                }
            )
        if transition.events:
            if self._event_log is None:
                raise ValueError("this views repository has no event log to record events in")
            now = datetime.now(UTC)
            actions += [
                self._event_log.put_action(event, position, now)
                for position, event in enumerate(transition.events)
            ]
        try:
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = {reason.get("Code", "None") for reason in error.response.get("CancellationReasons", [])}
            if codes & _LOST_RACE_CODES:
                return False
            raise
        return True

    def scan_views(self) -> Iterator[ProductView]:
        """Every product view item (strongly consistent scan); for rebuilds and checks only."""
        for item in self._scan("entity = :entity", PRODUCT_VIEW_ENTITY):
            yield view_from_item(item)

    def stored_counts(self) -> dict[str, int]:
        """Every count item, zero counts included; for rebuilds and checks only."""
        return {str(item["sk"]): int(item["product_count"]) for item in self._counts()}

    def put_views(self, views: Iterable[ProductView]) -> None:
        """Bulk-load view items without guards or counts: only for seeding test and bench tables."""
        batch: list[dict[str, Any]] = []
        for view in views:
            batch.append({"PutRequest": {"Item": to_attribute_values(view_item(view))}})
            if len(batch) == 25:
                self._write_batch(batch)
                batch = []
        if batch:
            self._write_batch(batch)

    def set_counts(self, counts: Mapping[str, int]) -> None:
        """Overwrite count items without guards: only for seeding test and bench tables."""
        self._write_batch(
            [
                {
                    "PutRequest": {
                        "Item": to_attribute_values(
                            {
                                "pk": COUNTS_PARTITION,
                                "sk": category,
                                "entity": CATEGORY_COUNT_ENTITY,
                                "product_count": count,
                            }
                        )
                    }
                }
                for category, count in counts.items()
            ]
        )

    # --- query side -----------------------------------------------------------------------

    def get_public(self, product_id: str) -> PublicProduct | None:
        """The public document of a visible product; ``None`` if unknown, draft or deleted."""
        response = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": product_key(product_id)}, "sk": {"S": VIEW_SORT_KEY}},
            ProjectionExpression="#state, #public",
            ExpressionAttributeNames={"#state": "state", "#public": "public"},
        )
        item = response.get("Item")
        if not item or item.get("state", {}).get("S") != ViewState.ACTIVE.value:
            return None
        return PublicProduct.model_validate(from_attribute_values(item)["public"])

    def list_page(self, category: str | None, after: str | None, limit: int) -> ListingPage:
        """Up to ``limit`` visible products after product id ``after``, in product id order.

        Reads ``limit + 1`` index entries at most, whatever the catalog size: the extra one only
        tells whether another page exists.
        """
        if category is None:
            index, partition = CATALOG_LISTING_INDEX, CATALOG_PARTITION
        else:
            index, partition = CATEGORY_LISTING_INDEX, category_partition(category)
        names = {"#pk": index.partition_key, "#public": "public"}
        values: dict[str, Any] = {":pk": {"S": partition}}
        condition = "#pk = :pk"
        if after is not None:
            # A key condition rather than ExclusiveStartKey: it works even if that product has
            # since left the listing, and still reads only from the cursor onwards.
            names["#sk"] = index.sort_key
            values[":after"] = {"S": after}
            condition += " AND #sk > :after"
        response = self._client.query(
            TableName=self._table,
            IndexName=index.name,
            KeyConditionExpression=condition,
            ExpressionAttributeNames=names,
            ExpressionAttributeValues=values,
            ProjectionExpression="#public",
            Limit=limit + 1,
        )
        items = [
            PublicProduct.model_validate(from_attribute_values(item)["public"]) for item in response["Items"]
        ]
        return ListingPage(
            items=items[:limit], has_more=len(items) > limit, scanned_count=response.get("ScannedCount", 0)
        )

    def category_counts(self) -> list[CategoryCount]:
        """Categories with at least one active product, sorted by category."""
        return [
            CategoryCount(category=str(item["sk"]), product_count=int(item["product_count"]))
            for item in self._counts()
            if int(item.get("product_count", 0)) > 0
        ]

    # --- helpers --------------------------------------------------------------------------

    def _counts(self) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": COUNTS_PARTITION}},
        }
        for item in paginate(self._client.query, arguments):
            yield from_attribute_values(item)

    def _scan(self, condition: str, entity: str) -> Iterator[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "FilterExpression": condition,
            "ExpressionAttributeValues": {":entity": {"S": entity}},
            "ConsistentRead": True,
        }
        for item in paginate(self._client.scan, arguments):
            yield from_attribute_values(item)

    def _write_batch(self, requests: list[dict[str, Any]]) -> None:
        pending: dict[str, Any] = {self._table: requests}
        while pending:
            response = self._client.batch_write_item(RequestItems=pending)
            pending = dict(response.get("UnprocessedItems") or {})
