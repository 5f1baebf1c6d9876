"""The publisher's use cases: publish logged events until SNS accepts them, and sweep the log.

Two paths share one rule set. The log's stream hands each new event to :meth:`EventPublisher.publish`
at once (low latency). Whatever SNS did not take stays unpublished in the log with a due time, and
the scheduled :meth:`EventPublisher.sweep` publishes everything due, for as long as it takes:
an outage of any length delays events, it never drops them, and the stream is never held up.

Each attempt is *claimed* in the log first (a conditional increment of ``attempts``), so the
stream path and the sweeper, or two overlapping sweeps, never publish the same attempt twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Protocol

from shared.data.event_log import LoggedEvent, epoch_ms
from shared.models.events import CatalogEventBase


class EventSink(Protocol):
    """Where events go (the SNS topic); ``calls`` counts the calls it made (SNS calls per event)."""

    calls: int

    def publish(self, events: Sequence[CatalogEventBase]) -> set[str]:
        """Publish ``events``; return the ids of those not accepted."""
        ...


class LogStore(Protocol):
    """What the publisher needs from the event log (``shared.data.event_log.EventLogTable``)."""

    def claim(self, event: LoggedEvent, next_attempt_at: int) -> bool:
        """Take the next attempt of ``event``; ``False`` when another publisher took it."""
        ...

    def mark_published(self, event: LoggedEvent, published_at: datetime) -> None:
        """Record that SNS accepted ``event``."""
        ...

    def unpublished(self, limit: int) -> list[LoggedEvent]:
        """Up to ``limit`` unpublished events, oldest first."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """When an event that SNS refused is tried again: doubling pauses, capped.

    With the defaults (1 s doubling to 30 s) events held back by an outage go out at most 30 s
    after SNS is back (plus the sweep interval on AWS), and there is no attempt limit.
    """

    base_seconds: float = 1.0
    max_seconds: float = 30.0

    def delay(self, attempt: int) -> timedelta:
        """The pause after attempt number ``attempt`` (1-based) before the next one."""
        exponent = min(max(attempt - 1, 0), 32)  # bounded: 2**32 s is already far past any cap
        return timedelta(seconds=min(self.base_seconds * 2**exponent, self.max_seconds))


@dataclass
class PublishOutcome:
    """What one publishing pass did, by event id."""

    published: list[str] = field(default_factory=list)
    deferred: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    sns_calls: int = 0


@dataclass
class SweepOutcome(PublishOutcome):
    """A sweep's pass, plus how old the oldest unpublished event was before it (seconds)."""

    oldest_unpublished_age: float = 0.0
    examined: int = 0


def _parse_time(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC)


class EventPublisher:
    """Publishes logged events to the sink under the retry policy."""

    def __init__(
        self,
        log: LogStore,
        sink: EventSink,
        policy: RetryPolicy,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._log = log
        self._sink = sink
        self._policy = policy
        self._clock = clock

    def publish(self, events: Sequence[LoggedEvent]) -> PublishOutcome:
        """Claim, publish and mark ``events``; refused ones stay unpublished with a due time.

        Events already published, or whose attempt another publisher claimed, are skipped.
        """
        outcome = PublishOutcome()
        now = self._clock()
        claimed: list[LoggedEvent] = []
        for event in events:
            due = now + self._policy.delay(event.attempts + 1)
            if event.published or not self._log.claim(event, epoch_ms(due)):
                outcome.skipped.append(event.event_id)
            else:
                claimed.append(event)
        if not claimed:
            return outcome
        calls_before = self._sink.calls
        refused = self._sink.publish([event.event() for event in claimed])
        outcome.sns_calls = self._sink.calls - calls_before
        published_at = self._clock()
        for event in claimed:
            if event.event_id in refused:
                outcome.deferred.append(event.event_id)
            else:
                self._log.mark_published(event, published_at)
                outcome.published.append(event.event_id)
        return outcome

    def sweep(self, max_events: int) -> SweepOutcome:
        """Publish every unpublished event that is due (at most ``max_events`` examined).

        Returns the oldest unpublished event's age as it was before the sweep: the alarm metric.
        """
        now = self._clock()
        pending = self._log.unpublished(max_events)
        due = [event for event in pending if event.next_attempt_at <= epoch_ms(now)]
        passed = self.publish(due)
        oldest = (now - _parse_time(pending[0].time)).total_seconds() if pending else 0.0
        return SweepOutcome(
            published=passed.published,
            deferred=passed.deferred,
            skipped=passed.skipped,
            sns_calls=passed.sns_calls,
            oldest_unpublished_age=max(oldest, 0.0),
            examined=len(pending),
        )
