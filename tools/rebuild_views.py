"""Rebuild every read view from the write model: ``make rebuild-views``.

Each product in the products table is projected with the same version-guarded transition the
stream projector uses, and every live view whose product no longer exists is tombstoned. Both
steps only ever move a view forward in version, so the rebuild is idempotent and safe to run
while the projector is consuming the stream: whichever of the two writes a version first wins,
and the other's write of the same or an older version is a no-op.

Counts are maintained by those transitions, so rebuilding into an empty views table yields exact
counts; the summary also reports categories whose stored count disagrees with the views it saw.

Usage::

    PRODUCTS_TABLE_NAME=... VIEWS_TABLE_NAME=... [IMAGES_BASE_URL=...] [AWS_ENDPOINT_URL=...] \\
        python -m tools.rebuild_views
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from projectors.catalog.projection import tombstone, view_of
from projectors.catalog.service import ViewProjector
from shared.config import ConfigurationError, FunctionConfig, TableName, load_config
from shared.data.dynamo import dynamodb_client
from shared.data.products import DynamoProductStore
from shared.data.views import DynamoViewRepository, ViewState

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


class ImagesConfig(FunctionConfig):
    """The public image base URL, under the projector's variable name (``IMAGES_BASE_URL``)."""

    images_base_url: str = ""


class RebuildConfig(ImagesConfig):
    """What the rebuild reads from the environment (same variable names as the functions)."""

    products_table_name: TableName
    views_table_name: TableName


@dataclass
class RebuildSummary:
    """What a rebuild did."""

    products: int = 0
    views_written: int = 0
    views_current: int = 0
    entries_reindexed: int = 0
    tombstoned: int = 0
    count_drift: dict[str, dict[str, int]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """The summary as plain JSON-ready data."""
        return asdict(self)


def rebuild_views(
    products_table: str,
    views_table: str,
    client: DynamoDBClient | None = None,
    *,
    images_base_url: str | None = None,
) -> RebuildSummary:
    """Bring every view up to the write model; safe to repeat and to run beside the projector.

    Parameters
    ----------
    products_table, views_table
        Table names (the views table may be empty, or hold views of any age).
    client
        DynamoDB client; defaults to the process-wide one (honours ``AWS_ENDPOINT_URL``).
    images_base_url
        Base of public image URLs; ``None`` reads ``IMAGES_BASE_URL`` (as the projector does).

    Returns
    -------
    RebuildSummary
        Products seen, views written or already current, tombstones written, count drift.
    """
    dynamodb = client or dynamodb_client()
    base_url = images_base_url if images_base_url is not None else _configured_base_url()
    products = DynamoProductStore(products_table, dynamodb)
    views = DynamoViewRepository(views_table, dynamodb)
    projector = ViewProjector(views)
    summary = RebuildSummary()
    seen: set[str] = set()
    for product in products.scan_products():
        seen.add(product.id)
        summary.products += 1
        target = view_of(product, base_url)
        if projector.project(target).applied:
            summary.views_written += 1
        else:
            summary.views_current += 1
            # A view current since before discovery existed has no entries: restore them (guarded
            # by its version, so a newer view written meanwhile is left alone).
            if target.visible and views.reindex(target):
                summary.entries_reindexed += 1
    visible: Counter[str] = Counter()
    for view in views.scan_views():
        if view.state is ViewState.DELETED:
            continue
        # A product created after the scan above is live: only a confirmed absence tombstones.
        if view.product_id not in seen and not products.exists(view.product_id):
            if projector.project(tombstone(view.product_id, view.version)).applied:
                summary.tombstoned += 1
            continue
        if view.visible and view.category is not None:
            visible[view.category] += 1
    stored = views.stored_counts()
    for category in sorted(set(stored) | set(visible)):
        if stored.get(category, 0) != visible[category]:
            summary.count_drift[category] = {"stored": stored.get(category, 0), "views": visible[category]}
    return summary


def _configured_base_url() -> str:
    return load_config(ImagesConfig).images_base_url


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: rebuild the configured tables and print the summary as JSON."""
    del argv  # no options: everything comes from the environment, as in the functions
    try:
        config = load_config(RebuildConfig)
    except ConfigurationError as error:
        print(f"rebuild-views: {error}", file=sys.stderr)
        return 2
    summary = rebuild_views(
        config.products_table_name, config.views_table_name, images_base_url=config.images_base_url
    )
    print(
        json.dumps(
            {
                "products_table": config.products_table_name,
                "views_table": config.views_table_name,
                **summary.as_dict(),
            },
            indent=2,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
