"""Make moto apply one AWS request at a time, as the real services do for each item.

DynamoDB evaluates a condition and applies its write atomically; moto's in-memory backend does
not, so two threads can both pass ``inventory >= :needed`` and oversell. Serialising requests
restores the service's guarantee for the tests (in-process ``mock_aws``) and for the local
runtime (moto's server), without changing any product code.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.core.botocore_stubber import BotocoreStubber
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_REQUEST_LOCK = threading.RLock()


def _serialised(method: Any) -> Any:
    if getattr(method, "_serialised", False):
        return method

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _REQUEST_LOCK:
            return method(self, *args, **kwargs)

    call._serialised = True  # type: ignore[attr-defined]
    return call


def make_moto_requests_atomic() -> None:
    """Patch moto's in-process stub and its server dispatcher to take one request at a time."""
    BotocoreStubber.__call__ = _serialised(BotocoreStubber.__call__)  # type: ignore[method-assign]
    DomainDispatcherApplication.__call__ = _serialised(  # type: ignore[method-assign]
        DomainDispatcherApplication.__call__
    )
