"""The product as admins write it, as the write model stores it, and as shoppers read it.

Every rule of the contract's "Product" table lives here once. Request validation, the OpenAPI
document and the API Gateway request models are all generated from these classes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import TYPE_CHECKING, Annotated, Any, Literal, Optional, get_args

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    GetJsonSchemaHandler,
    PlainSerializer,
    Strict,
    StringConstraints,
    WithJsonSchema,
    create_model,
    model_validator,
)
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
CATEGORY_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
MAX_PRICE = Decimal("1000000")
PRICE_RULE = "Exact amount, > 0, at most 1,000,000, at most 2 decimal places."
MAX_INVENTORY = 1_000_000_000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# The same rules as JSON Schema patterns (ECMA-262 syntax) for the documents: no control
# characters; a name also needs one character that is neither a control nor whitespace that
# str.strip() removes (it is stripped before its length is checked).
NO_CONTROL_CHARACTERS_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*$"
_STRIPPED = r" \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
NAME_PATTERN = r"^[^\x00-\x1f\x7f-\x9f]*[^\x00-\x1f\x7f-\x9f" + _STRIPPED + r"][^\x00-\x1f\x7f-\x9f]*$"
PRICE_STEP = Decimal("0.01")


@dataclass(frozen=True)
class DocumentedPattern:
    """Adds ``pattern`` to a string's JSON Schema; the model's own validators enforce the rule.

    Annotation metadata rather than ``Field(json_schema_extra=...)``: it survives
    ``rebuild_annotation()``, which the merge-patch model is built with.
    """

    pattern: str

    def __get_pydantic_json_schema__(
        self, core_schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """The handler's schema with the pattern added."""
        schema = handler(core_schema)
        schema["pattern"] = self.pattern
        return schema


def _reject_control_characters(value: str) -> str:
    if _CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value


def _exact_price(value: Any) -> Any:
    # The body is parsed with floats as Decimal, so this sees the exact digits the client sent.
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError("must be a JSON number")
    return value


def _json_integer(value: Any) -> Any:
    # JSON has one number type: 3.0 and 3e0 are the integer 3 (as in JSON Schema's "integer").
    # Bodies are parsed with floats as Decimal; an integral one becomes an int, anything else
    # (3.5, "3", true) is left for the strict integer check to refuse.
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    return value


def _two_decimal_places(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError("must be a finite number")
    cents = value.quantize(PRICE_STEP)
    if cents != value:
        raise ValueError("must have at most 2 decimal places")
    # One canonical form per amount: 20 and 20.00 are the same price, 19.90 is stored as 19.9.
    return cents.quantize(Decimal(1)) if cents == cents.to_integral_value() else cents.normalize()


def decimal_to_json_number(value: Decimal) -> int | float:
    """Render an exact amount as a JSON number.

    Amounts have at most 9 significant digits, and any decimal with 15 or fewer significant
    digits survives the trip through an IEEE double textually (``repr`` of the float prints the
    same digits), so the JSON text a client receives is exactly the stored amount.
    """
    return int(value) if value == value.to_integral_value() else float(value)


def parse_json(text: str | bytes) -> Any:
    """Parse JSON text with every non-integer number as ``Decimal``: the exact digits written.

    The one way JSON is read where prices may be in it (request bodies, import rows, stored
    documents); :func:`decimal_to_json_number` is the way back.
    """
    return json.loads(text, parse_float=Decimal)


StrictStr = Annotated[str, Strict()]
Sku = Annotated[StrictStr, StringConstraints(min_length=1, max_length=64, pattern=SKU_PATTERN)]
Name = Annotated[
    StrictStr,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_reject_control_characters),
    DocumentedPattern(NAME_PATTERN),
]
Description = Annotated[StrictStr, StringConstraints(max_length=5000)]
Category = Annotated[StrictStr, StringConstraints(min_length=1, max_length=64, pattern=CATEGORY_PATTERN)]
Price = Annotated[
    Decimal,
    BeforeValidator(_exact_price),
    Field(gt=0, le=MAX_PRICE, description=PRICE_RULE),
    AfterValidator(_two_decimal_places),
    PlainSerializer(decimal_to_json_number, return_type=int | float, when_used="json"),
    # Decimal's own schema allows strings; the contract's price is a JSON number with these bounds.
    WithJsonSchema(
        {
            "type": "number",
            "exclusiveMinimum": 0,
            "maximum": int(MAX_PRICE),
            # Validators must compare exactly (as decimals or rationals): 0.57 / 0.01 is not an
            # integer in binary floating point. API Gateway's and schemathesis's validators do.
            "multipleOf": float(PRICE_STEP),
            "description": PRICE_RULE,
        },
        mode="validation",
    ),
    WithJsonSchema({"type": "number"}, mode="serialization"),
]
Currency = Annotated[StrictStr, StringConstraints(pattern=CURRENCY_PATTERN)]
# Last in each Annotated: it must wrap the constrained integer for the bounds to stay in the schema.
INTEGRAL = BeforeValidator(_json_integer)
Quantity = Annotated[int, Strict(), Field(ge=0, le=MAX_INVENTORY), INTEGRAL]
Threshold = Annotated[int, Strict(), Field(ge=0, le=MAX_INVENTORY), INTEGRAL]
Money = Annotated[
    Decimal,
    PlainSerializer(decimal_to_json_number, return_type=int | float, when_used="json"),
    WithJsonSchema({"type": "number"}),
]


class ProductStatus(StrEnum):
    """Drafts are visible to admins only."""

    ACTIVE = "active"
    DRAFT = "draft"


class Availability(StrEnum):
    """What shoppers see instead of the raw stock count."""

    IN_STOCK = "in_stock"
    LOW_STOCK = "low_stock"
    OUT_OF_STOCK = "out_of_stock"


def availability_of(inventory: int, low_stock_threshold: int) -> Availability:
    """Classify a stock level: low is strictly between 0 and the threshold."""
    if inventory <= 0:
        return Availability.OUT_OF_STOCK
    if inventory < low_stock_threshold:
        return Availability.LOW_STOCK
    return Availability.IN_STOCK


class StrictRequest(BaseModel):
    """Base of every request body: unknown fields are an error, never silently dropped."""

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="before")
    @classmethod
    def _require_object(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            raise ValueError("request body must be a JSON object")
        return data


class ProductFields(StrictRequest):
    """The fields an admin sets on a product (create and full replacement)."""

    sku: Sku
    name: Name
    description: Description = ""
    category: Category
    price: Price
    currency: Currency = "USD"
    inventory: Quantity
    low_stock_threshold: Threshold = 5
    status: ProductStatus = ProductStatus.ACTIVE


class CreateProductRequest(ProductFields):
    """Body of `POST /admin/products`."""


class ReplaceProductRequest(ProductFields):
    """Body of `PUT /admin/products/{id}`: every create field, replaced as a whole."""


PATCHABLE_FIELDS = tuple(ProductFields.model_fields)


def _null_only_where_a_default_exists(schema: dict[str, Any]) -> None:
    # In a merge patch `null` restores a field's default; for a field without one it is an error,
    # so the documents allow null only where the product has a default.
    for name, field in ProductFields.model_fields.items():
        if field.is_required():
            member = schema["properties"][name]
            (kept,) = [variant for variant in member.pop("anyOf") if variant != {"type": "null"}]
            member.update(kept)


class MergePatch(StrictRequest):
    """A JSON merge patch (RFC 7396) of a model: the same fields, every one optional."""

    def changes(self) -> dict[str, Any]:
        """The members the client sent, `None` where it sent `null`."""
        return {name: getattr(self, name) for name in self.model_fields_set}


def _all_optional(model: type[BaseModel]) -> dict[str, Any]:
    # Each field keeps its rules (type, constraints, validators, schema) and gains null/absent.
    return {
        name: (Optional[field.rebuild_annotation()], None)  # noqa: UP045 - built at run time
        for name, field in model.model_fields.items()
    }


class _ProductMergePatch(MergePatch):
    model_config = ConfigDict(json_schema_extra=_null_only_where_a_default_exists)


if TYPE_CHECKING:
    # mypy cannot see fields made at run time; code reads a patch only through `changes()`.
    PatchProductRequest = MergePatch
else:
    PatchProductRequest = create_model(
        "PatchProductRequest",
        __base__=_ProductMergePatch,
        __doc__="""Body of `PATCH /admin/products/{id}` (JSON merge patch, RFC 7396).

    Every field is optional. `null` restores a field's default and is an error for a field that
    has none; the merged result is validated again as a whole product.
    """,
        __module__=__name__,
        **_all_optional(ProductFields),
    )


class InventoryAdjustmentRequest(StrictRequest):
    """Body of `POST /admin/products/{id}/inventory`: exactly one of `delta` (≠ 0) or `set` (≥ 0)."""

    # "Exactly one of delta (not 0) or set", stated for the documents; the validator below enforces it.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {
                    "required": ["delta"],
                    "properties": {
                        "delta": {"type": "integer", "not": {"enum": [0]}},
                        "set": {"type": "null"},
                    },
                },
                {
                    "required": ["set"],
                    "properties": {"set": {"type": "integer"}, "delta": {"type": "null"}},
                },
            ]
        }
    )

    delta: Annotated[int, Strict(), Field(ge=-MAX_INVENTORY, le=MAX_INVENTORY), INTEGRAL] | None = None
    set: Quantity | None = None
    reason: (
        Annotated[
            StrictStr,
            StringConstraints(min_length=1, max_length=200),
            DocumentedPattern(NO_CONTROL_CHARACTERS_PATTERN),
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _exactly_one_operation(self) -> InventoryAdjustmentRequest:
        if (self.delta is None) == (self.set is None):
            raise ValueError("give exactly one of 'delta' or 'set'")
        if self.delta == 0:
            raise ValueError("'delta' must not be 0")
        if self.reason is not None:
            _reject_control_characters(self.reason)
        return self


ImageContentType = Literal["image/jpeg", "image/png", "image/webp"]
IMAGE_CONTENT_TYPES: tuple[str, ...] = get_args(ImageContentType)
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class ImageUploadRequest(StrictRequest):
    """Body of `POST /admin/products/{id}/images`."""

    content_type: ImageContentType
    content_length: Annotated[int, Strict(), Field(gt=0, le=MAX_IMAGE_BYTES), INTEGRAL]


class StoredImage(BaseModel):
    """An image registered on a product, as the write model keeps it."""

    id: str
    content_type: str
    key: str


class ChangeRecord(BaseModel):
    """Who made the last change, with which command, and why (inventory reasons)."""

    actor: str
    command: str
    reason: str | None = None


class Product(BaseModel):
    """The write model's product: what admins read back and what the stream carries."""

    model_config = ConfigDict(extra="ignore")

    id: str
    sku: str
    name: str
    description: str = ""
    category: str
    price: Money
    currency: str = "USD"
    inventory: int
    low_stock_threshold: int = 5
    status: ProductStatus = ProductStatus.ACTIVE
    images: list[StoredImage] = Field(default_factory=list)
    version: int
    created_at: datetime
    updated_at: datetime
    last_change: ChangeRecord | None = None

    def fields(self) -> ProductFields:
        """The admin-settable part of this product."""
        return ProductFields.model_validate(self.model_dump(include=set(PATCHABLE_FIELDS)))


class ImageRef(BaseModel):
    """An image as a response shows it: admins get short-lived presigned URLs, shoppers CDN URLs."""

    id: str
    content_type: str
    url: str


def _admin_fields() -> dict[str, Any]:
    # Every field of the write model's product, all always present, images as URLs, no audit trail.
    return {
        name: (list[ImageRef] if name == "images" else field.rebuild_annotation(), ...)
        for name, field in Product.model_fields.items()
        if name not in ADMIN_HIDDEN_FIELDS
    }


ADMIN_HIDDEN_FIELDS = frozenset({"last_change"})


def admin_view(product: Product, image_url: Callable[[str], str]) -> AdminProduct:
    """The admin representation: every field, images with short-lived read URLs."""
    return AdminProduct(
        **product.model_dump(exclude={"images", *ADMIN_HIDDEN_FIELDS}),
        images=[ImageRef(id=i.id, content_type=i.content_type, url=image_url(i.key)) for i in product.images],
    )


if TYPE_CHECKING:
    # mypy cannot see fields made at run time; admin products are only built and rendered.
    AdminProduct = BaseModel
else:
    AdminProduct = create_model(
        "AdminProduct",
        __doc__="Response body of every admin call that returns a product.",
        __module__=__name__,
        **_admin_fields(),
    )


class InventoryLevel(BaseModel):
    """Response body of an inventory adjustment."""

    id: str
    inventory: int
    version: int


class PresignedPost(BaseModel):
    """The form a browser posts to S3: its own conditions fix the content type and size."""

    url: str
    fields: dict[str, str]


class ImageUploadTicket(BaseModel):
    """Response body of an image upload request."""

    image_id: str
    upload: PresignedPost
    expires_in: int


class PublicImage(BaseModel):
    """An image as shoppers see it."""

    id: str
    url: str


class PublicProduct(BaseModel):
    """The public view of a product: never raw stock, threshold, drafts or internal fields."""

    id: str
    sku: str
    name: str
    description: str
    category: str
    price: Money
    currency: str
    availability: Availability
    images: list[PublicImage]
    updated_at: datetime
