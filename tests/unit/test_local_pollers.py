"""The pollers: stream batches as Lambda's event source mapping delivers them, queues, the console."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from local.moto_probes import HoldWhile, QueueNotEmpty
from local.pollers import (
    QueuePoller,
    SchedulePoller,
    StreamPoller,
    describe_event,
    event_filter,
    failure_record,
    s3_notification_handler,
)
from local.resources import Resources
from shared.tables import PRODUCT_RECORDS_FILTER

STREAM_ARN = "arn:aws:dynamodb:us-west-1:123456789012:table/catalog-products/stream/2026-01-01T00:00:00.000"


def record(sequence: int) -> dict[str, Any]:
    return {
        "eventID": f"event-{sequence}",
        "eventName": "MODIFY",
        "eventSourceARN": STREAM_ARN,
        "dynamodb": {"SequenceNumber": str(sequence), "ApproximateCreationDateTime": 1_767_225_600},
    }


class Stream:
    """New records appear on the next read, once."""

    def __init__(self, count: int = 0) -> None:
        self.waiting = [record(1000 + n) for n in range(count)]

    def read_new(self) -> list[dict[str, Any]]:
        new, self.waiting = self.waiting, []
        return new


class Projector:
    """Records each batch; ``fails`` decides the batchItemFailures (or raises) per batch."""

    def __init__(self, fails: Callable[[list[str]], list[str] | Exception] = lambda _: []) -> None:
        self.batches: list[list[str]] = []
        self.fails = fails

    def __call__(self, event: dict[str, Any]) -> dict[str, Any]:
        sequences = [r["dynamodb"]["SequenceNumber"] for r in event["Records"]]
        self.batches.append(sequences)
        outcome = self.fails(sequences)
        if isinstance(outcome, Exception):
            raise outcome
        return {"batchItemFailures": [{"itemIdentifier": s} for s in outcome]}


def poller(
    stream: Stream, projector: Projector, failures: list[dict[str, Any]], **options: Any
) -> StreamPoller:
    settings: dict[str, Any] = {"batch_size": 100, "max_retries": 2, "retry_backoff": 0.0, **options}
    return StreamPoller(
        stream,
        projector,
        on_failure=failures.append,
        function_arn="arn:aws:lambda:us-west-1:123456789012:function:projector",
        shard_id="shard-1",
        **settings,
    )


def drain(p: StreamPoller, limit: int = 100) -> None:
    for _ in range(limit):
        if not p.poll_once():
            return
    raise AssertionError("the poller never went idle")


def test_records_are_delivered_in_order_in_batches_of_at_most_the_batch_size() -> None:
    projector = Projector()
    p = poller(Stream(250), projector, [])

    drain(p)

    assert [len(batch) for batch in projector.batches] == [100, 100, 50]
    assert [s for batch in projector.batches for s in batch] == [str(1000 + n) for n in range(250)]
    assert p.processed == 250
    assert p.backlog == 0


def test_a_reported_failure_checkpoints_the_records_before_it_and_retries_from_it() -> None:
    attempts: dict[str, int] = {}

    def fail_1003_once(sequences: list[str]) -> list[str]:
        attempts["1003"] = attempts.get("1003", 0) + ("1003" in sequences)
        return ["1005", "1003"] if attempts["1003"] == 1 else []

    projector = Projector(fail_1003_once)
    failures: list[dict[str, Any]] = []
    p = poller(Stream(8), projector, failures)

    drain(p)

    assert projector.batches[0] == [str(1000 + n) for n in range(8)]
    assert projector.batches[1] == [str(1000 + n) for n in range(3, 8)]
    assert failures == []
    assert p.processed == 8


def test_a_record_that_keeps_failing_goes_to_the_failure_destination_and_the_shard_moves_on() -> None:
    projector = Projector(lambda sequences: ["1002"] if "1002" in sequences else [])
    failures: list[dict[str, Any]] = []
    p = poller(Stream(5), projector, failures, max_retries=2)

    drain(p)

    # First delivery plus two retries of the failed record, then the rest of the shard.
    assert [batch[0] for batch in projector.batches] == ["1000", "1002", "1002", "1003"]
    [failure] = failures
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("1002", "1002", 1)
    assert info["streamArn"] == STREAM_ARN
    assert info["shardId"] == "shard-1"
    assert failure["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert failure["requestContext"]["approximateInvokeCount"] == 3
    assert p.processed == 4
    assert p.sent_to_failure_destination == 1


def test_a_function_error_bisects_the_batch_until_the_poisoned_record_is_alone() -> None:
    def poisoned(sequences: list[str]) -> list[str] | Exception:
        return RuntimeError("boom") if "1005" in sequences else []

    projector = Projector(poisoned)
    failures: list[dict[str, Any]] = []
    p = poller(Stream(8), projector, failures, max_retries=1)

    drain(p)

    projected = {s for batch in projector.batches if "1005" not in batch for s in batch}
    assert projected == {str(1000 + n) for n in range(8)} - {"1005"}
    [failure] = failures
    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == "1005"
    assert failure["DDBStreamBatchInfo"]["batchSize"] == 1
    assert failure["responseContext"]["functionError"] == "Unhandled"


def test_without_bisection_a_failing_batch_goes_to_the_failure_destination_whole() -> None:
    projector = Projector(lambda _: RuntimeError("down"))
    failures: list[dict[str, Any]] = []
    p = poller(Stream(3), projector, failures, max_retries=1, bisect_on_error=False)

    drain(p)

    assert len(projector.batches) == 2
    [failure] = failures
    info = failure["DDBStreamBatchInfo"]
    assert (info["startSequenceNumber"], info["endSequenceNumber"], info["batchSize"]) == ("1000", "1002", 3)


def test_an_item_identifier_outside_the_batch_fails_the_whole_batch() -> None:
    calls = {"n": 0}

    def bogus_once(_: list[str]) -> list[str]:
        calls["n"] += 1
        return ["not-a-sequence-number"] if calls["n"] == 1 else []

    projector = Projector(bogus_once)
    p = poller(Stream(3), projector, [])

    drain(p)

    assert projector.batches == [["1000", "1001", "1002"]] * 2


def keyed(sequence: int, pk: str) -> dict[str, Any]:
    shaped = record(sequence)
    shaped["dynamodb"]["Keys"] = {"pk": {"S": pk}}
    return shaped


def test_records_outside_the_mappings_filter_never_reach_the_function() -> None:
    stream = Stream()
    stream.waiting = [keyed(1, "PRODUCT#a"), keyed(2, "SKU#MUG-1"), keyed(3, "PRODUCT#b")]
    projector = Projector()
    p = poller(stream, projector, [], record_filter=event_filter(PRODUCT_RECORDS_FILTER))

    drain(p)

    assert projector.batches == [["1", "3"]]
    assert p.filtered_out == 1


@pytest.mark.parametrize(
    ("pattern", "document", "matches"),
    [
        ({"a": {"b": ["x"]}}, {"a": {"b": "x"}}, True),
        ({"a": {"b": ["x", "y"]}}, {"a": {"b": "z"}}, False),
        ({"a": [{"prefix": "PRODUCT#"}]}, {"a": "PRODUCT#1"}, True),
        ({"a": [{"prefix": "PRODUCT#"}]}, {"a": "SKU#1"}, False),
        ({"a": [{"exists": False}]}, {}, True),
        ({"a": [{"exists": True}]}, {}, False),
        ({"a": [{"anything-but": ["REMOVE"]}]}, {"a": "INSERT"}, True),
        ({"a": [{"anything-but": ["REMOVE"]}]}, {"a": "REMOVE"}, False),
        ({"a": {"b": ["x"]}}, {}, False),
    ],
)
def test_event_filter_patterns(pattern: dict[str, Any], document: dict[str, Any], matches: bool) -> None:
    assert event_filter(pattern)(document) is matches


def test_failure_record_describes_the_batch_not_its_contents() -> None:
    batch = [record(7), record(9)]

    failure = failure_record(batch, function_arn="arn:f", shard_id="s", attempts=4, function_error=None)

    assert failure["DDBStreamBatchInfo"]["startSequenceNumber"] == "7"
    assert failure["DDBStreamBatchInfo"]["endSequenceNumber"] == "9"
    assert failure["DDBStreamBatchInfo"]["approximateArrivalOfFirstRecord"].startswith("2026-01-01T00:00:00")
    # Where the records are, never what they hold.
    assert set(failure) == {"requestContext", "responseContext", "version", "timestamp", "DDBStreamBatchInfo"}


def test_the_poller_thread_delivers_new_records_and_stops_promptly() -> None:
    stream = Stream()
    projector = Projector()
    p = poller(stream, projector, [])
    p.start()
    try:
        stream.waiting = [record(1), record(2)]
        assert p.wait_idle(timeout=5)
        assert projector.batches == [["1", "2"]]
    finally:
        p.stop(timeout=2)
    assert not p.is_alive()


def test_queue_poller_hands_each_message_over_and_deletes_it(aws: Resources) -> None:
    sqs = boto3.client("sqs", region_name=aws.region)
    queue = sqs.create_queue(QueueName="handled")["QueueUrl"]
    for n in range(3):
        sqs.send_message(QueueUrl=queue, MessageBody=f"message {n}")
    seen: list[str] = []
    p = QueuePoller(sqs, queue, seen.append, name="test")

    while p.poll_once():
        pass

    assert sorted(seen) == ["message 0", "message 1", "message 2"]
    assert p.handled == 3
    assert sqs.receive_message(QueueUrl=queue).get("Messages", []) == []


def test_queue_poller_retries_a_failing_message_then_drops_it(aws: Resources) -> None:
    sqs = boto3.client("sqs", region_name=aws.region)
    queue = sqs.create_queue(QueueName="failing")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="poison")
    attempts: list[str] = []

    def handle(body: str) -> None:
        attempts.append(body)
        raise ValueError("cannot handle")

    p = QueuePoller(sqs, queue, handle, name="test", max_receives=3, retry_after_seconds=0)

    while p.poll_once():
        pass

    assert attempts == ["poison"] * 3
    assert p.dropped == 1


class CountingStream(Stream):
    """A stream that counts its reads (each read is AWS requests on the runtime)."""

    def __init__(self) -> None:
        super().__init__()
        self.reads = 0

    def read_new(self) -> list[dict[str, Any]]:
        self.reads += 1
        return super().read_new()


def test_a_stream_poller_whose_probe_sees_nothing_new_makes_no_read() -> None:
    stream = CountingStream()
    projector = Projector()
    news = [False, False, True]
    p = poller(stream, projector, [], wake=lambda: news.pop(0))
    stream.waiting = [record(1)]

    assert p.poll_once() is False
    assert p.poll_once() is False
    assert stream.reads == 0
    assert p.poll_once() is True
    assert projector.batches == [["1"]]


def test_a_stream_poller_with_records_in_hand_delivers_them_whatever_its_probe_says() -> None:
    stream = CountingStream()
    projector = Projector(fails=lambda sequences: ["1"] if len(projector.batches) == 1 else [])
    p = poller(stream, projector, [], wake=lambda: not projector.batches)
    stream.waiting = [record(1)]

    assert p.poll_once() is True  # fails: record 1 stays in hand
    assert p.poll_once() is True  # retried although the probe says the stream is unchanged
    assert projector.batches == [["1"], ["1"]]


def test_a_queue_poller_whose_probe_sees_an_empty_queue_makes_no_request(aws: Resources) -> None:
    sqs = boto3.client("sqs", region_name=aws.region)
    queue = sqs.create_queue(QueueName="probed")["QueueUrl"]
    sqs.send_message(QueueUrl=queue, MessageBody="waiting")
    seen: list[str] = []
    p = QueuePoller(sqs, queue, seen.append, name="test", wake=lambda: False)

    assert p.poll_once() is False
    assert seen == []
    assert len(sqs.receive_message(QueueUrl=queue).get("Messages", [])) == 1


def test_queue_not_empty_sees_visible_messages_only(aws: Resources) -> None:
    sqs = boto3.client("sqs", region_name=aws.region)
    queue = sqs.create_queue(QueueName="looked-at")["QueueUrl"]
    not_empty = QueueNotEmpty(queue, aws.region)

    assert not_empty() is False
    sqs.send_message(QueueUrl=queue, MessageBody="one")
    assert not_empty() is True
    sqs.receive_message(QueueUrl=queue, VisibilityTimeout=30)
    assert not_empty() is False  # in flight: a receive would return nothing


def test_s3_notifications_reach_the_function_and_test_events_do_not() -> None:
    delivered: list[dict[str, Any]] = []
    handle = s3_notification_handler(delivered.append)
    notification = {
        "Records": [{"eventName": "ObjectCreated:Post", "s3": {"object": {"key": "uploads/p/i"}}}]
    }

    handle(json.dumps({"Service": "Amazon S3", "Event": "s3:TestEvent"}))
    handle(json.dumps(notification))

    assert delivered == [notification]


def test_inventory_events_print_as_one_line() -> None:
    event = {
        "type": "catalog.inventory.depleted.v1",
        "data": {"product_id": "p1", "sku": "MUG-1", "previous_quantity": 3, "quantity": 0},
    }

    assert describe_event(json.dumps(event)) == "event catalog.inventory.depleted.v1 p1 3→0 (MUG-1)"
    assert describe_event("not json").startswith("event (unreadable)")


@pytest.mark.parametrize(("batch_size", "retries"), [(0, 1), (1, -1)])
def test_invalid_settings_are_refused(batch_size: int, retries: int) -> None:
    with pytest.raises(ValueError, match="batch_size"):
        poller(Stream(), Projector(), [], batch_size=batch_size, max_retries=retries)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_hold_while_holds_back_only_while_busy() -> None:
    busy, clock = [True], Clock()
    hold = HoldWhile(lambda: busy[0], max_wait=5.0, clock=clock)

    assert hold() is True
    clock.now = 4.9
    assert hold() is True
    busy[0] = False
    assert hold() is False


def test_hold_while_lets_one_poll_through_after_its_longest_wait_then_waits_again() -> None:
    clock = Clock()
    hold = HoldWhile(lambda: True, max_wait=5.0, clock=clock)

    assert hold() is True
    clock.now = 5.0
    assert hold() is False  # writes that never stop cannot starve the publisher
    clock.now = 5.1
    assert hold() is True  # and the next wait starts afresh
    clock.now = 10.0
    assert hold() is True
    clock.now = 10.1
    assert hold() is False


def test_a_held_stream_poller_keeps_its_records_in_order_and_delivers_them_when_released() -> None:
    stream = CountingStream()
    projector = Projector()
    held = [True]
    p = poller(stream, projector, [], hold=lambda: held[0])
    stream.waiting = [record(1), record(2)]

    assert p.poll_once() is False
    assert projector.batches == []
    held[0] = False
    assert p.poll_once() is True
    assert projector.batches == [["1", "2"]]


def test_a_schedule_whose_probe_says_no_skips_the_tick() -> None:
    events: list[dict[str, Any]] = []
    allowed = [False]
    schedule = SchedulePoller(events.append, name="sweep", interval=1.0, wake=lambda: allowed[0])

    assert schedule.poll_once() is False
    assert (events, schedule.skipped, schedule.invocations) == ([], 1, 0)
    allowed[0] = True
    schedule.poll_once()
    assert (len(events), schedule.invocations) == (1, 1)
    assert events[0]["detail-type"] == "Scheduled Event"


def test_under_load_records_wait_out_the_window_of_the_previous_batch_and_go_together() -> None:
    stream, projector, clock = Stream(1), Projector(), Clock()
    p = poller(stream, projector, [], batching_window=0.2, clock=clock)

    after_quiet = p.poll_once()  # nothing delivered before: the first record goes at once
    clock.now = 0.05
    stream.waiting = [record(2000)]
    within_window = p.poll_once()
    clock.now = 0.15
    stream.waiting = [record(2001)]
    still_within = p.poll_once()
    wait = p.idle_wait()
    clock.now = 0.2
    window_over = p.poll_once()

    assert (after_quiet, within_window, still_within, window_over) == (True, False, False, True)
    assert projector.batches == [["1000"], ["2000", "2001"]]
    assert wait == pytest.approx(0.05)
    assert not p.has_work_in_hand()


def test_records_that_keep_coming_are_gathered_for_the_whole_window() -> None:
    stream, projector, clock = Stream(1), Projector(), Clock()
    p = poller(stream, projector, [], batching_window=1.0, quiet_gap=0.05, clock=clock)

    p.poll_once()  # the first record goes at once
    delivered = []
    for n in range(1, 10):  # a record every 40 ms: never a quiet gap of 50 ms
        clock.now = n * 0.04
        stream.waiting = [record(2000 + n)]
        delivered.append(p.poll_once())
    clock.now = 1.0
    window_over = p.poll_once()

    assert delivered == [False] * 9
    assert window_over is True
    assert projector.batches == [["1000"], [str(2000 + n) for n in range(1, 10)]]


def test_records_in_hand_go_once_a_quiet_gap_passes_with_nothing_new() -> None:
    stream, projector, clock = Stream(1), Projector(), Clock()
    p = poller(stream, projector, [], batching_window=1.0, quiet_gap=0.05, clock=clock)

    p.poll_once()
    clock.now = 0.1
    stream.waiting = [record(2000)]
    just_arrived = p.poll_once()
    wait = p.idle_wait()
    clock.now = 0.14
    within_gap = p.poll_once()
    clock.now = 0.16
    after_gap = p.poll_once()

    assert (just_arrived, within_gap, after_gap) == (False, False, True)
    assert wait == pytest.approx(0.05)
    assert projector.batches == [["1000"], ["2000"]]


@pytest.mark.parametrize("options", [{"quiet_gap": -0.1}, {"batching_window": -1.0}])
def test_a_negative_window_or_quiet_gap_is_refused(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="batching_window and quiet_gap"):
        poller(Stream(), Projector(), [], **options)


def test_a_full_batch_goes_at_once_and_the_rest_waits_for_the_window() -> None:
    stream, projector, clock = Stream(9), Projector(), Clock()
    p = poller(stream, projector, [], batch_size=4, batching_window=0.2, clock=clock)

    first = p.poll_once()
    full_within_window = p.poll_once()
    rest = p.poll_once()

    assert (first, full_within_window, rest) == (True, True, False)
    assert projector.batches == [["1000", "1001", "1002", "1003"], ["1004", "1005", "1006", "1007"]]
    assert p.has_work_in_hand()


def test_the_poller_thread_is_not_idle_while_records_wait_in_the_window() -> None:
    stream, projector = Stream(1), Projector()
    p = poller(stream, projector, [], batching_window=0.3, interval=0.01)
    p.start()
    try:
        assert p.wait_idle(timeout=2)  # the first record went at once
        stream.waiting = [record(2000)]
        idle_within_window = p.wait_idle(timeout=0.1)
        idle_after = p.wait_idle(timeout=2)
    finally:
        p.stop()

    assert (idle_within_window, idle_after) == (False, True)
    assert projector.batches == [["1000"], ["2000"]]
