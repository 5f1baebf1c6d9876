"""The write model: products and their SKU guards in the products table.

This is the only code that reads or writes the products table. Every write is conditional on the
product's version, and a product and the guard item that reserves its SKU are written in one
transaction, so two products can never share a SKU and no update is ever lost.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from botocore.exceptions import ClientError

from shared.data.dynamo import (
    TRANSACTION_LIMIT,
    batch_get,
    dynamodb_client,
    from_attribute_values,
    paginate,
    to_attribute_values,
)
from shared.models.product import MAX_INVENTORY, ChangeRecord, Product, StoredImage
from shared.tables import PRODUCT_KEY_PREFIX, product_key, sku_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

PRODUCT_ENTITY = "product"
# Every in-place update records a new version, when and by whom.
_NEW_VERSION = "version = version + :one, updated_at = :now, last_change = :change"
SKU_GUARD_ENTITY = "sku-guard"


class WriteConflict(Exception):
    """A conditional write lost: the product changed (or vanished) since it was read."""


class SkuTaken(Exception):
    """Another product holds the SKU."""


class StockTooLow(Exception):
    """The adjustment would take stock below zero."""

    def __init__(self, available: int) -> None:
        super().__init__(f"only {available} in stock")
        self.available = available


class StockTooHigh(Exception):
    """The adjustment would take stock above the maximum."""


class ProductMissing(Exception):
    """No product with that id."""


@dataclass(frozen=True)
class StockChange:
    """An atomic stock adjustment: add ``delta`` or set to ``absolute``, never below zero."""

    delta: int | None
    absolute: int | None
    change: ChangeRecord
    updated_at: str
    expected_version: int | None = None


class ProductStore(Protocol):
    """What the command logic needs from the write model."""

    def get(self, product_id: str) -> Product | None:
        """The current product (strongly consistent), or None."""

    def create(self, product: Product) -> None:
        """Insert a new product and reserve its SKU."""

    def replace(self, product: Product, previous: Product) -> None:
        """Write ``product`` over ``previous`` if ``previous`` is still the current version."""

    def delete(self, product: Product) -> None:
        """Remove ``product`` and free its SKU if it is still the current version."""

    def adjust_stock(self, product_id: str, change: StockChange) -> Product:
        """Apply a stock change atomically and return the product after it."""


def _product_item(product: Product) -> dict[str, Any]:
    document = product.model_dump(mode="json", exclude={"price"})
    return {"pk": product_key(product.id), "entity": PRODUCT_ENTITY, **document, "price": product.price}


def _sku_guard(product: Product) -> dict[str, Any]:
    return {"pk": sku_key(product.sku), "entity": SKU_GUARD_ENTITY, "product_id": product.id}


def product_from_item(item: dict[str, Any]) -> Product:
    """Build a product from a raw DynamoDB item (attribute values), e.g. a stream image."""
    return Product.model_validate(from_attribute_values(item))


def _cancellation_codes(error: ClientError) -> list[str]:
    reasons = error.response.get("CancellationReasons", [])
    return [reason.get("Code", "None") for reason in reasons]


class DynamoProductStore:
    """:class:`ProductStore` on a DynamoDB table."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    def get(self, product_id: str) -> Product | None:
        """The current product, read with strong consistency (read-your-writes)."""
        response = self._client.get_item(
            TableName=self._table, Key={"pk": {"S": product_key(product_id)}}, ConsistentRead=True
        )
        item = response.get("Item")
        return product_from_item(item) if item else None

    def exists(self, product_id: str) -> bool:
        """Whether the product exists now (strongly consistent; reads the key only)."""
        response = self._client.get_item(
            TableName=self._table,
            Key={"pk": {"S": product_key(product_id)}},
            ConsistentRead=True,
            ProjectionExpression="pk",
        )
        return "Item" in response

    def scan_products(self) -> Iterator[Product]:
        """Every product, SKU guards left out (strongly consistent scan); for rebuilds only."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "FilterExpression": "begins_with(pk, :prefix) AND entity = :entity",
            "ExpressionAttributeValues": {
                ":prefix": {"S": PRODUCT_KEY_PREFIX},
                ":entity": {"S": PRODUCT_ENTITY},
            },
        }
        for item in paginate(self._client.scan, arguments):
            yield product_from_item(item)

    def create(self, product: Product) -> None:
        """Insert the product and its SKU guard in one transaction.

        Raises
        ------
        SkuTaken
            When another product holds the SKU; nothing is written.
        """
        self._transact(
            [
                self._put(_product_item(product), "attribute_not_exists(pk)"),
                self._put(_sku_guard(product), "attribute_not_exists(pk)"),
            ],
            sku_position=1,
        )

    def replace(self, product: Product, previous: Product) -> None:
        """Write the new version over ``previous``, moving the SKU guard when the SKU changed.

        Raises
        ------
        WriteConflict
            When the stored version is no longer ``previous.version``.
        SkuTaken
            When the new SKU belongs to another product.
        """
        actions = [self._put(_product_item(product), "version = :expected", previous.version)]
        if product.sku != previous.sku:
            actions.append(self._put(_sku_guard(product), "attribute_not_exists(pk)"))
            actions.append(self._delete_guard(previous))
        self._transact(actions, sku_position=1 if product.sku != previous.sku else None)

    def delete(self, product: Product) -> None:
        """Delete the product and its SKU guard if the product is still at ``product.version``.

        Raises
        ------
        WriteConflict
            When the product changed or vanished since it was read.
        """
        self._transact(
            [
                {
                    "Delete": {
                        "TableName": self._table,
                        "Key": {"pk": {"S": product_key(product.id)}},
                        "ConditionExpression": "version = :expected",
                        "ExpressionAttributeValues": {":expected": {"N": str(product.version)}},
                    }
                },
                self._delete_guard(product),
            ]
        )

    def adjust_stock(self, product_id: str, change: StockChange) -> Product:
        """Change stock in one conditional update; no read, so concurrent decrements never oversell.

        Raises
        ------
        ProductMissing, StockTooLow, StockTooHigh, WriteConflict
            Told apart from the item DynamoDB returns when the condition fails.
        """
        values: dict[str, Any] = {
            ":one": 1,
            ":change": change.change.model_dump(mode="json"),
            ":now": change.updated_at,
        }
        conditions = ["attribute_exists(pk)"]
        if change.delta is not None:
            update = "inventory = inventory + :delta"
            values[":delta"] = change.delta
            if change.delta < 0:
                conditions.append("inventory >= :needed")
                values[":needed"] = -change.delta
            else:
                conditions.append("inventory <= :ceiling")
                values[":ceiling"] = MAX_INVENTORY - change.delta
        else:
            update = "inventory = :absolute"
            values[":absolute"] = change.absolute
        if change.expected_version is not None:
            conditions.append("version = :expected")
            values[":expected"] = change.expected_version
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": product_key(product_id)}},
                UpdateExpression=f"SET {update}, {_NEW_VERSION}",
                ConditionExpression=" AND ".join(conditions),
                ExpressionAttributeValues=to_attribute_values(values),
                ReturnValues="ALL_NEW",
                ReturnValuesOnConditionCheckFailure="ALL_OLD",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] != "ConditionalCheckFailedException":
                raise
            old: dict[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            if not old:
                raise ProductMissing(product_id) from error
            current = product_from_item(old)
            if change.expected_version is not None and current.version != change.expected_version:
                raise WriteConflict(product_id) from error
            if change.delta is not None and change.delta > 0:
                raise StockTooHigh(product_id) from error
            raise StockTooLow(current.inventory) from error
        return product_from_item(response["Attributes"])

    def set_images(
        self, product: Product, images: list[StoredImage], change: ChangeRecord, updated_at: str
    ) -> Product:
        """Replace the image list if the product is still at ``product.version``.

        Raises
        ------
        WriteConflict
            When the product changed or vanished since it was read.
        """
        try:
            response = self._client.update_item(
                TableName=self._table,
                Key={"pk": {"S": product_key(product.id)}},
                UpdateExpression=f"SET images = :images, {_NEW_VERSION}",
                ConditionExpression="version = :expected",
                ExpressionAttributeValues=to_attribute_values(
                    {
                        ":images": [image.model_dump(mode="json") for image in images],
                        ":one": 1,
                        ":now": updated_at,
                        ":change": change.model_dump(mode="json"),
                        ":expected": product.version,
                    }
                ),
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                raise WriteConflict(product.id) from error
            raise
        return product_from_item(response["Attributes"])

    def _put(self, item: dict[str, Any], condition: str, expected: int | None = None) -> dict[str, Any]:
        put: dict[str, Any] = {
            "TableName": self._table,
            "Item": to_attribute_values(item),
            "ConditionExpression": condition,
        }
        if expected is not None:
            put["ExpressionAttributeValues"] = {":expected": {"N": str(expected)}}
        return {"Put": put}

    def _delete_guard(self, product: Product) -> dict[str, Any]:
        # Only the guard that names this product: a guard is never removed from under another.
        return {
            "Delete": {
                "TableName": self._table,
                "Key": {"pk": {"S": sku_key(product.sku)}},
                "ConditionExpression": "product_id = :id",
                "ExpressionAttributeValues": {":id": {"S": product.id}},
            }
        }

    def _transact(self, actions: list[dict[str, Any]], sku_position: int | None = None) -> None:
        try:
            self._client.transact_write_items(TransactItems=actions)  # type: ignore[arg-type]
        except ClientError as error:
            if error.response["Error"]["Code"] != "TransactionCanceledException":
                raise
            codes = _cancellation_codes(error)
            if (
                sku_position is not None
                and len(codes) > sku_position
                and codes[sku_position] == "ConditionalCheckFailed"
            ):
                raise SkuTaken() from error
            raise WriteConflict() from error


class BulkProductStore(DynamoProductStore):
    """Many products at once, for imports and exports: batch reads, transactional batch writes."""

    def get_by_skus(self, skus: list[str]) -> dict[str, Product]:
        """The current products holding ``skus`` (strongly consistent), by SKU; unknown SKUs absent.

        Two BatchGetItem rounds per 100 SKUs: the guards name the ids, then the products.
        """
        guards = batch_get(
            self._client, self._table, [{"pk": {"S": sku_key(sku)}} for sku in dict.fromkeys(skus)]
        )
        ids = [str(guard["product_id"]["S"]) for guard in guards]
        products = batch_get(
            self._client, self._table, [{"pk": {"S": product_key(product_id)}} for product_id in ids]
        )
        found = (product_from_item(item) for item in products)
        return {product.sku: product for product in found}

    def write_many(self, creates: list[Product], updates: list[tuple[Product, Product]]) -> None:
        """Create new products (with their SKU guards) and replace others, in one transaction.

        ``updates`` pairs each new version with the version it replaces; the SKU of an update never
        changes (imports are keyed by SKU), so no guard moves. At most 100 actions.

        Raises
        ------
        WriteConflict
            When any product changed, or any SKU was taken, since it was read; nothing is written.
        """
        actions = [
            action
            for product in creates
            for action in (
                self._put(_product_item(product), "attribute_not_exists(pk)"),
                self._put(_sku_guard(product), "attribute_not_exists(pk)"),
            )
        ]
        actions += [self._put(_product_item(new), "version = :expected", old.version) for new, old in updates]
        if not actions:
            return
        if len(actions) > TRANSACTION_LIMIT:
            raise ValueError(f"{len(actions)} actions exceed one transaction ({TRANSACTION_LIMIT})")
        self._transact(actions)

    def scan_products(self) -> Iterator[Product]:
        """Every product (strongly consistent scan, page by page): for exports."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "ConsistentRead": True,
            "FilterExpression": "entity = :entity",
            "ExpressionAttributeValues": {":entity": {"S": PRODUCT_ENTITY}},
        }
        while True:
            response = self._client.scan(**arguments)
            for item in response["Items"]:
                yield product_from_item(item)
            if "LastEvaluatedKey" not in response:
                return
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
