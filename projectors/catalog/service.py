"""The projector's use cases: apply stream records to the views, then publish their events.

Side effects go through two small interfaces, :class:`ViewStore` and
:class:`~shared.data.events.EventPublisher`, so tests, the rebuild and the local runtime reuse
exactly this code with real or substitute implementations.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from projectors.catalog.projection import (
    inventory_events,
    is_product_record,
    parse_change,
    plan_transition,
    target_view,
)
from shared.data.events import EventPublisher
from shared.data.views import ProductView, ViewTransition
from shared.models.events import InventoryEventBase

DEFAULT_MAX_ATTEMPTS = 8


class ViewStore(Protocol):
    """What the projector needs from the read views."""

    def current(self, product_id: str) -> ProductView | None:
        """The stored view state (strongly consistent), or ``None``."""

    def apply(self, transition: ViewTransition) -> bool:
        """Apply a transition atomically; ``False`` when its expected version no longer holds."""


class ProjectionConflictError(RuntimeError):
    """The view kept changing under us; the record is failed so the stream retries it."""


@dataclass(frozen=True)
class ViewOutcome:
    """What projecting one target did: ``applied`` is ``False`` for a duplicate or older record."""

    applied: bool
    count_deltas: Mapping[str, int] = field(default_factory=dict)


class ViewProjector:
    """Moves one product's view to a target state: read, plan, conditional write, retry on a lost race."""

    def __init__(self, store: ViewStore, max_attempts: int = DEFAULT_MAX_ATTEMPTS) -> None:
        self._store = store
        self._max_attempts = max_attempts

    def project(self, target: ProductView) -> ViewOutcome:
        """Bring the stored view up to ``target`` unless it is already at that version or later.

        Raises
        ------
        ProjectionConflictError
            When every attempt lost a race with another writer (projector or rebuild).
        """
        for _ in range(self._max_attempts):
            transition = plan_transition(self._store.current(target.product_id), target)
            if transition is None:
                return ViewOutcome(applied=False)
            if self._store.apply(transition):
                return ViewOutcome(applied=True, count_deltas=transition.count_deltas)
        raise ProjectionConflictError(
            f"view of {target.product_id} kept changing; giving up after {self._max_attempts}"
        )


@dataclass(frozen=True)
class ProjectorSettings:
    """The plain settings the projection needs (from ``ProjectorConfig`` in the handler)."""

    images_base_url: str
    event_source: str


@dataclass
class RecordResult:
    """A record whose views were applied, with the events still to publish for it."""

    item_identifier: str
    events: list[InventoryEventBase]
    view_applied: bool


class CatalogProjector:
    """Applies products-stream records to the read views and publishes their inventory events."""

    def __init__(self, views: ViewStore, publisher: EventPublisher, settings: ProjectorSettings) -> None:
        self._views = ViewProjector(views)
        self._publisher = publisher
        self._settings = settings

    def apply_record(self, record: Mapping[str, Any]) -> RecordResult:
        """Apply one Lambda-shaped stream record to the views; return the events it produces.

        Records of other items (SKU guards) are acknowledged and produce nothing. Events are
        derived from the record alone, so a redelivered record yields identical events even when
        its view write is now a no-op.
        """
        identifier = str(record["dynamodb"]["SequenceNumber"])
        if not is_product_record(record):
            return RecordResult(item_identifier=identifier, events=[], view_applied=False)
        change = parse_change(record)
        outcome = self._views.project(target_view(change, self._settings.images_base_url))
        return RecordResult(
            item_identifier=identifier,
            events=inventory_events(change, self._settings.event_source),
            view_applied=outcome.applied,
        )

    def publish(self, results: Sequence[RecordResult]) -> set[str]:
        """Publish the events of every result together; return the identifiers of the records
        with at least one event that was not accepted."""
        events = [event for result in results for event in result.events]
        if not events:
            return set()
        failed_events = self._publisher.publish(events)
        return {
            result.item_identifier
            for result in results
            if any(event.id in failed_events for event in result.events)
        }
