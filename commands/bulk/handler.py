"""Admin API function: bulk imports (presigned upload, status) and exports (request, download).

Thin: validate (Powertools + pydantic), call the import or export rules, render. The work itself
runs elsewhere: the upload's S3 event starts an import, a queue message starts an export.
"""

from __future__ import annotations

from functools import cache
from http import HTTPStatus
from typing import Annotated

from aws_lambda_powertools.event_handler import Response
from aws_lambda_powertools.event_handler.openapi.params import Body

from commands.admin_http import IdempotencyKey, once, respond, stored
from commands.data.bulk_files import S3BulkFiles
from commands.data.jobs import DynamoJobStore
from commands.data.queues import SqsWorkQueue
from commands.exports.logic import describe_export, request_export
from commands.imports.logic import describe_import, request_import
from commands.imports.wiring import CLOCK
from shared.config import AdminBulkConfig, load_config
from shared.http import admin_resolver, api_handler, documented
from shared.models.jobs import (
    ExportAccepted,
    ExportJob,
    ExportRequest,
    ImportJob,
    ImportRequest,
    ImportTicket,
)
from shared.snapstart import prime, validation_request

config = load_config(AdminBulkConfig)
app = admin_resolver(config.admin_allowed_origins)


@cache
def _jobs() -> DynamoJobStore:
    return DynamoJobStore(config.jobs_table_name)


@cache
def _files() -> S3BulkFiles:
    return S3BulkFiles(config.images_bucket_name)


@cache
def _exports_queue() -> SqsWorkQueue:
    return SqsWorkQueue(config.export_jobs_queue_url)


@app.post(
    "/admin/imports",
    summary="Start an import: get a presigned upload for the file",
    description="CSV (header row) or JSONL, at most 100 MiB. Uploading the file starts the import.",
    tags=["admin"],
    responses=documented(HTTPStatus.CREATED, ImportTicket, "Where and how to upload the file"),
)
def post_import(
    body: Annotated[ImportRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[str]:
    """201 `{import_id, upload: {url, fields}, expires_in}`; S3 refuses another type or size."""

    def ticket() -> dict[str, object]:
        issued = request_import(_jobs(), _files(), CLOCK, body, config.upload_url_ttl_seconds)
        return stored(issued, HTTPStatus.CREATED, Location=f"/admin/imports/{issued.import_id}")

    return once(app, config, idempotency_key, body.model_dump(mode="json"), ticket)


@app.get(
    "/admin/imports/<id>",
    summary="An import's state, counts and errors file",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, ImportJob, "The import job"),
)
def get_import(id: str) -> Response[str]:
    """200 with the job; `errors_url` once rows failed and the job ended."""
    job = describe_import(_jobs(), _files(), id, config.bulk_file_url_ttl_seconds)
    return respond(stored(job, HTTPStatus.OK))


@app.post(
    "/admin/exports",
    summary="Export the catalog (optionally one status) to a file",
    tags=["admin"],
    responses=documented(HTTPStatus.ACCEPTED, ExportAccepted, "The export job"),
)
def post_export(
    body: Annotated[ExportRequest, Body()], idempotency_key: IdempotencyKey = None
) -> Response[str]:
    """202 `{export_id}`; poll `GET /admin/exports/{id}` for the download."""

    def accepted() -> dict[str, object]:
        job = request_export(_jobs(), _exports_queue(), CLOCK, body)
        return stored(job, HTTPStatus.ACCEPTED, Location=f"/admin/exports/{job.export_id}")

    return once(app, config, idempotency_key, body.model_dump(mode="json"), accepted)


@app.get(
    "/admin/exports/<id>",
    summary="An export's state and, once done, its download",
    tags=["admin"],
    responses=documented(HTTPStatus.OK, ExportJob, "The export job"),
)
def get_export(id: str) -> Response[str]:
    """200 with the job; `download_url` (presigned) and `rows` once it succeeded."""
    job = describe_export(_jobs(), _files(), id, config.bulk_file_url_ttl_seconds)
    return respond(stored(job, HTTPStatus.OK))


handler = api_handler(app)
prime(_jobs, _files, _exports_queue, validation_request(app, "POST", "/admin/imports", "{}"))
