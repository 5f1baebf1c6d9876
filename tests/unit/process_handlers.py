"""Lambda handlers that tests run in a process of their own (``local.function_process``).

Imported by the child process by name, so they live in a module of their own; they import what
they need inside, keeping each child's start quick.
"""

from __future__ import annotations

import os
from typing import Any


def describe(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Where and as what the invocation ran, and the event it got."""
    return {"pid": os.getpid(), "function": context.function_name, "event": event}


def fail(event: dict[str, Any], context: Any) -> None:
    """Raise, as a handler does on a record it cannot handle."""
    raise ValueError(f"cannot handle record {event['record']}")


def exit_process(event: dict[str, Any], context: Any) -> None:
    """End the process mid-invocation, as an out-of-memory kill would."""
    os._exit(3)


def put_and_read(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Write an item to DynamoDB at the event's endpoint and read it back."""
    import boto3

    dynamodb = boto3.client(
        "dynamodb",
        endpoint_url=event["endpoint"],
        region_name="us-west-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    dynamodb.put_item(TableName=event["table"], Item={"pk": {"S": event["key"]}})
    return dict(dynamodb.get_item(TableName=event["table"], Key={"pk": {"S": event["key"]}})["Item"])
