"""Bulk jobs in the jobs table: the only code that reads or writes it.

``pk=IMPORT#<id>, sk=JOB``
    An import: format, declared size, state, row counts, batches planned and done, errors key.
``pk=IMPORT#<id>, sk=BATCH#<n>``
    Batch ``n`` of the import has been counted. Written in the same transaction as the ``ADD``
    to the job's counts, so a batch delivered twice (SQS is at least once) is counted once.
``pk=EXPORT#<id>, sk=JOB``
    An export: format, status filter, state, rows written, the file's key.

Every state change is conditional on the state it leaves, so duplicate S3 events or messages
can never move a job backwards or finish it twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from botocore.exceptions import ClientError

from shared.data.dynamo import dynamodb_client, from_attribute_values, to_attribute_values
from shared.ids import rfc3339
from shared.models.jobs import ExportJob, ImportJob, ImportRows, JobState
from shared.models.product import ProductStatus
from shared.tables import EXPORT_KEY_PREFIX, IMPORT_KEY_PREFIX

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

JOB_SORT_KEY = "JOB"
IMPORT_ENTITY = "import"
EXPORT_ENTITY = "export"
_COUNTS = ("total", "created", "updated", "unchanged", "failed")
_BATCH_PREFIX = "BATCH#"


def _import_key(import_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{IMPORT_KEY_PREFIX}{import_id}"}, "sk": {"S": JOB_SORT_KEY}}


def _export_key(export_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"{EXPORT_KEY_PREFIX}{export_id}"}, "sk": {"S": JOB_SORT_KEY}}


@dataclass(frozen=True)
class ImportRecord:
    """An import job as stored: the public document plus what the pipeline needs."""

    job: ImportJob
    content_length: int
    batches_total: int
    batches_done: int
    errors_key: str | None


@dataclass(frozen=True)
class ExportRecord:
    """An export job as stored: the public document plus the file's key."""

    job: ExportJob
    file_key: str | None


@dataclass(frozen=True)
class BatchCounts:
    """What one import batch did; added to the job once."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0


class DynamoJobStore:
    """Import and export jobs on a DynamoDB table (see the module docstring for the layout)."""

    def __init__(self, table_name: str, client: DynamoDBClient | None = None) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()

    # --- imports ----------------------------------------------------------------------------

    def create_import(
        self, import_id: str, file_format: str, content_length: int, created_at: datetime
    ) -> None:
        """Record a new import awaiting its upload."""
        item = {
            "pk": f"{IMPORT_KEY_PREFIX}{import_id}",
            "sk": JOB_SORT_KEY,
            "entity": IMPORT_ENTITY,
            "import_id": import_id,
            "format": file_format,
            "state": JobState.AWAITING_UPLOAD.value,
            "content_length": content_length,
            "created_at": rfc3339(created_at),
            **dict.fromkeys(_COUNTS, 0),
            "batches_total": 0,
            "batches_done": 0,
        }
        self._client.put_item(
            TableName=self._table,
            Item=to_attribute_values(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_import(self, import_id: str) -> ImportRecord | None:
        """The import (strongly consistent), or ``None``."""
        response = self._client.get_item(
            TableName=self._table, Key=_import_key(import_id), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        item = from_attribute_values(response["Item"])
        job = ImportJob(
            import_id=item["import_id"],
            format=item["format"],
            state=JobState(item["state"]),
            rows=ImportRows(**{name: int(item.get(name, 0)) for name in _COUNTS}),
            created_at=item["created_at"],
            started_at=item.get("started_at"),
            finished_at=item.get("finished_at"),
            detail=item.get("detail"),
        )
        return ImportRecord(
            job=job,
            content_length=int(item["content_length"]),
            batches_total=int(item.get("batches_total", 0)),
            batches_done=int(item.get("batches_done", 0)),
            errors_key=item.get("errors_key"),
        )

    def start_import(self, import_id: str, total: int, batches: int, now: datetime) -> bool:
        """Move an import from awaiting_upload to running with its plan; ``False`` if it is finished.

        A running import may be started again (its batches are then sent again: resuming an
        interrupted start); the first start time is kept.
        """
        return self._transition(
            _import_key(import_id),
            "SET #state = :running, started_at = if_not_exists(started_at, :now), #total = :total, "
            "batches_total = :batches",
            "#state IN (:awaiting, :running)",
            {
                ":running": {"S": JobState.RUNNING.value},
                ":awaiting": {"S": JobState.AWAITING_UPLOAD.value},
                ":now": {"S": rfc3339(now)},
                ":total": {"N": str(total)},
                ":batches": {"N": str(batches)},
            },
            {"#total": "total"},
        )

    def fail_import(self, import_id: str, detail: str, now: datetime) -> bool:
        """End an unfinished import as failed with ``detail``; ``False`` if it had already ended."""
        return self._transition(
            _import_key(import_id),
            "SET #state = :failed, detail = :detail, finished_at = :now, "
            "started_at = if_not_exists(started_at, :now)",
            "#state IN (:awaiting, :running)",
            {
                ":failed": {"S": JobState.FAILED.value},
                ":awaiting": {"S": JobState.AWAITING_UPLOAD.value},
                ":running": {"S": JobState.RUNNING.value},
                ":detail": {"S": detail},
                ":now": {"S": rfc3339(now)},
            },
        )

    def record_batch(self, import_id: str, batch: int, counts: BatchCounts) -> bool:
        """Add one batch's counts to the job, once; ``False`` if that batch was already counted."""
        marker = {
            "pk": {"S": f"{IMPORT_KEY_PREFIX}{import_id}"},
            "sk": {"S": f"{_BATCH_PREFIX}{batch:06d}"},
            "entity": {"S": "import-batch"},
            **{
                name: {"N": str(getattr(counts, name))}
                for name in ("created", "updated", "unchanged", "failed")
            },
        }
        try:
            self._client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self._table,
                            "Item": marker,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Update": {
                            "TableName": self._table,
                            "Key": _import_key(import_id),
                            "UpdateExpression": (
                                "ADD created :c, updated :u, unchanged :n, failed :f, batches_done :one"
                            ),
                            "ConditionExpression": "#state = :running",
                            "ExpressionAttributeNames": {"#state": "state"},
                            "ExpressionAttributeValues": {
                                ":c": {"N": str(counts.created)},
                                ":u": {"N": str(counts.updated)},
                                ":n": {"N": str(counts.unchanged)},
                                ":f": {"N": str(counts.failed)},
                                ":one": {"N": "1"},
                                ":running": {"S": JobState.RUNNING.value},
                            },
                        }
                    },
                ]
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "TransactionCanceledException":
                return False
            raise
        return True

    def failed_batches(self, import_id: str) -> list[int]:
        """The numbers of the counted batches that had failed rows, in order."""
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :batch)",
            "FilterExpression": "failed > :zero",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"{IMPORT_KEY_PREFIX}{import_id}"},
                ":batch": {"S": _BATCH_PREFIX},
                ":zero": {"N": "0"},
            },
            "ProjectionExpression": "sk",
            "ConsistentRead": True,
        }
        numbers: list[int] = []
        while True:
            response = self._client.query(**arguments)
            numbers += [int(item["sk"]["S"].removeprefix(_BATCH_PREFIX)) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                return numbers
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]

    def finish_import(self, import_id: str, errors_key: str | None, now: datetime) -> bool:
        """Mark a running import whose batches are all counted as succeeded; ``False`` otherwise."""
        update = "SET #state = :succeeded, finished_at = :now"
        values: dict[str, Any] = {
            ":succeeded": {"S": JobState.SUCCEEDED.value},
            ":running": {"S": JobState.RUNNING.value},
            ":now": {"S": rfc3339(now)},
        }
        if errors_key is not None:
            update += ", errors_key = :errors"
            values[":errors"] = {"S": errors_key}
        return self._transition(
            _import_key(import_id), update, "#state = :running AND batches_done = batches_total", values
        )

    # --- exports ----------------------------------------------------------------------------

    def create_export(
        self, export_id: str, file_format: str, status: ProductStatus | None, created_at: datetime
    ) -> None:
        """Record a new export, to be run by the export job."""
        item = {
            "pk": f"{EXPORT_KEY_PREFIX}{export_id}",
            "sk": JOB_SORT_KEY,
            "entity": EXPORT_ENTITY,
            "export_id": export_id,
            "format": file_format,
            "status": status.value if status else None,
            "state": JobState.RUNNING.value,
            "created_at": rfc3339(created_at),
        }
        self._client.put_item(
            TableName=self._table,
            Item=to_attribute_values(item),
            ConditionExpression="attribute_not_exists(pk)",
        )

    def get_export(self, export_id: str) -> ExportRecord | None:
        """The export (strongly consistent), or ``None``."""
        response = self._client.get_item(
            TableName=self._table, Key=_export_key(export_id), ConsistentRead=True
        )
        if "Item" not in response:
            return None
        item = from_attribute_values(response["Item"])
        job = ExportJob(
            export_id=item["export_id"],
            format=item["format"],
            status=item.get("status"),
            state=JobState(item["state"]),
            created_at=item["created_at"],
            started_at=item.get("started_at"),
            finished_at=item.get("finished_at"),
            rows=item.get("rows"),
            detail=item.get("detail"),
        )
        return ExportRecord(job=job, file_key=item.get("file_key"))

    def start_export(self, export_id: str, now: datetime) -> bool:
        """Note when the export job began; ``False`` if the export has already ended."""
        return self._transition(
            _export_key(export_id),
            "SET started_at = if_not_exists(started_at, :now)",
            "#state = :running",
            {":now": {"S": rfc3339(now)}, ":running": {"S": JobState.RUNNING.value}},
        )

    def finish_export(self, export_id: str, rows: int, file_key: str, now: datetime) -> bool:
        """Mark a running export as succeeded with its file; ``False`` if it had already ended."""
        return self._transition(
            _export_key(export_id),
            "SET #state = :succeeded, #rows = :rows, file_key = :key, finished_at = :now",
            "#state = :running",
            {
                ":succeeded": {"S": JobState.SUCCEEDED.value},
                ":running": {"S": JobState.RUNNING.value},
                ":rows": {"N": str(rows)},
                ":key": {"S": file_key},
                ":now": {"S": rfc3339(now)},
            },
            {"#rows": "rows"},
        )

    def fail_export(self, export_id: str, detail: str, now: datetime) -> bool:
        """End a running export as failed; ``False`` if it had already ended."""
        return self._transition(
            _export_key(export_id),
            "SET #state = :failed, detail = :detail, finished_at = :now",
            "#state = :running",
            {
                ":failed": {"S": JobState.FAILED.value},
                ":running": {"S": JobState.RUNNING.value},
                ":detail": {"S": detail},
                ":now": {"S": rfc3339(now)},
            },
        )

    # --- helpers ----------------------------------------------------------------------------

    def _transition(
        self,
        key: dict[str, Any],
        update: str,
        condition: str,
        values: dict[str, Any],
        names: dict[str, str] | None = None,
    ) -> bool:
        try:
            self._client.update_item(
                TableName=self._table,
                Key=key,
                UpdateExpression=update,
                ConditionExpression=f"attribute_exists(pk) AND {condition}",
                ExpressionAttributeNames={"#state": "state", **(names or {})},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True
