"""Discovery: items examined per page for each sort and for ``q`` at 1k and 20k products, and the
edge hit ratio on a workload that mixes sorts and searches (SPEC "Discovery", issue 15).

Views are seeded straight into in-process moto tables by ``bench.seeding`` (the projector's
items, moto patched as in tests: a query no longer sorts the whole table first, which at 20,000
products was most of the section's ~18 minutes).

The edge figure runs the local edge cache with the shared normalisation in front of a stub
origin; its baseline is the same workload keyed by the raw query string.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from dataclasses import replace
from decimal import Decimal
from typing import Any

from moto import mock_aws

from bench.sections import Context, Figure, Measured
from bench.seeding import seed_views
from local.edge import Behavior, EdgeCache
from local.resources import create_resources
from local.web import HttpRequest, HttpResponse
from shared.data.views import EXAMINED_PER_ITEM, DynamoViewRepository, ProductView
from shared.discovery import AvailabilityFilter, Discovery, Sort
from shared.ids import new_id
from shared.models.product import Availability
from shared.routes import canonical_public_query
from tests.builders import active_view

SIZES = (1_000, 20_000)
LIMIT = 20
PAGES = 3
CATEGORIES = 10
WORDS = ("ceramic", "enamel", "steel", "oak", "linen", "glass", "copper", "bamboo")
KINDS = ("mug", "bowl", "plate", "lamp", "chair", "towel", "vase", "pan")
AVAILABILITIES = (Availability.IN_STOCK, Availability.LOW_STOCK, Availability.OUT_OF_STOCK)
# Filter combinations (beyond the plain sorts) whose examined items per page are bounded.
COMBINATIONS: dict[str, Discovery] = {
    "q": Discovery(query_words=("cer",)),
    "q two words": Discovery(query_words=("mug", "cer")),
    "q + category + price_asc": Discovery(
        sort=Sort.PRICE_ASC, category="cat-3", query_words=("mug",), max_price=Decimal(50)
    ),
    "price range + name": Discovery(sort=Sort.NAME, min_price=Decimal(10), max_price=Decimal(20)),
    "price range + price_desc": Discovery(sort=Sort.PRICE_DESC, min_price=Decimal(10), max_price=Decimal(20)),
    "availability + category": Discovery(category="cat-1", availability=AvailabilityFilter.OUT_OF_STOCK),
}


def _view(number: int, rng: random.Random) -> ProductView:
    view = active_view(number, product_id=new_id(), categories=CATEGORIES)
    assert view.public is not None
    public = view.public.model_copy(
        update={
            "name": f"{rng.choice(WORDS).title()} {rng.choice(KINDS)} {number}",
            "price": Decimal(rng.randrange(100, 10_000)) / 100,
            "availability": rng.choice(AVAILABILITIES),
        }
    )
    return replace(view, public=public)


def _examined(repository: DynamoViewRepository, wanted: Discovery) -> tuple[int, int]:
    """(max items examined over PAGES consecutive pages, items returned in them)."""
    examined: list[int] = []
    returned = 0
    after = None
    for _ in range(PAGES):
        page = repository.discover(wanted, after, LIMIT)
        examined.append(page.examined)
        returned += len(page.items)
        after = page.resume_after
        if after is None:
            break
    return max(examined), returned


def examined_per_page() -> dict[str, Any]:
    """Items examined per page, per sort and per filter combination, at each catalog size."""
    result: dict[str, Any] = {"limit": LIMIT, "sizes": {}}
    for size in SIZES:
        rng = random.Random(15)
        with mock_aws():
            resources = create_resources("us-west-1")
            repository = DynamoViewRepository(resources.names.views_table)
            seed_views(resources.names.views_table, (_view(n, rng) for n in range(size)))
            figures: dict[str, Any] = {}
            for sort in Sort:
                figures[f"sort {sort.value}"], _ = _examined(repository, Discovery(sort=sort))
            for name, wanted in COMBINATIONS.items():
                examined, returned = _examined(repository, wanted)
                figures[name] = examined
                figures[f"{name} (items in {PAGES} pages)"] = returned
            result["sizes"][str(size)] = figures
    small, large = (result["sizes"][str(s)] for s in SIZES)
    result["sort_ratio_20k_to_1k"] = max(
        round(large[f"sort {sort.value}"] / small[f"sort {sort.value}"], 3) for sort in Sort
    )
    result["max_filtered_examined"] = max(max(s[name] for name in COMBINATIONS) for s in (small, large))
    result["target_sort_ratio"] = 1.05
    result["target_filtered_examined"] = EXAMINED_PER_ITEM * LIMIT
    return result


def _origin(request: HttpRequest) -> HttpResponse:
    return HttpResponse(
        200,
        (("Cache-Control", "public, max-age=60, s-maxage=300"), ("ETag", f'"{hash(request.query)}"')),
        b"{}",
    )


def _workload(rng: random.Random, count: int) -> Iterable[str]:
    """Shoppers' query strings: popular listings and searches, spelled in many equivalent ways."""
    searches = ["", "mug", "ceramic mug", "lamp", "oak chair", "vase", "glass"]
    for _ in range(count):
        parameters = [(name, value) for name, value in _listing(rng, searches) if value]
        if rng.random() < 0.3:
            parameters.append(("limit", "20"))
        if rng.random() < 0.3:
            parameters.append(("utm_source", f"mail-{rng.randrange(1000)}"))
        rng.shuffle(parameters)
        yield "&".join(f"{name}={value}" for name, value in parameters)


def _listing(rng: random.Random, searches: list[str]) -> list[tuple[str, str]]:
    q = rng.choices(searches, weights=[8, 4, 2, 2, 1, 1, 1])[0]
    if q and rng.random() < 0.5:
        q = f" {q.title()} "
    return [
        ("sort", rng.choices(["", "newest", "price_asc", "price_desc", "name"], weights=[5, 2, 3, 2, 1])[0]),
        ("category", rng.choices(["", "cat-1", "cat-2", "cat-3"], weights=[4, 2, 1, 1])[0]),
        ("q", q.replace(" ", "+")),
        ("availability", rng.choices(["", "in_stock"], weights=[3, 1])[0]),
    ]


def edge_hit_ratio(requests: int = 5_000) -> dict[str, Any]:
    """Hit ratio of the mixed workload with the shared normalisation, and keyed by the raw query."""

    def run(normalize: Callable[[Iterable[tuple[str, str]]], list[tuple[str, str]]]) -> float:
        edge = EdgeCache([Behavior("public-api", ("/products",), _origin, normalize_query=normalize)])
        hits = sum(
            edge(HttpRequest("GET", "/products", query)).header("X-Cache") == "Hit"
            for query in _workload(random.Random(15), requests)
        )
        return round(hits / requests, 4)

    return {
        "requests": requests,
        "hit_ratio": run(canonical_public_query),
        "raw_query_hit_ratio": run(list),
    }


def measure(context: Context) -> Measured:  # noqa: ARG001 - the section signature
    """Both discovery figures, with their targets."""
    examined = examined_per_page()
    edge = edge_hit_ratio()
    return Measured(
        {"examined": examined, "edge": edge},
        {
            "discovery.sort_ratio_20k_to_1k": Figure(examined["sort_ratio_20k_to_1k"], 1.05, "x"),
            "discovery.max_filtered_examined": Figure(
                examined["max_filtered_examined"], examined["target_filtered_examined"], "items"
            ),
            "discovery.mixed_edge_hit_ratio": Figure(edge["hit_ratio"], 0.95, "ratio", "at_least"),
        },
    )
