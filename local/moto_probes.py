"""Cheap "is there anything to deliver?" checks, read from the moto backends this process serves.

Lambda's event source mappings long-poll SQS and are pushed stream records; the local pollers
short-poll (moto serves one request at a time, so a long poll would hold every caller), ten times
a second each. Idle, they made about 110 AWS requests a second (five queues at 10 receives a
second, two streams at 3 requests a read) through botocore, werkzeug, flask and moto's
serialisers (py-spy: about a fifth of the runtime's CPU during a burst went to empty receives),
on the GIL the admin API needs (decision 62).

A probe looks at moto's in-memory state directly, in microseconds, and the poller makes its real
requests only when the probe says there is something new. The requests themselves are unchanged,
so what is delivered, and how, is exactly what the pollers' own calls return. The probes read
moto internals (a table's stream shard, a queue's visible messages), so, like
:mod:`local.moto_fidelity`, they are written for the moto minor version pinned there; a probe
that cannot find what it looks for answers True, and the poller simply polls as before.

:class:`MotoStreamReader` goes one step further for the two stream pollers: it takes the new
records from the table's stream shard itself, instead of ``DescribeStream``, ``GetShardIterator``
and ``GetRecords`` through botocore and moto's response serialiser, which cost about a fifth of
the runtime's CPU during a burst (py-spy, decision 65): each product write adds one record to the
products stream and three to the event log's (the insert, the publisher's claim and its mark).
The records are the stream's own, shaped by :func:`local.streams.lambda_record` exactly as the
``GetRecords`` path shapes them (a test holds the two readers to the same output).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID

from local.streams import lambda_record

Probe = Callable[[], bool]


def _moto_table(table_name: str, region: str, account_id: str) -> Any:
    from moto.dynamodb.models import dynamodb_backends

    return dynamodb_backends[account_id][region].get_table(table_name)


class QueueNotEmpty:
    """True when an SQS queue holds a message a receive would return now (visible, not delayed)."""

    def __init__(self, queue_url: str, region: str) -> None:
        # Queue URLs end with /<account>/<name>, on moto as on AWS.
        account_id, name = queue_url.rstrip("/").split("/")[-2:]
        self._account_id = account_id
        self._name = name
        self._region = region

    def __call__(self) -> bool:
        """Whether the poller should receive from the queue now."""
        from moto.sqs.models import sqs_backends

        try:
            queue: Any = sqs_backends[self._account_id][self._region].get_queue(self._name)
            return bool(queue.messages)
        except Exception:  # any moto change of shape: fall back to polling
            return True


def _as_utc(record: dict[str, Any]) -> dict[str, Any]:
    # moto stamps records with a naive UTC datetime; GetRecords sends it as epoch seconds.
    stamp = record["dynamodb"].get("ApproximateCreationDateTime")
    if isinstance(stamp, datetime) and stamp.tzinfo is None:
        record = {
            **record,
            "dynamodb": {**record["dynamodb"], "ApproximateCreationDateTime": stamp.replace(tzinfo=UTC)},
        }
    return record


class MotoStreamReader:
    """A table's new stream records, read from moto's shard in this process (a ``RecordSource``).

    Like ``local.streams.StreamReader`` it returns every record once, in stream order, in the
    shape Lambda delivers, starting at the stream's first record (``TRIM_HORIZON``). When the
    table's stream is replaced (disabled and enabled again), reading starts at the new shard's
    first record, as a mapping on the new stream would.
    """

    def __init__(
        self, table_name: str, *, stream_arn: str, region: str, account_id: str = DEFAULT_ACCOUNT_ID
    ) -> None:
        self.stream_arn = stream_arn
        self._table_name = table_name
        self._region = region
        self._account_id = account_id
        self._shard: Any = None
        self._position = 0

    def unread(self) -> int:
        """How many records the shard holds that :meth:`read_new` has not returned yet."""
        shard = _moto_table(self._table_name, self._region, self._account_id).stream_shard
        if shard is None:
            return 0
        return len(shard.items) - (self._position if shard is self._shard else 0)

    def has_unread(self) -> bool:
        """Whether :meth:`read_new` would return anything (the stream pollers' wake probe)."""
        try:
            return self.unread() > 0
        except Exception:  # any moto change of shape: let the poller read and fail loudly there
            return True

    def read_new(self) -> list[dict[str, Any]]:
        """Every record the shard gained since the previous call, shaped as Lambda delivers it."""
        shard = _moto_table(self._table_name, self._region, self._account_id).stream_shard
        if shard is None:
            return []
        if shard is not self._shard:
            self._shard, self._position = shard, 0
        new = shard.items[self._position :]
        self._position += len(new)
        return [
            lambda_record(_as_utc(record.to_json()), stream_arn=self.stream_arn, region=self._region)
            for record in new
        ]


class HoldWhile:
    """True (hold back) while ``busy()`` is true, but never for more than ``max_wait`` seconds in a row.

    It puts one poller behind another on the runtime's single GIL (decision 65): the event
    publisher holds its next batch while the projector has records to project, so a burst's
    views are written first and its events follow. After ``max_wait`` seconds of holding it lets
    one poll through and starts a new wait, so writes that never stop cannot starve the publisher.
    """

    def __init__(self, busy: Callable[[], bool], *, max_wait: float, clock: Callable[[], float]) -> None:
        self._busy = busy
        self._max_wait = max_wait
        self._clock = clock
        self._holding_since: float | None = None

    def __call__(self) -> bool:
        """Whether the poller should hold back now."""
        if not self._busy():
            self._holding_since = None
            return False
        now = self._clock()
        if self._holding_since is None:
            self._holding_since = now
        if now - self._holding_since < self._max_wait:
            return True
        self._holding_since = None
        return False
