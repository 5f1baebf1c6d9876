"""Key schema of every DynamoDB table, named once.

The CDK stack, the local runtime and the repositories all build tables and keys from these
names, and an infrastructure test checks the local tables against the synthesized template.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IndexSchema:
    """A global secondary index: its name, keys (all strings) and projection of all attributes."""

    name: str
    partition_key: str
    sort_key: str


@dataclass(frozen=True)
class TableSchema:
    """A table's role, keys (all strings), indexes, stream and TTL settings."""

    role: str
    partition_key: str
    sort_key: str | None = None
    indexes: tuple[IndexSchema, ...] = field(default=())
    stream: str | None = None
    ttl_attribute: str | None = None


# The write model. One item per product (pk = PRODUCT#<id>) and one SKU guard per product
# (pk = SKU#<sku>), written in the same transaction, so a SKU is unique atomically.
PRODUCTS = TableSchema(role="products", partition_key="pk", stream="NEW_AND_OLD_IMAGES")
PRODUCT_KEY_PREFIX = "PRODUCT#"
SKU_KEY_PREFIX = "SKU#"

# Read views, written only by the projector and read only by the queries.
CATEGORY_LISTING_INDEX = IndexSchema(name="category-listing", partition_key="gsi1pk", sort_key="gsi1sk")
CATALOG_LISTING_INDEX = IndexSchema(name="catalog-listing", partition_key="gsi2pk", sort_key="gsi2sk")
# The admin listing: every live product (active and draft), newest change first. All four share
# the sort key ``<updated_at>#<id>``; each partitions by one filter so that filter is a key
# condition (see shared/data/admin_listing.py for which filter combination reads which index).
ADMIN_SORT_KEY = "admin_sk"
ADMIN_ALL_INDEX = IndexSchema(name="admin-all", partition_key="admin_all", sort_key=ADMIN_SORT_KEY)
ADMIN_CATEGORY_INDEX = IndexSchema(
    name="admin-category", partition_key="admin_category", sort_key=ADMIN_SORT_KEY
)
ADMIN_STOCK_INDEX = IndexSchema(name="admin-stock", partition_key="admin_stock", sort_key=ADMIN_SORT_KEY)
ADMIN_STATUS_INDEX = IndexSchema(name="admin-status", partition_key="admin_status", sort_key=ADMIN_SORT_KEY)
ADMIN_INDEXES = (ADMIN_CATEGORY_INDEX, ADMIN_STOCK_INDEX, ADMIN_STATUS_INDEX, ADMIN_ALL_INDEX)

# Discovery (the public listing's sorts, filters and word-prefix search): one sparse index per
# sort, all partitioned by scope (the catalog, a category or a word prefix), over discovery
# entries only; shared/data/views.py says which parameter combination reads which (decision 52).
DISCOVERY_SCOPE = "discovery_scope"
NEWEST_INDEX = IndexSchema(name="discovery-newest", partition_key=DISCOVERY_SCOPE, sort_key="by_newest")
PRICE_INDEX = IndexSchema(name="discovery-price", partition_key=DISCOVERY_SCOPE, sort_key="by_price")
NAME_INDEX = IndexSchema(name="discovery-name", partition_key=DISCOVERY_SCOPE, sort_key="by_name")
DISCOVERY_INDEXES = (NEWEST_INDEX, PRICE_INDEX, NAME_INDEX)
VIEWS = TableSchema(
    role="views",
    partition_key="pk",
    sort_key="sk",
    indexes=(CATEGORY_LISTING_INDEX, CATALOG_LISTING_INDEX, *ADMIN_INDEXES, *DISCOVERY_INDEXES),
)

# Powertools idempotency records; DynamoDB's TTL removes them after the 24 h window.
IDEMPOTENCY = TableSchema(role="idempotency", partition_key="id", ttl_attribute="expiration")

# The event log: every event the projector derives, written in the same transaction as the view
# change that produced it, then published from the log's own stream (NEW_IMAGE) by the publisher.
# Items: pk = PRODUCT#<id>, sk = <version>#<position> (a product's history, in order). Unpublished
# events carry the sparse `unpublished` index keys, which the publisher removes once SNS accepted
# them; `timeline` orders every event by day and time for replays. DynamoDB's TTL expires them.
UNPUBLISHED_INDEX = IndexSchema(name="unpublished", partition_key="pending_pk", sort_key="pending_sk")
TIMELINE_INDEX = IndexSchema(name="timeline", partition_key="log_day", sort_key="log_time")
EVENT_LOG = TableSchema(
    role="events",
    partition_key="pk",
    sort_key="sk",
    indexes=(UNPUBLISHED_INDEX, TIMELINE_INDEX),
    stream="NEW_IMAGE",
    ttl_attribute="expires_at",
)

# The publisher's log-stream mapping filter: new log items only (marking one published is a
# MODIFY); the stack's mapping and the local poller both use it.
NEW_LOG_ITEMS_FILTER = {"eventName": ["INSERT"]}


# The event-source filter pattern of the projector's stream mapping: only product items reach the
# projector, SKU guards do not (the stack's mapping and the local poller both use it).
PRODUCT_RECORDS_FILTER = {
    "dynamodb": {"Keys": {PRODUCTS.partition_key: {"S": [{"prefix": PRODUCT_KEY_PREFIX}]}}}
}
# Bulk jobs: per import or export one job item (sk = JOB) holding its state and counts, plus
# one marker per finished import batch (sk = BATCH#<n>), so a redelivered batch is counted once.
JOBS = TableSchema(role="jobs", partition_key="pk", sort_key="sk")
IMPORT_KEY_PREFIX = "IMPORT#"
EXPORT_KEY_PREFIX = "EXPORT#"

ALL_TABLES = (PRODUCTS, VIEWS, IDEMPOTENCY, EVENT_LOG, JOBS)


def product_key(product_id: str) -> str:
    """Partition key of a product in the write model."""
    return f"{PRODUCT_KEY_PREFIX}{product_id}"


def sku_key(sku: str) -> str:
    """Partition key of the guard item that reserves a SKU."""
    return f"{SKU_KEY_PREFIX}{sku}"


# S3 layout of the images bucket: browsers upload to uploads/, image registration validates the
# bytes and moves them to images/, the only prefix CloudFront serves.
UPLOAD_PREFIX = "uploads/"
IMAGE_PREFIX = "images/"


# Bulk files live in the same private bucket under their own prefixes (never served by the CDN):
# an upload to imports/<id>/source starts import <id>; its errors file and exports sit beside it.
IMPORT_PREFIX = "imports/"
EXPORT_PREFIX = "exports/"
IMPORT_SOURCE_NAME = "source"


def import_source_key(import_id: str) -> str:
    """Where the presigned POST lets an admin put the file of import ``import_id``."""
    return f"{IMPORT_PREFIX}{import_id}/{IMPORT_SOURCE_NAME}"


def import_id_of(key: str) -> str | None:
    """The import an uploaded key belongs to, or ``None`` for any other key."""
    parts = key.split("/")
    if len(parts) == 3 and f"{parts[0]}/" == IMPORT_PREFIX and parts[2] == IMPORT_SOURCE_NAME and parts[1]:
        return parts[1]
    return None


def import_errors_part_key(import_id: str, batch: int) -> str:
    """The errors of one batch of an import, merged into :func:`import_errors_key` at the end."""
    return f"{IMPORT_PREFIX}{import_id}/errors/{batch:06d}.jsonl"


def import_errors_key(import_id: str) -> str:
    """The errors file of an import (JSONL, one failed row a line, in file order)."""
    return f"{IMPORT_PREFIX}{import_id}/errors.jsonl"


def export_key(export_id: str, extension: str) -> str:
    """Where export ``export_id`` is written."""
    return f"{EXPORT_PREFIX}{export_id}/catalog.{extension}"


def upload_key(product_id: str, image_id: str) -> str:
    """Where the presigned POST lets a browser put an image."""
    return f"{UPLOAD_PREFIX}{product_id}/{image_id}"


def image_key(product_id: str, image_id: str) -> str:
    """Where a registered image lives and is served from (`/images/<product>/<image>`)."""
    return f"{IMAGE_PREFIX}{product_id}/{image_id}"
