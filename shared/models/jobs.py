"""Bulk import and export: request bodies, job documents and the file formats' facts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, Field, Strict

from shared.models.product import INTEGRAL, PresignedPost, ProductStatus, StrictRequest
from shared.problems import FieldError

MAX_IMPORT_BYTES = 100 * 1024 * 1024
ImportFormat = Literal["csv", "jsonl"]
# What the presigned POST fixes as the upload's Content-Type, per format.
CONTENT_TYPES: dict[str, str] = {"csv": "text/csv", "jsonl": "application/x-ndjson"}
# The import and export row: the create fields, in this column order (CSV header, JSONL keys).
ROW_FIELDS = (
    "sku",
    "name",
    "description",
    "category",
    "price",
    "currency",
    "inventory",
    "low_stock_threshold",
    "status",
)
REQUIRED_COLUMNS = ("sku", "name", "category", "price", "inventory")
# Deliveries of one work-queue message (import batch, export job) before it goes to the failure
# queue: the stack's redrive policy and the local runtime's pollers both use it.
WORK_QUEUE_MAX_RECEIVES = 5


class JobState(StrEnum):
    """Where a bulk job stands."""

    AWAITING_UPLOAD = "awaiting_upload"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


class ImportRequest(StrictRequest):
    """`POST /admin/imports`: the file's format and exact size (the upload must match both)."""

    format: ImportFormat
    # INTEGRAL: 9756.0 is a JSON integer, accepted as for image uploads.
    content_length: Annotated[int, Strict(), Field(gt=0, le=MAX_IMPORT_BYTES), INTEGRAL]


class ImportTicket(BaseModel):
    """Where and how to upload the import file."""

    import_id: str
    upload: PresignedPost
    expires_in: int


class ImportRows(BaseModel):
    """How the rows of an import fared so far."""

    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


class ImportJob(BaseModel):
    """`GET /admin/imports/{id}`: an import's state, counts and (once done) its errors file."""

    import_id: str
    format: ImportFormat
    state: JobState
    rows: ImportRows
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    detail: str | None = Field(default=None, description="Why the file could not be read (state failed).")
    errors_url: str | None = Field(
        default=None, description="Presigned GET of the errors file (JSONL), when rows failed."
    )


class ExportRequest(StrictRequest):
    """`POST /admin/exports`: the file format, and optionally one status only."""

    format: ImportFormat
    status: ProductStatus | None = None


class ExportAccepted(BaseModel):
    """`POST /admin/exports`: the job that will write the file."""

    export_id: str


class ExportJob(BaseModel):
    """`GET /admin/exports/{id}`: an export's state and, once it succeeded, its download."""

    export_id: str
    format: ImportFormat
    status: ProductStatus | None = None
    state: JobState
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    rows: int | None = None
    download_url: str | None = None
    expires_in: int | None = None
    detail: str | None = None


class RowError(BaseModel):
    """One line of an import's errors file."""

    row: int = Field(description="The line of the file, counted from 1 (a CSV header is line 1).")
    sku: str | None
    errors: list[FieldError]
