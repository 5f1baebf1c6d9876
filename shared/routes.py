"""Every Lambda function and HTTP route of the catalog, declared once.

The CDK stack builds one function (and one role) per :data:`FUNCTIONS` entry and one API Gateway
method per :data:`ROUTES` entry, with a request model generated from ``body``; the local runtime
routes HTTP requests with the same table; a test checks it against the handlers' own resolvers.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel

from shared.config import (
    AdminBulkConfig,
    AdminImagesConfig,
    AdminInventoryConfig,
    AdminListingConfig,
    AdminProductsConfig,
    EventPublisherConfig,
    ExportJobConfig,
    FunctionConfig,
    ImageRegistrationConfig,
    ImportBatchConfig,
    ImportStartConfig,
    ProjectorConfig,
    PublicApiConfig,
)
from shared.discovery import DEFAULT_LIMIT, Sort
from shared.models.jobs import ExportRequest, ImportRequest
from shared.models.product import (
    CreateProductRequest,
    ImageUploadRequest,
    InventoryAdjustmentRequest,
    PatchProductRequest,
    ReplaceProductRequest,
)

Api = Literal["admin", "public"]
Trigger = Literal["api", "stream", "s3", "sqs"]


@dataclass(frozen=True)
class FunctionSpec:
    """One Lambda function: a stable key, its handler, what invokes it and its settings class.

    ``config`` is the class the handler validates its environment with at cold start; the stack
    sets exactly its fields as environment variables.
    """

    key: str
    handler: str
    trigger: Trigger
    description: str
    config: type[FunctionConfig]
    api: Api | None = None


@dataclass(frozen=True)
class Route:
    """One HTTP method on one API Gateway resource path, served by one function."""

    method: str
    path: str
    function: str
    body: type[BaseModel] | None = None
    body_content_types: tuple[str, ...] = ("application/json",)


FUNCTIONS: tuple[FunctionSpec, ...] = (
    FunctionSpec(
        "admin-products",
        "commands.products.handler.handler",
        "api",
        "Admin API: create, read, replace, patch and delete products",
        config=AdminProductsConfig,
        api="admin",
    ),
    FunctionSpec(
        "admin-inventory",
        "commands.inventory.handler.handler",
        "api",
        "Admin API: atomic stock adjustments",
        config=AdminInventoryConfig,
        api="admin",
    ),
    FunctionSpec(
        "admin-images",
        "commands.images.handler.handler",
        "api",
        "Admin API: presigned image uploads and image removal",
        config=AdminImagesConfig,
        api="admin",
    ),
    FunctionSpec(
        "admin-listing",
        "queries.admin_products.handler.handler",
        "api",
        "Admin API: browse and filter the catalog from the read views",
        config=AdminListingConfig,
        api="admin",
    ),
    FunctionSpec(
        "admin-bulk",
        "commands.bulk.handler.handler",
        "api",
        "Admin API: bulk imports (presigned upload, status) and exports (request, download)",
        config=AdminBulkConfig,
        api="admin",
    ),
    FunctionSpec(
        "import-start",
        "commands.imports.start.handler",
        "s3",
        "Checks an uploaded import file and fans its batches out (S3 ObjectCreated on imports/)",
        config=ImportStartConfig,
    ),
    FunctionSpec(
        "import-batch",
        "commands.imports.batch.handler",
        "sqs",
        "Applies one batch of import rows to the write model (SQS, bounded concurrency)",
        config=ImportBatchConfig,
    ),
    FunctionSpec(
        "export-job",
        "commands.exports.job.handler",
        "sqs",
        "Writes the catalog to an export file (SQS)",
        config=ExportJobConfig,
    ),
    FunctionSpec(
        "image-registration",
        "commands.image_registration.handler.handler",
        "s3",
        "Registers uploaded images on their products (S3 ObjectCreated)",
        config=ImageRegistrationConfig,
    ),
    FunctionSpec(
        "public-products",
        "queries.products.handler.handler",
        "api",
        "Public API: product listing and product detail from the read views",
        config=PublicApiConfig,
        api="public",
    ),
    FunctionSpec(
        "public-categories",
        "queries.categories.handler.handler",
        "api",
        "Public API: categories with active product counts",
        config=PublicApiConfig,
        api="public",
    ),
    FunctionSpec(
        "projector",
        "projectors.catalog.handler.handler",
        "stream",
        "Projects the products stream into read views, logging every event with its view change",
        config=ProjectorConfig,
    ),
    FunctionSpec(
        "event-publisher",
        "projectors.publisher.handler.handler",
        "stream",
        "Publishes logged events to the topic (log stream and a schedule), retrying until SNS accepts",
        config=EventPublisherConfig,
    ),
)

# The query parameters the public listing reads, in the canonical (sorted) order the edge keeps
# them: the CDN's cache key (the cache policy, the viewer-request function cdk/edge/
# normalize_query.js, the local edge) is exactly these, normalised by canonical_public_query.
PUBLIC_QUERY_PARAMETERS = (
    "availability",
    "category",
    "cursor",
    "limit",
    "max_price",
    "min_price",
    "q",
    "sort",
)
# Values that mean "as if absent": dropped, so `?sort=newest` and `?` share one cache entry.
PUBLIC_QUERY_DEFAULTS = {"limit": str(DEFAULT_LIMIT), "sort": Sort.NEWEST.value}
# Free text: lower-cased and trimmed (blank then means absent); accents are folded by the function.
PUBLIC_QUERY_FREE_TEXT = ("q",)


def canonical_public_query(pairs: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """The public listing's query as the CDN keys it (SPEC "Discovery"): sorted, defaults dropped.

    Only :data:`PUBLIC_QUERY_PARAMETERS` survive, one value each (the last, as API Gateway passes
    to the function); free text is lower-cased and trimmed.
    """
    last: dict[str, str] = {}
    for name, value in pairs:
        if name in PUBLIC_QUERY_PARAMETERS:
            last[name] = value.strip().lower() if name in PUBLIC_QUERY_FREE_TEXT else value
    return [
        (name, last[name])
        for name in PUBLIC_QUERY_PARAMETERS
        if name in last
        and last[name] != PUBLIC_QUERY_DEFAULTS.get(name)
        and not (name in PUBLIC_QUERY_FREE_TEXT and not last[name])
    ]


MERGE_PATCH = ("application/merge-patch+json", "application/json")

ROUTES: tuple[Route, ...] = (
    Route("POST", "/admin/products", "admin-products", CreateProductRequest),
    Route("GET", "/admin/products", "admin-listing"),
    Route("GET", "/admin/products/{id}", "admin-products"),
    Route("PUT", "/admin/products/{id}", "admin-products", ReplaceProductRequest),
    Route("PATCH", "/admin/products/{id}", "admin-products", PatchProductRequest, MERGE_PATCH),
    Route("DELETE", "/admin/products/{id}", "admin-products"),
    Route("GET", "/admin/products/{id}/events", "admin-products"),
    Route("POST", "/admin/products/{id}/inventory", "admin-inventory", InventoryAdjustmentRequest),
    Route("POST", "/admin/products/{id}/images", "admin-images", ImageUploadRequest),
    Route("DELETE", "/admin/products/{id}/images/{image_id}", "admin-images"),
    Route("POST", "/admin/imports", "admin-bulk", ImportRequest),
    Route("GET", "/admin/imports/{id}", "admin-bulk"),
    Route("POST", "/admin/exports", "admin-bulk", ExportRequest),
    Route("GET", "/admin/exports/{id}", "admin-bulk"),
    Route("GET", "/products", "public-products"),
    Route("GET", "/products/{id}", "public-products"),
    Route("GET", "/categories", "public-categories"),
)


def function(key: str) -> FunctionSpec:
    """The function declared under ``key``."""
    return next(spec for spec in FUNCTIONS if spec.key == key)
