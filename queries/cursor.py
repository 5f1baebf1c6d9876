"""Opaque, tamper-evident listing cursors.

A cursor names the listing it belongs to and the sort key the page it follows ended at,
signed with HMAC-SHA256. Clients cannot read meaning into it, forge one, or carry one from one
listing to another: each of those is a 400, never a wrong page.

Format: ``base64url(payload) "." base64url(mac)`` with ``payload = "v2|<listing>|<after sort key>"``.

While the signing secret rotates, cursors signed with the previous key still verify, so a
rotation invalidates no cursor a client holds.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from shared.discovery import Discovery

# v2: the position is a discovery sort key and the listing names every parameter (decision 52).
CURSOR_VERSION = "v2"
MAX_CURSOR_LENGTH = 512
_SEPARATOR = "|"


class CursorError(ValueError):
    """The cursor is malformed, forged, or belongs to another listing."""


def listing_of(wanted: Discovery) -> str:
    """The name a cursor binds to: every listing parameter but ``limit``, URL-encoded.

    A cursor resumes after a sort key of one index partition, so it is only meaningful for the
    same sort, scope and filters; carried to any other listing it is refused.
    """
    return urlencode(
        [
            ("sort", wanted.sort.value),
            ("category", wanted.category or ""),
            ("min_price", "" if wanted.min_price is None else str(wanted.min_price)),
            ("max_price", "" if wanted.max_price is None else str(wanted.max_price)),
            ("availability", wanted.availability.value if wanted.availability else ""),
            ("q", " ".join(wanted.query_words)),
        ]
    )


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise CursorError("the cursor is not valid") from error


def _no_previous_key() -> bytes | None:
    return None


@dataclass(frozen=True)
class CursorCodec:
    """Signs cursors with the current key; verifies them with it or, failing that, the previous one.

    ``previous_key`` is asked only when a cursor does not verify with ``key`` (a cursor signed
    before a rotation), so the common path costs no lookup of the previous key.
    """

    key: bytes
    previous_key: Callable[[], bytes | None] = _no_previous_key

    def _mac(self, payload: bytes, key: bytes | None = None) -> bytes:
        return hmac.new(self.key if key is None else key, payload, hashlib.sha256).digest()

    def _verifies(self, payload: bytes, mac: bytes) -> bool:
        # Constant-time comparison: the response time must not reveal how much of a MAC matched.
        if hmac.compare_digest(self._mac(payload), mac):
            return True
        previous = self.previous_key()
        return previous is not None and hmac.compare_digest(self._mac(payload, previous), mac)

    def encode(self, listing: str, after: str) -> str:
        """A cursor for the page after sort key ``after`` in ``listing``."""
        payload = _SEPARATOR.join((CURSOR_VERSION, listing, after)).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def decode(self, cursor: str, listing: str) -> str:
        """The sort key a cursor resumes after, if it is genuine and issued for ``listing``.

        Raises
        ------
        CursorError
            When the cursor is malformed, its signature does not verify, or it was issued for
            another listing.
        """
        if not cursor or len(cursor) > MAX_CURSOR_LENGTH or cursor.count(".") != 1:
            raise CursorError("the cursor is not valid")
        encoded_payload, encoded_mac = cursor.split(".")
        payload = _b64decode(encoded_payload)
        if not self._verifies(payload, _b64decode(encoded_mac)):
            raise CursorError("the cursor is not valid")
        parts = payload.decode("utf-8", errors="replace").split(_SEPARATOR)
        if len(parts) != 3 or parts[0] != CURSOR_VERSION or not parts[2]:
            raise CursorError("the cursor is not valid")
        if parts[1] != listing:
            raise CursorError("the cursor belongs to another listing; start again without it")
        return parts[2]
