"""Background pollers: the event source mapping, S3 notifications and the console subscriber.

* :class:`StreamPoller` hands the products stream to the projector as Lambda's DynamoDB event
  source mapping does: batches in stream order, ``ReportBatchItemFailures`` checkpoints, bisection
  on function errors, bounded retries, and an on-failure record in an SQS queue before it moves on.
* :class:`QueuePoller` receives from an SQS queue and hands each message to a callback; it carries
  S3 upload notifications to image registration and inventory events to the console.

Every poller is a daemon thread that polls every ``interval`` seconds while idle and stops within
one interval of :meth:`Poller.stop`. A poller given a ``wake`` probe (``local.moto_probes``) asks
it first when it has nothing in hand, and makes no AWS request while the probe says nothing is new.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from local.streams import lambda_event

if TYPE_CHECKING:
    from mypy_boto3_sqs import SQSClient

log = logging.getLogger("local.pollers")

DEFAULT_INTERVAL = 0.1


class Poller(threading.Thread):
    """A daemon thread calling :meth:`poll_once` until stopped; idle polls wait ``interval``."""

    def __init__(self, name: str, interval: float = DEFAULT_INTERVAL) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self._stopping = threading.Event()
        self._idle = threading.Condition()
        self._idle_polls = 0

    def poll_once(self) -> bool:
        """Do one unit of work; return False when there was nothing to do (yet)."""
        raise NotImplementedError

    def has_work_in_hand(self) -> bool:
        """Whether work was taken in but deferred: such a poll is not an idle one."""
        return False

    def idle_wait(self) -> float:
        """Seconds to wait after a poll that did nothing (the poll interval)."""
        return self.interval

    def run(self) -> None:
        """Poll until stopped; an unexpected error is logged and the next poll backs off."""
        failures = 0
        while not self._stopping.is_set():
            try:
                busy = self.poll_once()
                failures = 0
            except Exception:
                failures += 1
                log.exception("%s: poll failed", self.name)
                busy = False
            if not busy:
                if not self.has_work_in_hand():
                    with self._idle:
                        self._idle_polls += 1
                        self._idle.notify_all()
                self._stopping.wait(self.interval * min(2**failures, 50) if failures else self.idle_wait())

    def wait_idle(self, timeout: float) -> bool:
        """Wait until a whole poll that began after this call found nothing to do.

        Returns
        -------
        bool
            False when ``timeout`` seconds passed first.
        """
        with self._idle:
            # The poll running now may have read before the caller's writes: wait for the next one.
            target = self._idle_polls + 2
            return self._idle.wait_for(lambda: self._idle_polls >= target, timeout)

    def request_stop(self) -> None:
        """Ask the poller to stop after its current poll, without waiting."""
        self._stopping.set()

    def stop(self, timeout: float = 2.0) -> None:
        """Ask the poller to stop and wait up to ``timeout`` seconds for it."""
        self._stopping.set()
        if self.is_alive():
            self.join(timeout)


class RecordSource(Protocol):
    """Where new stream records come from (``local.streams.StreamReader``)."""

    def read_new(self) -> list[dict[str, Any]]:
        """Every record added since the previous call, in stream order, in Lambda's shape."""
        ...


FailureDestination = Callable[[dict[str, Any]], None]
RecordFilter = Callable[[Mapping[str, Any]], bool]


def _value_matches(rule: Any, value: Any, present: bool) -> bool:
    if isinstance(rule, Mapping):
        if "prefix" in rule:
            return present and isinstance(value, str) and value.startswith(str(rule["prefix"]))
        if "exists" in rule:
            return present is bool(rule["exists"])
        if "anything-but" in rule:
            excluded = rule["anything-but"]
            return present and value not in (excluded if isinstance(excluded, list) else [excluded])
        raise ValueError(f"unsupported filter rule {rule!r}")
    return present and value == rule


def _pattern_matches(pattern: Mapping[str, Any], document: Any) -> bool:
    for name, rule in pattern.items():
        present = isinstance(document, Mapping) and name in document
        value = document.get(name) if present else None
        if isinstance(rule, Mapping):
            if not _pattern_matches(rule, value if present else {}):
                return False
        elif not any(_value_matches(option, value, present) for option in rule):
            return False
    return True


def event_filter(pattern: Mapping[str, Any]) -> RecordFilter:
    """A predicate for a Lambda event filtering pattern, as an event source mapping applies it.

    Supports what the catalog uses and a little more: exact values, ``prefix``, ``exists`` and
    ``anything-but``, nested to any depth. Records that do not match never reach the function.
    """
    return lambda record: _pattern_matches(pattern, record)


def _utc_timestamp() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _arrival(record: Mapping[str, Any]) -> str:
    seconds = record.get("dynamodb", {}).get("ApproximateCreationDateTime")
    if isinstance(seconds, int | float):
        return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")
    return _utc_timestamp()


def sequence_number(record: Mapping[str, Any]) -> str:
    """The stream sequence number of a record (what ``itemIdentifier`` names)."""
    return str(record["dynamodb"]["SequenceNumber"])


def failure_record(
    batch: Sequence[Mapping[str, Any]],
    *,
    function_arn: str,
    shard_id: str,
    attempts: int,
    function_error: str | None,
) -> dict[str, Any]:
    """The on-failure destination record Lambda writes for a stream batch it gives up on.

    It carries where the records are (shard, sequence range), not the records: the stream keeps
    them for 24 hours, and an operator can re-read or replay them from there.
    """
    first, last = batch[0], batch[-1]
    return {
        "requestContext": {
            "requestId": str(first.get("eventID", "")),
            "functionArn": function_arn,
            "condition": "RetryAttemptsExhausted",
            "approximateInvokeCount": attempts,
        },
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            **({"functionError": function_error} if function_error else {}),
        },
        "version": "1.0",
        "timestamp": _utc_timestamp(),
        "DDBStreamBatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": sequence_number(first),
            "endSequenceNumber": sequence_number(last),
            "approximateArrivalOfFirstRecord": _arrival(first),
            "approximateArrivalOfLastRecord": _arrival(last),
            "batchSize": len(batch),
            "streamArn": str(first.get("eventSourceARN", "")),
        },
    }


class StreamPoller(Poller):
    """The DynamoDB event source mapping of one function, with ``ReportBatchItemFailures``.

    Records read from the stream wait in order in a buffer; the buffer's head is the checkpoint.

    * The function answers no ``batchItemFailures``: the whole batch is checkpointed.
    * It names failed records: records before the first failed one are checkpointed and the next
      batch starts at that record, as Lambda resumes from the lowest reported sequence number.
      A failure list naming records outside the batch counts as failing the whole batch.
    * It raises: with bisection on, the batch is split in half and retried (a poisoned record ends
      up alone); a single record (or, without bisection, the batch) is retried.
    * After ``max_retries`` retries of the same head, a failure record goes to ``on_failure`` and
      the poller moves past the records it names, so one bad record cannot stall the shard.

    With a ``record_filter`` (the mapping's filter criteria) records that do not match are dropped
    before batching, as Lambda drops them. With a ``batching_window`` (seconds) the poller delivers
    at most one batch that is not full per window, as Lambda's ``MaximumBatchingWindowInSeconds``
    gathers records under load; after a quiet window a record goes at once (Lambda would still
    wait). With a ``quiet_gap`` shorter than the window, records in hand also go once that long
    has passed with nothing new: a burst is gathered for up to the window, a lone write is not
    held for it. ``clock`` measures both.
    """

    def __init__(
        self,
        source: RecordSource,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        on_failure: FailureDestination,
        function_arn: str,
        shard_id: str = "",
        batch_size: int = 100,
        max_retries: int = 5,
        bisect_on_error: bool = True,
        record_filter: RecordFilter | None = None,
        retry_backoff: float = 0.05,
        interval: float = DEFAULT_INTERVAL,
        name: str = "stream-poller",
        wake: Callable[[], bool] | None = None,
        hold: Callable[[], bool] | None = None,
        batching_window: float = 0.0,
        quiet_gap: float | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(name=name, interval=interval)
        self._wake = wake
        self._hold = hold
        if (
            batch_size < 1
            or max_retries < 0
            or batching_window < 0
            or (quiet_gap is not None and quiet_gap < 0)
        ):
            raise ValueError("batch_size must be ≥ 1; max_retries, batching_window and quiet_gap ≥ 0")
        self._batching_window = batching_window
        self._quiet_gap = batching_window if quiet_gap is None else min(quiet_gap, batching_window)
        self._clock = clock
        self._last_delivered_at: float | None = None
        self._last_arrival_at: float | None = None
        self._source = source
        self._invoke = invoke
        self._on_failure = on_failure
        self._function_arn = function_arn
        self._shard_id = shard_id
        self._batch_size = batch_size
        self._max_retries = max_retries
        self._bisect = bisect_on_error
        self._retry_backoff = retry_backoff
        self._filter = record_filter
        self.filtered_out = 0
        self._pending: deque[dict[str, Any]] = deque()
        self._limit = batch_size
        self._attempts = 0
        self.processed = 0
        self.sent_to_failure_destination = 0

    @property
    def backlog(self) -> int:
        """Records read from the stream and not yet checkpointed."""
        return len(self._pending)

    def has_work_in_hand(self) -> bool:
        """Whether records are in hand (gathering, held back or being retried)."""
        return bool(self._pending)

    def poll_once(self) -> bool:
        """Read new records and deliver at most one batch; False when there was nothing to do.

        A ``hold`` probe that answers True defers the next batch (the records stay in hand,
        in order), as if there were nothing to do.
        """
        if self._hold is not None and self._hold():
            return False
        if not self._pending and self._wake is not None and not self._wake():
            return False
        new = self._source.read_new()
        if self._filter is not None:
            kept = [record for record in new if self._filter(record)]
            self.filtered_out += len(new) - len(kept)
            new = kept
        if new:
            self._last_arrival_at = self._clock()
        self._pending.extend(new)
        if not self._pending:
            return False
        if self._gathering(len(self._pending)):
            return False
        batch = [self._pending[i] for i in range(min(self._limit, len(self._pending)))]
        self._last_delivered_at = self._clock()
        try:
            result = self._invoke(lambda_event(batch))
        except Exception as error:
            log.warning("%s: function error on a batch of %d: %s", self.name, len(batch), error)
            self._function_error(batch)
            return True
        failed_at = self._first_failure(batch, result)
        if failed_at is None:
            self._checkpoint(len(batch))
            return True
        if failed_at > 0:
            self._checkpoint(failed_at)
        self._retry_or_give_up([self._pending[0]], function_error=None)
        return True

    def _gathering(self, in_hand: int) -> bool:
        # Under load, one batch per window: records arriving within the window of the previous
        # batch wait for the window to end, the batch to fill or a quiet gap with nothing new;
        # after a quiet window, the first record goes at once.
        if self._batching_window <= 0 or in_hand >= self._limit or self._attempts > 0:
            return False
        return self._window_left() > 0

    def _window_left(self) -> float:
        if self._last_delivered_at is None:
            return 0.0
        now = self._clock()
        window_left = self._batching_window - (now - self._last_delivered_at)
        if self._last_arrival_at is None:
            return window_left
        return min(window_left, self._quiet_gap - (now - self._last_arrival_at))

    def idle_wait(self) -> float:
        """Until the batching window ends if records wait in it; otherwise the poll interval."""
        if self._pending and self._window_left() > 0:
            return min(self.interval, self._window_left())
        return self.interval

    def _first_failure(self, batch: Sequence[Mapping[str, Any]], result: Any) -> int | None:
        failures = result.get("batchItemFailures") if isinstance(result, Mapping) else None
        if not failures:
            return None
        positions = {sequence_number(record): index for index, record in enumerate(batch)}
        indexes = []
        for failure in failures:
            identifier = failure.get("itemIdentifier") if isinstance(failure, Mapping) else None
            if not identifier or str(identifier) not in positions:
                return 0  # Lambda: an invalid item identifier fails the whole batch
            indexes.append(positions[str(identifier)])
        return min(indexes)

    def _checkpoint(self, count: int) -> None:
        for _ in range(count):
            self._pending.popleft()
        self.processed += count
        self._attempts = 0
        self._limit = self._batch_size

    def _function_error(self, batch: list[dict[str, Any]]) -> None:
        if self._bisect and len(batch) > 1:
            # Splitting is not a retry: the halves are new batches (bounded by log2 of the size).
            self._limit = max(1, len(batch) // 2)
            return
        self._retry_or_give_up(batch, function_error="Unhandled")

    def _retry_or_give_up(self, batch: list[dict[str, Any]], function_error: str | None) -> None:
        self._attempts += 1
        if self._attempts <= self._max_retries:
            # Lambda backs off between retries; a short pause keeps a failing record from spinning.
            self._stopping.wait(min(self._retry_backoff * 2**self._attempts, 1.0))
            return
        record = failure_record(
            batch,
            function_arn=self._function_arn,
            shard_id=self._shard_id,
            attempts=self._attempts,
            function_error=function_error,
        )
        self._on_failure(record)
        self.sent_to_failure_destination += len(batch)
        log.warning(
            "%s: gave up on records %s…%s after %d attempts; failure record sent",
            self.name,
            sequence_number(batch[0]),
            sequence_number(batch[-1]),
            self._attempts,
        )
        for _ in batch:
            self._pending.popleft()
        self._attempts = 0
        self._limit = self._batch_size


class SchedulePoller(Poller):
    """Invokes a function on a fixed rate, as an EventBridge schedule does (``rate(1 minute)``)."""

    def __init__(
        self,
        invoke: Callable[[dict[str, Any]], Any],
        *,
        name: str,
        interval: float,
        wake: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(name=name, interval=interval)
        self._invoke = invoke
        self._wake = wake
        self.invocations = 0
        self.skipped = 0

    def poll_once(self) -> bool:
        """Invoke once with a scheduled event; never busy, so the next one waits ``interval``.

        With a ``wake`` probe that answers False, this tick is skipped (``skipped`` counts them).
        """
        if self._wake is not None and not self._wake():
            self.skipped += 1
            return False
        self._invoke(
            {
                "version": "0",
                "source": "aws.scheduler",
                "detail-type": "Scheduled Event",
                "time": _utc_timestamp(),
                "detail": {},
            }
        )
        self.invocations += 1
        return False


class QueuePoller(Poller):
    """Receives an SQS queue's messages and hands each to ``handle``; deletes what it handled.

    A message whose handling raises becomes visible again shortly and is retried; after
    ``max_receives`` receipts it is dropped with a log line, as an asynchronous invocation is
    dropped after its retries.
    """

    def __init__(
        self,
        sqs: SQSClient,
        queue_url: str,
        handle: Callable[[str], None],
        *,
        name: str,
        max_receives: int = 3,
        retry_after_seconds: int = 1,
        interval: float = DEFAULT_INTERVAL,
        batch_size: int = 10,
        wake: Callable[[], bool] | None = None,
    ) -> None:
        super().__init__(name=name, interval=interval)
        self._wake = wake
        self._batch_size = batch_size
        self._sqs = sqs
        self._queue_url = queue_url
        self._handle = handle
        self._max_receives = max_receives
        self._retry_after = retry_after_seconds
        self.handled = 0
        self.dropped = 0

    def poll_once(self) -> bool:
        """Receive up to ``batch_size`` messages and handle them; False when the queue was empty."""
        if self._wake is not None and not self._wake():
            return False
        # Short polls only: moto serves one request at a time, a long poll would hold every caller.
        # Received messages stay invisible only for the queue's visibility timeout, so a slow
        # consumer takes what it can handle in that time, as an event source mapping's batch size.
        messages = self._sqs.receive_message(
            QueueUrl=self._queue_url,
            MaxNumberOfMessages=self._batch_size,
            WaitTimeSeconds=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        ).get("Messages", [])
        handled: list[str] = []
        for message in messages:
            receipt = message["ReceiptHandle"]
            try:
                self._handle(message.get("Body", ""))
            except Exception:
                receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
                if receives < self._max_receives:
                    log.warning(
                        "%s: message failed (receipt %d); retrying", self.name, receives, exc_info=True
                    )
                    self._sqs.change_message_visibility(
                        QueueUrl=self._queue_url, ReceiptHandle=receipt, VisibilityTimeout=self._retry_after
                    )
                    continue
                log.exception("%s: message failed %d times; dropped", self.name, receives)
                self.dropped += 1
            else:
                self.handled += 1
            handled.append(receipt)
        if handled:
            # One call for the whole receive: on moto each call costs as much as the work it removes.
            self._sqs.delete_message_batch(
                QueueUrl=self._queue_url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": receipt} for index, receipt in enumerate(handled)
                ],
            )
        return bool(messages)


def s3_notification_handler(invoke: Callable[[dict[str, Any]], Any]) -> Callable[[str], None]:
    """A queue callback that passes S3 event notifications to a function (skips ``s3:TestEvent``)."""

    def handle(body: str) -> None:
        notification = json.loads(body)
        if isinstance(notification, dict) and notification.get("Records"):
            invoke(notification)

    return handle


def sqs_event_handler(
    invoke: Callable[[dict[str, Any]], Any], queue_arn: str, region: str
) -> Callable[[str], None]:
    """A queue callback that hands each message to a function as a one-record SQS event.

    As Lambda's SQS event source mapping does with ``ReportBatchItemFailures``: a reported
    failure (or an error) leaves the message on the queue, to be delivered again.
    """

    def handle(body: str) -> None:
        message_id = str(uuid.uuid4())
        record = {
            "messageId": message_id,
            "receiptHandle": message_id,
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1", "SentTimestamp": str(int(time.time() * 1000))},
            "messageAttributes": {},
            "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
            "awsRegion": region,
        }
        response = invoke({"Records": [record]})
        if isinstance(response, dict) and response.get("batchItemFailures"):
            raise RuntimeError(f"the function reported message {message_id} as failed")

    return handle


def describe_event(body: str) -> str:
    """One console line for a catalog event (a CloudEvent, raw SNS delivery)."""
    try:
        event = json.loads(body)
        data = event["data"]
        if "previous_quantity" in data:
            detail = f"{data['previous_quantity']}→{data['quantity']} ({data['sku']})"
        elif "product" in data:
            changed = f" changed {','.join(data['changed'])}" if "changed" in data else ""
            detail = f"v{data['version']}{changed} ({data['product']['sku']})"
        else:
            detail = f"v{data['version']} ({data['sku']})"
        return f"event {event['type']} {event.get('subject') or data['product_id']} {detail}"
    except (ValueError, KeyError, TypeError):
        return f"event (unreadable) {body[:200]}"
