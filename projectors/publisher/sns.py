"""Publishing catalog events to the SNS topic: the only code here that talks to SNS.

:class:`SnsEventPublisher` sends events in ``PublishBatch`` calls that respect both SNS limits: at
most ten entries and at most 256 KiB (messages plus attributes) per call. Each message is one
CloudEvents JSON event with the attributes subscribers filter on.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from shared.data.dynamo import CLIENT_CONFIG
from shared.models.events import CatalogEventBase

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

MAX_ENTRIES_PER_CALL: Final = 10  # SNS PublishBatch limit
MAX_BYTES_PER_CALL: Final = 256 * 1024  # SNS payload limit: every message and attribute of a call


def message_attributes(event: CatalogEventBase) -> dict[str, Any]:
    """SNS message attributes subscribers filter on: ``type``, ``category`` and ``product_id``."""
    return {
        "type": {"DataType": "String", "StringValue": event.type},
        "category": {"DataType": "String", "StringValue": event.category},
        "product_id": {"DataType": "String", "StringValue": event.subject},
    }


def _entry_size(message: str, attributes: dict[str, Any]) -> int:
    # SNS counts the message and each attribute's name, data type and value toward the limit.
    size = len(message.encode())
    for name, value in attributes.items():
        size += len(name.encode()) + len(value["DataType"].encode()) + len(value["StringValue"].encode())
    return size


def batches(
    events: Sequence[CatalogEventBase],
) -> Iterator[list[tuple[CatalogEventBase, str, dict[str, Any]]]]:
    """Group events, in order, into PublishBatch calls within both SNS limits.

    Raises
    ------
    ValueError
        For an event larger than the limit on its own (the product limits keep events far below).
    """
    batch: list[tuple[CatalogEventBase, str, dict[str, Any]]] = []
    size = 0
    for event in events:
        message = event.model_dump_json()
        attributes = message_attributes(event)
        entry_size = _entry_size(message, attributes)
        if entry_size > MAX_BYTES_PER_CALL:
            raise ValueError(f"event {event.id} is {entry_size} bytes, over the SNS limit")
        if batch and (len(batch) == MAX_ENTRIES_PER_CALL or size + entry_size > MAX_BYTES_PER_CALL):
            yield batch
            batch, size = [], 0
        batch.append((event, message, attributes))
        size += entry_size
    if batch:
        yield batch


@cache
def sns_client() -> SNSClient:
    """The process-wide SNS client, created on first use."""
    return boto3.client("sns", config=CLIENT_CONFIG)


class SnsEventPublisher:
    """Publishes events on an SNS topic: each event is one CloudEvents JSON message."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self._topic_arn = topic_arn
        self._client = client or sns_client()
        self.calls = 0

    def publish(self, events: Sequence[CatalogEventBase]) -> set[str]:
        """Publish ``events``; return the ids of those SNS did not accept (empty when all were).

        A failed entry fails only its own event; a call that fails as a whole (after the SDK's
        retries: throttling, 5xx, a missing topic) fails the events it carried. Nothing is raised:
        the caller keeps the failed events and tries them again later.
        """
        failed: set[str] = set()
        for batch in batches(events):
            # Entry ids are positions: event ids are unique, but SNS limits entry id characters.
            entries = [
                {"Id": str(position), "Message": message, "MessageAttributes": attributes}
                for position, (_, message, attributes) in enumerate(batch)
            ]
            self.calls += 1
            try:
                response = self._client.publish_batch(
                    TopicArn=self._topic_arn,
                    PublishBatchRequestEntries=entries,  # type: ignore[arg-type]
                )
            except (ClientError, BotoCoreError):
                failed.update(event.id for event, _, _ in batch)
                continue
            failed.update(batch[int(entry["Id"])][0].id for entry in response.get("Failed", []))
        return failed
