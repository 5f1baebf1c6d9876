"""Bulk imports: presigned upload, upsert by SKU, bad rows, unreadable files, re-runs, events."""

from __future__ import annotations

import base64
import json
from decimal import Decimal
from typing import Any

import boto3
import pytest
from aws_lambda_powertools.utilities.batch.exceptions import BatchProcessingError

from commands.data.jobs import DynamoJobStore
from local.resources import Resources
from local.streams import StreamReader
from shared.data.products import BulkProductStore
from shared.models.product import Product
from tests.builders import call
from tests.handlers.jobs_support import Jobs, jsonl
from tests.stream_builders import Catalog, SubscribedQueue, invoke_projector

CSV_HEADER = "sku,name,category,price,inventory,description,status\n"


@pytest.fixture
def jobs(aws: Resources) -> Jobs:
    """Imports and exports run through their functions."""
    return Jobs(aws)


@pytest.fixture
def products(aws: Resources) -> BulkProductStore:
    """The write model, read directly."""
    return BulkProductStore(aws.names.products_table, boto3.client("dynamodb", region_name=aws.region))


def row(sku: str, **overrides: Any) -> dict[str, Any]:
    """A valid import row."""
    return {"sku": sku, "name": f"Item {sku}", "category": "bulk", "price": 9.5, "inventory": 10, **overrides}


def all_products(products: BulkProductStore) -> list[Product]:
    """Every product in the write model."""
    return list(products.scan_products())


def test_a_ticket_is_a_presigned_post_fixed_to_the_declared_type_and_size(jobs: Jobs) -> None:
    response = jobs.request_import("csv", 1234)

    body = response.json()
    policy = json.loads(base64.b64decode(body["upload"]["fields"]["policy"]))
    assert response.status == 201
    assert response.headers["location"] == f"/admin/imports/{body['import_id']}"
    assert body["upload"]["fields"]["key"] == f"imports/{body['import_id']}/source"
    assert {"Content-Type": "text/csv"} in policy["conditions"]
    assert ["content-length-range", 1234, 1234] in policy["conditions"]
    assert jobs.job(body["import_id"])["state"] == "awaiting_upload"


@pytest.mark.parametrize(
    "body",
    [
        {"format": "xml", "content_length": 10},
        {"format": "csv", "content_length": 100 * 1024 * 1024 + 1},
        {"format": "csv", "content_length": 0},
        {"format": "csv"},
        {"format": "csv", "content_length": 10, "extra": 1},
    ],
)
def test_a_bad_import_request_is_a_400_and_creates_no_job(
    jobs: Jobs, aws: Resources, body: dict[str, Any]
) -> None:
    response = call("POST", "/admin/imports", body)

    assert response.status == 400, response
    assert boto3.client("dynamodb", region_name=aws.region).scan(TableName=aws.names.jobs_table)["Count"] == 0


def test_unknown_import_is_404(jobs: Jobs) -> None:
    assert call("GET", "/admin/imports/01NOPE").status == 404


def test_jsonl_rows_create_products_and_the_job_reports_them(jobs: Jobs, products: BulkProductStore) -> None:
    job = jobs.run_import("jsonl", jsonl(*(row(f"J-{n}", price=n + 0.25) for n in range(7))))

    assert job["state"] == "succeeded", job
    assert job["rows"] == {"total": 7, "created": 7, "updated": 0, "unchanged": 0, "failed": 0}
    assert job["started_at"]
    assert job["finished_at"]
    assert job.get("errors_url") is None
    stored = products.get_by_skus([f"J-{n}" for n in range(7)])
    assert stored["J-3"].price == Decimal("3.25")
    assert {p.version for p in stored.values()} == {1}


def test_csv_upserts_by_sku_created_updated_unchanged(
    jobs: Jobs, catalog: Catalog, products: BulkProductStore
) -> None:
    same = catalog.create(
        sku="C-SAME", name="Same", category="bulk", price=Decimal(5), inventory=1, description=""
    )
    changed = catalog.create(sku="C-CHANGED", name="Old name", category="bulk", price=Decimal(5), inventory=1)
    data = (
        CSV_HEADER + "C-SAME,Same,bulk,5,1,,active\n"
        'C-CHANGED,New name,bulk,5.00,1,"multi\nline, ""quoted""",active\n'
        "C-NEW,Brand new,bulk,12.5,3,,draft\n"
    ).encode()

    job = jobs.run_import("csv", data)

    assert job["rows"] == {"total": 3, "created": 1, "updated": 1, "unchanged": 1, "failed": 0}, job
    now = products.get_by_skus(["C-SAME", "C-CHANGED", "C-NEW"])
    assert now["C-SAME"].version == same.version
    assert now["C-CHANGED"].version == changed.version + 1
    assert now["C-CHANGED"].name == "New name"
    assert now["C-CHANGED"].description == 'multi\nline, "quoted"'
    assert now["C-CHANGED"].id == changed.id
    assert now["C-NEW"].status == "draft"


def test_bad_rows_are_counted_and_listed_while_good_rows_apply(
    jobs: Jobs, products: BulkProductStore
) -> None:
    data = (
        (
            CSV_HEADER + "B-1,Fine,bulk,1,1,,active\n"
            "B-2,,bulk,1,1,,active\n"  # line 3: no name
            "B-3,Price,bulk,1.234,1,,active\n"  # line 4: three decimals
            "B-4,Short,bulk\n"  # line 5: too few values
            "B-5,Fine too,bulk,2,many,,active\n"  # line 6: inventory not an integer
        ).encode()
    )

    job = jobs.run_import("csv", data)

    assert job["state"] == "succeeded"
    assert job["rows"] == {"total": 5, "created": 1, "updated": 0, "unchanged": 0, "failed": 4}
    errors = [json.loads(line) for line in jobs.download(job["errors_url"]).decode().splitlines()]
    assert [(e["row"], e["sku"]) for e in errors] == [(3, "B-2"), (4, "B-3"), (5, "B-4"), (6, "B-5")]
    assert [e["errors"][0]["field"] for e in errors] == ["name", "price", "row", "inventory"]
    assert set(products.get_by_skus(["B-1", "B-2", "B-3", "B-4", "B-5"])) == {"B-1"}


def test_jsonl_bad_lines_are_reported_by_line(jobs: Jobs) -> None:
    data = jsonl(row("L-1")) + b"not json\n\n" + jsonl(row("L-2", colour="red"), row("L-3")) + b"[1]\n"

    job = jobs.run_import("jsonl", data)

    errors = [json.loads(line) for line in jobs.download(job["errors_url"]).decode().splitlines()]
    assert job["rows"]["created"] == 2
    assert [(e["row"], e["errors"][0]["field"]) for e in errors] == [(2, "row"), (4, "colour"), (6, "row")]


@pytest.mark.parametrize(
    ("file_format", "data", "detail"),
    [
        ("csv", CSV_HEADER.encode() + b"U-1,Caf\xe9,bulk,1,1,,active\n", "not UTF-8"),
        ("csv", b"sku,name,category,price,inventory,colour\nU-1,A,bulk,1,1,red\n", "unknown columns"),
        ("csv", b"  \r\n", "no header row"),
        ("csv", b"\nU-1,A,bulk,1,1\n", "no header row"),
        ("csv", b"sku,name,price\nU-1,A,1\n", "lacks the required columns"),
        ("jsonl", jsonl(row("U-1")) + b"\xff\xfe\n", "not UTF-8"),
    ],
)
def test_an_unreadable_file_fails_with_a_detail_and_writes_nothing(
    jobs: Jobs, products: BulkProductStore, file_format: str, data: bytes, detail: str
) -> None:
    job = jobs.run_import(file_format, data)

    assert job["state"] == "failed"
    assert detail in job["detail"]
    assert job["finished_at"]
    assert all_products(products) == []


def test_importing_the_same_file_again_is_all_unchanged(jobs: Jobs, products: BulkProductStore) -> None:
    data = jsonl(*(row(f"R-{n}") for n in range(5)))
    first = jobs.run_import("jsonl", data)
    versions = {p.sku: p.version for p in all_products(products)}

    second = jobs.run_import("jsonl", data)

    assert first["rows"]["created"] == 5
    assert second["rows"] == {"total": 5, "created": 0, "updated": 0, "unchanged": 5, "failed": 0}
    assert {p.sku: p.version for p in all_products(products)} == versions


def test_a_batch_delivered_again_neither_writes_nor_counts_twice(
    jobs: Jobs, products: BulkProductStore, aws: Resources
) -> None:
    import_id = jobs.request_import("jsonl", 1).json()["import_id"]
    data = jsonl(row("D-1"), row("D-2", name="Two"))
    # The ticket's size does not matter here: the file is put directly, as a test double of S3.
    jobs.upload(import_id, data)
    bodies = jobs.run_batches()
    versions = {p.sku: p.version for p in all_products(products)}

    jobs.deliver("import-batch", aws.import_batches_queue_url, bodies)  # SQS delivers at least once
    jobs.upload(import_id, data)  # and S3 may report the upload twice

    assert jobs.run_batches() == []
    assert jobs.job(import_id)["rows"] == {
        "total": 2,
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    assert {p.sku: p.version for p in all_products(products)} == versions


def test_a_batch_interrupted_after_its_writes_is_counted_as_written_when_resumed(
    jobs: Jobs, products: BulkProductStore, aws: Resources, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_id = jobs.request_import("jsonl", 1).json()["import_id"]
    jobs.upload(import_id, jsonl(row("I-1"), row("I-2")))
    bodies = jobs.messages(aws.import_batches_queue_url)

    def crash(*_: Any) -> bool:
        raise RuntimeError("the function timed out before counting")

    with monkeypatch.context() as patch:
        patch.setattr(DynamoJobStore, "record_batch", crash)
        with pytest.raises(BatchProcessingError):
            jobs.deliver("import-batch", aws.import_batches_queue_url, bodies)
    assert set(products.get_by_skus(["I-1", "I-2"])) == {"I-1", "I-2"}  # written, not counted

    jobs.deliver("import-batch", aws.import_batches_queue_url, bodies)

    job = jobs.job(import_id)
    assert job["state"] == "succeeded"
    assert job["rows"] == {"total": 2, "created": 2, "updated": 0, "unchanged": 0, "failed": 0}


def test_imported_writes_produce_the_same_events_as_api_writes(
    jobs: Jobs, stream: StreamReader, subscriber: SubscribedQueue
) -> None:
    job = jobs.run_import("jsonl", jsonl(row("E-1", inventory=4)))

    assert invoke_projector(stream.read_new())["batchItemFailures"] == []
    events = [message["event"] for message in subscriber.receive_all()]
    assert [(e["type"], e["data"]["sku"], e["data"]["quantity"]) for e in events] == [
        ("catalog.inventory.changed.v1", "E-1", 4)
    ]
    assert events[0]["data"]["reason"] == f"import {job['import_id']}"


@pytest.mark.parametrize("file_format", ["csv", "jsonl"])
def test_an_export_holds_the_catalog_and_reimports_all_unchanged(
    jobs: Jobs, catalog: Catalog, products: BulkProductStore, file_format: str
) -> None:
    catalog.create(sku="X-1", description='Commas, "quotes"\nand lines', price=Decimal("19.9"))
    catalog.create(sku="X-2", status="draft", currency="EUR", low_stock_threshold=0)
    catalog.create(sku="X-3", inventory=0)
    versions = {p.sku: p.version for p in all_products(products)}

    export = jobs.run_export(file_format)
    data = jobs.download(export["download_url"])
    again = jobs.run_import(file_format, data)

    assert export["state"] == "succeeded", export
    assert export["rows"] == 3
    assert export["expires_in"] > 0
    assert again["rows"] == {"total": 3, "created": 0, "updated": 0, "unchanged": 3, "failed": 0}, again
    assert {p.sku: p.version for p in all_products(products)} == versions


def test_an_export_of_one_status_holds_only_that_status(jobs: Jobs, catalog: Catalog) -> None:
    catalog.create(sku="S-1")
    catalog.create(sku="S-2", status="draft")

    export = jobs.run_export("jsonl", status="draft")

    lines = jobs.download(export["download_url"]).decode().splitlines()
    assert [json.loads(line)["sku"] for line in lines] == ["S-2"]
    assert "images" not in json.loads(lines[0])


def test_unknown_export_is_404_and_a_bad_export_request_400(jobs: Jobs) -> None:
    assert call("GET", "/admin/exports/01NOPE").status == 404
    assert call("POST", "/admin/exports", {"format": "xlsx"}).status == 400
    assert call("POST", "/admin/exports", {"format": "csv", "status": "gone"}).status == 400
