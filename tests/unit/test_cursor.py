"""Listing cursors: opaque, tamper-evident and bound to their listing."""

from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from queries.cursor import CursorCodec, CursorError, listing_of
from shared.discovery import Discovery

CODEC = CursorCodec(key=b"k" * 32)


def test_a_cursor_round_trips_within_its_listing() -> None:
    cursor = CODEC.encode(listing_of(Discovery(category="kitchen")), "01J000ABC")
    assert CODEC.decode(cursor, listing_of(Discovery(category="kitchen"))) == "01J000ABC"


def test_a_cursor_does_not_reveal_its_contents_in_plain_text() -> None:
    cursor = CODEC.encode(listing_of(Discovery()), "01J000ABC")
    assert "01J000ABC" not in cursor


@pytest.mark.parametrize("other", [listing_of(Discovery(category="garden")), listing_of(Discovery())])
def test_a_cursor_from_another_listing_is_refused(other: str) -> None:
    cursor = CODEC.encode(listing_of(Discovery(category="kitchen")), "01J000ABC")
    with pytest.raises(CursorError, match="another listing"):
        CODEC.decode(cursor, other)


def test_a_cursor_signed_with_another_key_is_refused() -> None:
    cursor = CursorCodec(key=b"other-key").encode(listing_of(Discovery()), "01J")
    with pytest.raises(CursorError):
        CODEC.decode(cursor, listing_of(Discovery()))


def test_a_cursor_with_a_rewritten_payload_is_refused() -> None:
    cursor = CODEC.encode(listing_of(Discovery()), "01J000AAA")
    _, mac = cursor.split(".")
    forged = base64.urlsafe_b64encode(b"v1|all|01J000ZZZ").rstrip(b"=").decode() + "." + mac
    with pytest.raises(CursorError):
        CODEC.decode(forged, listing_of(Discovery()))


@pytest.mark.parametrize("garbage", ["", ".", "abc", "a.b.c", "!!!.???", "x" * 600, "djF8YWxsfDAx.AAAA"])
def test_garbage_is_refused(garbage: str) -> None:
    with pytest.raises(CursorError):
        CODEC.decode(garbage, listing_of(Discovery()))


@given(st.text(max_size=200))
def test_no_arbitrary_text_is_accepted_as_a_cursor(text: str) -> None:
    with pytest.raises(CursorError):
        CODEC.decode(text, listing_of(Discovery()))


@given(st.integers(min_value=0, max_value=200), st.sampled_from("AQgw_-09"))
def test_changing_any_character_of_a_genuine_cursor_is_detected(position: int, replacement: str) -> None:
    cursor = CODEC.encode(listing_of(Discovery(category="kitchen")), "01J000ABC")
    index = position % len(cursor)
    tampered = cursor[:index] + replacement + cursor[index + 1 :]
    if tampered == cursor:
        return
    try:
        decoded = CODEC.decode(tampered, listing_of(Discovery(category="kitchen")))
    except CursorError:
        return
    # Only the unused low bits of a final base64 character can change without changing a byte.
    assert index in (cursor.index(".") - 1, len(cursor) - 1)
    assert decoded == "01J000ABC"


def test_a_cursor_signed_with_the_previous_key_verifies_during_a_rotation() -> None:
    old = CursorCodec(key=b"old-key").encode(listing_of(Discovery()), "01J")
    rotated = CursorCodec(key=b"new-key", previous_key=lambda: b"old-key")

    assert rotated.decode(old, listing_of(Discovery())) == "01J"


def test_the_previous_key_is_not_looked_up_for_a_cursor_the_current_key_verifies() -> None:
    lookups: list[int] = []

    def previous() -> bytes:
        lookups.append(1)
        return b"old-key"

    codec = CursorCodec(key=b"new-key", previous_key=previous)
    codec.decode(codec.encode(listing_of(Discovery()), "01J"), listing_of(Discovery()))

    assert lookups == []
