"""The projector's use case: apply stream records to the views and log their events with them.

The projector never publishes: each view change and the events it produced are written in one
transaction (the view store's), and the publisher (``projectors.publisher``) sends them from the
event log. A publishing outage therefore cannot hold up the views or fail a stream record.
Side effects go through the small :class:`ViewStore` interface, so tests, the rebuild and the
local runtime reuse exactly this code.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

from projectors.catalog.projection import (
    coalesce,
    is_product_record,
    parse_change,
    plan_transition,
    record_events,
    target_view,
)
from shared.data.dynamo import TRANSACTION_LIMIT
from shared.data.views import ProductView, ViewTransition, transaction_size
from shared.models.events import CatalogEventBase
from shared.tables import product_key

DEFAULT_MAX_ATTEMPTS = 8


class ViewStore(Protocol):
    """What projecting one record at a time needs from the read views."""

    def current(self, product_id: str) -> ProductView | None:
        """The stored view state (strongly consistent), or ``None``."""

    def apply(self, transition: ViewTransition) -> bool:
        """Apply a transition (view, counts, events) atomically; ``False`` when its expected
        version no longer holds."""


class BatchViewStore(ViewStore, Protocol):
    """What projecting a whole batch needs besides: many reads at once, many changes at once."""

    def current_many(self, product_ids: Iterable[str]) -> dict[str, ProductView]:
        """The stored view states of many products (strongly consistent); absent ones have none."""

    def apply_together(self, transitions: Sequence[ViewTransition]) -> bool:
        """Apply transitions of different products in one transaction; ``False`` (nothing
        written) when any expected version no longer holds."""


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


@dataclass(frozen=True)
class BatchProjection:
    """What :meth:`CatalogProjector.apply_batch` did.

    ``results`` holds the records it projected, by sequence number; every other record of the
    batch is left to :meth:`CatalogProjector.apply_record`, for the reason in ``left_because``.
    """

    results: dict[str, RecordResult]
    transactions: int
    left_because: str | None = None


@dataclass
class _ProductPlan:
    """One product's records in a batch: the coalesced change they make, and each one's result."""

    transition: ViewTransition | None
    results: list[RecordResult]

    @property
    def change(self) -> ViewTransition:
        """The coalesced transition of a product that has one to write."""
        assert self.transition is not None
        return self.transition


class CatalogProjector:
    """Applies products-stream records to the read views, logging their events in the same write."""

    def __init__(self, views: BatchViewStore, settings: ProjectorSettings) -> None:
        self._store = views
        self._views = ViewProjector(views)
        self._settings = settings

    def apply_batch(self, records: Sequence[Mapping[str, Any]]) -> BatchProjection:
        """Project as much of a stream batch as it can in few round trips; never raises.

        One BatchGetItem reads every product's stored view; each product's records are planned
        against it in stream order and coalesced into one change (a create followed by updates is
        written once, with every record's events); changes of different products share
        transactions of up to 100 actions. What this leaves (a product whose record does not
        parse, a change too big to share, a transaction that lost a race or failed) goes
        record by record through :meth:`apply_record`, which re-reads and retries: products are
        independent, so which path applies which product never changes the outcome.
        """
        results: dict[str, RecordResult] = {}
        planned: dict[str, list[tuple[str, ProductView, list[CatalogEventBase]]]] = {}
        unparsed: set[str] = set()
        for record in records:
            identifier = str(record["dynamodb"]["SequenceNumber"])
            if not is_product_record(record):
                results[identifier] = RecordResult(item_identifier=identifier, events=[], view_applied=False)
                continue
            try:
                change = parse_change(record)
            except (KeyError, ValueError):
                unparsed.add(str(record["dynamodb"]["Keys"]["pk"]["S"]))
                continue
            target = target_view(change, self._settings.images_base_url)
            events = record_events(change, self._settings.event_source)
            planned.setdefault(change.product_id, []).append((identifier, target, events))
        for product_id in [p for p in planned if product_key(p) in unparsed]:
            del planned[product_id]
        try:
            stored = self._store.current_many(planned)
        except Exception as error:
            return BatchProjection(results, 0, f"reading the views failed: {error}")
        changes: list[_ProductPlan] = []
        for product_id, targets in planned.items():
            plan = _plan_product(stored.get(product_id), targets)
            if plan.transition is None:
                results.update((result.item_identifier, result) for result in plan.results)
            else:
                changes.append(plan)
        return self._write_in_transactions(changes, results)

    def _write_in_transactions(
        self, changes: list[_ProductPlan], results: dict[str, RecordResult]
    ) -> BatchProjection:
        fitting = [plan for plan in changes if transaction_size([plan.change]) <= TRANSACTION_LIMIT]
        left_because = None if len(fitting) == len(changes) else "a product's changes exceed one transaction"
        transactions = 0
        for group in _pack(fitting):
            try:
                applied = self._store.apply_together([plan.change for plan in group])
            except Exception as error:
                return BatchProjection(results, transactions, f"a transaction failed: {error}")
            transactions += 1
            if applied:
                results.update((result.item_identifier, result) for plan in group for result in plan.results)
            else:
                left_because = "a transaction lost a race with another writer"
        return BatchProjection(results, transactions, left_because)

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


def _plan_product(
    stored: ProductView | None, targets: list[tuple[str, ProductView, list[CatalogEventBase]]]
) -> _ProductPlan:
    # Each record is planned against the state the previous ones leave, as apply_record would.
    state = stored
    transitions: list[ViewTransition] = []
    results: list[RecordResult] = []
    for identifier, target, events in targets:
        transition = plan_transition(state, target)
        if transition is None:
            results.append(RecordResult(item_identifier=identifier, events=[], view_applied=False))
            continue
        transitions.append(replace(transition, events=tuple(events)))
        results.append(RecordResult(item_identifier=identifier, events=events, view_applied=True))
        state = target
    return _ProductPlan(coalesce(transitions) if transitions else None, results)


def _pack(changes: list[_ProductPlan]) -> Iterator[list[_ProductPlan]]:
    # Greedy: a group closes when the next change would not fit in it. Changes are taken by the
    # categories they count in (stable: batch order within one), so a transaction updates as few
    # category counts as it can: each is an action of its own, and the counts are hot items.
    # Products are independent, and each one's records stay in stream order within its change.
    group: list[_ProductPlan] = []
    for plan in sorted(changes, key=_counted_categories):
        if group and transaction_size([*(p.change for p in group), plan.change]) > TRANSACTION_LIMIT:
            yield group
            group = []
        group.append(plan)
    if group:
        yield group


def _counted_categories(plan: _ProductPlan) -> tuple[str, ...]:
    return tuple(sorted(plan.change.count_deltas))
