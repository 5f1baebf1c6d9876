"""Re-publish logged events with their original ids: ``make replay-events SINCE=...``.

For a subscriber that lost its queue: every logged event with ``SINCE <= time < UNTIL`` (optionally
of one type, or of one product) is published again, exactly as first published (same id, body and
attributes), so subscribers that already have some drop them by id. The log's own publishing state
is not touched. It prints how many events it sent and exits 1 if SNS refused any.

Target: a deployed stage when ``EVENT_LOG_TABLE_NAME`` and ``INVENTORY_TOPIC_ARN`` are set (with
the usual AWS credentials and region); otherwise the running local runtime on
``127.0.0.1:${CATALOG_AWS_PORT:-4566}``.

Usage::

    python -m tools.replay_events --since 2026-12-01T00:00:00Z [--until ...] [--type ...]
        [--product ...]
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import BotoCoreError, ClientError

from projectors.publisher.sns import SnsEventPublisher
from shared.data.dynamo import CLIENT_CONFIG
from shared.data.event_log import EventLogTable
from shared.models.events import ALL_EVENT_TYPES, CatalogEventBase, event_type_named

LOCAL_REGION = "us-west-1"
DEFAULT_LOCAL_AWS_PORT = "4566"
# How many events go to SNS per round: bounded memory whatever the window holds.
CHUNK = 500


@dataclass(frozen=True)
class ReplayTarget:
    """Where the log is read and the events are sent."""

    table_name: str
    topic_arn: str
    dynamodb: Any
    sns: Any
    description: str


@dataclass(frozen=True)
class ReplaySummary:
    """What a replay did."""

    sent: int
    refused: int
    sns_calls: int


def parse_time(text: str, name: str) -> datetime:
    """An RFC 3339 instant with a time zone.

    Raises
    ------
    ValueError
        Naming the option, for anything else.
    """
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError as error:
        raise ValueError(
            f"{name} must be an RFC 3339 time such as 2026-12-01T00:00:00Z, not {text!r}"
        ) from error
    if moment.tzinfo is None:
        raise ValueError(f"{name} needs a time zone (Z or +hh:mm): {text!r}")
    return moment.astimezone(UTC)


def target_from_environment(environ: Mapping[str, str]) -> ReplayTarget:
    """A deployed stage from ``EVENT_LOG_TABLE_NAME``/``INVENTORY_TOPIC_ARN``, else the local runtime."""
    table, topic = environ.get("EVENT_LOG_TABLE_NAME", ""), environ.get("INVENTORY_TOPIC_ARN", "")
    if table or topic:
        if not (table and topic):
            raise ValueError("a stage needs both EVENT_LOG_TABLE_NAME and INVENTORY_TOPIC_ARN")
        return ReplayTarget(
            table,
            topic,
            boto3.client("dynamodb", config=CLIENT_CONFIG),
            boto3.client("sns", config=CLIENT_CONFIG),
            f"stage log {table} → {topic}",
        )
    from local.resources import ResourceNames  # the local runtime's names; only in this mode

    endpoint = f"http://127.0.0.1:{environ.get('CATALOG_AWS_PORT') or DEFAULT_LOCAL_AWS_PORT}"
    clients: dict[str, Any] = {
        service: boto3.client(
            service,
            region_name=LOCAL_REGION,
            endpoint_url=endpoint,
            aws_access_key_id="local",
            aws_secret_access_key="local",  # noqa: S106 - moto accepts any credentials
            config=CLIENT_CONFIG,
        )
        for service in ("dynamodb", "sns")
    }
    names = ResourceNames()
    try:
        topics = clients["sns"].list_topics()["Topics"]
    except (BotoCoreError, ClientError) as error:
        raise ValueError(
            f"no local runtime answers at {endpoint} (is `make run` running?): {error}"
        ) from error
    arns = [t["TopicArn"] for t in topics if t["TopicArn"].endswith(f":{names.inventory_topic}")]
    if not arns:
        raise ValueError(f"the AWS endpoint at {endpoint} has no {names.inventory_topic} topic")
    return ReplayTarget(
        names.events_table, arns[0], clients["dynamodb"], clients["sns"], f"local runtime at {endpoint}"
    )


def replay(
    target: ReplayTarget,
    since: datetime,
    until: datetime,
    *,
    event_type: str | None = None,
    product_id: str | None = None,
) -> ReplaySummary:
    """Publish every logged event of the window again, in time order, with its original id."""
    log = EventLogTable(target.table_name, target.dynamodb)
    sink = SnsEventPublisher(target.topic_arn, target.sns)
    sent = refused = 0
    chunk: list[CatalogEventBase] = []
    for logged in log.between(since, until, event_type=event_type, product_id=product_id):
        chunk.append(logged.event())
        if len(chunk) == CHUNK:
            refused += len(sink.publish(chunk))
            sent += len(chunk)
            chunk = []
    if chunk:
        refused += len(sink.publish(chunk))
        sent += len(chunk)
    return ReplaySummary(sent=sent - refused, refused=refused, sns_calls=sink.calls)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="make replay-events",
        description="Re-publish logged events with their original ids "
        "(to the local runtime unless stage variables are set).",
    )
    parser.add_argument("--since", required=True, help="RFC 3339 start, inclusive (SINCE)")
    parser.add_argument("--until", default="", help="RFC 3339 end, exclusive (UNTIL; default: now)")
    parser.add_argument(
        "--type",
        default="",
        help=f"only this event type (TYPE): {', '.join(t.value for t in ALL_EVENT_TYPES)}",
    )
    parser.add_argument("--product", default="", help="only this product's events (PRODUCT)")
    return parser


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """Command-line entry point; 0 when everything was sent, 1 when SNS refused some, 2 on bad input."""
    arguments = _parser().parse_args(argv)
    try:
        since = parse_time(arguments.since, "SINCE")
        until = parse_time(arguments.until, "UNTIL") if arguments.until.strip() else datetime.now(UTC)
        if since >= until:
            raise ValueError("SINCE must be before UNTIL")
        event_type = event_type_named(arguments.type.strip()).value if arguments.type.strip() else None
        target = target_from_environment(os.environ if environ is None else environ)
    except ValueError as error:
        print(f"replay-events: {error}", file=sys.stderr)
        return 2
    summary = replay(
        target, since, until, event_type=event_type, product_id=arguments.product.strip() or None
    )
    print(
        f"replayed {summary.sent} events from the {target.description} "
        f"({summary.sns_calls} SNS calls, {summary.refused} refused)"
    )
    return 1 if summary.refused else 0


if __name__ == "__main__":
    sys.exit(main())
