"""Readers for `adcalc batch`: tables arrive in chunks of rows, whatever the file format.

This module holds the format names and the text and JSON readers (the chunk types are in
chunks.py); numpy and Arrow files are read by binary_formats.py.

A reader yields `Chunk`s: the variables as float64 columns (NaN where a cell is missing or not
a number, with a per-row problem message), the other columns as they came (text for CSV, JSON
values for JSON) so they pass through unchanged. Text formats are read in blocks of whole lines
as soon as they arrive, so a pipe streams. CSV is parsed by pyarrow when it is installed (its
multi-threaded parser is the fastest available), else by the csv module; both give the same rows.

An input is one file, standard input, a directory (its files of the format, in natural order), a
glob, or an fsspec URL (s3://, gs://, file://, memory://, ... also a directory or a glob there):
find_inputs resolves it to files, which are read one after the other as one table.
"""

from __future__ import annotations

import csv
import glob
import io
import json
import os
import re
import select
import sys
from collections.abc import Callable, Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
from adcalc.errors import UsageError

from .chunks import ABSENT, BLOCK_ROWS, Chunk, InputFile, Source, check_columns, shown_names, to_floats
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


# --- inputs: a file, standard input, a directory, a glob or an fsspec URL ------------------------
URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*(://|::)")  # s3://..., memory://..., simplecache::s3://...
GLOB = re.compile(r"[*?[]")


def is_url(path: str) -> bool:
    """True for an fsspec URL (a protocol and ://, or a chained URL with ::)."""
    return bool(URL.match(path))


def find_inputs(
    path: str, given: str | None, allowed: Sequence[str] = INPUT_FORMATS
) -> tuple[list[InputFile], str]:
    """The files of an input and their one format (from --input-format, else their extensions)."""
    if path == "-":
        stdin = InputFile("standard input", None, lambda: sys.stdin.buffer)
        return [stdin], _allowed(format_of(path, given, default="csv"), allowed)
    if not is_url(path) and os.path.exists(path) and not (os.path.isfile(path) or os.path.isdir(path)):
        # a named pipe, /dev/stdin, bash's <(...): read as a stream, CSV unless told, like -
        stream = InputFile(path, None, lambda: _open_local(path))
        return [stream], _allowed(format_of(path, given, default="csv"), allowed)
    files, listed = _remote_files(path) if is_url(path) else _local_files(path)
    if not listed:  # one file, named as it is: its extension or --input-format says the format
        return files, _allowed(format_of(files[0].name, given), allowed)
    fmt = format_of("", given) if given else None
    if listed == "directory":  # a directory may hold other files too: take its tables
        files = [f for f in files if _by_extension(f.name) and (fmt is None or _by_extension(f.name) == fmt)]
    if not files:
        raise UsageError(f"{path} holds no {fmt or 'table'} files")
    if fmt is None:
        found = {_by_extension(f.name) for f in files}
        if None in found:
            unknown = next(f.name for f in files if _by_extension(f.name) is None)
            raise UsageError(f"cannot tell the format of {unknown!r}: give --input-format")
        if len(found) > 1:
            shown = ", ".join(sorted(str(name) for name in found))
            raise UsageError(f"{path} holds files of several formats ({shown}): give --input-format")
        fmt = str(found.pop())
    return files, _allowed(fmt, allowed)


def _by_extension(name: str) -> str | None:
    return EXTENSIONS.get(Path(name).suffix.lower())


def _allowed(fmt: str, allowed: Sequence[str]) -> str:
    if fmt not in allowed:
        raise UsageError(f"unknown input format {fmt!r} (choose from {', '.join(allowed)})")
    return fmt


def natural_key(name: str) -> list[Any]:
    """Sort key that compares the numbers in names as numbers: part.2 before part.10 (as Dask does)."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def _visible(name: str) -> bool:
    """Not a hidden or bookkeeping file (.DS_Store, _SUCCESS, _metadata of Spark and Dask)."""
    return not os.path.basename(name.rstrip("/")).startswith((".", "_"))


def _local_files(path: str) -> tuple[list[InputFile], str | None]:
    """(files, how they were listed: None for one file, "directory" or "glob")."""
    if os.path.isdir(path):
        names = [entry.path for entry in os.scandir(path) if entry.is_file() and _visible(entry.name)]
        listed: str | None = "directory"
    elif GLOB.search(path) and not os.path.exists(path):
        names, listed = [name for name in glob.glob(path) if os.path.isfile(name)], "glob"
        if not names:
            raise UsageError(f"no input files match {path!r}")
    else:
        if not os.path.isfile(path):
            reason = "no such file" if not os.path.exists(path) else "not a file"
            raise UsageError(f"cannot read {path}: {reason}")
        names, listed = [path], None
    files = [
        InputFile(name, os.path.getsize(name), lambda name=name: _open_local(name), name)
        for name in sorted(names, key=natural_key)
    ]
    return files, listed


def _open_local(path: str) -> BinaryIO:
    try:
        return open(path, "rb")  # noqa: SIM115  (closed by the generator that reads it)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror}") from None


def _remote_files(url: str) -> tuple[list[InputFile], str | None]:
    """The files of an fsspec URL (fsspec is imported only here: local inputs do not need it)."""
    try:
        import fsspec
    except ImportError:
        raise UsageError(f"reading {url} needs fsspec: pip install 'adcalc[remote]'") from None
    try:
        fs, root = fsspec.core.url_to_fs(url)
        if GLOB.search(root):
            infos, listed = list(fs.glob(root, detail=True).values()), "glob"
        elif fs.isdir(root):
            infos, listed = fs.ls(root, detail=True), "directory"
        else:
            infos, listed = [fs.info(root)], None
    except (ImportError, ValueError) as error:  # "Install s3fs to access S3", "Protocol not known"
        raise UsageError(f"cannot read {url}: {error}") from None
    except FileNotFoundError:
        raise UsageError(f"cannot read {url}: no such file") from None
    except OSError as error:
        raise UsageError(f"cannot read {url}: {error}") from None
    infos = [info for info in infos if info.get("type") != "directory" and _visible(info["name"])]
    if not infos:
        raise UsageError(f"no input files match {url!r}")

    def opener(name: str) -> Callable[[], BinaryIO]:
        def open_remote() -> BinaryIO:
            try:
                return fs.open(name, "rb")
            except OSError as error:
                raise UsageError(f"cannot read {fs.unstrip_protocol(name)}: {error}") from None

        return open_remote

    files = [
        InputFile(fs.unstrip_protocol(info["name"]), info.get("size"), opener(info["name"]))
        for info in sorted(infos, key=lambda info: natural_key(info["name"]))
    ]
    return files, listed


def open_source(path: str, given: str | None, variables: Sequence[str], use_arrow: bool = True) -> Source:
    """The chunks of an input (see find_inputs) read as one table; its format in Source.format."""
    files, fmt = find_inputs(path, given)
    first = _file_source(files[0], fmt, variables, use_arrow)
    first.format = fmt
    if len(files) == 1:
        return first
    whole = Source(first.columns, iter(()), sum(f.size or 0 for f in files) or None, format=fmt)

    def chunks() -> Iterator[Chunk]:
        done = 0
        for k, file in enumerate(files):
            part = first if k == 0 else _file_source(file, fmt, variables, use_arrow)
            if fmt not in ("jsonl", "json") and part.columns != first.columns:
                # Columns are found by name, but the passed-through ones would silently go
                # missing or change place: one table needs one header.
                raise UsageError(
                    f"{file.name} has the columns {shown_names(part.columns)} but {files[0].name} has "
                    f"{shown_names(first.columns)}: the files of one input need the same columns"
                )
            for chunk in part.chunks:
                whole.position[0] = done + part.position[0]
                if chunk.names:
                    grow(whole.columns, chunk.names)
                yield chunk
            done += file.size or 0

    whole.chunks = chunks()
    return whole


def empty_chunk(variables: Sequence[str]) -> Chunk:
    """A chunk of no rows (a header alone)."""
    return Chunk(0, {name: np.empty(0) for name in variables}, {}, {})


def grow(columns: list[str], names: Sequence[str]) -> None:
    """Add to a JSON input's columns the keys it had not had, in order of first appearance."""
    known = set(columns)
    columns.extend(name for name in names if name not in known)


def _growing(columns: list[str], chunks: Iterator[Chunk]) -> Iterator[Chunk]:
    """The chunks, the first read at once: a JSON input's columns are the keys of its records,
    known (for --keep and a CSV header) from the first block on and grown with every block."""
    first = next(chunks, None)
    if first is None:
        return iter(())
    grow(columns, first.names or ())

    def every() -> Iterator[Chunk]:
        yield first
        for chunk in chunks:
            grow(columns, chunk.names or ())
            yield chunk

    return every()


def _file_source(file: InputFile, fmt: str, variables: Sequence[str], use_arrow: bool) -> Source:
    """The chunks of one file in the given format."""
    if fmt in ("parquet", "arrow"):
        from .binary_formats import arrow_source

        return arrow_source(file, fmt, variables)
    stream = file.open()
    if fmt in TEXT_FORMATS:
        return _text_source(stream, TEXT_FORMATS[fmt], variables, file.size, use_arrow)
    if fmt == "jsonl":
        source = Source([], iter(()), file.size)
        source.chunks = _growing(source.columns, _jsonl_chunks(stream, variables, source))
        return source
    if fmt == "json":
        return _json_source(stream, variables, file.size)
    from .binary_formats import numpy_source

    return numpy_source(stream, fmt, variables, file.size)


# --- text: blocks of whole records, as soon as they arrive --------------------------------------
# A record ends at a line break (LF, CRLF or a lone CR, as both CSV parsers read them) that is not
# inside a quoted field. A block handed to a parser always ends at such a break, so a quoted field
# holding line breaks is never cut in two, whatever the block or pipe boundaries.
MAX_RECORD_BYTES = 64 << 20  # one row (a header, a line of JSON) at most: memory stays bounded
MAX_RECORD = "64 MiB"
BOM = b"\xef\xbb\xbf"


def _record_pattern(delimiter: str) -> bytes:
    """One CSV record, its line break included, with the states of the csv module (strict=False)
    and pyarrow: a quote opens a quoted field only at the start of a field, "" inside one is a
    quote, a quote anywhere else is a character."""
    d = re.escape(delimiter.encode())
    quoted = rb"(?<![^" + d + rb'\r\n])"(?:[^"]|"")*+"'
    literal = rb"(?<=[^" + d + rb'\r\n])"'
    return rb"(?:[^\"\r\n]++|" + quoted + rb"|" + literal + rb")*+(?:\r\n?|\n)"


@cache
def record_scanner(delimiter: str) -> re.Pattern[bytes]:
    """A pattern whose match at a record start ends after the last complete record."""
    return re.compile(rb"(?:" + _record_pattern(delimiter) + rb")*+")


@cache
def _one_record(delimiter: str) -> re.Pattern[bytes]:
    return re.compile(_record_pattern(delimiter))


def _record_end(block: bytes, delimiter: str | None) -> int:
    """Where the complete records of the block end (0: not one yet)."""
    if delimiter is None:  # JSON Lines: a JSON text holds no raw line break
        return block.rfind(b"\n") + 1
    if b'"' not in block:  # nothing quoted (the common case): after the last line break
        return max(block.rfind(b"\n"), block.rfind(b"\r")) + 1
    return record_scanner(delimiter).match(block).end()


def line_blocks(
    stream: BinaryIO, source: Source, delimiter: str | None = None
) -> Iterator[tuple[bytes, bool]]:
    """(block, closed): blocks of complete records, up to BLOCK_BYTES or whatever a pipe has
    delivered so far; the last one may end inside a quoted field that is never closed (closed
    False). `delimiter` None: JSON Lines, records end at LF only."""
    read = getattr(stream, "read1", stream.read)
    parts: list[bytes] = []
    held = 0
    scan_at = 0  # bytes to hold before looking for a record end again (a long record: doubling)
    line = 1  # of the first byte held, for messages
    start = True  # a byte-order mark may come first: it is no part of the first record
    while True:
        data = read(BLOCK_BYTES)
        source.position[0] += len(data)
        if not data:
            tail = b"".join(parts)
            tail = tail.removeprefix(BOM) if start else tail
            if tail:
                closed = _record_end(tail + b"\n", delimiter) == len(tail) + 1
                yield (tail if tail.endswith((b"\n", b"\r")) or not closed else tail + b"\n"), closed
            return
        parts.append(data)
        held += len(data)
        if held < BLOCK_BYTES and _more_waiting(stream) or held < scan_at:
            continue  # more is there already: fill the block
        block = b"".join(parts)
        if start and len(block) >= len(BOM):
            block, start = block.removeprefix(BOM), False
        elif start:
            continue  # too few bytes yet to tell
        cut = _record_end(block, delimiter)
        parts, held = ([block[cut:]], len(block) - cut) if cut < len(block) else ([], 0)
        if held > MAX_RECORD_BYTES:
            where = line + block.count(b"\n", 0, cut)
            raise UsageError(f"line {where}: a row longer than {MAX_RECORD} (is a quoted field not closed?)")
        # Not one record end in a long block: look again only once it has doubled, so that a
        # long record arriving in small pieces (a pipe) is scanned a few times, not once a piece.
        scan_at = 2 * held if not cut and held > 1 << 16 else 0
        if cut:
            line += block.count(b"\n", 0, cut)
            yield block[:cut], True


def _more_waiting(stream: BinaryIO) -> bool:
    try:
        return bool(select.select([stream], [], [], 0)[0])
    except (OSError, ValueError, io.UnsupportedOperation):
        return True  # not selectable (BytesIO): read on


def _text_source(
    stream: BinaryIO, delimiter: str, variables: Sequence[str], size: int | None, use_arrow: bool
) -> Source:
    source = Source([], iter(()), size)
    blocks = line_blocks(stream, source, delimiter)
    first, closed = next(blocks, (b"", True))
    first = first.lstrip(b"\r\n")  # blank lines before the header, as blank lines elsewhere
    if not first:
        stream.close()
        raise UsageError("the input is empty: a header line naming the columns is needed")
    if not closed and record_scanner(delimiter).match(first).end() == 0:
        stream.close()
        raise UsageError("the header line has a quoted field that is not closed")
    scanner_end = _first_record_end(first, delimiter)
    header = parse_header(first[:scanner_end], delimiter)
    source.columns = header
    check_columns(header, variables)
    parse = use_arrow and _arrow_csv_parser(header, delimiter, variables)
    parse = parse or _python_csv_parser(header, delimiter, variables)
    rest = first[scanner_end:]

    def chunks() -> Iterator[Chunk]:
        with stream:
            if rest.strip(b"\r\n") or not closed:
                yield parse(rest, closed)
            for block, ends in blocks:
                yield parse(block, ends)

    source.chunks = chunks()
    return source


def _first_record_end(block: bytes, delimiter: str) -> int:
    """The end of the block's first record (its line break included)."""
    if b'"' not in block:
        ends = [k for k in (block.find(b"\n"), block.find(b"\r")) if k >= 0]
        end = min(ends) if ends else len(block) - 1
        return end + 2 if block[end : end + 2] == b"\r\n" else end + 1
    match = _one_record(delimiter).match(block)
    return match.end() if match else len(block)


def parse_header(line: bytes, delimiter: str) -> list[str]:
    """The column names of a header line (spaces around names dropped; a byte-order mark before
    it is dropped by line_blocks)."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError as error:
        utf16 = (
            " (UTF-16? convert it: iconv -f UTF-16 -t UTF-8)"
            if line[:2] in (b"\xff\xfe", b"\xfe\xff")
            else ""
        )
        raise UsageError(
            f"the header line is not valid UTF-8 (byte 0x{line[error.start]:02x} at byte {error.start + 1})"
            + utf16
        ) from None
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    return [name.strip() for name in (rows[0] if rows else [])]


SURROGATE = re.compile("[\udc80-\udcff]")  # a byte that is not UTF-8, as surrogateescape keeps it


def _python_csv_parser(header: list[str], delimiter: str, variables: Sequence[str]) -> Any:
    csv.field_size_limit(MAX_RECORD_BYTES)  # one field may be as long as one row (default: 128 KiB)

    def parse(block: bytes, closed: bool = True) -> Chunk:
        try:
            text, bad = block.decode("utf-8"), False
        except UnicodeDecodeError:
            text, bad = block.decode("utf-8", "surrogateescape"), True
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=False)
        rows = [row for row in reader if row]
        problems: dict[int, str] = {}
        if bad:
            _mark_bad_bytes(rows, problems)
        if not closed and rows:
            problems[len(rows) - 1] = "a quoted field is not closed: the row runs to the end of the input"
        for k, row in enumerate(rows):
            if len(row) != len(header):
                problems.setdefault(k, f"expected {len(header)} fields but found {len(row)}")
        columns = {name: [row[j] if j < len(row) else "" for row in rows] for j, name in enumerate(header)}
        numbers = {name: to_floats(columns[name], name, problems) for name in variables}
        others = {name: columns[name] for name in header if name not in numbers}
        return Chunk(len(rows), numbers, others, problems)

    return parse


def _mark_bad_bytes(rows: list[list[str]], problems: dict[int, str]) -> None:
    """Fail each row that holds a byte that is not UTF-8; its cells get U+FFFD in its place
    (text that is not UTF-8 cannot be written as CSV or JSON text)."""
    for k, row in enumerate(rows):
        for j, cell in enumerate(row):
            if SURROGATE.search(cell):
                problem, row[j] = bad_bytes_replaced(cell, j + 1)
                problems.setdefault(k, problem)


def bad_bytes_replaced(cell: str, field: int) -> tuple[str, str]:
    """(why a cell that holds a byte that is not UTF-8 (SURROGATE finds one) fails its row; the
    cell with U+FFFD for each such byte). `field` counts from 1."""
    byte = ord(SURROGATE.search(cell).group()) - 0xDC00  # type: ignore[union-attr]
    problem = f"field {field} is not valid UTF-8 (byte 0x{byte:02x}): written with U+FFFD"
    return problem, SURROGATE.sub("\ufffd", cell)


def _arrow_csv_parser(header: list[str], delimiter: str, variables: Sequence[str]) -> Any:
    pa = arrow_module()
    if pa is None:
        return None
    import pyarrow.csv as pcsv

    types = {name: pa.float64() if name in variables else pa.string() for name in header}
    read_options = pcsv.ReadOptions(column_names=header, use_threads=True)
    plain = pcsv.ParseOptions(delimiter=delimiter)
    # With line breaks inside quoted fields, pyarrow must find its own block ends quote-aware.
    quoted = pcsv.ParseOptions(delimiter=delimiter, newlines_in_values=True)
    convert = pcsv.ConvertOptions(
        column_types=types, null_values=[""], strings_can_be_null=False, quoted_strings_can_be_null=False
    )
    fallback = _python_csv_parser(header, delimiter, variables)

    def parse(block: bytes, closed: bool = True) -> Chunk:
        if not closed or not block.strip(b"\r\n") or block.startswith(BOM):
            return fallback(block, closed)  # (pyarrow would drop U+FEFF at the start of a cell)
        try:
            options = quoted if b'"' in block else plain
            table = pcsv.read_csv(pa.py_buffer(block), read_options, options, convert)
        except pa.ArrowInvalid:  # a non-numeric cell, a short row, not UTF-8: the csv module says where
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
        for block, _ in line_blocks(stream, source):
            records: list[Any] = []
            problems: dict[int, str] = {}
            # Lines end at LF only (a CR is JSON whitespace, and U+2028 is a character of a string).
            for line in block.split(b"\n"):
                if not line.strip(b" \t\r"):
                    continue  # a blank line is no record
                problem = None
                try:
                    text = line.decode("utf-8")
                    record = json.loads(text, object_pairs_hook=_json_object)
                except UnicodeDecodeError as error:
                    record, problem = {}, f"the line is not valid UTF-8 (byte 0x{line[error.start]:02x})"
                except ValueError as error:
                    record, problem = {}, f"invalid JSON: {error}"
                except RecursionError:
                    record, problem = {}, "invalid JSON: nested too deeply"
                if problem is None and not isinstance(record, dict):
                    record, problem = {}, "a JSON object was expected"
                if problem is None and _ESCAPED_SURROGATE.search(line) and lone_surrogate(record):
                    record, problem = {}, "invalid JSON: a \\u escape of a lone surrogate (not Unicode text)"
                if problem is not None:
                    problems[len(records)] = problem
                records.append(record)
            yield records_chunk(records, variables, problems)


_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")  # the only way JSON text gets one


def lone_surrogate(value: Any) -> bool:
    """True when a JSON value holds a surrogate code point without its pair (\\ud800 alone):
    text that no UTF-8 output can hold."""
    if isinstance(value, str):
        return bool(_SURROGATE_CHAR.search(value))
    if isinstance(value, dict):
        return any(lone_surrogate(key) or lone_surrogate(item) for key, item in value.items())
    if isinstance(value, list):
        return any(lone_surrogate(item) for item in value)
    return False


_SURROGATE_CHAR = re.compile("[\ud800-\udfff]")


class _Repeated(dict[str, Any]):
    """A JSON object in which a key appears twice (json keeps the last value without a word)."""

    key = ""


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    record = dict(pairs)
    if len(record) == len(pairs):
        return record
    repeated = _Repeated(record)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            repeated.key = key
            break
        seen.add(key)
    return repeated


def records_chunk(records: list[dict[str, Any]], variables: Sequence[str], problems: dict[int, str]) -> Chunk:
    """A chunk from JSON objects: keys are columns, a missing key is a missing value; an object
    with a repeated key fails its row (which of the two values is meant cannot be known)."""
    for k, record in enumerate(records):
        if type(record) is _Repeated:
            problems.setdefault(k, f"the key {record.key!r} appears twice in the object")
    names = list(dict.fromkeys(key for record in records for key in record))
    numbers = {name: to_floats([r.get(name) for r in records], name, problems) for name in variables}
    others = {name: [r.get(name, ABSENT) for r in records] for name in names if name not in numbers}
    return Chunk(len(records), numbers, others, problems, names)


def _json_source(stream: BinaryIO, variables: Sequence[str], size: int | None) -> Source:
    with stream:
        text = stream.read()
    try:
        records = json.loads(text, object_pairs_hook=_json_object)
    except ValueError as error:
        raise UsageError(f"the input is not valid JSON: {error}") from None
    except RecursionError:
        raise UsageError("the input is not valid JSON: nested too deeply") from None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise UsageError("JSON input must be an array of objects (or use JSON Lines)")
    if _ESCAPED_SURROGATE.search(text) and lone_surrogate(records):
        raise UsageError("the input is not valid JSON text: a \\u escape of a lone surrogate")
    columns = list(dict.fromkeys(key for record in records for key in record))
    source = Source(columns, iter(()), size, [len(text)])
    source.chunks = (
        records_chunk(records[k : k + BLOCK_ROWS], variables, {}) for k in range(0, len(records), BLOCK_ROWS)
    )
    return source
