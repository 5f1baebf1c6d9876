"""Each listing page reads O(limit) items, whatever the catalog size."""

from __future__ import annotations

from typing import Any

import pytest

from local.resources import Resources
from shared.data.dynamo import dynamodb_client
from shared.data.views import DynamoViewRepository
from tests.builders import active_view, call

CATEGORIES = 10


def _seed(repository: DynamoViewRepository, size: int) -> None:
    repository.put_views(
        active_view(n, product_id=f"01J{n:023d}", categories=CATEGORIES) for n in range(size)
    )


def _pages(query: str, max_pages: int) -> list[tuple[int, int]]:
    """Follow the listing; (items returned, items DynamoDB scanned) per page."""
    scanned: list[int] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        scanned.append(int(parsed["ScannedCount"]))

    dynamodb_client().meta.events.register("after-call.dynamodb.Query", record)
    pages: list[tuple[int, int]] = []
    cursor = None
    try:
        while len(pages) < max_pages:
            response = call(
                "GET", "/products", query=query + (f"&cursor={cursor}" if cursor else ""), claims=None
            )
            assert response.status == 200
            body = response.json()
            pages.append((len(body["items"]), scanned[-1]))
            cursor = body["next_cursor"]
            if cursor is None:
                break
    finally:
        dynamodb_client().meta.events.unregister("after-call.dynamodb.Query", record)
    return pages


@pytest.mark.parametrize("size", [500, 5000])
def test_every_page_scans_at_most_limit_plus_one_items(
    aws: Resources, views: DynamoViewRepository, size: int
) -> None:
    _seed(views, size)

    for query, limit in (("limit=50", 50), ("limit=7&category=cat-3", 7), ("limit=100", 100)):
        pages = _pages(query, max_pages=5)

        assert len(pages) == 5, query
        assert all(scanned <= limit + 1 for _, scanned in pages), (query, pages)
        assert all(returned == limit for returned, _ in pages), (query, pages)


def test_the_last_page_scans_only_what_is_left(aws: Resources, views: DynamoViewRepository) -> None:
    _seed(views, 500)

    pages = _pages("limit=100", max_pages=10)

    assert pages == [(100, 101)] * 4 + [(100, 100)]
