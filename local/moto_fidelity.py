"""Make moto behave like DynamoDB where this project's correctness or speed depends on it.

1. **One request at a time.** DynamoDB evaluates a condition and applies its write atomically;
   moto's in-memory backend does not, so two threads could both pass ``inventory >= :needed``
   and oversell. Serialising requests restores the guarantee. The lock is granted in arrival
   order (:class:`FairRequestLock`): with ``RLock`` a projector writing transaction after
   transaction took it straight back each time, and an admin write or import batch waited
   for the whole batch.
2. **Transactions cost what they touch.** moto backs up every table a transaction names with a
   deep copy (to roll back on failure), so each write costs O(table size): with 1,000 products a
   create took ~190 ms and the local runtime grew by gigabytes. The backup here keeps only the
   items the transaction names and the stream's length, and restores them on failure — the
   same all-or-nothing outcome. (Items, not partitions: a partition such as the views' ``CATALOG``
   listing holds an entry per product, so copying it made each projection slower than the last.)
3. **An item's size is checked once.** moto checks DynamoDB's 400 KB item limit on every
   attribute it adds while building an item, re-measuring all the attributes added before, so
   an item of *n* attributes costs O(n²) size walks (nested maps included); it was the largest
   single cost of writing a view with its public document. The patched constructor converts the
   attributes, measures the whole item once and raises the same ``ItemSizeTooLarge`` above the
   same bound; updates of stored items keep moto's per-attribute check.
4. **A query sorts what it matched, not the table.** moto's ``Query`` collects candidates from
   ``all_items()``, which sorts *every* item of the table by primary key, and then sorts the
   matches again by the queried keys (which end with the primary key, so the first order never
   shows). On the views table (~15 items a product) a page query at 20,000 products sorted
   ~300,000 items. During a query, the table's items are handed over unsorted; the result, its
   order and ``ScannedCount`` are unchanged. Scans keep moto's sorted order (their pages resume
   by key).
5. **A receive reads one attribute per message, not all of them.** For every message it
   returns, moto's ``ReceiveMessage`` checks the retention period through
   ``get_queue_attributes``, which computes every attribute of the queue, the approximate counts
   included, each a pass over all of its messages: a receive from a queue with a backlog of *n*
   costs O(n) per message returned (about a twentieth of the local runtime's CPU during a burst,
   while the console's queue held the events not yet printed). The patched check reads the
   queue's retention period directly, with moto's own rule.
6. **DynamoDB data-plane answers are written as JSON, not walked through the API model.** moto
   5.2 serialises every response by walking the operation's output shape (each attribute value
   of each item a nested structure), which made a ``GetItem`` of a view ~4 ms against ~1.7 ms
   for ``json.dumps`` of the same result (measured on the local endpoint). For the item
   operations in :data:`_JSON_OPERATIONS`, a successful result that is plain JSON is written
   with ``json.dumps``; anything else (errors, datetimes, bytes) goes through moto's serialiser.
   Checked by running the handler tests with both serialisers side by side: 10,125 answers of
   these operations were identical once parsed.
7. **DynamoDB data-plane requests are read as JSON, not walked through the API model.** moto
   parses every request body by walking the operation's input shape, which was 38 % of a
   projector transaction's cost (each action's item a nested structure). For the operations of
   :data:`_JSON_OPERATIONS` the body is read with ``json.loads``, unless it may hold a binary
   attribute value (``B``/``BS``), whose base64 text only moto's parser turns into bytes.
   Checked by running the handler and unit tests with both parsers side by side: 14,688
   requests of these operations parsed identically.
8. **What cannot change between requests is worked out once.** For every request moto's server
   lists its own package directory (about 150 ``stat`` calls) to recognise the service, and
   ``call_action`` lists the handler class's methods with ``inspect.getmembers``; an
   ``UpdateItem`` parses its update expression twice (a transaction action once more). The
   directory and the method names are computed once (the patches above keep every method
   name), and update expressions are parsed once per distinct text: the parsed tree is only
   read (``find_clauses``) or deep-copied before it is evaluated (moto's validator copies it
   first), so a shared tree gives the same result. Together about half a millisecond of each
   request on the local endpoint. A condition expression was parsed up to three times per
   action (the handler, the backend, the table), 8 % of the runtime's CPU during a burst: it is
   parsed once per distinct text, names and values (the last 1,024 kept). Its tree holds those
   values and is only evaluated against items, never changed; the names and values it found are
   handed to every caller, so moto's check for unused ones is unchanged. Values holding bytes are
   parsed every time.

Every patch applies to in-process ``mock_aws`` (tests) and to moto's server (the local runtime).
:func:`dynamodb_in_process` serves the runtime's own DynamoDB requests the way ``mock_aws`` does,
one at a time under the same lock (see :mod:`local.inprocess`).
No product code changes. They reach into moto's internals, so they are written for one moto minor
version (:data:`PATCHED_MOTO_VERSION`, pinned in ``pyproject.toml``); on any other version
:func:`make_moto_faithful` refuses to patch instead of silently patching something else.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import threading
from collections import OrderedDict, deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from importlib.metadata import version
from typing import Any

from botocore.awsrequest import AWSPreparedRequest
from moto import backends as moto_backends
from moto.core import responses as moto_responses
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.request import normalize_request
from moto.core.utils import unix_time
from moto.dynamodb import models as dynamodb_models
from moto.dynamodb.comparisons import ConditionExpressionParser
from moto.dynamodb.exceptions import ItemSizeTooLarge
from moto.dynamodb.models.dynamo_type import DynamoType, Item, LimitedSizeDict
from moto.dynamodb.models.table import Table
from moto.dynamodb.models.utilities import bytesize
from moto.dynamodb.parsing.expressions import UpdateExpressionParser  # type: ignore[attr-defined]
from moto.dynamodb.responses import DynamoHandler, DynamoResult
from moto.moto_server.werkzeug_app import DomainDispatcherApplication
from moto.sqs.models import SQSBackend
from werkzeug.exceptions import HTTPException

# The moto minor version whose internals these patches were written against and tested with.
PATCHED_MOTO_VERSION = (5, 2)


class FairRequestLock:
    """A reentrant lock granted in the order it was asked for.

    ``threading.RLock`` lets the thread that releases it take it straight back: a projector
    writing transaction after transaction kept the lock for its whole batch while a request
    waiting for it (an admin write, an import batch) woke each time too late. Here each waiting
    thread gets its turn in arrival order.
    """

    def __init__(self) -> None:
        self._changed = threading.Condition(threading.Lock())
        self._owner: int | None = None
        self._depth = 0
        self._waiting: deque[int] = deque()

    def __enter__(self) -> None:
        me = threading.get_ident()
        with self._changed:
            if self._owner == me:
                self._depth += 1
                return
            self._waiting.append(me)
            while self._owner is not None or self._waiting[0] != me:
                self._changed.wait()
            self._waiting.popleft()
            self._owner, self._depth = me, 1

    def __exit__(self, *_: object) -> None:
        with self._changed:
            self._depth -= 1
            if self._depth == 0:
                self._owner = None
                self._changed.notify_all()


_REQUEST_LOCK = FairRequestLock()


class UnsupportedMotoVersion(RuntimeError):
    """The installed moto is not the minor version the patches were written for."""


def check_moto_version(installed: str | None = None) -> None:
    """Fail loudly unless ``installed`` (default: the installed moto) is :data:`PATCHED_MOTO_VERSION`.

    Raises
    ------
    UnsupportedMotoVersion
        On another major or minor version: the patched internals may have moved or changed.
    """
    text = version("moto") if installed is None else installed
    major_minor = tuple(int(part) for part in text.split(".")[:2])
    if major_minor != PATCHED_MOTO_VERSION:
        expected = ".".join(str(part) for part in PATCHED_MOTO_VERSION)
        raise UnsupportedMotoVersion(
            f"local/moto_fidelity.py patches moto {expected}.x internals, but moto {text} is installed; "
            f"re-check the patches against moto {text}, then update PATCHED_MOTO_VERSION and the pin "
            "in pyproject.toml"
        )


def _serialised(method: Any) -> Any:
    if getattr(method, "_serialised", False):
        return method

    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _REQUEST_LOCK:
            return method(self, *args, **kwargs)

    call._serialised = True  # type: ignore[attr-defined]
    return call


_MISSING = object()


class _ItemSnapshot:
    """The items of one table that a transaction names, and its stream length, before it ran.

    Items, not partitions: the views table keeps a listing entry of every product under one
    partition key (``CATALOG``), so a copy of the partitions a projection names grows with the
    catalog (each local create cost a little more than the one before).
    """

    def __init__(self, table: Any, keys: set[tuple[DynamoType, DynamoType | None]]) -> None:
        self.table = table
        self.items: dict[tuple[DynamoType, DynamoType | None], Any] = {}
        for hash_key, range_key in keys:
            partition = table.items.get(hash_key, _MISSING)
            if range_key is None or partition is _MISSING:
                stored = partition
            else:
                stored = partition.get(range_key, _MISSING)
            self.items[(hash_key, range_key)] = _MISSING if stored is _MISSING else copy.deepcopy(stored)
        stream = getattr(table, "stream_shard", None)
        self.stream_length = len(stream.items) if stream is not None else None

    def restore(self) -> None:
        items = self.table.items
        for (hash_key, range_key), stored in self.items.items():
            if range_key is None:
                if stored is _MISSING:
                    items.pop(hash_key, None)
                else:
                    items[hash_key] = stored
                continue
            partition = items.setdefault(hash_key, {})
            if stored is _MISSING:
                partition.pop(range_key, None)
            else:
                partition[range_key] = stored
            if not partition:
                del items[hash_key]
        if self.stream_length is not None:
            del self.table.stream_shard.items[self.stream_length :]


def _named_item_keys(
    backend: Any, transact_items: list[dict[str, Any]]
) -> dict[str, set[tuple[DynamoType, DynamoType | None]]]:
    keys: dict[str, set[tuple[DynamoType, DynamoType | None]]] = {}
    for entry in transact_items:
        operation = next(iter(entry.values()))
        table = backend.tables.get(operation.get("TableName"))
        if table is None:
            continue
        attributes = operation.get("Key") or operation.get("Item") or {}
        if table.hash_key_attr not in attributes:
            continue
        range_key = None
        if table.range_key_attr is not None:
            if table.range_key_attr not in attributes:
                continue
            range_key = DynamoType(attributes[table.range_key_attr])
        keys.setdefault(table.name, set()).add((DynamoType(attributes[table.hash_key_attr]), range_key))
    return keys


@contextmanager
def _no_table_copies() -> Iterator[None]:
    # moto's transaction deep-copies whole tables through this module's `copy`; hand back the
    # table itself (the snapshot below is what rolls back) and leave every other copy alone.
    original = getattr(dynamodb_models, "copy")  # noqa: B009 - the module moto calls deepcopy through

    class _Copy:
        @staticmethod
        def deepcopy(value: Any, *args: Any) -> Any:
            if isinstance(value, Table):
                return value
            return original.deepcopy(value, *args)

    setattr(dynamodb_models, "copy", _Copy)  # noqa: B010
    try:
        yield
    finally:
        setattr(dynamodb_models, "copy", original)  # noqa: B010


def _cheap_transactions(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_cheap", False):
        return method

    def transact_write_items(self: Any, transact_items: list[dict[str, Any]]) -> None:
        with _REQUEST_LOCK:
            snapshots = [
                _ItemSnapshot(self.tables[name], keys)
                for name, keys in _named_item_keys(self, transact_items).items()
            ]
            try:
                with _no_table_copies():
                    method(self, transact_items)
            except Exception:
                for snapshot in snapshots:
                    snapshot.restore()
                raise

    transact_write_items._cheap = True  # type: ignore[attr-defined]
    return transact_write_items


# moto's bound for an item (LimitedSizeDict): between DynamoDB's documented 400 KB and the
# 409-410 KB it accepts in practice.
_MOTO_ITEM_SIZE_LIMIT = 405_000


def _item_init(self: Any, hash_key: DynamoType, range_key: DynamoType | None, attrs: dict[str, Any]) -> None:
    self.hash_key = hash_key
    self.range_key = range_key
    converted = {key: DynamoType(value) for key, value in attrs.items()}
    if sum(bytesize(key) + value.size() for key, value in converted.items()) > _MOTO_ITEM_SIZE_LIMIT:
        raise ItemSizeTooLarge
    self.attrs = LimitedSizeDict()
    # dict.update skips LimitedSizeDict.__setitem__: the whole item was measured just above.
    dict.update(self.attrs, converted)


def _unsorted_items(table: Any) -> list[Any]:
    if table.range_key_attr:
        return [item for partition in table.items.values() for item in partition.values()]
    return list(table.items.values())


def _query_without_table_sort(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_unsorted", False):
        return method

    def query(self: Any, *args: Any, **kwargs: Any) -> Any:
        # An instance attribute shadows Table.all_items for this query only (requests are
        # serialised, so no other request sees it).
        self.all_items = functools.partial(_unsorted_items, self)
        try:
            return method(self, *args, **kwargs)
        finally:
            del self.all_items

    query._unsorted = True  # type: ignore[attr-defined]
    return query


def _message_within_retention(self: Any, queue_name: str, message: Any) -> bool:
    retention_period = self.get_queue(queue_name).message_retention_period
    return bool(int(retention_period) + message.sent_timestamp / 1000 > unix_time())


# The item operations whose moto results are already in DynamoDB's JSON wire shape. DeleteItem is
# left out: its result carries a field outside the output shape that moto's serialiser drops.
_JSON_OPERATIONS = frozenset(
    {
        "GetItem",
        "PutItem",
        "UpdateItem",
        "Query",
        "Scan",
        "BatchGetItem",
        "BatchWriteItem",
        "TransactGetItems",
        "TransactWriteItems",
    }
)
_JSON_HEADERS = {"Content-Type": "application/x-amz-json-1.0"}


def _json_answers(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_json", False):
        return method

    def execute_result(self: Any, context: Any) -> Any:
        result = self.result
        if context.operation_model.name in _JSON_OPERATIONS and isinstance(result, dict):
            try:
                body = json.dumps(result, separators=(",", ":"))
            except TypeError:  # bytes, datetimes: moto's serialiser knows their wire form
                return method(self, context)
            return 200, dict(_JSON_HEADERS), body
        return method(self, context)

    execute_result._json = True  # type: ignore[attr-defined]
    return execute_result


# Blob attribute values ("B", "BS") arrive base64-encoded; moto's parser decodes them to bytes.
# A request that may hold one keeps moto's parser (a false match only costs speed).
_MAY_HOLD_BLOBS = re.compile(rb'"BS?":')


def _json_requests(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_json", False):
        return method

    def parse_parameters(self: Any, request: Any) -> None:
        body = request.data
        if self._get_action() in _JSON_OPERATIONS and body and not _MAY_HOLD_BLOBS.search(body):
            self.params = json.loads(body)
            return
        method(self, request)

    parse_parameters._json = True  # type: ignore[attr-defined]
    return parse_parameters


def _computed_once(function: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(function, "_computed_once", False):
        return function

    @functools.cache
    def once(*args: Any) -> Any:
        result = function(*args)
        # A generator (moto's module listing) would be used up by its first reader.
        return tuple(result) if isinstance(result, Iterator) else result

    once._computed_once = True  # type: ignore[attr-defined]
    return once


# Parsed condition expressions kept for reuse (a few distinct texts; values make the rest).
_CONDITION_CACHE_SIZE = 1024


def _conditions_parsed_once(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "_computed_once", False):
        return method
    parsed: OrderedDict[tuple[Any, ...], tuple[Any, tuple[str, ...], tuple[str, ...]]] = OrderedDict()
    lock = threading.Lock()

    def parse(self: Any) -> Any:
        try:
            key = (
                self.condition_expression,
                json.dumps(self.expression_attribute_names, sort_keys=True),
                json.dumps(self.expression_attribute_values, sort_keys=True),
            )
        except TypeError:  # bytes among the values: not worth a key of their own
            return method(self)
        with lock:
            known = parsed.get(key)
            if known is not None:
                parsed.move_to_end(key)
        if known is None:
            operation = method(self)  # raises on an invalid expression, which is never kept
            known = (operation, tuple(self.expr_attr_names_found), tuple(self.expr_attr_values_found))
            with lock:
                parsed[key] = known
                if len(parsed) > _CONDITION_CACHE_SIZE:
                    parsed.popitem(last=False)
            return operation
        self.expr_attr_names_found.extend(known[1])
        self.expr_attr_values_found.extend(known[2])
        return known[0]

    parse._computed_once = True  # type: ignore[attr-defined]
    return parse


# The X-Amz-Target prefix of DynamoDB's data- and control-plane operations.
DYNAMODB_TARGET_PREFIX = "DynamoDB_20120810."


def dynamodb_in_process(request: AWSPreparedRequest) -> tuple[int, dict[str, str], bytes | str]:
    """Answer a DynamoDB request with moto's DynamoDB handler, called as ``mock_aws`` calls it.

    The same parser, backend, serialiser and patches as through moto's server, one request at a
    time under the same lock, without the WSGI environ, host dispatcher and Flask around them.
    """
    with _REQUEST_LOCK:
        normalized = normalize_request(request)
        try:
            status, headers, body = DynamoHandler.dispatch(normalized, normalized.raw_url, normalized.headers)
        except HTTPException as error:
            return int(error.code or 500), dict(error.get_headers()), error.get_body()
    return int(status), {name: str(value) for name, value in headers.items()}, body


def make_moto_faithful() -> None:
    """Apply the patches (idempotent), after checking moto is the version they were written for."""
    check_moto_version()
    BotocoreStubber.__call__ = _serialised(BotocoreStubber.__call__)  # type: ignore[method-assign]
    DomainDispatcherApplication.__call__ = _serialised(  # type: ignore[method-assign]
        DomainDispatcherApplication.__call__
    )
    backend = dynamodb_models.DynamoDBBackend
    backend.transact_write_items = _cheap_transactions(backend.transact_write_items)  # type: ignore[method-assign]
    Item.__init__ = _item_init  # type: ignore[method-assign]
    Table.query = _query_without_table_sort(Table.query)  # type: ignore[method-assign]
    SQSBackend.is_message_valid_based_on_retention_period = _message_within_retention  # type: ignore[method-assign]
    DynamoResult.execute_result = _json_answers(DynamoResult.execute_result)  # type: ignore[method-assign]
    DynamoHandler.parse_parameters = _json_requests(DynamoHandler.parse_parameters)  # type: ignore[method-assign]
    moto_backends.list_of_moto_modules = _computed_once(moto_backends.list_of_moto_modules)
    moto_responses.method_names_from_class = _computed_once(moto_responses.method_names_from_class)  # type: ignore[attr-defined]
    parse = UpdateExpressionParser.make.__func__
    if not getattr(parse, "_computed_once", False):
        UpdateExpressionParser.make = classmethod(_computed_once(parse))
    ConditionExpressionParser.parse = _conditions_parsed_once(ConditionExpressionParser.parse)  # type: ignore[method-assign]
