"""Admins browse the catalog through the local runtime: every filter, and paging without repeats."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.support import LocalCatalog, eventually

pytestmark = pytest.mark.e2e

PREFIX = "E2E-BROWSE-"
# (category, status, inventory): each filter value picks a different, known subset.
SHELF = [
    ("hats", "active", 0),
    ("hats", "draft", 2),
    ("hats", "active", 50),
    ("socks", "active", 3),
    ("socks", "draft", 0),
    ("socks", "active", 80),
    ("scarves", "draft", 60),
]


def browse(catalog: LocalCatalog, query: str, limit: int = 2) -> list[dict[str, Any]]:
    """Every item of the listing for ``query``, following next_cursor; fails on a repeated id."""
    items: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        page_query = f"{query}&limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        reply = catalog.request("GET", f"/admin/products?{page_query}", admin=True)
        assert reply.status == 200, reply.body
        body = reply.json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            ids = [item["id"] for item in items]
            assert len(ids) == len(set(ids)), "a page repeated an item"
            return items


def test_browse_with_every_filter_and_page_without_repeats(catalog: LocalCatalog) -> None:
    # Given seven products of our own, created oldest first
    created = []
    for number, (category, status, inventory) in enumerate(SHELF):
        body = {
            "sku": f"{PREFIX}{number}",
            "name": f"Browse {number}",
            "category": category,
            "price": 5,
            "inventory": inventory,
            "status": status,
        }
        reply = catalog.request("POST", "/admin/products", body, admin=True)
        assert reply.status == 201, reply.body
        created.append(reply.json())
    newest_first = [product["id"] for product in reversed(created)]

    # When the projection has caught up, the listing holds them all, drafts included, newest first
    def listed() -> list[dict[str, Any]] | None:
        items = browse(catalog, f"sku_prefix={PREFIX}")
        return items if len(items) == len(SHELF) else None

    everything = eventually(listed, what="the new products in the admin listing")
    assert [item["id"] for item in everything] == newest_first

    def ids(query: str) -> list[str]:
        return [item["id"] for item in browse(catalog, f"sku_prefix={PREFIX}&{query}")]

    def expect(keep: Any) -> list[str]:
        return [p["id"] for p in reversed(created) if keep(p)]

    # Then each filter, and a combination of all of them, answers exactly its subset
    assert ids("status=draft") == expect(lambda p: p["status"] == "draft")
    assert ids("category=socks") == expect(lambda p: p["category"] == "socks")
    assert ids("stock=out_of_stock") == expect(lambda p: p["inventory"] == 0)
    assert ids("stock=low_stock") == expect(lambda p: 0 < p["inventory"] < 5)
    assert ids("stock=in_stock") == expect(lambda p: p["inventory"] >= 5)
    # Compared as instants, newest first: the text drops a zero fraction ("…:01Z" sorts after
    # "…:01.5Z"), and the wall clock the timestamps come from may be stepped between two creates.
    since = created[4]["updated_at"]
    newer = [p for p in created if datetime.fromisoformat(p["updated_at"]) >= datetime.fromisoformat(since)]
    newer.sort(key=lambda p: (datetime.fromisoformat(p["updated_at"]), p["id"]), reverse=True)
    assert ids(f"updated_since={quote(since)}") == [p["id"] for p in newer]
    assert ids(
        f"status=active&category=hats&stock=out_of_stock&updated_since={quote(created[0]['updated_at'])}"
    ) == [created[0]["id"]]
    assert [item["sku"] for item in browse(catalog, f"sku_prefix={PREFIX}1")] == [f"{PREFIX}1"]

    # And a bad filter is a 400 problem
    bad = catalog.request("GET", "/admin/products?stock=plenty", admin=True)
    assert bad.status == 400
    assert bad.header("Content-Type") == "application/problem+json"
