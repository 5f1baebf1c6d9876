"""Publishing inventory events to the SNS topic.

The projector depends on the small :class:`EventPublisher` interface; :class:`SnsEventPublisher`
is the real one (PublishBatch, ten entries a call) and tests or the local runtime may pass any
other implementation.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cache
from typing import TYPE_CHECKING, Any, Protocol

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from shared.data.dynamo import CLIENT_CONFIG
from shared.models.events import InventoryEventBase

if TYPE_CHECKING:
    from mypy_boto3_sns import SNSClient

MAX_ENTRIES_PER_CALL = 10  # SNS PublishBatch limit


class EventPublisher(Protocol):
    """Publishes events, reporting the ones that were not accepted."""

    def publish(self, events: Sequence[InventoryEventBase]) -> set[str]:
        """Publish ``events``; return the ids of those that failed (empty when all succeeded)."""


def message_attributes(event: InventoryEventBase) -> dict[str, Any]:
    """SNS message attributes subscribers filter on: ``type``, ``category`` and ``product_id``."""
    return {
        "type": {"DataType": "String", "StringValue": event.type.value},
        "category": {"DataType": "String", "StringValue": event.data.category},
        "product_id": {"DataType": "String", "StringValue": event.data.product_id},
    }


@cache
def sns_client() -> SNSClient:
    """The process-wide SNS client, created on first use."""
    return boto3.client("sns", config=CLIENT_CONFIG)


class SnsEventPublisher:
    """:class:`EventPublisher` on an SNS topic: each event is one CloudEvents JSON message."""

    def __init__(self, topic_arn: str, client: SNSClient | None = None) -> None:
        self._topic_arn = topic_arn
        self._client = client or sns_client()

    def publish(self, events: Sequence[InventoryEventBase]) -> set[str]:
        """Publish in PublishBatch calls of up to ten entries.

        A failed entry fails only its own event; a call that fails as a whole (after the SDK's
        retries) fails the events it carried. Nothing is raised for either.
        """
        failed: set[str] = set()
        for start in range(0, len(events), MAX_ENTRIES_PER_CALL):
            chunk = events[start : start + MAX_ENTRIES_PER_CALL]
            # Entry ids are positions: event ids are unique, but SNS limits entry id characters.
            entries = [
                {
                    "Id": str(position),
                    "Message": event.model_dump_json(),
                    "MessageAttributes": message_attributes(event),
                }
                for position, event in enumerate(chunk)
            ]
            try:
                response = self._client.publish_batch(
                    TopicArn=self._topic_arn,
                    PublishBatchRequestEntries=entries,  # type: ignore[arg-type]
                )
            except (ClientError, BotoCoreError):
                failed.update(event.id for event in chunk)
                continue
            failed.update(chunk[int(entry["Id"])].id for entry in response.get("Failed", []))
        return failed
