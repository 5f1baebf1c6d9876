"""The product queries, over any :class:`ProductViews` (HTTP-free, so they read as the rules)."""

from __future__ import annotations

from typing import Protocol

from queries.cursor import CursorCodec, CursorError, listing_of
from queries.models import ProductPage
from shared.data.views import ListingPage
from shared.models.product import PublicProduct
from shared.problems import FieldError, ValidationProblem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Product ids are ULIDs/UUIDs; anything much longer cannot exist and is not worth a read.
MAX_PRODUCT_ID_LENGTH = 128


class ProductViews(Protocol):
    """What the product queries read."""

    def get_public(self, product_id: str) -> PublicProduct | None:
        """The public document of a visible product, or ``None``."""

    def list_page(self, category: str | None, after: str | None, limit: int) -> ListingPage:
        """Up to ``limit`` visible products after ``after`` in id order (O(limit) reads)."""


def find_product(views: ProductViews, product_id: str) -> PublicProduct | None:
    """A visible product; ``None`` for unknown, draft and deleted products alike."""
    if not product_id or len(product_id) > MAX_PRODUCT_ID_LENGTH:
        return None
    return views.get_public(product_id)


def list_products(
    views: ProductViews, codec: CursorCodec, *, category: str | None, limit: int, cursor: str | None
) -> ProductPage:
    """One page of the active products (of one category, or all), in product id order.

    Raises
    ------
    ValidationProblem
        When ``cursor`` is malformed, forged, or from another listing (400, naming ``cursor``).
    """
    listing = listing_of(category)
    try:
        after = codec.decode(cursor, listing) if cursor is not None else None
    except CursorError as error:
        raise ValidationProblem(
            str(error), errors=[FieldError(field="cursor", message=str(error))]
        ) from error
    page = views.list_page(category, after, limit)
    next_cursor = codec.encode(listing, page.items[-1].id) if page.has_more and page.items else None
    return ProductPage(items=page.items, next_cursor=next_cursor)
