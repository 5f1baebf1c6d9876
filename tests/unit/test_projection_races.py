"""The view projector's read-plan-write loop against a store that loses races."""

from __future__ import annotations

import pytest

from projectors.catalog.projection import view_of
from projectors.catalog.service import ProjectionConflictError, ViewProjector
from shared.data.views import ProductView, ViewTransition
from tests.stream_builders import product


class RacyStore:
    """An in-memory ViewStore whose first ``losses`` writes lose to a concurrent writer."""

    def __init__(self, losses: int) -> None:
        self.losses = losses
        self.stored: ProductView | None = None
        self.applied: list[ViewTransition] = []

    def current(self, product_id: str) -> ProductView | None:
        return self.stored

    def apply(self, transition: ViewTransition) -> bool:
        if self.losses:
            self.losses -= 1
            return False
        self.stored = transition.view
        self.applied.append(transition)
        return True


def test_a_lost_race_is_retried_from_a_fresh_read() -> None:
    store = RacyStore(losses=2)
    outcome = ViewProjector(store).project(view_of(product(category="kitchen"), ""))
    assert outcome.applied
    assert [t.count_deltas for t in store.applied] == [{"kitchen": 1}]


def test_endless_races_fail_the_record_instead_of_spinning() -> None:
    with pytest.raises(ProjectionConflictError):
        ViewProjector(RacyStore(losses=100), max_attempts=3).project(view_of(product(), ""))


def test_an_already_current_view_is_not_written() -> None:
    store = RacyStore(losses=0)
    target = view_of(product(), "")
    store.stored = target
    assert not ViewProjector(store).project(target).applied
    assert store.applied == []
