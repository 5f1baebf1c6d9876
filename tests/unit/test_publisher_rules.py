"""Publisher rules without AWS: retry pauses, SNS batch limits, replay input, the local fault switch."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from local.app import SNS_FAULT_PATH, CatalogApp
from local.faults import SnsOutage
from local.web import HttpRequest
from projectors.catalog.projection import ChangeKind, ProductChange, product_events
from projectors.publisher.service import RetryPolicy
from projectors.publisher.sns import MAX_BYTES_PER_CALL, batches
from tests.stream_builders import product
from tools.replay_events import main as replay_main
from tools.replay_events import parse_time


def test_retry_pauses_double_from_the_base_and_stop_at_the_cap() -> None:
    policy = RetryPolicy(base_seconds=1, max_seconds=30)
    assert [policy.delay(n).total_seconds() for n in range(1, 8)] == [1, 2, 4, 8, 16, 30, 30]
    assert policy.delay(10_000) == timedelta(seconds=30)  # no attempt limit, no overflow


def _created(description: str = "") -> object:
    new = product(version=1, description=description)
    (event,) = product_events(ProductChange(f"rec-{new.id}", ChangeKind.INSERT, None, new), "urn:test")
    return event


def test_publish_batches_hold_at_most_ten_events() -> None:
    events = [_created() for _ in range(23)]
    assert [len(batch) for batch in batches(events)] == [10, 10, 3]  # type: ignore[arg-type]


def test_publish_batches_split_by_size_before_they_reach_ten_events() -> None:
    # 40 KB events: ten would be 400 KB, over SNS's 256 KiB per call.
    big = [_created().model_copy(update={"id": str(n), "source": "s" * 40_000}) for n in range(60)]  # type: ignore[attr-defined]
    split = list(batches(big))
    assert all(len(batch) < 10 for batch in split)
    assert all(sum(len(message.encode()) for _, message, _ in batch) <= MAX_BYTES_PER_CALL for batch in split)
    assert [event.id for batch in split for event, _, _ in batch] == [str(n) for n in range(60)]


@pytest.mark.parametrize("text", ["yesterday", "2026-13-01T00:00:00Z", "2026-12-01T00:00:00"])
def test_replay_refuses_times_that_are_not_rfc3339_with_a_zone(text: str) -> None:
    with pytest.raises(ValueError, match="SINCE"):
        parse_time(text, "SINCE")


def test_replay_reads_utc_and_offsets() -> None:
    assert parse_time("2026-12-01T01:00:00+01:00", "SINCE") == datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "arguments",
    [
        ["--since", "2026-12-02T00:00:00Z", "--until", "2026-12-01T00:00:00Z"],
        ["--since", "2026-12-01T00:00:00Z", "--type", "catalog.product.renamed.v1"],
        ["--since", "soon"],
    ],
)
def test_bad_replay_input_exits_2_before_touching_aws(
    arguments: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert replay_main(arguments, environ={"EVENT_LOG_TABLE_NAME": "t"}) == 2
    assert capsys.readouterr().err.startswith("replay-events: ")


def test_the_sns_fault_switch_turns_an_outage_on_and_off() -> None:
    outage = SnsOutage()
    app = CatalogApp(gateway=None, edge=None, resources={}, sns_outage=outage)  # type: ignore[arg-type]

    on = app(HttpRequest("PUT", SNS_FAULT_PATH, body=json.dumps({"unavailable_seconds": 30}).encode()))
    assert on.status == 200
    assert 29 < outage.remaining() <= 30
    assert app(HttpRequest("PUT", SNS_FAULT_PATH, body=b'{"unavailable_seconds": -1}')).status == 400
    assert app(HttpRequest("POST", SNS_FAULT_PATH)).status == 405
    assert app(HttpRequest("DELETE", SNS_FAULT_PATH)).status == 200
    assert outage.remaining() == 0
