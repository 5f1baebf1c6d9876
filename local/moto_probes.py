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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from moto.core.models import DEFAULT_ACCOUNT_ID

Probe = Callable[[], bool]


class StreamGrowth:
    """True when a table's stream has gained records (or changed shard) since the last call.

    The first call is True, so a poller reads what was written before it started. A record
    written between this check and the poller's read is read by that read, and the next check
    is True once more: at worst one extra empty read, never a missed record.
    """

    def __init__(self, table_name: str, region: str, account_id: str = DEFAULT_ACCOUNT_ID) -> None:
        self._table_name = table_name
        self._region = region
        self._account_id = account_id
        self._seen: tuple[int, int] | None = None

    def __call__(self) -> bool:
        """Whether the poller should read the stream now."""
        from moto.dynamodb.models import dynamodb_backends

        try:
            table: Any = dynamodb_backends[self._account_id][self._region].get_table(self._table_name)
            shard = table.stream_shard
            state = (id(shard), len(shard.items))
        except Exception:  # any moto change of shape: fall back to polling
            return True
        changed = state != self._seen
        self._seen = state
        return changed


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
