"""The read views: the only code that touches the views table.

The projector writes them (version-guarded transitions) and the public queries read them. One
table holds three kinds of item:

``pk=PRODUCT#<id>, sk=VIEW``
    The product's view state at a write-model version: ``active`` (carries the public document
    and the sparse listing keys), ``draft`` or ``deleted`` (a tombstone). Hidden states keep the
    version, so an older stream record can never bring a product back. Live states (active and
    draft) also carry the admin document and the admin listing keys
    (:mod:`shared.data.admin_listing`).
``pk=CATEGORIES, sk=<category>``
    The exact number of active products in a category (``product_count``).
``pk=PRODUCT#<id>, sk=ENTRY#<scope>``
    A discovery entry of an active product: one for the catalog, one for its category, one per
    folded word prefix of its name and SKU (``shared.discovery.scopes``). Each carries the three
    sort keys, the filter attributes and the public document, and is written and deleted in the
    same version-guarded transaction as the view, so entries never outlive or lag their view.

The public and admin documents are stored as JSON text in one string attribute each
(:func:`shared.data.dynamo.document_text`), not as nested maps: they are only ever written and
read whole, and a map costs every writer and reader a walk over typed attribute values.

Which discovery index and scope a listing reads (:meth:`DynamoViewRepository.discover`):

========================  ================================  =====================================
parameters                 index / partition                 key condition; filter
========================  ================================  =====================================
``sort``                   ``discovery-<sort>``              cursor
``category``               partition ``CATEGORY#<c>``        —
``min/max_price``          ``discovery-price``: key range;   other sorts: filter on ``price``
``availability``           —                                 filter (in the examined bound)
``q``                      partition ``WORD#<first 3 chars   filter: every word a prefix of a
                           of the longest word>``            stored word; category as filter
========================  ================================  =====================================

Without a filter a page reads ``limit + 1`` entries; with one, at most ``10 × limit``, and the
cursor resumes after the last entry examined (so a page may hold fewer than ``limit`` items).

Listings read the two sparse GSIs, which hold only active products, sorted by product id:
``category-listing`` (``gsi1pk=CATEGORY#<category>``) and ``catalog-listing`` (``gsi2pk=CATALOG``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared import discovery
from shared.data.admin_listing import ADMIN_DOCUMENT, admin_listing_keys
from shared.data.dynamo import (
    TRANSACTION_LIMIT,
    batch_get,
    document_text,
    dynamodb_client,
    from_attribute_values,
    paginate,
    read_document,
    to_attribute_values,
    until_processed,
)
from shared.data.event_log import EventLogTable
from shared.discovery import AvailabilityFilter, Discovery, Sort
from shared.models.events import CatalogEventBase
from shared.models.product import Availability, Product, PublicProduct
from shared.tables import (
    CATALOG_LISTING_INDEX,
    CATEGORY_LISTING_INDEX,
    DISCOVERY_SCOPE,
    NAME_INDEX,
    NEWEST_INDEX,
    PRICE_INDEX,
    IndexSchema,
    product_key,
)

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

VIEW_SORT_KEY = "VIEW"
COUNTS_PARTITION = "CATEGORIES"
CATALOG_PARTITION = "CATALOG"
CATEGORY_PARTITION_PREFIX = "CATEGORY#"
PRODUCT_VIEW_ENTITY = "product-view"
DISCOVERY_ENTITY = "discovery-entry"
ENTRY_SORT_KEY_PREFIX = "ENTRY#"
# SPEC "Discovery": a filtered page examines at most this many entries per item asked for.
EXAMINED_PER_ITEM = 10
# (index, read newest/highest first) per sort.
_SORT_INDEXES: dict[Sort, tuple[IndexSchema, bool]] = {
    Sort.NEWEST: (NEWEST_INDEX, True),
    Sort.PRICE_ASC: (PRICE_INDEX, False),
    Sort.PRICE_DESC: (PRICE_INDEX, True),
    Sort.NAME: (NAME_INDEX, False),
}
_AVAILABILITIES: dict[AvailabilityFilter, tuple[Availability, ...]] = {
    AvailabilityFilter.IN_STOCK: (Availability.IN_STOCK, Availability.LOW_STOCK),
    AvailabilityFilter.OUT_OF_STOCK: (Availability.OUT_OF_STOCK,),
}
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

    ``public`` is set exactly when ``state`` is ``active``; ``category`` is absent on tombstones;
    ``admin`` (the product as admins list it) is set on live states, and absent on views written
    before the admin listing existed until a rebuild or the next write fills it in.
    """

    product_id: str
    version: int
    state: ViewState
    category: str | None = None
    public: PublicProduct | None = None
    admin: Product | None = None

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
    # The view being replaced: its discovery entries that the new view does not keep are deleted.
    previous: ProductView | None = None


@dataclass(frozen=True)
class ListingPage:
    """One page of a listing, and what it cost."""

    items: list[PublicProduct]
    has_more: bool
    scanned_count: int


@dataclass(frozen=True)
class DiscoveryPage:
    """One page of a discovery listing: its items, where the next page resumes, what it examined.

    ``resume_after`` is the sort key of the last entry the page examined (not necessarily the
    last item returned), or ``None`` at the end of the listing.
    """

    items: list[PublicProduct]
    resume_after: str | None
    examined: int


@dataclass(frozen=True)
class CategoryCount:
    """Active products in one category."""

    category: str
    product_count: int


def category_partition(category: str) -> str:
    """The ``category-listing`` partition key of a category."""
    return f"{CATEGORY_PARTITION_PREFIX}{category}"


def _admin_document(product: Product) -> str:
    # The change record is write-model bookkeeping, not part of what admins list.
    return document_text(product, exclude={"last_change"})


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
                "public": document_text(view.public),
                CATEGORY_LISTING_INDEX.partition_key: category_partition(view.category),
                CATEGORY_LISTING_INDEX.sort_key: view.product_id,
                CATALOG_LISTING_INDEX.partition_key: CATALOG_PARTITION,
                CATALOG_LISTING_INDEX.sort_key: view.product_id,
            }
        )
    if view.admin is not None and view.state is not ViewState.DELETED:
        item.update({ADMIN_DOCUMENT: _admin_document(view.admin), **admin_listing_keys(view.admin)})
    return item


def entry_sort_key(scope: str) -> str:
    """The table sort key of a product's discovery entry in ``scope``."""
    return f"{ENTRY_SORT_KEY_PREFIX}{scope}"


def entry_scopes(view: ProductView | None) -> list[str]:
    """The scopes a view is listed in by discovery entries (none unless it is visible)."""
    if view is None or not view.visible or view.public is None:
        return []
    public = view.public
    return discovery.scopes(public.category, public.name, public.sku)


def entry_items(view: ProductView) -> list[dict[str, Any]]:
    """The plain discovery entry items of a visible view (empty for hidden ones)."""
    shared = _entry_shared_attributes(view)
    if shared is None:
        return []
    return [{**shared, **_entry_own_attributes(scope)} for scope in entry_scopes(view)]


def entry_attribute_items(view: ProductView) -> list[dict[str, Any]]:
    """The discovery entry items of a view as DynamoDB attribute values (empty for hidden ones).

    What the entries share (the public document included) is serialised once, not once per
    entry: the same items as :func:`entry_items` gives, for a sixth of the work.
    """
    shared = _entry_shared_attributes(view)
    if shared is None:
        return []
    common = to_attribute_values(shared)
    return [{**common, **to_attribute_values(_entry_own_attributes(scope))} for scope in entry_scopes(view)]


def _entry_own_attributes(scope: str) -> dict[str, Any]:
    return {"sk": entry_sort_key(scope), DISCOVERY_SCOPE: scope}


def _entry_shared_attributes(view: ProductView) -> dict[str, Any] | None:
    public = view.public
    if public is None or not view.visible:
        return None
    return {
        "pk": product_key(view.product_id),
        "entity": DISCOVERY_ENTITY,
        "product_id": view.product_id,
        "version": view.version,
        NEWEST_INDEX.sort_key: discovery.newest_key(public.id),
        PRICE_INDEX.sort_key: discovery.price_key(public.price, public.id),
        NAME_INDEX.sort_key: discovery.name_key(public.name, public.id),
        "price": public.price,
        "availability": public.availability.value,
        "category": public.category,
        "words": discovery.words_field(public.name, public.sku),
        "public": document_text(public),
    }


def view_from_item(item: Mapping[str, Any]) -> ProductView:
    """Parse a stored view item (plain values, as :func:`from_attribute_values` returns them)."""
    state = ViewState(item["state"])
    public = read_document(PublicProduct, item["public"]) if state is ViewState.ACTIVE else None
    admin = read_document(Product, item[ADMIN_DOCUMENT]) if ADMIN_DOCUMENT in item else None
    return ProductView(
        product_id=str(item["product_id"]),
        version=int(item["version"]),
        state=state,
        category=item.get("category"),
        public=public,
        admin=admin,
    )


def stale_entry_keys(transition: ViewTransition) -> list[str]:
    """Sort keys of the replaced view's discovery entries that the new view does not keep."""
    kept = {entry_sort_key(scope) for scope in entry_scopes(transition.view)}
    return [
        entry_sort_key(scope)
        for scope in entry_scopes(transition.previous)
        if entry_sort_key(scope) not in kept
    ]


def summed_count_deltas(transitions: Iterable[ViewTransition]) -> dict[str, int]:
    """The non-zero count change per category of transitions applied together."""
    summed: Counter[str] = Counter()
    for transition in transitions:
        summed.update(transition.count_deltas)
    return {category: delta for category, delta in summed.items() if delta != 0}


def transaction_size(transitions: Sequence[ViewTransition]) -> int:
    """The TransactWriteItems actions that applying ``transitions`` together takes.

    Per transition: its view, its entries written and deleted, its events; then one count
    update per category whose summed delta is not zero.
    """
    per_transition = sum(
        1 + len(entry_scopes(t.view)) + len(stale_entry_keys(t)) + len(t.events) for t in transitions
    )
    return per_transition + len(summed_count_deltas(transitions))


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

    def current_many(self, product_ids: Iterable[str]) -> dict[str, ProductView]:
        """The stored view states of many products (strongly consistent), by product id.

        Products without a view item are absent. One BatchGetItem per 100 products.
        """
        keys = [
            {"pk": {"S": product_key(product_id)}, "sk": {"S": VIEW_SORT_KEY}}
            for product_id in dict.fromkeys(product_ids)
        ]
        views = (
            view_from_item(from_attribute_values(item)) for item in batch_get(self._client, self._table, keys)
        )
        return {view.product_id: view for view in views}

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
        return self.apply_together([transition])

    def apply_together(self, transitions: Sequence[ViewTransition]) -> bool:
        """Apply transitions of different products in one transaction: all of them or none.

        Count deltas of the same category are added up into one update. ``False`` when any view
        is no longer at its expected version (or a concurrent transaction touched the same
        items): nothing was written.

        Raises
        ------
        ValueError
            When two transitions are of one product, the transaction would exceed DynamoDB's
            100 actions (:func:`transaction_size`), or a transition carries events but this
            repository has no event log.
        """
        products = [transition.view.product_id for transition in transitions]
        if len(set(products)) != len(products):
            raise ValueError("a transaction can change each product's view only once")
        size = transaction_size(transitions)
        if size > TRANSACTION_LIMIT:
            raise ValueError(f"{size} actions exceed one transaction ({TRANSACTION_LIMIT})")
        actions = [action for transition in transitions for action in self._transition_actions(transition)]
        actions += self._count_actions(transitions)
        if not actions:
            return True
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

    def _transition_actions(self, transition: ViewTransition) -> list[dict[str, Any]]:
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(view_item(transition.view)),
        }
        if transition.expected_version is None:
            put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            put["ConditionExpression"] = "version = :expected"
            put["ExpressionAttributeValues"] = {":expected": {"N": str(transition.expected_version)}}
        actions: list[dict[str, Any]] = [{"Put": put}, *self._entry_actions(transition)]
        if transition.events:
            if self._event_log is None:
                raise ValueError("this views repository has no event log to record events in")
            now = datetime.now(UTC)
            actions += [
                self._event_log.put_action(event, position, now)
                for position, event in enumerate(transition.events)
            ]
        return actions

    def _count_actions(self, transitions: Sequence[ViewTransition]) -> list[dict[str, Any]]:
        return [
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
            for category, delta in sorted(summed_count_deltas(transitions).items())
        ]

    def _entry_actions(self, transition: ViewTransition) -> list[dict[str, Any]]:
        # Entries ride on the view's guarded Put: the transaction writes all of them or none.
        key = product_key(transition.view.product_id)
        return [
            *(
                {"Put": {"TableName": self._table, "Item": entry}}
                for entry in entry_attribute_items(transition.view)
            ),
            *(
                {"Delete": {"TableName": self._table, "Key": {"pk": {"S": key}, "sk": {"S": sort_key}}}}
                for sort_key in stale_entry_keys(transition)
            ),
        ]

    def reindex(self, view: ProductView) -> bool:
        """Rewrite the discovery entries of a stored view, if it is still at ``view.version``.

        For rebuilds: entries of a view written before discovery existed (or damaged by hand)
        are restored without a version change. ``False`` when the view moved on meanwhile.
        """
        entries = entry_attribute_items(view)
        if not entries:
            return True
        check = {
            "ConditionCheck": {
                "TableName": self._table,
                "Key": {"pk": {"S": product_key(view.product_id)}, "sk": {"S": VIEW_SORT_KEY}},
                "ConditionExpression": "version = :expected",
                "ExpressionAttributeValues": {":expected": {"N": str(view.version)}},
            }
        }
        puts = [{"Put": {"TableName": self._table, "Item": entry}} for entry in entries]
        try:
            self._client.transact_write_items(TransactItems=[check, *puts])  # type: ignore[list-item]
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
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
            for item in (to_attribute_values(view_item(view)), *entry_attribute_items(view)):
                batch.append({"PutRequest": {"Item": item}})
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
        return read_document(PublicProduct, from_attribute_values(item)["public"])

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
            read_document(PublicProduct, from_attribute_values(item)["public"]) for item in response["Items"]
        ]
        return ListingPage(
            items=items[:limit], has_more=len(items) > limit, scanned_count=response.get("ScannedCount", 0)
        )

    def discover(self, wanted: Discovery, after: str | None, limit: int) -> DiscoveryPage:
        """A page of the visible products ``wanted`` describes, resuming after sort key ``after``.

        Reads one discovery index partition (see the module docstring): ``limit + 1`` entries
        when every parameter is a key condition, at most ``EXAMINED_PER_ITEM × limit`` otherwise.
        """
        index, descending = _SORT_INDEXES[wanted.sort]
        names: dict[str, str] = {"#scope": DISCOVERY_SCOPE, "#sk": index.sort_key, "#public": "public"}
        values: dict[str, Any] = {":scope": {"S": _scope(wanted)}}
        lower, upper = _key_range(wanted, index, descending, after)
        if lower is not None and upper is not None and lower > upper:
            return DiscoveryPage(items=[], resume_after=None, examined=0)
        condition = "#scope = :scope"
        if lower is not None:
            values[":lower"] = {"S": lower}
        if upper is not None:
            values[":upper"] = {"S": upper}
        if lower is not None and upper is not None:
            condition += " AND #sk BETWEEN :lower AND :upper"
        elif lower is not None:
            condition += " AND #sk >= :lower"
        elif upper is not None:
            condition += " AND #sk <= :upper"
        filters = _filters(wanted, index, names, values)
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": index.name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": values,
            "ProjectionExpression": "#public, #sk",
            "ScanIndexForward": not descending,
            "Limit": EXAMINED_PER_ITEM * limit if filters else limit + 1,
        }
        if filters:
            arguments["FilterExpression"] = " AND ".join(filters)
        response = self._client.query(**arguments)
        rows = [from_attribute_values(item) for item in response["Items"]]
        items = [read_document(PublicProduct, row["public"]) for row in rows[:limit]]
        resume_after: str | None = None
        if len(rows) > limit:
            resume_after = str(rows[limit - 1][index.sort_key])
        elif "LastEvaluatedKey" in response:
            resume_after = str(response["LastEvaluatedKey"][index.sort_key]["S"])
        return DiscoveryPage(
            items=items, resume_after=resume_after, examined=int(response.get("ScannedCount", 0))
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
        for _ in until_processed(self._client.batch_write_item, {self._table: requests}, "UnprocessedItems"):
            pass


def _scope(wanted: Discovery) -> str:
    scope_word = _scope_word(wanted)
    if scope_word is not None:
        return discovery.word_scope(scope_word)
    if wanted.category is not None:
        return discovery.category_scope(wanted.category)
    return discovery.ALL_SCOPE


def _key_range(
    wanted: Discovery, index: IndexSchema, descending: bool, after: str | None
) -> tuple[str | None, str | None]:
    """Inclusive sort-key bounds: the price range on the price index, narrowed by the cursor."""
    lower: str | None = None
    upper: str | None = None
    if index is PRICE_INDEX:
        if wanted.min_price is not None:
            lower = discovery.price_bound(wanted.min_price)
        if wanted.max_price is not None:
            upper = discovery.range_end(discovery.price_bound(wanted.max_price))
    if after is not None:
        if descending:
            bound = discovery.just_before(after)
            upper = bound if upper is None else min(upper, bound)
        else:
            bound = discovery.just_after(after)
            lower = bound if lower is None else max(lower, bound)
    return lower, upper


def _filters(
    wanted: Discovery, index: IndexSchema, names: dict[str, str], values: dict[str, Any]
) -> list[str]:
    """Filter expressions for what the key condition does not already decide (adds their values)."""
    filters: list[str] = []
    if wanted.query_words and wanted.category is not None:
        names["#category"] = "category"
        values[":category"] = {"S": wanted.category}
        filters.append("#category = :category")
    if index is not PRICE_INDEX and (wanted.min_price is not None or wanted.max_price is not None):
        names["#price"] = "price"
        if wanted.min_price is not None:
            values[":min_price"] = {"N": str(wanted.min_price)}
            filters.append("#price >= :min_price")
        if wanted.max_price is not None:
            values[":max_price"] = {"N": str(wanted.max_price)}
            filters.append("#price <= :max_price")
    if wanted.availability is not None:
        names["#availability"] = "availability"
        allowed = _AVAILABILITIES[wanted.availability]
        placeholders = []
        for number, availability in enumerate(allowed):
            values[f":availability{number}"] = {"S": availability.value}
            placeholders.append(f":availability{number}")
        filters.append(f"#availability IN ({', '.join(placeholders)})")
    # The scope partition already proves its own word when that word is no longer than a token.
    checked = [
        word for word in wanted.query_words if word != _scope_word(wanted) or word != discovery.token(word)
    ]
    if checked:
        names["#words"] = "words"
    for number, word in enumerate(checked):
        # The stored list is space-delimited, so " <word>" matches word starts only.
        values[f":word{number}"] = {"S": f" {word}"}
        filters.append(f"contains(#words, :word{number})")
    return filters


def _scope_word(wanted: Discovery) -> str | None:
    """The query word whose token partition a search reads: the longest, the most specific."""
    return max(wanted.query_words, key=len) if wanted.query_words else None
