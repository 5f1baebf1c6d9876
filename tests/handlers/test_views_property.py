"""Property: whatever the command sequence and delivery pattern, views rebuilt from scratch equal
the incrementally projected ones, and both show exactly the active products of the write model."""

from __future__ import annotations

import itertools
from collections import Counter
from decimal import Decimal
from typing import Any

import boto3
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from moto import mock_aws

from local.resources import create_resources
from local.streams import batches, lambda_event
from projectors.catalog.handler import project_batch
from projectors.catalog.projection import is_product_record, parse_change, public_view, record_events
from projectors.catalog.service import CatalogProjector, ProjectorSettings
from shared.data.dynamo import paginate
from shared.data.event_log import EventLogTable
from shared.data.products import StockTooLow
from shared.data.views import DynamoViewRepository
from shared.models.product import ProductStatus
from tests.stream_builders import catalog_for, create_views_table, stream_reader, visible_snapshot
from tools.rebuild_views import rebuild_views

REGION = "us-west-1"
BASE_URL = "https://cdn.test"
_tables = itertools.count()

categories = st.sampled_from(["kitchen", "garden", "bath"])
quantities = st.integers(min_value=0, max_value=12)
statuses = st.sampled_from([ProductStatus.ACTIVE, ProductStatus.ACTIVE, ProductStatus.DRAFT])


class ProjectionMachine(RuleBasedStateMachine):
    """Random admin commands, projected in random batches with redeliveries and stale replays."""

    def __init__(self) -> None:
        super().__init__()
        self._mock = mock_aws()
        self._mock.start()
        self.resources = create_resources(REGION)
        client = boto3.client("dynamodb", region_name=REGION)
        self.catalog = catalog_for(self.resources)
        self.stream = stream_reader(self.resources)
        self.views = DynamoViewRepository(
            self.resources.names.views_table,
            client,
            event_log=EventLogTable(self.resources.names.events_table, client),
        )
        self.projector = CatalogProjector(
            self.views, ProjectorSettings(images_base_url=BASE_URL, event_source="urn:test")
        )
        self.delivered: list[list[Any]] = []
        self.read: list[Any] = []

    def _pick(self, index: int) -> str:
        live = sorted(self.catalog.products)
        return live[index % len(live)]

    def _has_products(self) -> bool:
        return bool(self.catalog.products)

    @rule(category=categories, inventory=quantities, threshold=st.integers(0, 6), status=statuses)
    def create(self, category: str, inventory: int, threshold: int, status: ProductStatus) -> None:
        self.catalog.create(
            category=category, inventory=inventory, low_stock_threshold=threshold, status=status
        )

    @precondition(_has_products)
    @rule(
        index=st.integers(0, 50),
        category=categories,
        inventory=quantities,
        status=statuses,
        price=st.decimals(min_value=1, max_value=100, places=2),
    )
    def replace(
        self, index: int, category: str, inventory: int, status: ProductStatus, price: Decimal
    ) -> None:
        self.catalog.replace(
            self._pick(index),
            category=category,
            inventory=inventory,
            status=status,
            price=price,
            name=f"Renamed {inventory}",
        )

    @precondition(_has_products)
    @rule(
        index=st.integers(0, 50),
        change=st.sampled_from(["category", "status", "threshold", "name"]),
        category=categories,
    )
    def patch(self, index: int, change: str, category: str) -> None:
        product_id = self._pick(index)
        current = self.catalog.products[product_id]
        options: dict[str, dict[str, Any]] = {
            "category": {"category": category},
            "status": {
                "status": ProductStatus.DRAFT
                if current.status is ProductStatus.ACTIVE
                else ProductStatus.ACTIVE
            },
            "threshold": {"low_stock_threshold": (current.low_stock_threshold + 3) % 7},
            "name": {"name": current.name + "!"},
        }
        self.catalog.replace(product_id, command="patch-product", **options[change])

    @precondition(_has_products)
    @rule(index=st.integers(0, 50), delta=st.integers(-6, 6).filter(bool), absolute=st.none() | quantities)
    def adjust(self, index: int, delta: int, absolute: int | None) -> None:
        product_id = self._pick(index)
        try:
            if absolute is None:
                self.catalog.adjust(product_id, delta=delta, reason="property")
            else:
                self.catalog.adjust(product_id, set_to=absolute)
        except StockTooLow:
            pass  # refused by the write model: nothing committed, nothing on the stream

    @precondition(_has_products)
    @rule(index=st.integers(0, 50))
    def add_image(self, index: int) -> None:
        product_id = self._pick(index)
        self.catalog.add_image(product_id, f"img-{len(self.catalog.products[product_id].images)}")

    @precondition(_has_products)
    @rule(index=st.integers(0, 50))
    def delete(self, index: int) -> None:
        self.catalog.delete(self._pick(index))

    @rule(size=st.integers(1, 10), redeliver=st.booleans())
    def project(self, size: int, redeliver: bool) -> None:
        new = self.stream.read_new()
        self.read += new
        for batch in batches(new, size):
            self._deliver(batch)
            if redeliver:
                self._deliver(batch)

    @precondition(lambda self: bool(self.delivered))
    @rule(index=st.integers(0, 100))
    def replay_an_old_batch(self, index: int) -> None:
        self._deliver(self.delivered[index % len(self.delivered)])

    def _deliver(self, batch: list[Any]) -> None:
        response = project_batch(lambda_event(batch), None, self.projector)
        assert response["batchItemFailures"] == []
        self.delivered.append(batch)

    @invariant()
    def counts_never_go_negative(self) -> None:
        assert all(count >= 0 for count in self.views.stored_counts().values())

    def _logged_event_ids(self) -> list[str]:
        client = boto3.client("dynamodb", region_name=REGION)
        arguments = {"TableName": self.resources.names.events_table, "ProjectionExpression": "event_id"}
        return [str(item["event_id"]["S"]) for item in paginate(client.scan, arguments)]

    def teardown(self) -> None:
        try:
            self.project(size=7, redeliver=False)
            fresh = create_views_table(self.resources, f"rebuilt-{next(_tables)}")
            rebuild_views(
                self.resources.names.products_table,
                fresh.table_name,
                fresh_client(),
                images_base_url=BASE_URL,
            )

            projected = visible_snapshot(self.views)
            assert visible_snapshot(fresh) == projected

            active = [p for p in self.catalog.products.values() if p.status is ProductStatus.ACTIVE]
            assert projected[0] == {p.id: public_view(p, BASE_URL).model_dump(mode="json") for p in active}
            assert projected[1] == dict(Counter(p.category for p in active))

            # Every committed write's events are logged exactly once, whatever the batching.
            expected = [
                event.id
                for record in self.read
                if is_product_record(record)
                for event in record_events(parse_change(record), "urn:test")
            ]
            assert sorted(self._logged_event_ids()) == sorted(expected)
        finally:
            self._mock.stop()


def fresh_client() -> Any:
    """A DynamoDB client for the rebuild, as `make rebuild-views` would create its own."""
    return boto3.client("dynamodb", region_name=REGION)


ProjectionMachine.TestCase.settings = settings(
    max_examples=20,
    stateful_step_count=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_rebuilt_views_equal_projected_views = ProjectionMachine.TestCase
