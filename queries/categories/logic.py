"""The categories query."""

from __future__ import annotations

from typing import Protocol

from queries.models import CategoryList, CategorySummary
from shared.data.views import CategoryCount


class CategoryViews(Protocol):
    """What the categories query reads."""

    def category_counts(self) -> list[CategoryCount]:
        """Categories with at least one active product, sorted by category."""


def list_categories(views: CategoryViews) -> CategoryList:
    """Categories with their active product counts; empty categories are left out."""
    counts = sorted(views.category_counts(), key=lambda count: count.category)
    return CategoryList(
        items=[
            CategorySummary(category=count.category, product_count=count.product_count)
            for count in counts
            if count.product_count > 0
        ]
    )
