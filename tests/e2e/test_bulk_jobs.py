"""Bulk import and export through the local runtime, from outside: HTTP and presigned S3 forms only."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.support import LocalCatalog, eventually, http_request, multipart_form

pytestmark = pytest.mark.e2e

CONTENT_TYPES = {"csv": "text/csv", "jsonl": "application/x-ndjson"}


def import_file(catalog: LocalCatalog, file_format: str, data: bytes) -> dict[str, Any]:
    """Ask for an upload, post the file to S3 with the form, and wait for the job to end."""
    ticket = catalog.request(
        "POST", "/admin/imports", {"format": file_format, "content_length": len(data)}, admin=True
    )
    assert ticket.status == 201, ticket.body
    upload = ticket.json()["upload"]
    body, content_type = multipart_form(
        upload["fields"], "file", f"catalog.{file_format}", data, CONTENT_TYPES[file_format]
    )
    posted = http_request("POST", upload["url"], body, {"Content-Type": content_type})
    assert posted.status in (200, 201, 204), posted.body
    import_id = ticket.json()["import_id"]

    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = catalog.request("GET", f"/admin/imports/{import_id}", admin=True).json()
        return job if job["state"] in ("succeeded", "failed") else None

    return eventually(ended, timeout=30, what=f"import {import_id} to end")


def export_file(
    catalog: LocalCatalog, file_format: str, status: str | None = None
) -> tuple[dict[str, Any], bytes]:
    """Request an export, wait for it, and download it with the presigned URL."""
    body = {"format": file_format, **({"status": status} if status else {})}
    accepted = catalog.request("POST", "/admin/exports", body, admin=True)
    assert accepted.status == 202, accepted.body
    export_id = accepted.json()["export_id"]

    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = catalog.request("GET", f"/admin/exports/{export_id}", admin=True).json()
        return job if job["state"] in ("succeeded", "failed") else None

    job = eventually(ended, timeout=30, what=f"export {export_id} to end")
    assert job["state"] == "succeeded", job
    download = http_request("GET", job["download_url"])
    assert download.status == 200
    return job, download.body


def test_csv_import_upserts_reports_bad_rows_and_a_rerun_is_all_unchanged(catalog: LocalCatalog) -> None:
    # Given one product the file will update
    existing = catalog.request(
        "POST",
        "/admin/products",
        {"sku": "E2E-BULK-CSV-1", "name": "Old", "category": "bulk", "price": 3, "inventory": 1},
        admin=True,
    )
    assert existing.status == 201
    data = (
        b"sku,name,category,price,inventory,description\n"
        b"E2E-BULK-CSV-1,New,bulk,3,1,\n"
        b'E2E-BULK-CSV-2,Second,bulk,4.5,0,"two\nlines"\n'
        b"E2E-BULK-CSV-3,,bulk,1,1,\n"
    )

    # When the file is imported
    job = import_file(catalog, "csv", data)

    # Then the good rows apply, the bad one is in the errors file by its line
    assert job["state"] == "succeeded", job
    assert job["rows"] == {"total": 3, "created": 1, "updated": 1, "unchanged": 0, "failed": 1}
    errors = [json.loads(line) for line in http_request("GET", job["errors_url"]).body.decode().splitlines()]
    assert [(e["row"], e["sku"], e["errors"][0]["field"]) for e in errors] == [(5, "E2E-BULK-CSV-3", "name")]
    updated = catalog.request("GET", f"/admin/products/{existing.json()['id']}", admin=True).json()
    assert (updated["name"], updated["version"]) == ("New", 2)

    # And the same file again changes nothing
    again = import_file(catalog, "csv", data)
    assert again["rows"] == {"total": 3, "created": 0, "updated": 0, "unchanged": 2, "failed": 1}


def test_an_unreadable_file_fails_with_a_detail_and_writes_nothing(catalog: LocalCatalog) -> None:
    job = import_file(catalog, "jsonl", b'{"sku": "E2E-BULK-BAD-1", "name": "Caf\xe9"}\n')

    assert job["state"] == "failed"
    assert "not UTF-8" in job["detail"]
    listing = catalog.request("GET", "/admin/products?sku_prefix=E2E-BULK-BAD", admin=True).json()
    assert listing["items"] == []


def test_the_upload_form_holds_the_declared_type_and_size(catalog: LocalCatalog) -> None:
    ticket = catalog.request(
        "POST", "/admin/imports", {"format": "csv", "content_length": 10}, admin=True
    ).json()
    body, content_type = multipart_form(
        ticket["upload"]["fields"], "file", "x.csv", b"0123456789!", "text/csv"
    )

    refused = http_request("POST", ticket["upload"]["url"], body, {"Content-Type": content_type})

    assert refused.status == 400
    job = catalog.request("GET", f"/admin/imports/{ticket['import_id']}", admin=True).json()
    assert job["state"] == "awaiting_upload"


@pytest.mark.parametrize("file_format", ["jsonl", "csv"])
def test_an_export_reimported_is_all_unchanged(catalog: LocalCatalog, file_format: str) -> None:
    rows = [
        {
            "sku": f"E2E-BULK-EXP-{file_format}-{n}",
            "name": f"Export {n}",
            "category": "bulk",
            "price": 2.5,
            "inventory": n,
        }
        for n in range(3)
    ]
    seeded = import_file(catalog, "jsonl", "".join(json.dumps(row) + "\n" for row in rows).encode())
    assert seeded["rows"]["failed"] == 0

    job, data = export_file(catalog, file_format)
    again = import_file(catalog, file_format, data)

    assert job["rows"] == again["rows"]["total"]
    assert again["rows"]["unchanged"] == again["rows"]["total"], again
    assert f"E2E-BULK-EXP-{file_format}-2".encode() in data
