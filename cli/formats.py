"""Readers for `adcalc batch`: tables arrive in chunks of rows, whatever the file format.

This module holds the format names and the text and JSON readers (the chunk types are in
chunks.py); numpy and Arrow files are read by binary_formats.py.

A reader yields `Chunk`s: the variables as float64 columns (NaN where a cell is missing or not
a number, with a per-row problem message), the other columns as they came (text for CSV, JSON
values for JSON) so they pass through unchanged. Text formats are read in blocks of whole lines
as soon as they arrive, so a pipe streams. CSV is parsed by pyarrow when it is installed (its
multi-threaded parser is the fastest available), else by the csv module; both give the same rows.
"""

from __future__ import annotations

import csv
import io
import json
import select
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from adcalc.errors import UsageError

from .chunks import BLOCK_ROWS, Chunk, Source, check_columns, to_floats
from .writers import arrow_module

TEXT_FORMATS = {"csv": ",", "tsv": "\t"}
INPUT_FORMATS = ("csv", "tsv", "jsonl", "json", "npy", "npz", "parquet", "arrow")
EXTENSIONS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
EXTENSIONS.update({".json": "json", ".npy": "npy", ".npz": "npz", ".parquet": "parquet", ".arrow": "arrow"})
EXTENSIONS[".feather"] = "arrow"
BLOCK_BYTES = 4 << 20  # text read per chunk: ~40k rows of ten numbers, bounded memory


def format_of(path: str, given: str | None, default: str | None = None) -> str:
    """The format named by --input-format/--format, or by the file's extension."""
    if given:
        name = given.lower().lstrip(".")
        name = {"ndjson": "jsonl", "feather": "arrow"}.get(name, name)
        return name
    found = EXTENSIONS.get(Path(path).suffix.lower())
    if found is None:
        if default:
            return default
        raise UsageError(f"cannot tell the format of {path!r}: give --input-format/--format")
    return found


def open_source(path: str, fmt: str, variables: Sequence[str], use_arrow: bool = True) -> Source:
    """The chunks of an input file ('-' for standard input) in the given format."""
    if fmt not in INPUT_FORMATS:
        raise UsageError(f"unknown input format {fmt!r} (choose from {', '.join(INPUT_FORMATS)})")
    if fmt in ("parquet", "arrow"):
        from .binary_formats import arrow_source

        return arrow_source(path, fmt, variables)
    stream = _open_binary(path)
    size = None if path == "-" else Path(path).stat().st_size
    if fmt in TEXT_FORMATS:
        return _text_source(stream, TEXT_FORMATS[fmt], variables, size, use_arrow)
    if fmt == "jsonl":
        source = Source([], iter(()), size)
        source.chunks = _jsonl_chunks(stream, variables, source)
        return source
    if fmt == "json":
        return _json_source(stream, variables, size)
    from .binary_formats import numpy_source

    return numpy_source(stream, fmt, variables, size)


def _open_binary(path: str) -> BinaryIO:
    if path == "-":
        return sys.stdin.buffer
    try:
        return open(path, "rb")  # noqa: SIM115  (closed by the generator that reads it)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


# --- text: blocks of whole lines, as soon as they arrive ----------------------------------------
def line_blocks(stream: BinaryIO, source: Source) -> Iterator[bytes]:
    """Blocks of complete lines: up to BLOCK_BYTES, or whatever a pipe has delivered so far."""
    read = getattr(stream, "read1", stream.read)
    parts: list[bytes] = []
    held = 0
    while True:
        data = read(BLOCK_BYTES)
        source.position[0] += len(data)
        if not data:
            tail = b"".join(parts)
            if tail.strip():
                yield tail if tail.endswith(b"\n") else tail + b"\n"
            return
        parts.append(data)
        held += len(data)
        if held < BLOCK_BYTES and _more_waiting(stream):
            continue  # more is there already: fill the block
        block = b"".join(parts)
        cut = block.rfind(b"\n") + 1
        parts, held = ([block[cut:]], len(block) - cut) if cut < len(block) else ([], 0)
        if cut:
            yield block[:cut]


def _more_waiting(stream: BinaryIO) -> bool:
    try:
        return bool(select.select([stream], [], [], 0)[0])
    except (OSError, ValueError, io.UnsupportedOperation):
        return True  # not selectable (BytesIO): read on


def _text_source(
    stream: BinaryIO, delimiter: str, variables: Sequence[str], size: int | None, use_arrow: bool
) -> Source:
    header_line = stream.readline()
    if not header_line.strip():
        raise UsageError("the input is empty: a header line naming the columns is needed")
    header = next(csv.reader([header_line.decode("utf-8-sig").rstrip("\r\n")], delimiter=delimiter))
    header = [name.strip() for name in header]
    source = Source(header, iter(()), size, [len(header_line)])
    check_columns(header, variables)
    parse = use_arrow and _arrow_csv_parser(header, delimiter, variables)
    parse = parse or _python_csv_parser(header, delimiter, variables)

    def chunks() -> Iterator[Chunk]:
        with stream:
            for block in line_blocks(stream, source):
                yield parse(block)

    source.chunks = chunks()
    return source


def _python_csv_parser(header: list[str], delimiter: str, variables: Sequence[str]) -> Any:
    def parse(block: bytes) -> Chunk:
        rows = [row for row in csv.reader(io.StringIO(block.decode("utf-8")), delimiter=delimiter) if row]
        problems: dict[int, str] = {}
        for k, row in enumerate(rows):
            if len(row) != len(header):
                problems[k] = f"expected {len(header)} fields but found {len(row)}"
        columns = {name: [row[j] if j < len(row) else "" for row in rows] for j, name in enumerate(header)}
        numbers = {name: to_floats(columns[name], name, problems) for name in variables}
        others = {name: columns[name] for name in header if name not in numbers}
        return Chunk(len(rows), numbers, others, problems)

    return parse


def _arrow_csv_parser(header: list[str], delimiter: str, variables: Sequence[str]) -> Any:
    pa = arrow_module()
    if pa is None:
        return None
    import pyarrow.csv as pcsv

    types = {name: pa.float64() if name in variables else pa.string() for name in header}
    read_options = pcsv.ReadOptions(column_names=header, use_threads=True)
    parse_options = pcsv.ParseOptions(delimiter=delimiter)
    convert = pcsv.ConvertOptions(
        column_types=types, null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    fallback = _python_csv_parser(header, delimiter, variables)

    def parse(block: bytes) -> Chunk:
        try:
            table = pcsv.read_csv(pa.py_buffer(block), read_options, parse_options, convert)
        except pa.ArrowInvalid:  # a non-numeric cell or a short row: let the csv module say where
            return fallback(block)
        problems: dict[int, str] = {}
        numbers = {}
        for name in variables:
            column = table.column(name)
            numbers[name] = column.to_numpy()  # nulls become NaN: missing values
        others = {name: table.column(name) for name in header if name not in numbers}
        return Chunk(table.num_rows, numbers, others, problems)

    return parse


# --- JSON ----------------------------------------------------------------------------------------
def _jsonl_chunks(stream: BinaryIO, variables: Sequence[str], source: Source) -> Iterator[Chunk]:
    with stream:
        for block in line_blocks(stream, source):
            records: list[Any] = []
            problems: dict[int, str] = {}
            for line in block.splitlines():
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except ValueError as error:
                    record, problems[len(records)] = {}, f"invalid JSON: {error}"
                if not isinstance(record, dict):
                    record, problems[len(records)] = {}, "a JSON object was expected"
                records.append(record)
            for name in records[0] if records else ():
                if name not in source.columns:
                    source.columns.append(name)
            yield records_chunk(records, variables, problems)


def records_chunk(records: list[dict[str, Any]], variables: Sequence[str], problems: dict[int, str]) -> Chunk:
    """A chunk from JSON objects: keys are columns, a missing key is a missing value."""
    names = list(dict.fromkeys(key for record in records for key in record))
    numbers = {name: to_floats([r.get(name) for r in records], name, problems) for name in variables}
    others = {name: [r.get(name) for r in records] for name in names if name not in numbers}
    return Chunk(len(records), numbers, others, problems)


def _json_source(stream: BinaryIO, variables: Sequence[str], size: int | None) -> Source:
    with stream:
        text = stream.read()
    try:
        records = json.loads(text)
    except ValueError as error:
        raise UsageError(f"the input is not valid JSON: {error}") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UsageError("JSON input must be an array of objects (or use JSON Lines)")
    columns = list(dict.fromkeys(key for record in records[:1000] for key in record))
    source = Source(columns, iter(()), size, [len(text)])
    source.chunks = (
        records_chunk(records[k : k + BLOCK_ROWS], variables, {}) for k in range(0, len(records), BLOCK_ROWS)
    )
    return source
