"""Opaque, tamper-evident listing cursors.

A cursor names the listing it belongs to and the last product id of the page it follows,
signed with HMAC-SHA256. Clients cannot read meaning into it, forge one, or carry one from one
listing to another: each of those is a 400, never a wrong page.

Format: ``base64url(payload) "." base64url(mac)`` with ``payload = "v1|<listing>|<after id>"``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from dataclasses import dataclass

CURSOR_VERSION = "v1"
MAX_CURSOR_LENGTH = 512
_SEPARATOR = "|"


class CursorError(ValueError):
    """The cursor is malformed, forged, or belongs to another listing."""


def listing_of(category: str | None) -> str:
    """The name a cursor binds to: ``all`` or ``category:<slug>``."""
    return "all" if category is None else f"category:{category}"


def _b64encode(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64decode(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as error:
        raise CursorError("the cursor is not valid") from error


@dataclass(frozen=True)
class CursorCodec:
    """Signs and verifies cursors with one secret key."""

    key: bytes

    def _mac(self, payload: bytes) -> bytes:
        return hmac.new(self.key, payload, hashlib.sha256).digest()

    def encode(self, listing: str, after: str) -> str:
        """A cursor for the page after product id ``after`` in ``listing``."""
        payload = _SEPARATOR.join((CURSOR_VERSION, listing, after)).encode()
        return f"{_b64encode(payload)}.{_b64encode(self._mac(payload))}"

    def decode(self, cursor: str, listing: str) -> str:
        """The product id a cursor resumes after, if it is genuine and issued for ``listing``.

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
        # Constant-time comparison: the response time must not reveal how much of a MAC matched.
        if not hmac.compare_digest(self._mac(payload), _b64decode(encoded_mac)):
            raise CursorError("the cursor is not valid")
        parts = payload.decode("utf-8", errors="replace").split(_SEPARATOR)
        if len(parts) != 3 or parts[0] != CURSOR_VERSION or not parts[2]:
            raise CursorError("the cursor is not valid")
        if parts[1] != listing:
            raise CursorError("the cursor belongs to another listing; start again without it")
        return parts[2]
