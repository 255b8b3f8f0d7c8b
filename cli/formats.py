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
from pathlib import Path
from typing import Any, BinaryIO

from adcalc.errors import UsageError

from .chunks import BLOCK_ROWS, Chunk, InputFile, Source, check_columns, to_floats
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
                    f"{file.name} has the columns {', '.join(part.columns)} but {files[0].name} has "
                    f"{', '.join(first.columns)}: the files of one input need the same columns"
                )
            for chunk in part.chunks:
                whole.position[0] = done + part.position[0]
                yield chunk
            done += file.size or 0

    whole.chunks = chunks()
    return whole


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
        source.chunks = _jsonl_chunks(stream, variables, source)
        return source
    if fmt == "json":
        return _json_source(stream, variables, file.size)
    from .binary_formats import numpy_source

    return numpy_source(stream, fmt, variables, file.size)


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
    header = parse_header(header_line, delimiter)
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


def parse_header(line: bytes, delimiter: str) -> list[str]:
    """The column names of a header line (a byte-order mark and spaces around names dropped)."""
    text = line.decode("utf-8-sig", "replace").rstrip("\r\n")
    return [name.strip() for name in next(csv.reader([text], delimiter=delimiter), [])]


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
                    record = json.loads(line, object_pairs_hook=_json_object)
                except ValueError as error:
                    record, problems[len(records)] = {}, f"invalid JSON: {error}"
                if not isinstance(record, dict):
                    record, problems[len(records)] = {}, "a JSON object was expected"
                records.append(record)
            for name in records[0] if records else ():
                if name not in source.columns:
                    source.columns.append(name)
            yield records_chunk(records, variables, problems)


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
    others = {name: [r.get(name) for r in records] for name in names if name not in numbers}
    return Chunk(len(records), numbers, others, problems)


def _json_source(stream: BinaryIO, variables: Sequence[str], size: int | None) -> Source:
    with stream:
        text = stream.read()
    try:
        records = json.loads(text, object_pairs_hook=_json_object)
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
