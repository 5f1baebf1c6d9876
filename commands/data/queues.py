"""SQS work queues of the bulk jobs: the only code that sends to them."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

import boto3

from shared.data.dynamo import CLIENT_CONFIG

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

# SendMessageBatch takes at most 10 entries.
SEND_BATCH_LIMIT = 10


@cache
def sqs_client() -> SQSClient:
    """The process-wide SQS client."""
    return boto3.client("sqs", config=CLIENT_CONFIG)


class SqsWorkQueue:
    """Messages to one queue, sent ten per call."""

    def __init__(self, queue_url: str, client: SQSClient | None = None) -> None:
        self._url = queue_url
        self._client = client or sqs_client()

    def send_all(self, messages: list[str]) -> None:
        """Enqueue every message; entries SQS refuses are sent again until none is left.

        Raises
        ------
        RuntimeError
            When SQS refuses an entry for a reason a retry cannot fix (a sender fault).
        """
        for start in range(0, len(messages), SEND_BATCH_LIMIT):
            pending = {
                str(index): body for index, body in enumerate(messages[start : start + SEND_BATCH_LIMIT])
            }
            while pending:
                response = self._client.send_message_batch(
                    QueueUrl=self._url,
                    Entries=[{"Id": entry_id, "MessageBody": body} for entry_id, body in pending.items()],
                )
                failed = response.get("Failed", [])
                senders = [entry for entry in failed if entry.get("SenderFault")]
                if senders:
                    raise RuntimeError(f"SQS refused {len(senders)} messages: {senders[0].get('Code')}")
                pending = {entry["Id"]: pending[entry["Id"]] for entry in failed}

    def send(self, message: str) -> None:
        """Enqueue one message."""
        self._client.send_message(QueueUrl=self._url, MessageBody=message)
