"""The projector's use case: apply stream records to the views and log their events with them.

The projector never publishes: each view change and the events it produced are written in one
transaction (the view store's), and the publisher (``projectors.publisher``) sends them from the
event log. A publishing outage therefore cannot hold up the views or fail a stream record.
Side effects go through the small :class:`ViewStore` interface, so tests, the rebuild and the
local runtime reuse exactly this code.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from projectors.catalog.projection import (
    is_product_record,
    parse_change,
    plan_transition,
    record_events,
    target_view,
)
from shared.data.views import ProductView, ViewTransition
from shared.models.events import CatalogEventBase

DEFAULT_MAX_ATTEMPTS = 8


class ViewStore(Protocol):
    """What the projector needs from the read views."""

    def current(self, product_id: str) -> ProductView | None:
        """The stored view state (strongly consistent), or ``None``."""

    def apply(self, transition: ViewTransition) -> bool:
        """Apply a transition (view, counts, events) atomically; ``False`` when its expected
        version no longer holds."""


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

    def project(self, target: ProductView, events: Sequence[CatalogEventBase] = ()) -> ViewOutcome:
        """Bring the stored view up to ``target`` unless it is already at that version or later.

        ``events`` are logged with the view change, atomically; when the record is a duplicate or
        older than the stored view, nothing is written, so events are logged at most once.

        Raises
        ------
        ProjectionConflictError
            When every attempt lost a race with another writer (projector or rebuild).
        """
        for _ in range(self._max_attempts):
            transition = plan_transition(self._store.current(target.product_id), target)
            if transition is None:
                return ViewOutcome(applied=False)
            if self._store.apply(replace(transition, events=tuple(events))):
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
    """What projecting one record did: the events it logged (none for a duplicate)."""

    item_identifier: str
    events: list[CatalogEventBase]
    view_applied: bool


class CatalogProjector:
    """Applies products-stream records to the read views, logging their events in the same write."""

    def __init__(self, views: ViewStore, settings: ProjectorSettings) -> None:
        self._views = ViewProjector(views)
        self._settings = settings

    def apply_record(self, record: Mapping[str, Any]) -> RecordResult:
        """Apply one Lambda-shaped stream record to the views and log the events it produces.

        Records of other items (SKU guards) are acknowledged and produce nothing. Events are
        derived from the record alone (ids from its ``eventID``); a redelivered record whose view
        change is already stored writes nothing, so its events are not logged twice.
        """
        identifier = str(record["dynamodb"]["SequenceNumber"])
        if not is_product_record(record):
            return RecordResult(item_identifier=identifier, events=[], view_applied=False)
        change = parse_change(record)
        events = record_events(change, self._settings.event_source)
        outcome = self._views.project(target_view(change, self._settings.images_base_url), events)
        return RecordResult(
            item_identifier=identifier,
            events=events if outcome.applied else [],
            view_applied=outcome.applied,
        )
