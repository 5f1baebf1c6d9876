"""Image commands: hand out presigned uploads, register checked uploads, remove images."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Protocol

from commands.products.logic import check_precondition
from shared.data.images import UploadedObject
from shared.data.products import WriteConflict
from shared.ids import new_id, rfc3339, utc_now
from shared.models.product import (
    IMAGE_CONTENT_TYPES,
    MAX_IMAGE_BYTES,
    ChangeRecord,
    ImageUploadRequest,
    ImageUploadTicket,
    PresignedPost,
    Product,
    StoredImage,
)
from shared.problems import NotFound, PreconditionFailed, Problem
from shared.tables import image_key, upload_key

MAX_IMAGES_PER_PRODUCT = 20
MAX_ATTEMPTS = 5

# How the first bytes of each accepted type look: a declared type is trusted only if the bytes
# agree. One entry per IMAGE_CONTENT_TYPES member (a test holds them together).
SIGNATURES: dict[str, Callable[[bytes], bool]] = {
    "image/jpeg": lambda head: head.startswith(b"\xff\xd8\xff"),
    "image/png": lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    "image/webp": lambda head: head[:4] == b"RIFF" and head[8:12] == b"WEBP",
}


def sniffed_type_matches(content_type: str, head: bytes) -> bool:
    """Whether an object's first bytes are really of the declared image type."""
    matches = SIGNATURES.get(content_type)
    return matches is not None and matches(head)


class ImageProducts(Protocol):
    """The write-model operations image commands need."""

    def get(self, product_id: str) -> Product | None:
        """The current product, or None."""

    def set_images(
        self, product: Product, images: list[StoredImage], change: ChangeRecord, updated_at: str
    ) -> Product:
        """Replace the product's image list if it is still at ``product.version``."""


class ImageFiles(Protocol):
    """The bucket operations image commands need."""

    def presigned_post(
        self, key: str, content_type: str, content_length: int, expires_in: int
    ) -> PresignedPost:
        """A presigned POST form fixed to one key, type and size."""

    def describe(self, key: str) -> UploadedObject | None:
        """Size and content type of an object."""

    def read_head(self, key: str, length: int = 16) -> bytes:
        """The first bytes of an object."""

    def promote(self, source_key: str, target_key: str, content_type: str) -> None:
        """Copy a checked upload to its served location."""

    def delete(self, key: str) -> None:
        """Delete an object."""


class TooManyImages(Problem):
    """409: the product has the maximum number of images."""

    status = HTTPStatus.CONFLICT
    slug = "image-limit-reached"
    admin_only = True


def request_upload(
    products: ImageProducts, files: ImageFiles, product_id: str, request: ImageUploadRequest, expires_in: int
) -> ImageUploadTicket:
    """A presigned POST for one image of an existing product.

    Nothing is written: the image joins the product when S3 reports the upload (event-driven).
    """
    product = products.get(product_id)
    if product is None:
        raise NotFound(f"no product with id '{product_id}'")
    if len(product.images) >= MAX_IMAGES_PER_PRODUCT:
        raise TooManyImages(f"a product has at most {MAX_IMAGES_PER_PRODUCT} images; remove one first")
    image_id = new_id()
    upload = files.presigned_post(
        upload_key(product_id, image_id), request.content_type, request.content_length, expires_in
    )
    return ImageUploadTicket(image_id=image_id, upload=upload, expires_in=expires_in)


def remove_image(
    products: ImageProducts,
    files: ImageFiles,
    product_id: str,
    image_id: str,
    actor: str,
    expected_version: int | None,
) -> Product:
    """Take an image off a product (a new version), then delete its object."""
    for _ in range(MAX_ATTEMPTS):
        product = products.get(product_id)
        if product is None:
            raise NotFound(f"no product with id '{product_id}'")
        check_precondition(product, expected_version)
        remaining = [image for image in product.images if image.id != image_id]
        if len(remaining) == len(product.images):
            raise NotFound(f"product '{product_id}' has no image '{image_id}'")
        try:
            updated = products.set_images(
                product, remaining, ChangeRecord(actor=actor, command="remove-image"), rfc3339(utc_now())
            )
        except WriteConflict:
            continue
        files.delete(image_key(product_id, image_id))
        return updated
    raise PreconditionFailed("the product kept changing; retry")


@dataclass(frozen=True)
class Registration:
    """What happened to one uploaded object."""

    key: str
    outcome: str  # registered | duplicate | rejected | orphaned | missing


def register_upload(products: ImageProducts, files: ImageFiles, key: str) -> Registration:
    """Check an uploaded object and add it to its product; safe to repeat (events are at least once).

    An upload whose bytes are not the declared image type, or that is too big, or whose product is
    gone, is deleted and never served.
    """
    parts = key.split("/")
    if len(parts) != 3 or not parts[1] or not parts[2]:
        return Registration(key, "rejected")
    _, product_id, image_id = parts
    uploaded = files.describe(key)
    if uploaded is None:
        return Registration(key, "missing")  # already handled by an earlier delivery
    if (
        uploaded.size > MAX_IMAGE_BYTES
        or uploaded.content_type not in IMAGE_CONTENT_TYPES
        or not sniffed_type_matches(uploaded.content_type, files.read_head(key))
    ):
        files.delete(key)
        return Registration(key, "rejected")
    for _ in range(MAX_ATTEMPTS):
        product = products.get(product_id)
        if product is None:
            files.delete(key)
            return Registration(key, "orphaned")
        if any(image.id == image_id for image in product.images):
            files.delete(key)
            return Registration(key, "duplicate")
        target = image_key(product_id, image_id)
        files.promote(key, target, uploaded.content_type)
        image = StoredImage(id=image_id, content_type=uploaded.content_type, key=target)
        try:
            products.set_images(
                product,
                [*product.images, image],
                ChangeRecord(actor="image-registration", command="add-image"),
                rfc3339(utc_now()),
            )
        except WriteConflict:
            continue
        files.delete(key)
        return Registration(key, "registered")
    raise RuntimeError(f"product {product_id} kept changing while registering {key}")
