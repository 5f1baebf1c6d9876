"""Import files: check a whole file is readable and cut it into batches; parse a batch's rows.

Pure (no AWS): :func:`plan_file` reads the file once as a stream of bytes and either finds it
unreadable (not UTF-8, no header, unknown or missing columns, too large) or returns where each
batch of rows starts and ends, in bytes and in lines. Every batch is then parsed on its own by
:func:`parse_batch`, from its byte range, so batches can run anywhere, in any order.

Row numbers are lines of the file counted from 1 (a CSV header is line 1); a CSV row whose
quoted field spans lines is numbered by its first line.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError

from shared.models.jobs import MAX_IMPORT_BYTES, REQUIRED_COLUMNS, ROW_FIELDS, ImportFormat
from shared.models.product import ProductFields, parse_json
from shared.problems import FieldError, field_errors_from_pydantic

ROWS_PER_BATCH = 500
_BOM = codecs.BOM_UTF8
_INTEGER_FIELDS = frozenset({"inventory", "low_stock_threshold"})
_INTEGER = re.compile(r"^[+-]?\d{1,12}$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")


class UnreadableFile(Exception):
    """The file cannot be imported at all; ``str(error)`` is the job's ``detail``."""


@dataclass(frozen=True)
class BatchRange:
    """Where one batch lies in the file: bytes ``[start, end)``, starting at line ``first_line``."""

    number: int
    start: int
    end: int
    first_line: int
    rows: int


@dataclass(frozen=True)
class FilePlan:
    """A readable file: its columns (CSV), row count and batches."""

    columns: tuple[str, ...]
    total: int
    batches: tuple[BatchRange, ...]


@dataclass(frozen=True)
class ParsedRow:
    """One row: its line, the SKU it names (if any), and valid fields or what is wrong."""

    line: int
    sku: str | None
    fields: ProductFields | None
    errors: tuple[FieldError, ...] = ()


def _lines(chunks: Iterable[bytes], limit: int) -> Iterator[bytes]:
    """The file's physical lines (with their newline), checking UTF-8 and size as bytes arrive."""
    decoder = codecs.getincrementaldecoder("utf-8")(errors="strict")
    buffered = b""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            raise UnreadableFile(f"the file is larger than the {limit // (1024 * 1024)} MiB limit")
        try:
            decoder.decode(chunk)
        except UnicodeDecodeError as error:
            raise UnreadableFile(
                f"the file is not UTF-8 text (invalid byte near offset {size - len(chunk) + error.start})"
            ) from error
        buffered += chunk
        *complete, buffered = buffered.split(b"\n")
        for line in complete:
            yield line + b"\n"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError as error:
        raise UnreadableFile("the file is not UTF-8 text (it ends inside a character)") from error
    if buffered:
        yield buffered


def _records(lines: Iterator[bytes], file_format: ImportFormat) -> Iterator[tuple[int, int, bytes]]:
    """``(first line, byte offset, bytes)`` of each record; a CSV record ends outside quotes."""
    line_number = 0
    offset = 0
    pending = b""
    pending_line = pending_offset = 0
    for line in lines:
        line_number += 1
        if not pending:
            pending_line, pending_offset = line_number, offset
        pending += line
        offset += len(line)
        # RFC 4180: a newline inside a quoted field is data; quotes are balanced at a record's end.
        if file_format == "csv" and pending.count(b'"') % 2 == 1:
            continue
        yield pending_line, pending_offset, pending
        pending = b""
    if pending:
        yield pending_line, pending_offset, pending


def _csv_columns(header: bytes) -> tuple[str, ...]:
    text = header.removeprefix(_BOM).decode("utf-8").strip("\r\n")
    if not text.strip():
        raise UnreadableFile("the CSV file has no header row naming its columns")
    columns = tuple(next(csv.reader([text])))
    unknown = [column for column in columns if column not in ROW_FIELDS]
    if unknown:
        raise UnreadableFile(f"unknown columns {unknown}; the columns are {list(ROW_FIELDS)}")
    if len(set(columns)) != len(columns):
        raise UnreadableFile("a column is named twice in the header row")
    missing = [column for column in REQUIRED_COLUMNS if column not in columns]
    if missing:
        raise UnreadableFile(f"the header row lacks the required columns {missing}")
    return columns


def plan_file(
    chunks: Iterable[bytes],
    file_format: ImportFormat,
    *,
    rows_per_batch: int = ROWS_PER_BATCH,
    limit: int = MAX_IMPORT_BYTES,
) -> FilePlan:
    """Check the whole file and cut it into batches of ``rows_per_batch`` rows.

    Raises
    ------
    UnreadableFile
        When the file is not UTF-8, over ``limit`` bytes, or (CSV) has no usable header row.
    """
    records = _records(_lines(chunks, limit), file_format)
    columns: tuple[str, ...] = ()
    if file_format == "csv":
        first = next(records, None)
        if first is None:
            raise UnreadableFile("the CSV file is empty: it needs a header row naming its columns")
        columns = _csv_columns(first[2])
    batches: list[BatchRange] = []
    total = 0
    start = first_line = end = count = 0
    for line, offset, data in records:
        if not data.strip():
            continue
        if count == 0:
            start, first_line = offset, line
        count += 1
        total += 1
        end = offset + len(data)
        if count == rows_per_batch:
            batches.append(BatchRange(len(batches), start, end, first_line, count))
            count = 0
    if count:
        batches.append(BatchRange(len(batches), start, end, first_line, count))
    return FilePlan(columns=columns, total=total, batches=tuple(batches))


def _csv_value(name: str, value: str) -> Any:
    if name in _INTEGER_FIELDS:
        return int(value) if _INTEGER.match(value.strip()) else value
    if name == "price":
        try:
            return Decimal(value.strip()) if _NUMBER.match(value.strip()) else value
        except InvalidOperation:
            return value
    return value


def _validated(line: int, document: dict[str, Any]) -> ParsedRow:
    sku = document.get("sku")
    sku = sku if isinstance(sku, str) else None
    try:
        return ParsedRow(line=line, sku=sku, fields=ProductFields.model_validate(document))
    except ValidationError as error:
        errors = tuple(field_errors_from_pydantic(error.errors()))
        return ParsedRow(line=line, sku=sku, fields=None, errors=errors)


def _csv_rows(data: bytes, columns: tuple[str, ...], first_line: int) -> Iterator[ParsedRow]:
    reader = csv.reader(io.StringIO(data.removeprefix(_BOM).decode("utf-8"), newline=""))
    while True:
        line = first_line + reader.line_num
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield ParsedRow(line, None, None, (FieldError(field="row", message=f"not valid CSV: {error}"),))
            continue
        if not cells or not any(cell.strip() for cell in cells):
            continue
        if len(cells) != len(columns):
            message = f"has {len(cells)} values for {len(columns)} columns"
            sku = cells[columns.index("sku")] if len(cells) > columns.index("sku") else None
            yield ParsedRow(line, sku, None, (FieldError(field="row", message=message),))
            continue
        # An empty optional cell means "the default", as an absent JSON member does.
        document = {
            name: _csv_value(name, value) for name, value in zip(columns, cells, strict=True) if value != ""
        }
        yield _validated(line, document)


def _jsonl_rows(data: bytes, first_line: int) -> Iterator[ParsedRow]:
    for offset, raw in enumerate(data.decode("utf-8").split("\n")):
        if not raw.strip():
            continue
        line = first_line + offset
        try:
            document = parse_json(raw)
        except ValueError:
            yield ParsedRow(line, None, None, (FieldError(field="row", message="is not valid JSON"),))
            continue
        if not isinstance(document, dict):
            yield ParsedRow(line, None, None, (FieldError(field="row", message="must be a JSON object"),))
            continue
        yield _validated(line, document)


def parse_batch(
    data: bytes, file_format: ImportFormat, columns: tuple[str, ...], first_line: int
) -> list[ParsedRow]:
    """Every row in one batch's bytes, valid or not, with its line in the file."""
    if file_format == "csv":
        return list(_csv_rows(data, columns, first_line))
    return list(_jsonl_rows(data, first_line))
