"""Admin API function: presigned image uploads and image removal."""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from commands.admin_http import IdempotencyKey, IfMatch, actor, no_content, once, stored
from commands.images.logic import remove_image, request_upload
from shared.config import AdminImagesConfig, load_config
from shared.data.images import S3ImageStorage
from shared.data.products import DynamoProductStore
from shared.http import admin_resolver, api_handler, documented, expected_version
from shared.models.product import ImageUploadRequest, ImageUploadTicket
from shared.snapstart import prime, validation_request

config = load_config(AdminImagesConfig)
app = admin_resolver(config.admin_allowed_origins)


@cache
def _products() -> DynamoProductStore:
    return DynamoProductStore(config.products_table_name)


@cache
def _files() -> S3ImageStorage:
    return S3ImageStorage(config.images_bucket_name)


@app.post(
    "/admin/products/<id>/images",
    summary="Request a presigned image upload",
    tags=["admin"],
    responses=documented(HTTPStatus.CREATED, ImageUploadTicket, "Where and how to upload"),
)
def post_image(
    id: str,
    body: Annotated[ImageUploadRequest, Body()],
    idempotency_key: IdempotencyKey = None,
) -> Response[str]:
    """201 `{image_id, upload: {url, fields}, expires_in}`; S3 itself refuses another type or size."""

    def ticket() -> dict[str, object]:
        issued = request_upload(_products(), _files(), id, body, config.upload_url_ttl_seconds)
        return stored(issued, HTTPStatus.CREATED)

    return once(app, config, idempotency_key, body.model_dump(mode="json"), ticket)


@app.delete(
    "/admin/products/<id>/images/<image_id>",
    summary="Remove an image",
    tags=["admin"],
    responses=documented(HTTPStatus.NO_CONTENT, None, "Removed"),
)
def delete_image(id: str, image_id: str, if_match: IfMatch = None) -> Response[str]:
    """204; the product gets a new version without the image."""
    remove_image(_products(), _files(), id, image_id, actor(app), expected_version(if_match))
    return no_content()


handler = api_handler(app)
prime(_products, _files, validation_request(app, "POST", "/admin/products/priming/images", "{}"))
