"""A product's event history: pages of its logged events, newest first, with opaque cursors.

The cursor names the product and the log position the page ended at. It is not signed: it only
bounds a key range inside the one product's partition that the caller (an admin, authenticated)
may read anyway, so a forged cursor can reach nothing new; a malformed one, or one from another
product's history, is still a 400, never a wrong page.
"""

from __future__ import annotations

import base64
import binascii
import re
from typing import Any, Final, Protocol

from pydantic import BaseModel, Field

from shared.data.event_log import HistoryPage
from shared.models.events import ALL_EVENT_TYPES, CatalogEvent, parse_event
from shared.problems import FieldError, ValidationProblem

DEFAULT_LIMIT: Final = 20
MAX_LIMIT: Final = 100
MAX_CURSOR_LENGTH: Final = 256
CURSOR_VERSION: Final = "h1"
EVENT_TYPE_PATTERN: Final = "^(" + "|".join(re.escape(t.value) for t in ALL_EVENT_TYPES) + ")$"
_POSITION = re.compile(r"^\d{12}#\d{2}$")


class EventHistory(BaseModel):
    """Response body of ``GET /admin/products/{id}/events``: events exactly as subscribers got them."""

    items: list[CatalogEvent]
    next_cursor: str | None = Field(
        description="Pass back as `cursor` for the next (older) page; null on the last."
    )


class HistoryReader(Protocol):
    """What the history needs from the event log (``EventLogTable``)."""

    def history(
        self, product_id: str, *, event_type: str | None, before: str | None, limit: int
    ) -> HistoryPage:
        """Up to ``limit`` events of a product, newest first, before position ``before``."""
        ...


def _bad_cursor() -> ValidationProblem:
    return ValidationProblem(
        "the cursor is not valid", errors=[FieldError(field="cursor", message="not a valid cursor")]
    )


def encode_cursor(product_id: str, position: str) -> str:
    """The cursor that continues a product's history after ``position``."""
    raw = f"{CURSOR_VERSION}|{product_id}|{position}".encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, product_id: str) -> str:
    """The log position a cursor continues from.

    Raises
    ------
    ValidationProblem
        For a malformed cursor or one from another product's history (a 400).
    """
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise _bad_cursor() from error
    parts = text.split("|")
    if (
        len(parts) != 3
        or parts[0] != CURSOR_VERSION
        or parts[1] != product_id
        or not _POSITION.match(parts[2])
    ):
        raise _bad_cursor()
    return parts[2]


def history_page(
    log: HistoryReader, product_id: str, *, event_type: str | None, limit: int, cursor: str | None
) -> EventHistory:
    """One page of a product's history."""
    before = decode_cursor(cursor, product_id) if cursor is not None else None
    page = log.history(product_id, event_type=event_type, before=before, limit=limit)
    items: list[Any] = [parse_event(event.body) for event in page.events]
    return EventHistory(
        items=items,
        next_cursor=encode_cursor(product_id, page.last_key) if page.last_key is not None else None,
    )
