"""Rebuilding the read views from the write model (`make rebuild-views`)."""

from __future__ import annotations

import json

import boto3
import pytest

from local.resources import Resources
from local.streams import StreamReader
from shared.data.views import DynamoViewRepository
from shared.models.product import ProductStatus
from tests.stream_builders import Catalog, create_views_table, invoke_projector, visible_snapshot
from tools.rebuild_views import main, rebuild_views


def _mixed_catalog(catalog: Catalog) -> None:
    kept = [
        catalog.create(category=c, inventory=i)
        for i, c in enumerate(["kitchen", "garden", "kitchen", "bath"])
    ]
    catalog.create(status=ProductStatus.DRAFT)
    gone = catalog.create(category="bath")
    catalog.adjust(kept[0].id, delta=2)
    catalog.replace(kept[1].id, category="kitchen")
    catalog.replace(kept[2].id, status=ProductStatus.DRAFT)
    catalog.add_image(kept[3].id, "img-1")
    catalog.delete(gone.id)


def test_a_rebuild_from_scratch_equals_the_projected_views(
    aws: Resources, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    _mixed_catalog(catalog)
    invoke_projector(stream.read_new())
    fresh = create_views_table(aws, "catalog-views-rebuilt")

    summary = rebuild_views(aws.names.products_table, fresh.table_name, images_base_url="https://cdn.test")

    assert visible_snapshot(fresh) == visible_snapshot(views)
    assert visible_snapshot(fresh)[1] == {"kitchen": 2, "bath": 1}
    assert (summary.products, summary.views_written, summary.count_drift) == (5, 5, {})


def test_a_rebuild_reads_the_image_base_url_from_the_environment(
    aws: Resources, catalog: Catalog, views: DynamoViewRepository
) -> None:
    item = catalog.create()
    catalog.add_image(item.id, "img-1")

    rebuild_views(aws.names.products_table, aws.names.views_table)

    public = views.get_public(item.id)
    assert public is not None
    assert public.images[0].url == f"https://cdn.test/images/{item.id}/img-1"


def test_a_second_rebuild_changes_nothing(
    aws: Resources, catalog: Catalog, views: DynamoViewRepository
) -> None:
    _mixed_catalog(catalog)
    rebuild_views(aws.names.products_table, aws.names.views_table)
    before = visible_snapshot(views)

    again = rebuild_views(aws.names.products_table, aws.names.views_table)

    assert (again.views_written, again.views_current, again.tombstoned) == (0, 5, 0)
    assert visible_snapshot(views) == before


def test_a_rebuild_tombstones_views_of_products_that_no_longer_exist(
    aws: Resources, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    item = catalog.create(category="garden")
    invoke_projector(stream.read_new())
    catalog.delete(item.id)  # the REMOVE record has not been projected yet
    removal = stream.read_new()

    summary = rebuild_views(aws.names.products_table, aws.names.views_table)

    assert summary.tombstoned == 1
    assert views.get_public(item.id) is None
    assert views.category_counts() == []
    # The late stream record finds the tombstone already there: nothing changes, nothing drifts.
    invoke_projector(removal)
    assert views.category_counts() == []


def test_stream_records_older_than_a_rebuild_change_nothing(
    aws: Resources, catalog: Catalog, stream: StreamReader, views: DynamoViewRepository
) -> None:
    item = catalog.create(category="kitchen", name="First")
    catalog.replace(item.id, category="garden", name="Second")
    backlog = stream.read_new()
    rebuild_views(aws.names.products_table, aws.names.views_table)
    rebuilt = visible_snapshot(views)

    invoke_projector(backlog)

    assert visible_snapshot(views) == rebuilt
    catalog.replace(item.id, name="Third")
    invoke_projector(stream.read_new())
    public = views.get_public(item.id)
    assert public is not None
    assert public.name == "Third"


def test_a_rebuild_reports_count_drift_it_cannot_explain(
    aws: Resources, catalog: Catalog, views: DynamoViewRepository
) -> None:
    catalog.create(category="kitchen")
    rebuild_views(aws.names.products_table, aws.names.views_table)
    views.set_counts({"kitchen": 4})

    summary = rebuild_views(aws.names.products_table, aws.names.views_table)

    assert summary.count_drift == {"kitchen": {"stored": 4, "views": 1}}


def test_the_command_rebuilds_the_tables_named_in_the_environment(
    aws: Resources, catalog: Catalog, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    catalog.create(category="kitchen")
    target = create_views_table(aws, "catalog-views-cli")
    monkeypatch.setenv("VIEWS_TABLE_NAME", target.table_name)

    assert main([]) == 0

    printed = json.loads(capsys.readouterr().out)
    assert (printed["views_table"], printed["products"], printed["views_written"]) == (
        target.table_name,
        1,
        1,
    )
    assert target.category_counts()[0].product_count == 1


def test_the_command_explains_missing_configuration(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("PRODUCTS_TABLE_NAME", raising=False)
    monkeypatch.delenv("VIEWS_TABLE_NAME", raising=False)

    assert main([]) == 2
    assert "PRODUCTS_TABLE_NAME" in capsys.readouterr().err


def test_the_rebuild_uses_the_given_client(aws: Resources, catalog: Catalog) -> None:
    catalog.create()
    client = boto3.client("dynamodb", region_name=aws.region)
    calls: list[str] = []
    client.meta.events.register("before-call.dynamodb", lambda model, **_: calls.append(model.name))

    rebuild_views(aws.names.products_table, aws.names.views_table, client, images_base_url="")

    assert "Scan" in calls
    assert "TransactWriteItems" in calls
