"""The product queries, over any :class:`ProductViews` (HTTP-free, so they read as the rules)."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from queries.cursor import CursorCodec, CursorError, listing_of
from queries.models import ProductPage
from shared.data.views import DiscoveryPage
from shared.discovery import MAX_QUERY_WORDS, AvailabilityFilter, Discovery, Sort, words
from shared.models.product import PublicProduct
from shared.problems import FieldError, ValidationProblem

# Product ids are ULIDs/UUIDs; anything much longer cannot exist and is not worth a read.
MAX_PRODUCT_ID_LENGTH = 128


class ProductViews(Protocol):
    """What the product queries read."""

    def get_public(self, product_id: str) -> PublicProduct | None:
        """The public document of a visible product, or ``None``."""

    def discover(self, wanted: Discovery, after: str | None, limit: int) -> DiscoveryPage:
        """A page of the visible products ``wanted`` describes, after sort key ``after``."""


def find_product(views: ProductViews, product_id: str) -> PublicProduct | None:
    """A visible product; ``None`` for unknown, draft and deleted products alike."""
    if not product_id or len(product_id) > MAX_PRODUCT_ID_LENGTH:
        return None
    return views.get_public(product_id)


def discovery_of(
    *,
    sort: Sort = Sort.NEWEST,
    category: str | None = None,
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    availability: AvailabilityFilter | None = None,
    q: str | None = None,
) -> Discovery:
    """The listing a shopper asked for, with the rules no single parameter can check alone.

    ``q`` is folded (case, accents) and split into words; blank means no search.

    Raises
    ------
    ValidationProblem
        When ``min_price`` exceeds ``max_price`` or ``q`` has more than MAX_QUERY_WORDS words.
    """
    errors: list[FieldError] = []
    if min_price is not None and max_price is not None and min_price > max_price:
        errors.append(FieldError(field="min_price", message="must not be greater than max_price"))
    query_words = tuple(dict.fromkeys(words(q or "")))
    if len(query_words) > MAX_QUERY_WORDS:
        errors.append(FieldError(field="q", message=f"must have at most {MAX_QUERY_WORDS} words"))
    if errors:
        raise ValidationProblem("the query string is invalid", errors=errors)
    return Discovery(
        sort=sort,
        category=category,
        min_price=min_price,
        max_price=max_price,
        availability=availability,
        query_words=query_words,
    )


def list_products(
    views: ProductViews, codec: CursorCodec, wanted: Discovery, *, limit: int, cursor: str | None
) -> ProductPage:
    """One page of the active products ``wanted`` describes, in its sort order.

    Raises
    ------
    ValidationProblem
        When ``cursor`` is malformed, forged, or from another listing (400, naming ``cursor``).
    """
    listing = listing_of(wanted)
    try:
        after = codec.decode(cursor, listing) if cursor is not None else None
    except CursorError as error:
        raise ValidationProblem(
            str(error), errors=[FieldError(field="cursor", message=str(error))]
        ) from error
    page = views.discover(wanted, after, limit)
    next_cursor = codec.encode(listing, page.resume_after) if page.resume_after is not None else None
    return ProductPage(items=page.items, next_cursor=next_cursor)
