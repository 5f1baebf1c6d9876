"""Discovery keys of a product: word-prefix search tokens and the sort keys of the public listing.

Pure functions, shared by the projector (which writes one discovery entry per scope of an active
product into the read views) and the public queries (which fold ``q`` the same way and resume
after a sort key). Nothing here does I/O.

A scope is one partition of the discovery indexes: the whole catalog, one category, or one
folded word prefix of up to :data:`PREFIX_LENGTH` characters (decision 52).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

# Token partitions hold prefixes of 1..PREFIX_LENGTH characters; a longer query word reads the
# partition of its first PREFIX_LENGTH characters and is checked against the stored words.
PREFIX_LENGTH = 3
# Per product at most this many token entries, so a view change stays far below DynamoDB's
# 100-item transaction limit (view + old and new entries + counts); words past it are not found.
MAX_PREFIX_ENTRIES = 30
MAX_QUERY_WORDS = 5
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
# Price filters: an amount >= 0 with at most two decimals, written as plain digits.
PRICE_FILTER_PATTERN = r"^[0-9]{1,7}(\.[0-9]{1,2})?$"
PRICE_FILTER_RULE = "Inclusive bound in the product's currency: >= 0, at most 2 decimal places."
MAX_QUERY_LENGTH = 200
QUERY_RULE = (
    f"1-{MAX_QUERY_WORDS} words; each must be a prefix of a word of the name or SKU (case and "
    "accents ignored). Blank: no search."
)
# Name sort keys compare the first characters only; the id after them breaks every tie.
NAME_KEY_LENGTH = 64
# Prices are at most 1,000,000.00: 100,000,000 cents, 9 digits; one more keeps the order if it grows.
PRICE_KEY_DIGITS = 10
KEY_SEPARATOR = "#"
ALL_SCOPE = "ALL"
CATEGORY_SCOPE_PREFIX = "CATEGORY#"
WORD_SCOPE_PREFIX = "WORD#"

_WORD = re.compile(r"[^\W_]+")


class Sort(StrEnum):
    """The public listing's orders (SPEC "Discovery"); ``newest`` is the default."""

    NEWEST = "newest"
    PRICE_ASC = "price_asc"
    PRICE_DESC = "price_desc"
    NAME = "name"


class AvailabilityFilter(StrEnum):
    """What ``availability`` narrows to: ``in_stock`` includes ``low_stock``."""

    IN_STOCK = "in_stock"
    OUT_OF_STOCK = "out_of_stock"


def fold(text: str) -> str:
    """``text`` without case or accents: ``"Crème BRÛLÉE"`` → ``"creme brulee"``."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text``, split at anything that is not a letter or digit."""
    return _WORD.findall(fold(text))


def searchable_words(name: str, sku: str) -> list[str]:
    """The distinct folded words a product is found by, name first, then SKU, in order."""
    return list(dict.fromkeys(words(name) + words(sku)))


def token(word: str) -> str:
    """The token partition a (folded) word or query word belongs to: its first characters."""
    return word[:PREFIX_LENGTH]


def search_tokens(name: str, sku: str) -> list[str]:
    """Every distinct prefix (1..PREFIX_LENGTH chars) of the product's words, at most MAX_PREFIX_ENTRIES."""
    tokens: dict[str, None] = {}
    for word in searchable_words(name, sku):
        for length in range(1, min(len(word), PREFIX_LENGTH) + 1):
            tokens.setdefault(word[:length])
    return list(tokens)[:MAX_PREFIX_ENTRIES]


def words_field(name: str, sku: str) -> str:
    """The stored word list, space-delimited on both ends so ``contains(" " + w)`` is a prefix test."""
    return " " + " ".join(searchable_words(name, sku)) + " "


def category_scope(category: str) -> str:
    """The discovery scope of one category."""
    return f"{CATEGORY_SCOPE_PREFIX}{category}"


def word_scope(word: str) -> str:
    """The discovery scope holding every product with a word starting with ``token(word)``."""
    return f"{WORD_SCOPE_PREFIX}{token(word)}"


def scopes(category: str, name: str, sku: str) -> list[str]:
    """Every scope an active product is listed in."""
    return [ALL_SCOPE, category_scope(category), *(word_scope(t) for t in search_tokens(name, sku))]


def newest_key(product_id: str) -> str:
    """Sort key of ``newest`` (read in descending order): ids are ULIDs, ordered by creation time."""
    return product_id


def price_key(price: Decimal, product_id: str) -> str:
    """Sort key of the price orders: zero-padded cents, then the id as tie-break."""
    return f"{price_bound(price)}{KEY_SEPARATOR}{product_id}"


def price_bound(price: Decimal) -> str:
    """The cents part of a price sort key, for range conditions on ``min_price``/``max_price``."""
    return f"{int(price * 100):0{PRICE_KEY_DIGITS}d}"


def name_key(name: str, product_id: str) -> str:
    """Sort key of ``name``: folded words (never the separator), truncated, then the id."""
    return f"{' '.join(words(name))[:NAME_KEY_LENGTH]}{KEY_SEPARATOR}{product_id}"


# Every key ends with the product id (ASCII letters and digits), and no key is a proper prefix of
# another, so appending a character above those of ids gives a bound between a key and its neighbour.
_HIGH = "~"


def just_after(key: str) -> str:
    """A bound greater than ``key`` and not greater than any key after it."""
    return key + _HIGH


def just_before(key: str) -> str:
    """A bound less than ``key`` and not less than any key before it."""
    return key[:-1] + chr(ord(key[-1]) - 1) + _HIGH if key else key


def range_end(prefix: str) -> str:
    """A bound after every key that starts with ``prefix`` (for inclusive upper price bounds)."""
    return prefix + KEY_SEPARATOR + _HIGH


@dataclass(frozen=True)
class Discovery:
    """What a shopper asked the listing for, validated (defaults: newest first, no filter)."""

    sort: Sort = Sort.NEWEST
    category: str | None = None
    min_price: Decimal | None = None
    max_price: Decimal | None = None
    availability: AvailabilityFilter | None = None
    query_words: tuple[str, ...] = field(default=())
