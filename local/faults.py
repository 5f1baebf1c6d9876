"""Local-only fault injection: make the SNS topic unavailable for a while.

The publisher's promise (nothing lost while SNS is down, everything delivered once it is back)
can only be shown by taking SNS away. Deleting the topic would also drop its subscriptions, which
SNS never does in an outage, so instead moto's own ``Publish`` and ``PublishBatch`` answer a
server error while the fault is on: the publisher's SNS client sees exactly what it would see
from an unavailable SNS (retries in the SDK, then a ``ClientError``). The product code is untouched.

``PUT /_local/faults/sns {"unavailable_seconds": 30}`` turns it on, ``DELETE`` turns it off
(``local.app``). It exists only in the local runtime's process.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from moto.core.exceptions import ServiceException
from moto.sns.responses import SNSResponse

MAX_OUTAGE_SECONDS = 3600


class SnsUnavailable(ServiceException):
    """What moto answers while the fault is on (an SNS internal error)."""

    code = "InternalError"
    message = "SNS is unavailable (local fault injection)"


class SnsOutage:
    """When the injected outage ends; thread-safe, process-wide."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._until = 0.0

    def start(self, seconds: float) -> None:
        """Make SNS publishing fail for ``seconds`` from now (replaces any outage in progress).

        Raises
        ------
        ValueError
            When ``seconds`` is not between 0 and an hour.
        """
        if not 0 < seconds <= MAX_OUTAGE_SECONDS:
            raise ValueError(f"unavailable_seconds must be more than 0 and at most {MAX_OUTAGE_SECONDS}")
        with self._lock:
            self._until = time.monotonic() + seconds

    def end(self) -> None:
        """End the outage now."""
        with self._lock:
            self._until = 0.0

    def remaining(self) -> float:
        """Seconds until the outage ends (0 when there is none)."""
        with self._lock:
            return max(self._until - time.monotonic(), 0.0)


SNS_OUTAGE = SnsOutage()


def _failing_while_out(method: Any) -> Any:
    if getattr(method, "_fault_aware", False):
        return method

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        if SNS_OUTAGE.remaining() > 0:
            raise SnsUnavailable()
        return method(self, *args, **kwargs)

    call._fault_aware = True  # type: ignore[attr-defined]
    return call


def install_sns_faults() -> None:
    """Let :data:`SNS_OUTAGE` fail moto's publish calls (idempotent)."""
    SNSResponse.publish = _failing_while_out(SNSResponse.publish)  # type: ignore[method-assign]
    SNSResponse.publish_batch = _failing_while_out(SNSResponse.publish_batch)  # type: ignore[method-assign]
