"""The event log: the only code that touches the event-log table.

Three parties use it. The projector logs every event in the same ``TransactWriteItems`` as the
view change that produced it (:meth:`EventLogTable.put_action`), so an event exists exactly when
its view change does. The publisher claims unpublished events, publishes them and marks them
published (:meth:`claim`, :meth:`mark_published`, :meth:`unpublished`). The admin history
endpoint and the replay command read it (:meth:`history`, :meth:`between`).

Item layout (keys in :data:`shared.tables.EVENT_LOG`):

``pk=PRODUCT#<id>, sk=<version, 12 digits>#<position, 2 digits>``
    One event; ``body`` is its JSON text exactly as published. ``attempts`` counts publishing
    attempts, ``next_attempt_at`` (epoch ms) says when an unpublished event is due again.
    Unpublished events carry ``pending_pk``/``pending_sk`` (the sparse ``unpublished`` index,
    oldest event first); publishing removes them. ``log_day``/``log_time`` feed the ``timeline``
    index. ``expires_at`` (epoch seconds) lets DynamoDB's TTL drop the event after the retention.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Final

from botocore.exceptions import ClientError

from shared.data.dynamo import dynamodb_client, from_attribute_values, to_attribute_values
from shared.models.events import CatalogEventBase, parse_event
from shared.tables import EVENT_LOG, TIMELINE_INDEX, UNPUBLISHED_INDEX, product_key

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

UNPUBLISHED_PARTITION: Final = "UNPUBLISHED"
EVENT_ENTITY: Final = "event"
# An event the stream hand-off has not attempted within this time is taken over by the sweeper.
# It equals the longest pause between two attempts, so no event ever waits longer than that.
STREAM_HANDOFF_GRACE_SECONDS: Final = 30
DEFAULT_RETENTION_DAYS: Final = 30


def log_time(moment: datetime) -> str:
    """A UTC instant as fixed-width RFC 3339 text with microseconds: sorts as it orders."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def epoch_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def event_sort_key(event: CatalogEventBase, position: int) -> str:
    """Where an event sits in its product's history: by version, then by position in its write."""
    return f"{event.version:012d}#{position:02d}"


@dataclass(frozen=True)
class LoggedEvent:
    """One event as the log holds it."""

    product_id: str
    sort_key: str
    event_id: str
    event_type: str
    time: str
    body: str
    attempts: int
    next_attempt_at: int
    published: bool

    def event(self) -> CatalogEventBase:
        """The event itself, parsed from the logged JSON (validated against its model)."""
        return parse_event(self.body)


def logged_event_from_item(item: dict[str, Any]) -> LoggedEvent:
    """Parse a plain item (as :func:`from_attribute_values` returns it)."""
    return LoggedEvent(
        product_id=str(item["product_id"]),
        sort_key=str(item["sk"]),
        event_id=str(item["event_id"]),
        event_type=str(item["event_type"]),
        time=str(item[TIMELINE_INDEX.sort_key]).split("#", 1)[0],
        body=str(item["body"]),
        attempts=int(item.get("attempts", 0)),
        next_attempt_at=int(item.get("next_attempt_at", 0)),
        published=UNPUBLISHED_INDEX.partition_key not in item,
    )


def logged_event_from_image(image: dict[str, Any]) -> LoggedEvent:
    """Parse a stream record's ``NewImage`` (attribute values, as Lambda delivers them)."""
    return logged_event_from_item(from_attribute_values(image))


@dataclass(frozen=True)
class HistoryPage:
    """One page of a product's history, newest first; ``last_key`` is where the next page starts."""

    events: list[LoggedEvent]
    last_key: str | None


class EventLogTable:
    """The event log on a DynamoDB table (see the module docstring for the item layout)."""

    def __init__(
        self,
        table_name: str,
        client: DynamoDBClient | None = None,
        *,
        retention_days: int = DEFAULT_RETENTION_DAYS,
    ) -> None:
        self._table = table_name
        self._client = client or dynamodb_client()
        self._retention = timedelta(days=retention_days)

    @property
    def table_name(self) -> str:
        """The table this log reads and writes."""
        return self._table

    # --- projector side -------------------------------------------------------------------

    def put_action(self, event: CatalogEventBase, position: int, now: datetime) -> dict[str, Any]:
        """The ``TransactWriteItems`` action that logs ``event`` as unpublished.

        Unconditional on purpose: it rides in the view change's transaction, which is already
        guarded by the view's version, so a record is logged at most once per view change.
        """
        stamp = log_time(event.time)
        item = {
            "pk": product_key(event.subject),
            "sk": event_sort_key(event, position),
            "entity": EVENT_ENTITY,
            "product_id": event.subject,
            "event_id": event.id,
            "event_type": event.type,
            "body": event.model_dump_json(),
            "attempts": 0,
            "next_attempt_at": epoch_ms(now) + STREAM_HANDOFF_GRACE_SECONDS * 1000,
            UNPUBLISHED_INDEX.partition_key: UNPUBLISHED_PARTITION,
            UNPUBLISHED_INDEX.sort_key: f"{stamp}#{event.id}",
            TIMELINE_INDEX.partition_key: stamp[:10],
            TIMELINE_INDEX.sort_key: f"{stamp}#{event.id}",
            "expires_at": int((now + self._retention).timestamp()),
        }
        return {"Put": {"TableName": self._table, "Item": to_attribute_values(item)}}

    # --- publisher side -------------------------------------------------------------------

    def claim(self, event: LoggedEvent, next_attempt_at: int) -> bool:
        """Take the next publishing attempt of an unpublished event; ``False`` if someone else did.

        The condition on ``attempts`` makes the stream hand-off and the sweeper (or two sweeps)
        exclusive: only the caller that moved the counter publishes this attempt.
        """
        try:
            self._client.update_item(
                TableName=self._table,
                Key=self._key(event),
                UpdateExpression="SET attempts = :next_count, next_attempt_at = :due",
                ConditionExpression="attempts = :seen AND attribute_exists(#pending)",
                ExpressionAttributeNames={"#pending": UNPUBLISHED_INDEX.partition_key},
                ExpressionAttributeValues={
                    ":seen": {"N": str(event.attempts)},
                    ":next_count": {"N": str(event.attempts + 1)},
                    ":due": {"N": str(next_attempt_at)},
                },
            )
        except ClientError as error:
            if error.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        return True

    def mark_published(self, event: LoggedEvent, published_at: datetime) -> None:
        """Record that SNS accepted the event: it leaves the ``unpublished`` index."""
        self._client.update_item(
            TableName=self._table,
            Key=self._key(event),
            UpdateExpression="REMOVE #pending, #pending_sk SET published_at = :at",
            ConditionExpression="attribute_exists(pk)",
            ExpressionAttributeNames={
                "#pending": UNPUBLISHED_INDEX.partition_key,
                "#pending_sk": UNPUBLISHED_INDEX.sort_key,
            },
            ExpressionAttributeValues={":at": {"S": log_time(published_at)}},
        )

    def unpublished(self, limit: int) -> list[LoggedEvent]:
        """Up to ``limit`` unpublished events, oldest first (the sparse index holds nothing else)."""
        events: list[LoggedEvent] = []
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "IndexName": UNPUBLISHED_INDEX.name,
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": UNPUBLISHED_INDEX.partition_key},
            "ExpressionAttributeValues": {":pk": {"S": UNPUBLISHED_PARTITION}},
        }
        while len(events) < limit:
            response = self._client.query(**arguments, Limit=limit - len(events))
            events += [logged_event_from_item(from_attribute_values(item)) for item in response["Items"]]
            if "LastEvaluatedKey" not in response:
                break
            arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return events

    # --- readers: history and replay ------------------------------------------------------

    def history(
        self, product_id: str, *, event_type: str | None, before: str | None, limit: int
    ) -> HistoryPage:
        """Up to ``limit`` events of a product, newest first, before sort key ``before``.

        With a type filter a page examines at most ``10 × limit`` events (the listing rule), so
        a page may hold fewer items and still have a ``last_key``.
        """
        condition = "pk = :pk"
        values: dict[str, Any] = {":pk": {"S": product_key(product_id)}}
        if before is not None:
            condition += " AND sk < :before"
            values[":before"] = {"S": before}
        arguments: dict[str, Any] = {
            "TableName": self._table,
            "KeyConditionExpression": condition,
            "ScanIndexForward": False,
        }
        if event_type is not None:
            arguments["FilterExpression"] = "event_type = :type"
            values[":type"] = {"S": event_type}
        arguments["ExpressionAttributeValues"] = values
        events: list[LoggedEvent] = []
        budget = 10 * limit
        while True:
            response = self._client.query(**arguments, Limit=min(budget, limit + 1 - len(events)))
            budget -= response.get("ScannedCount", 0)
            events += [logged_event_from_item(from_attribute_values(item)) for item in response["Items"]]
            last = response.get("LastEvaluatedKey")
            if len(events) > limit:
                return HistoryPage(events=events[:limit], last_key=events[limit - 1].sort_key)
            if last is None:
                return HistoryPage(events=events, last_key=None)
            if budget <= 0:
                return HistoryPage(events=events, last_key=str(from_attribute_values(last)["sk"]))
            arguments["ExclusiveStartKey"] = last

    def between(
        self,
        since: datetime,
        until: datetime,
        *,
        event_type: str | None = None,
        product_id: str | None = None,
    ) -> Iterator[LoggedEvent]:
        """Every logged event with ``since <= time < until``, in time order.

        One product's events come from its own partition; otherwise the ``timeline`` index is
        read one day at a time, so the cost follows the events in the window, not the log size.
        """
        low, high = log_time(since), log_time(until)
        for partition, key_attribute in self._partitions(since, until, product_id):
            names = {"#pk": key_attribute, "#time": TIMELINE_INDEX.sort_key}
            values: dict[str, Any] = {":pk": {"S": partition}, ":low": {"S": low}, ":high": {"S": high}}
            arguments: dict[str, Any] = {"TableName": self._table}
            if product_id is None:
                arguments["IndexName"] = TIMELINE_INDEX.name
                arguments["KeyConditionExpression"] = "#pk = :pk AND #time BETWEEN :low AND :high"
                filters = []
            else:
                arguments["KeyConditionExpression"] = "#pk = :pk"
                filters = ["#time BETWEEN :low AND :high"]
            if event_type is not None:
                filters.append("event_type = :type")
                values[":type"] = {"S": event_type}
            if filters:
                arguments["FilterExpression"] = " AND ".join(filters)
            arguments["ExpressionAttributeNames"] = names
            arguments["ExpressionAttributeValues"] = values
            found: list[LoggedEvent] = []
            while True:
                response = self._client.query(**arguments)
                found += [logged_event_from_item(from_attribute_values(item)) for item in response["Items"]]
                if "LastEvaluatedKey" not in response:
                    break
                arguments["ExclusiveStartKey"] = response["LastEvaluatedKey"]
            # BETWEEN is inclusive and the high bound has an id suffix after it: keep time < until.
            yield from sorted(
                (event for event in found if event.time < high),
                key=lambda event: (event.time, event.event_id),
            )

    # --- helpers --------------------------------------------------------------------------

    @staticmethod
    def _partitions(since: datetime, until: datetime, product_id: str | None) -> Iterator[tuple[str, str]]:
        # (partition key value, key attribute): the product's partition, or one timeline day each.
        if product_id is not None:
            yield product_key(product_id), EVENT_LOG.partition_key
            return
        day: date = since.astimezone(UTC).date()
        last: date = until.astimezone(UTC).date()
        while day <= last:
            yield day.isoformat(), TIMELINE_INDEX.partition_key
            day += timedelta(days=1)

    @staticmethod
    def _key(event: LoggedEvent) -> dict[str, Any]:
        return {"pk": {"S": product_key(event.product_id)}, "sk": {"S": event.sort_key}}
