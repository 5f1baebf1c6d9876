"""Product lifecycle rules: create, read, replace, merge-patch and delete, on any ProductStore.

Pure domain code: no HTTP, no environment, no boto3. Conditional writes make every change safe
under concurrency; without `If-Match` a lost race is retried on fresh data, with it the caller's
precondition decides (412).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from pydantic import ValidationError

from shared.data.products import ProductStore, SkuTaken, WriteConflict
from shared.ids import new_id, utc_now
from shared.models.product import (
    ChangeRecord,
    PatchProductRequest,
    Product,
    ProductFields,
)
from shared.problems import (
    DuplicateSku,
    NotFound,
    PreconditionFailed,
    ValidationProblem,
    field_errors_from_pydantic,
)

# A write that loses a race without If-Match is retried on the fresh version this many times.
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Clock:
    """Time and identity sources, injectable so tests are deterministic."""

    now: Callable[[], datetime] = utc_now
    new_id: Callable[[], str] = new_id


def _sku_taken(sku: str) -> DuplicateSku:
    return DuplicateSku(f"another product already has SKU '{sku}'")


def _not_found(product_id: str) -> NotFound:
    return NotFound(f"no product with id '{product_id}'")


def check_precondition(product: Product, expected_version: int | None) -> None:
    """Raise 412 when `If-Match` named a version other than the current one."""
    if expected_version is not None and expected_version != product.version:
        raise PreconditionFailed(
            f"the product is at version {product.version}, not {expected_version}; re-read it and retry"
        )


def merged_fields(product: Product, patch: PatchProductRequest) -> ProductFields:
    """Apply a JSON merge patch (RFC 7396) to a product's fields and validate the result.

    `null` removes a member, which restores its default; removing a required member is an error.

    Raises
    ------
    ValidationProblem
        When the merged product breaks a rule (e.g. `"name": null`).
    """
    document: dict[str, Any] = product.fields().model_dump()
    for name, value in patch.changes().items():
        if value is None:
            document.pop(name, None)
        else:
            document[name] = value
    try:
        return ProductFields.model_validate(document)
    except ValidationError as error:
        raise ValidationProblem(
            "the patched product is invalid", errors=field_errors_from_pydantic(error.errors())
        ) from error


class ImageObjects(Protocol):
    """Where a product's image objects live: deleting a product deletes them too."""

    def delete(self, key: str) -> None:
        """Delete an object (no error if it is already gone)."""


class ProductCommands:
    """Create, read, replace, patch and delete products in the write model."""

    def __init__(self, store: ProductStore, *, images: ImageObjects, clock: Clock | None = None) -> None:
        self._store = store
        self._images = images
        self._clock = clock or Clock()

    def create(self, fields: ProductFields, actor: str) -> Product:
        """Create a product at version 1.

        Raises
        ------
        DuplicateSku
            When another product has the SKU; nothing is written.
        """
        now = self._clock.now()
        product = Product(
            **fields.model_dump(),
            id=self._clock.new_id(),
            version=1,
            created_at=now,
            updated_at=now,
            last_change=ChangeRecord(actor=actor, command="create"),
        )
        try:
            self._store.create(product)
        except SkuTaken as error:
            # An SDK retry after a timeout can find the SKU taken by this very create: the first
            # attempt landed. The id is ours alone, so its presence proves it.
            if self._store.get(product.id) == product:
                return product
            raise _sku_taken(product.sku) from error
        return product

    def get(self, product_id: str) -> Product:
        """The current product (read-your-writes)."""
        product = self._store.get(product_id)
        if product is None:
            raise _not_found(product_id)
        return product

    def replace(
        self, product_id: str, fields: ProductFields, actor: str, expected_version: int | None
    ) -> Product:
        """Replace every admin field (PUT)."""
        return self._update(product_id, lambda _: fields, actor, expected_version, "replace")

    def patch(
        self, product_id: str, patch: PatchProductRequest, actor: str, expected_version: int | None
    ) -> Product:
        """Change the fields the merge patch names (PATCH)."""
        return self._update(product_id, lambda p: merged_fields(p, patch), actor, expected_version, "patch")

    def delete(self, product_id: str, expected_version: int | None) -> Product:
        """Delete a product and free its SKU, then its image objects; returns what was deleted."""
        for _ in range(MAX_ATTEMPTS):
            product = self.get(product_id)
            check_precondition(product, expected_version)
            try:
                self._store.delete(product)
            except WriteConflict:
                continue
            # After the write: a failed delete must not leave a product whose images are gone.
            for image in product.images:
                self._images.delete(image.key)
            return product
        raise self._contended(product_id, expected_version)

    def _update(
        self,
        product_id: str,
        new_fields: Callable[[Product], ProductFields],
        actor: str,
        expected_version: int | None,
        command: str,
    ) -> Product:
        for _ in range(MAX_ATTEMPTS):
            current = self.get(product_id)
            check_precondition(current, expected_version)
            fields = new_fields(current)
            updated = current.model_copy(
                update={
                    **fields.model_dump(),
                    "version": current.version + 1,
                    "updated_at": self._clock.now(),
                    "last_change": ChangeRecord(actor=actor, command=command),
                }
            )
            try:
                self._store.replace(updated, current)
            except SkuTaken as error:
                raise _sku_taken(updated.sku) from error
            except WriteConflict:
                continue
            return updated
        raise self._contended(product_id, expected_version)

    def _contended(self, product_id: str, expected_version: int | None) -> Exception:
        # With If-Match the precondition decides; without it, give up after MAX_ATTEMPTS races.
        current = self.get(product_id)
        check_precondition(current, expected_version)
        return PreconditionFailed("the product kept changing during the update; re-read it and retry")
