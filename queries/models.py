"""Response bodies of the public API (besides the product itself, ``PublicProduct``)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from shared.models.product import AdminProduct, PublicProduct


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


class AdminProductPage(BaseModel):
    """`GET /admin/products`: one page of the admin listing, most recently changed first."""

    items: list[AdminProduct]
    next_cursor: str | None = Field(
        description="Opaque; pass it back with the same filters for the next page. null at the end. "
        "A page may hold fewer than `limit` items while this is not null."
    )
