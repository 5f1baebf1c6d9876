"""The admin listing's rules: parameters, cursors and pages (HTTP-free and AWS-free)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from queries.models import AdminProductPage
from shared.data.admin_listing import AdminFilters, AdminPage
from shared.models.product import admin_view
from shared.problems import FieldError, ValidationProblem

DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# SPEC: a page examines at most 10 x limit items, whatever the catalog size.
EXAMINED_PER_ITEM = 10
MAX_CURSOR_LENGTH = 512
_CURSOR_VERSION = "a1"
# RFC 3339 date-time: a date, "T" (or space), a time, and a mandatory offset.
_RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")
_SORT_KEY = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#[A-Za-z0-9-]{1,128}$")


class AdminListingReader(Protocol):
    """What the listing reads (:class:`shared.data.admin_listing.AdminListing`)."""

    def page(self, filters: AdminFilters, after: str | None, limit: int, max_examined: int) -> AdminPage:
        """Up to ``limit`` matches after ``after``, examining at most ``max_examined`` entries."""


def parse_updated_since(value: str) -> datetime:
    """An RFC 3339 date-time with an offset.

    Raises
    ------
    ValidationProblem
        For anything else (no offset, a date alone, an impossible date).
    """
    problem = ValidationProblem(
        "updated_since must be an RFC 3339 date-time with an offset, e.g. 2026-01-31T09:00:00Z",
        errors=[FieldError(field="updated_since", message="expected an RFC 3339 date-time with an offset")],
    )
    if not _RFC3339.match(value):
        raise problem
    try:
        return datetime.fromisoformat(value.replace("z", "Z").replace("t", "T"))
    except ValueError as error:
        raise problem from error


def _fingerprint_digest(filters: AdminFilters) -> str:
    return hashlib.sha256(filters.fingerprint().encode()).hexdigest()[:16]


def encode_cursor(filters: AdminFilters, after: str) -> str:
    """An opaque cursor: resume after sort key ``after``, valid only with the same filters.

    Unsigned on purpose: every admin may read the whole listing, so a hand-made cursor can only
    start a page elsewhere in what its author may read anyway; it is still checked for shape.
    """
    payload = f"{_CURSOR_VERSION}|{_fingerprint_digest(filters)}|{after}".encode()
    return base64.urlsafe_b64encode(payload).rstrip(b"=").decode("ascii")


def decode_cursor(cursor: str, filters: AdminFilters) -> str:
    """The sort key a cursor resumes after.

    Raises
    ------
    ValidationProblem
        When the cursor is malformed or was issued for other filters.
    """

    def invalid(message: str) -> ValidationProblem:
        return ValidationProblem(message, errors=[FieldError(field="cursor", message=message)])

    if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
        raise invalid("the cursor is not valid")
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (binascii.Error, ValueError) as error:
        raise invalid("the cursor is not valid") from error
    parts = text.split("|")
    if len(parts) != 3 or parts[0] != _CURSOR_VERSION or not _SORT_KEY.match(parts[2]):
        raise invalid("the cursor is not valid")
    if parts[1] != _fingerprint_digest(filters):
        raise invalid("the cursor belongs to other filters; start again without it")
    return parts[2]


def list_products(
    listing: AdminListingReader,
    filters: AdminFilters,
    *,
    limit: int,
    cursor: str | None,
    image_url: Callable[[str], str],
) -> AdminProductPage:
    """One page of the admin listing, most recently changed first.

    Raises
    ------
    ValidationProblem
        When the cursor is malformed or belongs to other filters.
    """
    after = decode_cursor(cursor, filters) if cursor is not None else None
    page = listing.page(filters, after, limit, EXAMINED_PER_ITEM * limit)
    return AdminProductPage(
        items=[admin_view(product, image_url) for product in page.items],
        next_cursor=encode_cursor(filters, page.resume_after) if page.resume_after is not None else None,
    )
