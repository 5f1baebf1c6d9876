"""Pure projection rules: what a products-stream record means for the views and for subscribers.

Nothing here does I/O. The service applies :func:`plan_transition` against the stored view state
and logs what :func:`record_events` returns in the same transaction.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from shared.data.products import PRODUCT_ENTITY, product_from_item
from shared.data.views import ProductView, ViewState, ViewTransition
from shared.models.events import (
    CHANGEABLE_FIELDS,
    CatalogEventBase,
    EventImage,
    EventProduct,
    EventType,
    InventoryData,
    InventoryEventBase,
    InventoryEventType,
    ProductCreated,
    ProductCreatedData,
    ProductDeleted,
    ProductDeletedData,
    ProductEventType,
    ProductUpdated,
    ProductUpdatedData,
    build_event,
)
from shared.models.product import (
    Product,
    ProductStatus,
    PublicImage,
    PublicProduct,
    StoredImage,
    availability_of,
)
from shared.tables import PRODUCT_KEY_PREFIX

# Event ids are uuid5(namespace, "<stream eventID>:<type>"): the same record always yields the
# same ids, so redelivered events can be dropped by id downstream. The namespace keeps its first
# name so ids of inventory events stay what they were before product events existed.
EVENT_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:catalog:inventory-events")


class ChangeKind(StrEnum):
    """The stream's event names."""

    INSERT = "INSERT"
    MODIFY = "MODIFY"
    REMOVE = "REMOVE"


@dataclass(frozen=True)
class ProductChange:
    """One committed write of a product, as a stream record tells it."""

    event_id: str
    kind: ChangeKind
    old: Product | None
    new: Product | None
    committed_at: datetime | None = None

    @property
    def product_id(self) -> str:
        """The product written."""
        product = self.new or self.old
        assert product is not None  # guaranteed by parse_change
        return product.id


def is_product_record(record: Mapping[str, Any]) -> bool:
    """Whether a stream record is about a product (SKU guard items share the stream)."""
    keys = record.get("dynamodb", {}).get("Keys", {})
    return str(keys.get("pk", {}).get("S", "")).startswith(PRODUCT_KEY_PREFIX)


def parse_change(record: Mapping[str, Any]) -> ProductChange:
    """Read a Lambda-shaped DynamoDB stream record of a product item.

    Raises
    ------
    ValueError
        When the record lacks the image its event name requires (wrong stream view type), or
        the image is not a product.
    """
    kind = ChangeKind(record["eventName"])
    body = record["dynamodb"]
    old = _image(body.get("OldImage"))
    new = _image(body.get("NewImage"))
    if (kind is ChangeKind.REMOVE and old is None) or (kind is not ChangeKind.REMOVE and new is None):
        raise ValueError(f"{kind} record {record.get('eventID')} lacks the image it needs")
    seconds = body.get("ApproximateCreationDateTime")
    return ProductChange(
        event_id=str(record["eventID"]),
        kind=kind,
        old=old,
        new=None if kind is ChangeKind.REMOVE else new,
        committed_at=datetime.fromtimestamp(seconds, UTC) if isinstance(seconds, int | float) else None,
    )


def _image(image: Mapping[str, Any] | None) -> Product | None:
    if not image:
        return None
    entity = image.get("entity", {}).get("S")
    if entity is not None and entity != PRODUCT_ENTITY:
        raise ValueError(f"not a product image: entity {entity!r}")
    return product_from_item(dict(image))


def image_url(image: StoredImage, images_base_url: str) -> str:
    """Where shoppers fetch an image: ``<base>/<key>``, or ``/<key>`` on the same origin."""
    return f"{images_base_url.rstrip('/')}/{image.key.lstrip('/')}"


def public_view(product: Product, images_base_url: str) -> PublicProduct:
    """The public document of a product: no stock count, threshold, status or internal fields."""
    return PublicProduct(
        id=product.id,
        sku=product.sku,
        name=product.name,
        description=product.description,
        category=product.category,
        price=product.price,
        currency=product.currency,
        availability=availability_of(product.inventory, product.low_stock_threshold),
        images=[PublicImage(id=image.id, url=image_url(image, images_base_url)) for image in product.images],
        updated_at=product.updated_at,
    )


def view_of(product: Product, images_base_url: str) -> ProductView:
    """The view state a live product should have: active (public) or draft (hidden)."""
    if product.status is ProductStatus.ACTIVE:
        return ProductView(
            product_id=product.id,
            version=product.version,
            state=ViewState.ACTIVE,
            category=product.category,
            public=public_view(product, images_base_url),
            admin=product,
        )
    return ProductView(
        product_id=product.id,
        version=product.version,
        state=ViewState.DRAFT,
        category=product.category,
        admin=product,
    )


def tombstone(product_id: str, last_version: int) -> ProductView:
    """The view state of a deleted product: one version past its last write, so it stays gone."""
    return ProductView(product_id=product_id, version=last_version + 1, state=ViewState.DELETED)


def target_view(change: ProductChange, images_base_url: str) -> ProductView:
    """The view state a stream record asks for."""
    if change.kind is ChangeKind.REMOVE:
        assert change.old is not None
        return tombstone(change.old.id, change.old.version)
    assert change.new is not None
    return view_of(change.new, images_base_url)


def plan_transition(current: ProductView | None, target: ProductView) -> ViewTransition | None:
    """The write that takes the stored state ``current`` to ``target``; ``None`` if it is stale.

    A target at or below the stored version is a duplicate or an older record: applying it would
    resurrect or roll back the product, so it is skipped. Counts change by the difference in
    visibility: leaving a category's listing is -1 there, joining one is +1. The one same-version
    write allowed fills in the admin listing of a view stored before it existed (a rebuild).
    """
    if current is not None and current.version >= target.version and not _backfills_admin(current, target):
        return None
    deltas: Counter[str] = Counter()
    if current is not None and current.visible and current.category is not None:
        deltas[current.category] -= 1
    if target.visible and target.category is not None:
        deltas[target.category] += 1
    return ViewTransition(
        view=target,
        expected_version=None if current is None else current.version,
        count_deltas={category: delta for category, delta in deltas.items() if delta != 0},
        previous=current,
    )


def coalesce(transitions: Sequence[ViewTransition]) -> ViewTransition:
    """One transition with the effect of consecutive transitions of one product, in their order.

    It expects what the first expected and replaces what the first replaced, writes the last
    view, and carries every count change and every event: applied at once, it leaves the views
    and the event log exactly as applying each in turn would.
    """
    if not transitions:
        raise ValueError("nothing to coalesce")
    first, last = transitions[0], transitions[-1]
    if any(t.view.product_id != first.view.product_id for t in transitions):
        raise ValueError("only transitions of one product can be coalesced")
    deltas: Counter[str] = Counter()
    for transition in transitions:
        deltas.update(transition.count_deltas)
    return ViewTransition(
        view=last.view,
        expected_version=first.expected_version,
        count_deltas={category: delta for category, delta in deltas.items() if delta != 0},
        events=tuple(event for transition in transitions for event in transition.events),
        previous=first.previous,
    )


def _backfills_admin(current: ProductView, target: ProductView) -> bool:
    return current.version == target.version and current.admin is None and target.admin is not None


def event_id(stream_event_id: str, event_type: EventType) -> str:
    """The deterministic id of the event of ``event_type`` derived from one stream record."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{stream_event_id}:{event_type.value}"))


def crossed_types(previous: int, quantity: int, threshold: int, *, created: bool) -> list[InventoryEventType]:
    """The event types a quantity change from ``previous`` to ``quantity`` produces.

    ``changed`` on any difference; ``low``/``depleted``/``restocked`` only on crossings of an
    existing product's stock, judged against the threshold in force after the write. A create
    is a change from 0 but crosses nothing: a new product was never in or out of stock.
    """
    if previous == quantity:
        return []
    types = [InventoryEventType.CHANGED]
    if created:
        return types
    if previous >= threshold > quantity > 0:
        types.append(InventoryEventType.LOW)
    if previous > 0 and quantity == 0:
        types.append(InventoryEventType.DEPLETED)
    if previous == 0 and quantity > 0:
        types.append(InventoryEventType.RESTOCKED)
    return types


def inventory_events(change: ProductChange, source: str) -> list[InventoryEventBase]:
    """The inventory events one committed write produces (none for a deletion)."""
    new = change.new
    if change.kind is ChangeKind.REMOVE or new is None:
        # A deleted product is gone, not out of stock: subscribers learn nothing actionable.
        return []
    previous = change.old.inventory if change.old is not None else 0
    types = crossed_types(previous, new.inventory, new.low_stock_threshold, created=change.old is None)
    if not types:
        return []
    reason = None
    if new.last_change is not None:
        reason = new.last_change.reason or new.last_change.command
    data = InventoryData(
        product_id=new.id,
        sku=new.sku,
        category=new.category,
        previous_quantity=previous,
        quantity=new.inventory,
        delta=new.inventory - previous,
        low_stock_threshold=new.low_stock_threshold,
        version=new.version,
        reason=reason,
    )
    return [
        build_event(
            event_type,
            event_id=event_id(change.event_id, event_type),
            source=source,
            time=new.updated_at,
            data=data,
        )
        for event_type in types
    ]


def event_product(product: Product) -> EventProduct:
    """A product as product events carry it: the admin shape, images without URLs."""
    return EventProduct(
        id=product.id,
        sku=product.sku,
        name=product.name,
        description=product.description,
        category=product.category,
        price=product.price,
        currency=product.currency,
        inventory=product.inventory,
        low_stock_threshold=product.low_stock_threshold,
        status=product.status,
        images=[EventImage(id=image.id, content_type=image.content_type) for image in product.images],
        version=product.version,
        created_at=product.created_at,
        updated_at=product.updated_at,
    )


def changed_fields(old: Product, new: Product) -> list[str]:
    """The admin-visible fields whose value differs between two versions, in a fixed order."""
    before, after = event_product(old), event_product(new)
    return [name for name in CHANGEABLE_FIELDS if getattr(before, name) != getattr(after, name)]


def product_events(change: ProductChange, source: str) -> list[CatalogEventBase]:
    """The product lifecycle event one committed write produces: created, updated or deleted.

    Every write of an existing product is an update, even one that changed no visible field (a
    replace with the same values still made a new version, and version-tracking subscribers must
    see it). A deletion carries version last + 1, like the view's tombstone, so it orders after
    every update of the product.
    """
    if change.kind is ChangeKind.REMOVE:
        old = change.old
        assert old is not None
        deleted = ProductDeletedData(
            product_id=old.id, sku=old.sku, category=old.category, version=old.version + 1
        )
        return [
            ProductDeleted(
                id=event_id(change.event_id, ProductEventType.DELETED),
                source=source,
                subject=old.id,
                time=change.committed_at or old.updated_at,
                data=deleted,
            )
        ]
    new = change.new
    assert new is not None
    if change.old is None:
        return [
            ProductCreated(
                id=event_id(change.event_id, ProductEventType.CREATED),
                source=source,
                subject=new.id,
                time=new.updated_at,
                data=ProductCreatedData(product=event_product(new), version=new.version),
            )
        ]
    return [
        ProductUpdated(
            id=event_id(change.event_id, ProductEventType.UPDATED),
            source=source,
            subject=new.id,
            time=new.updated_at,
            data=ProductUpdatedData(
                product=event_product(new), changed=changed_fields(change.old, new), version=new.version
            ),
        )
    ]


def record_events(change: ProductChange, source: str) -> list[CatalogEventBase]:
    """Every event one committed write produces: its product event first, then its inventory events."""
    return [*product_events(change, source), *inventory_events(change, source)]
