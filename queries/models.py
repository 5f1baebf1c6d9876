"""Response bodies of the public API (besides the product itself, ``PublicProduct``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.models.product import PublicProduct


class ProductPage(BaseModel):
    """`GET /products`: one page of the listing."""

    items: list[PublicProduct]
    next_cursor: str | None = Field(
        description="Opaque; pass it back for the next page. null on the last page."
    )


class CategorySummary(BaseModel):
    """A category and how many active products it has."""

    category: str
    product_count: int = Field(ge=1)


class CategoryList(BaseModel):
    """`GET /categories`: categories with active products, sorted by name."""

    items: list[CategorySummary]
