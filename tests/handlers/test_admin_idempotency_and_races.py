"""Idempotent POSTs and optimistic concurrency under parallel requests."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest

from commands.products.logic import ProductCommands
from local.resources import Resources
from shared.data.images import S3ImageStorage
from shared.data.products import DynamoProductStore
from shared.models.product import CreateProductRequest, Product, ReplaceProductRequest
from shared.problems import DuplicateSku, PreconditionFailed
from tests.builders import call, product_body


def product_count(aws: Resources) -> int:
    client = boto3.client("dynamodb", region_name=aws.region)
    items = client.scan(TableName=aws.names.products_table)["Items"]
    return sum(1 for item in items if item["pk"]["S"].startswith("PRODUCT#"))


def test_replayed_create_returns_the_first_response_and_creates_one_product(aws: Resources) -> None:
    first = call("POST", "/admin/products", product_body(), headers={"Idempotency-Key": "create-1"})
    again = call("POST", "/admin/products", product_body(), headers={"Idempotency-Key": "create-1"})

    assert (first.status, again.status) == (201, 201)
    assert again.text == first.text
    assert again.headers["location"] == first.headers["location"]
    assert product_count(aws) == 1


def test_same_key_with_another_body_is_409_and_writes_nothing(aws: Resources) -> None:
    call("POST", "/admin/products", product_body(), headers={"Idempotency-Key": "create-2"})

    response = call(
        "POST", "/admin/products", product_body(sku="OTHER"), headers={"Idempotency-Key": "create-2"}
    )

    assert response.status == 409
    assert response.json()["type"].endswith("/idempotency-key-reused")
    assert product_count(aws) == 1


def test_keys_are_scoped_to_the_caller(aws: Resources) -> None:
    other_admin = {"sub": "u-9", "cognito:username": "other", "cognito:groups": "catalog-admins"}
    call("POST", "/admin/products", product_body(sku="A-1"), headers={"Idempotency-Key": "shared-key"})

    response = call(
        "POST",
        "/admin/products",
        product_body(sku="B-1"),
        headers={"Idempotency-Key": "shared-key"},
        claims=other_admin,
    )

    assert response.status == 201
    assert product_count(aws) == 2


def test_parallel_retries_of_one_create_make_one_product(aws: Resources) -> None:
    # Parallel retries race on the idempotency record: one runs, the others replay or see 409
    # "in progress"; never a second product. Threads use the logic + idempotency layer directly,
    # because one Lambda instance (the handler module) serves one request at a time.
    from commands.idempotency import run_once
    from shared.problems import Problem

    body = product_body()

    def retry(_: int) -> str:
        commands = ProductCommands(
            DynamoProductStore(aws.names.products_table), images=S3ImageStorage(aws.names.images_bucket)
        )
        from shared.models.product import CreateProductRequest

        request = CreateProductRequest.model_validate(body)
        try:
            result = run_once(
                table_name=aws.names.idempotency_table,
                ttl_seconds=3600,
                key="parallel-1",
                scope="admin POST",
                payload=request.model_dump(mode="json"),
                context=None,
                operation=lambda: {"id": commands.create(request, "admin").id},
            )
        except Problem as problem:
            return problem.slug
        return str(result["id"])

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = list(pool.map(retry, range(8)))

    ids = {o for o in outcomes if o not in ("request-in-progress", "duplicate-sku")}
    assert len(ids) == 1
    assert product_count(aws) == 1


def test_ten_writes_with_the_same_if_match_exactly_one_wins(aws: Resources) -> None:
    product = call("POST", "/admin/products", product_body()).json()

    def write(n: int) -> bool:
        commands = ProductCommands(
            DynamoProductStore(aws.names.products_table), images=S3ImageStorage(aws.names.images_bucket)
        )
        fields = ReplaceProductRequest.model_validate(product_body(name=f"writer {n}"))
        try:
            commands.replace(product["id"], fields, f"writer-{n}", expected_version=1)
        except PreconditionFailed:
            return False
        return True

    with ThreadPoolExecutor(max_workers=10) as pool:
        outcomes = list(pool.map(write, range(10)))

    assert outcomes.count(True) == 1
    final = call("GET", f"/admin/products/{product['id']}").json()
    assert final["version"] == 2
    assert final["name"] == f"writer {outcomes.index(True)}"


def test_concurrent_writes_without_if_match_all_apply_in_some_order(aws: Resources) -> None:
    product = call("POST", "/admin/products", product_body()).json()

    def write(n: int) -> int:
        commands = ProductCommands(
            DynamoProductStore(aws.names.products_table), images=S3ImageStorage(aws.names.images_bucket)
        )
        fields = ReplaceProductRequest.model_validate(product_body(name=f"writer {n}"))
        return commands.replace(product["id"], fields, "w", expected_version=None).version

    with ThreadPoolExecutor(max_workers=4) as pool:
        versions = sorted(pool.map(write, range(4)))

    assert versions == [2, 3, 4, 5]


class RetriedAfterLanding(DynamoProductStore):
    """The write model as seen when the SDK retries a create whose first attempt landed."""

    def create(self, product: Product) -> None:
        super().create(product)
        super().create(product)  # the retry: the product and its SKU guard are already there


def test_create_whose_first_attempt_landed_before_a_retry_succeeds_once(aws: Resources) -> None:
    commands = ProductCommands(
        RetriedAfterLanding(aws.names.products_table), images=S3ImageStorage(aws.names.images_bucket)
    )
    fields = CreateProductRequest.model_validate(product_body(sku="LANDED"))

    product = commands.create(fields, "admin")

    assert DynamoProductStore(aws.names.products_table).get(product.id) == product
    assert product_count(aws) == 1


def test_create_with_a_sku_another_product_holds_is_still_a_conflict(aws: Resources) -> None:
    store = DynamoProductStore(aws.names.products_table)
    ProductCommands(store, images=S3ImageStorage(aws.names.images_bucket)).create(
        CreateProductRequest.model_validate(product_body(sku="HELD")), "admin"
    )

    with pytest.raises(DuplicateSku):
        ProductCommands(store, images=S3ImageStorage(aws.names.images_bucket)).create(
            CreateProductRequest.model_validate(product_body(sku="HELD")), "admin"
        )
