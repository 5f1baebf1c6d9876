"""Import rules: hand out the upload, start a job from its file, apply one batch, finish the job.

Pure domain code over small protocols (no HTTP, no boto3, no environment). The pieces run in
three functions: the admin API (:func:`request_import`, :func:`describe_import`), the upload's S3
event (:func:`start_import`) and the batch worker (:class:`BatchImporter`), which the managed
fan-out runs once per batch, any number of times, in any order.

Upsert by SKU: an unknown SKU is **created**; a known one gets its create fields replaced
(**updated**, version + 1) unless they are already equal (**unchanged**). Every write carries
``last_change = {command: "import", reason: "import <id>"}``, which is how a batch delivered
again recognises the rows it wrote itself the first time and counts them as it did then.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Protocol

from commands.data.jobs import BatchCounts, ImportRecord
from commands.imports.rows import BatchRange, ParsedRow, UnreadableFile, parse_batch, plan_file
from shared.data.dynamo import TRANSACTION_LIMIT
from shared.data.products import WriteConflict
from shared.models.jobs import CONTENT_TYPES, ImportFormat, ImportJob, ImportRequest, ImportTicket, RowError
from shared.models.product import ChangeRecord, PresignedPost, Product, ProductFields
from shared.problems import NotFound
from shared.tables import import_errors_key, import_errors_part_key, import_source_key

IMPORT_COMMAND = "import"
# A batch whose transaction loses a race (a concurrent write of one of its SKUs) re-reads and
# re-plans; past this many attempts it fails and the queue delivers it again later.
MAX_ATTEMPTS = 5


class ImportJobs(Protocol):
    """The job operations imports need (:class:`commands.data.jobs.DynamoJobStore`)."""

    def create_import(
        self, import_id: str, file_format: str, content_length: int, created_at: datetime
    ) -> None:
        """Record a new import awaiting its upload."""

    def get_import(self, import_id: str) -> ImportRecord | None:
        """The import, or None."""

    def start_import(self, import_id: str, total: int, batches: int, now: datetime) -> bool:
        """Awaiting upload (or running) → running; False once finished."""

    def fail_import(self, import_id: str, detail: str, now: datetime) -> bool:
        """Unfinished → failed; False once finished."""

    def record_batch(self, import_id: str, batch: int, counts: BatchCounts) -> bool:
        """Add a batch's counts once; False if already counted."""

    def failed_batches(self, import_id: str) -> list[int]:
        """Numbers of the counted batches that had failed rows."""

    def finish_import(self, import_id: str, errors_key: str | None, now: datetime) -> bool:
        """Running with every batch counted → succeeded."""


class ImportFiles(Protocol):
    """The bucket operations imports need."""

    def presigned_post(
        self, key: str, content_type: str, content_length: int, expires_in: int
    ) -> PresignedPost:
        """A form S3 accepts only for exactly this key, type and size."""

    def presigned_get(self, key: str, expires_in: int) -> str:
        """A short-lived download URL."""

    def stream(self, key: str) -> Iterator[bytes]:
        """The object's bytes, chunk by chunk."""

    def read_range(self, key: str, start: int, end: int) -> bytes:
        """Bytes ``[start, end)`` of the object."""

    def put_text(self, key: str, text: str, content_type: str) -> None:
        """Write (or overwrite) a small text object."""

    def read_text(self, key: str) -> str:
        """A small text object."""


class ProductsInBulk(Protocol):
    """The write-model operations imports need (:class:`shared.data.products.BulkProductStore`)."""

    def get_by_skus(self, skus: list[str]) -> dict[str, Product]:
        """Current products by SKU; unknown SKUs absent."""

    def write_many(self, creates: list[Product], updates: list[tuple[Product, Product]]) -> None:
        """Create and replace in one transaction, or raise WriteConflict and write nothing."""


class BatchQueue(Protocol):
    """Where batches go to be applied (the managed fan-out's input)."""

    def send_all(self, messages: list[str]) -> None:
        """Enqueue every message."""


@dataclass(frozen=True)
class Clock:
    """Time and identity sources, injectable so tests are deterministic."""

    now: Callable[[], datetime]
    new_id: Callable[[], str]


@dataclass(frozen=True)
class BatchMessage:
    """One batch of one import: what the batch worker receives."""

    import_id: str
    format: ImportFormat
    columns: tuple[str, ...]
    batch: int
    start: int
    end: int
    first_line: int

    def to_json(self) -> str:
        """The queue message body."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, body: str) -> BatchMessage:
        """Parse a queue message body."""
        document = json.loads(body)
        return cls(**{**document, "columns": tuple(document["columns"])})


def import_reason(import_id: str) -> str:
    """The change reason every write of one import carries (and events show)."""
    return f"import {import_id}"


# --- the admin API ------------------------------------------------------------------------


def request_import(
    jobs: ImportJobs, files: ImportFiles, clock: Clock, body: ImportRequest, expires_in: int
) -> ImportTicket:
    """Create an import awaiting its file, and the presigned POST that uploads it."""
    import_id = clock.new_id()
    jobs.create_import(import_id, body.format, body.content_length, clock.now())
    upload = files.presigned_post(
        import_source_key(import_id), CONTENT_TYPES[body.format], body.content_length, expires_in
    )
    return ImportTicket(import_id=import_id, upload=upload, expires_in=expires_in)


def describe_import(jobs: ImportJobs, files: ImportFiles, import_id: str, url_ttl: int) -> ImportJob:
    """The import's state and counts, with a presigned errors file once it has one.

    Raises
    ------
    NotFound
        For an unknown import.
    """
    record = jobs.get_import(import_id) if 0 < len(import_id) <= 128 else None
    if record is None:
        raise NotFound(f"no import with id '{import_id}'")
    if record.errors_key is None:
        return record.job
    return record.job.model_copy(update={"errors_url": files.presigned_get(record.errors_key, url_ttl)})


# --- the upload's S3 event ----------------------------------------------------------------


def start_import(
    jobs: ImportJobs, files: ImportFiles, queue: BatchQueue, clock: Clock, import_id: str
) -> str:
    """Check the uploaded file, then fan its batches out; returns what happened (for logs).

    An unreadable file fails the job with a ``detail`` before any row is written. A job that
    already finished ignores the event (S3 may deliver it twice); a running one sends its batches
    again, which resumes an interrupted start without doubling anything.
    """
    record = jobs.get_import(import_id)
    if record is None:
        return "unknown import"
    if record.job.state not in ("awaiting_upload", "running"):
        return f"already {record.job.state}"
    file_format = record.job.format
    try:
        plan = plan_file(files.stream(import_source_key(import_id)), file_format)
    except UnreadableFile as error:
        jobs.fail_import(import_id, str(error), clock.now())
        return "unreadable"
    if not jobs.start_import(import_id, plan.total, len(plan.batches), clock.now()):
        return "already finished"
    queue.send_all(
        [_message(import_id, file_format, plan.columns, batch).to_json() for batch in plan.batches]
    )
    if not plan.batches:
        jobs.finish_import(import_id, None, clock.now())
    return f"started {plan.total} rows in {len(plan.batches)} batches"


def _message(
    import_id: str, file_format: ImportFormat, columns: tuple[str, ...], batch: BatchRange
) -> BatchMessage:
    return BatchMessage(
        import_id=import_id,
        format=file_format,
        columns=columns,
        batch=batch.number,
        start=batch.start,
        end=batch.end,
        first_line=batch.first_line,
    )


# --- one batch ----------------------------------------------------------------------------


@dataclass
class _Plan:
    creates: list[Product] = field(default_factory=list)
    updates: list[tuple[Product, Product]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: {"created": 0, "updated": 0, "unchanged": 0})

    def actions(self) -> int:
        return 2 * len(self.creates) + len(self.updates)


def plan_upserts(
    rows: list[tuple[str, ProductFields]],
    existing: dict[str, Product],
    *,
    actor: str,
    reason: str,
    now: datetime,
    new_id: Callable[[], str],
) -> _Plan:
    """What to write for rows with distinct SKUs, given the products that hold those SKUs now."""
    plan = _Plan()
    change = ChangeRecord(actor=actor, command=IMPORT_COMMAND, reason=reason)
    for sku, fields in rows:
        current = existing.get(sku)
        if current is None:
            plan.creates.append(
                Product(
                    **fields.model_dump(),
                    id=new_id(),
                    version=1,
                    created_at=now,
                    updated_at=now,
                    last_change=change,
                )
            )
            plan.counts["created"] += 1
        elif current.fields() == fields:
            # Equal already. If this very import wrote it (a batch delivered again), count the
            # row as that first delivery did, so counts never depend on redelivery.
            if current.last_change == change:
                plan.counts["created" if current.version == 1 else "updated"] += 1
            else:
                plan.counts["unchanged"] += 1
        else:
            updated = current.model_copy(
                update={
                    **fields.model_dump(),
                    "version": current.version + 1,
                    "updated_at": now,
                    "last_change": change,
                }
            )
            plan.updates.append((updated, current))
            plan.counts["updated"] += 1
    return plan


def _waves(rows: list[ParsedRow]) -> Iterator[list[tuple[str, ProductFields]]]:
    """Valid rows in groups with distinct SKUs, in file order (a repeated SKU waits a group)."""
    pending = [(row.fields.sku, row.fields) for row in rows if row.fields is not None]
    while pending:
        seen: set[str] = set()
        wave: list[tuple[str, ProductFields]] = []
        later: list[tuple[str, ProductFields]] = []
        for sku, fields in pending:
            (later if sku in seen else wave).append((sku, fields))
            seen.add(sku)
        yield wave
        pending = later


def _groups(wave: list[tuple[str, ProductFields]]) -> Iterator[list[tuple[str, ProductFields]]]:
    # At most TRANSACTION_LIMIT actions per transaction; a create costs two (product and guard).
    size = TRANSACTION_LIMIT // 2
    for start in range(0, len(wave), size):
        yield wave[start : start + size]


class BatchImporter:
    """Applies one batch of an import: parse, read existing products in bulk, write in transactions."""

    def __init__(
        self,
        jobs: ImportJobs,
        files: ImportFiles,
        products: ProductsInBulk,
        clock: Clock,
        actor: str = "import",
    ) -> None:
        self._jobs = jobs
        self._files = files
        self._products = products
        self._clock = clock
        self._actor = actor

    def run(self, message: BatchMessage) -> BatchCounts | None:
        """Apply the batch and count it once; ``None`` when the import is no longer running."""
        record = self._jobs.get_import(message.import_id)
        if record is None or record.job.state != "running":
            return None
        data = self._files.read_range(import_source_key(message.import_id), message.start, message.end)
        rows = parse_batch(data, message.format, message.columns, message.first_line)
        failed = [row for row in rows if row.fields is None]
        counts = {"created": 0, "updated": 0, "unchanged": 0}
        reason = import_reason(message.import_id)
        for wave in _waves(rows):
            for group in _groups(wave):
                for name, value in self._apply(group, reason).items():
                    counts[name] += value
        if failed:
            errors = "".join(
                RowError(row=row.line, sku=row.sku, errors=list(row.errors)).model_dump_json() + "\n"
                for row in failed
            )
            self._files.put_text(
                import_errors_part_key(message.import_id, message.batch), errors, "application/x-ndjson"
            )
        result = BatchCounts(failed=len(failed), **counts)
        self._jobs.record_batch(message.import_id, message.batch, result)
        self.finish_if_done(message.import_id)
        return result

    def _apply(self, group: list[tuple[str, ProductFields]], reason: str) -> dict[str, int]:
        for _ in range(MAX_ATTEMPTS):
            existing = self._products.get_by_skus([sku for sku, _ in group])
            plan = plan_upserts(
                group,
                existing,
                actor=self._actor,
                reason=reason,
                now=self._clock.now(),
                new_id=self._clock.new_id,
            )
            try:
                self._products.write_many(plan.creates, plan.updates)
            except WriteConflict:
                continue
            return plan.counts
        raise WriteConflict(f"a batch kept losing races after {MAX_ATTEMPTS} attempts")

    def finish_if_done(self, import_id: str) -> bool:
        """Once every batch is counted: merge the errors parts into one file and end the job."""
        record = self._jobs.get_import(import_id)
        if record is None or record.job.state != "running" or record.batches_done < record.batches_total:
            return False
        errors_key = None
        if record.job.rows.failed:
            errors_key = import_errors_key(import_id)
            # Parts in batch order, rows in file order within each: the whole file is in line order.
            parts = [
                import_errors_part_key(import_id, batch) for batch in self._jobs.failed_batches(import_id)
            ]
            self._files.put_text(
                errors_key, "".join(self._files.read_text(key) for key in parts), "application/x-ndjson"
            )
        return self._jobs.finish_import(import_id, errors_key, self._clock.now())
