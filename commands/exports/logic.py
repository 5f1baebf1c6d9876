"""Export rules: accept an export, write the catalog in the import format, describe the job.

An export holds every product (optionally of one status) in the admin shape without images, as
the rows of an import file, so importing it again changes nothing (every row ``unchanged``).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import IO, Protocol

from commands.data.jobs import ExportRecord
from commands.imports.logic import Clock
from shared.models.jobs import (
    CONTENT_TYPES,
    ROW_FIELDS,
    ExportAccepted,
    ExportJob,
    ExportRequest,
    ImportFormat,
)
from shared.models.product import Product, ProductStatus
from shared.problems import NotFound
from shared.tables import export_key


class ExportJobs(Protocol):
    """The job operations exports need (:class:`commands.data.jobs.DynamoJobStore`)."""

    def create_export(
        self, export_id: str, file_format: str, status: ProductStatus | None, created_at: datetime
    ) -> None:
        """Record a new export."""

    def get_export(self, export_id: str) -> ExportRecord | None:
        """The export, or None."""

    def start_export(self, export_id: str, now: datetime) -> bool:
        """Note the start; False once finished."""

    def finish_export(self, export_id: str, rows: int, file_key: str, now: datetime) -> bool:
        """Running → succeeded."""

    def fail_export(self, export_id: str, detail: str, now: datetime) -> bool:
        """Running → failed."""


class ExportFiles(Protocol):
    """The bucket operations exports need."""

    def presigned_get(self, key: str, expires_in: int) -> str:
        """A short-lived download URL."""

    def upload(self, key: str, path: str, content_type: str) -> None:
        """Upload a local file."""


class CatalogScan(Protocol):
    """Every product of the write model (:class:`shared.data.products.BulkProductStore`)."""

    def scan_products(self) -> Iterator[Product]:
        """Every product, once."""


class JobQueue(Protocol):
    """Where export jobs wait for the export function."""

    def send(self, message: str) -> None:
        """Enqueue one message."""


def request_export(jobs: ExportJobs, queue: JobQueue, clock: Clock, body: ExportRequest) -> ExportAccepted:
    """Record the export and queue it for the export function."""
    export_id = clock.new_id()
    jobs.create_export(export_id, body.format, body.status, clock.now())
    queue.send(json.dumps({"export_id": export_id}))
    return ExportAccepted(export_id=export_id)


def describe_export(jobs: ExportJobs, files: ExportFiles, export_id: str, url_ttl: int) -> ExportJob:
    """The export's state; once it succeeded, a fresh presigned download and its lifetime.

    Raises
    ------
    NotFound
        For an unknown export.
    """
    record = jobs.get_export(export_id) if 0 < len(export_id) <= 128 else None
    if record is None:
        raise NotFound(f"no export with id '{export_id}'")
    if record.file_key is None:
        return record.job
    return record.job.model_copy(
        update={"download_url": files.presigned_get(record.file_key, url_ttl), "expires_in": url_ttl}
    )


def export_row(product: Product) -> dict[str, object]:
    """A product as one import row (its create fields; prices exact)."""
    fields = product.fields().model_dump(mode="json")
    return {name: fields[name] for name in ROW_FIELDS}


def write_rows(products: Iterable[Product], file_format: ImportFormat, out: IO[str]) -> int:
    """Write ``products`` as an import file; returns the number of rows."""
    rows = 0
    writer = csv.DictWriter(out, fieldnames=ROW_FIELDS, lineterminator="\n") if file_format == "csv" else None
    if writer is not None:
        writer.writeheader()
    for product in products:
        row = export_row(product)
        if writer is not None:
            writer.writerow({name: "" if value is None else value for name, value in row.items()})
        else:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
        rows += 1
    return rows


def run_export(
    jobs: ExportJobs, files: ExportFiles, catalog: CatalogScan, clock: Clock, export_id: str, workdir: str
) -> str:
    """Write the export's file and finish the job; returns what happened (for logs).

    The moment of the export is when the job starts: products created after it are left out, and
    one strongly consistent scan reads every other product once.
    """
    record = jobs.get_export(export_id)
    if record is None:
        return "unknown export"
    if not jobs.start_export(export_id, clock.now()):
        return f"already {record.job.state}"
    moment = clock.now()
    chosen = (
        product
        for product in catalog.scan_products()
        if product.created_at <= moment and (record.job.status is None or product.status == record.job.status)
    )
    path = f"{workdir}/{export_id}.{record.job.format}"
    with open(path, "w", encoding="utf-8", newline="") as out:
        rows = write_rows(chosen, record.job.format, out)
    key = export_key(export_id, record.job.format)
    files.upload(key, path, CONTENT_TYPES[record.job.format])
    jobs.finish_export(export_id, rows, key, clock.now())
    return f"exported {rows} rows"


def render(products: Iterable[Product], file_format: ImportFormat) -> str:
    """The export file of ``products`` as text (for tests and benchmarks)."""
    out = io.StringIO()
    write_rows(products, file_format, out)
    return out.getvalue()
