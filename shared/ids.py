"""Identifiers and timestamps."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_id() -> str:
    """A ULID: 26 characters, sortable by creation time (ms), 80 random bits.

    Time order keeps the public listings' "newest last" order stable without a second key.
    """
    value = (int(time.time() * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def utc_now() -> datetime:
    """The current time in UTC, at millisecond precision (what RFC 3339 timestamps show)."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def rfc3339(moment: datetime) -> str:
    """The timestamp as pydantic renders it in JSON (``...Z``), for values written outside a model."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
