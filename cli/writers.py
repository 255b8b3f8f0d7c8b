"""Writers for `adcalc batch`: CSV/TSV, JSON Lines, JSON, and Parquet/Arrow with pyarrow.

A writer receives chunks as ordered columns: results are float64 arrays with a mask of the rows
that failed (written empty: CSV empty cell, JSON null), passed-through columns come as they were
read, the `error` column is text or None. Every chunk is flushed, so a pipe sees rows early.
Numbers are written in the shortest form that reads back to the same float; NaN and infinities
as nan/inf in CSV and "NaN"/"Infinity"/"-Infinity" in JSON (see jsonout.py).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from collections.abc import Sequence
from functools import cache
from typing import Any, BinaryIO

import numpy as np
from adcalc.errors import UsageError

from .chunks import ABSENT
from .jsonout import dumps

OUTPUT_FORMATS = ("csv", "tsv", "jsonl", "json", "parquet", "arrow")


def arrow_module(required: str | None = None) -> Any:
    """pyarrow, or None when it is not installed (a UsageError saying how to get it if required)."""
    try:
        import pyarrow
    except ImportError:
        if required:
            raise UsageError(f"{required} needs pyarrow: pip install 'adcalc[arrow]'") from None
        return None
    return pyarrow


class Column:
    """An output column: values, and for results the mask of rows that failed (written empty)."""

    __slots__ = ("name", "values", "failed", "text")

    def __init__(self, name: str, values: Any, failed: np.ndarray | None = None, text: bool = False) -> None:
        self.name, self.values, self.failed, self.text = name, values, failed, text

    def python(self) -> list[Any]:
        """Values as Python objects, None where the row failed."""
        values = self.values
        if _is_array(values):
            items = values.tolist()
        else:
            items = values.to_pylist() if hasattr(values, "to_pylist") else list(values)
        if self.failed is not None and self.failed.any():
            for k in np.flatnonzero(self.failed):
                items[k] = None
        return items

    def arrow(self, pa: Any) -> Any:
        if _is_array(self.values):
            failed = self.failed if self.failed is not None and self.failed.any() else None
            return pa.array(self.values, mask=failed)
        if hasattr(self.values, "combine_chunks"):
            return self.values.combine_chunks()
        if hasattr(self.values, "type"):
            return self.values
        if self.text:
            return pa.array(self.values, type=pa.string())
        values = [None if v is ABSENT else v for v in self.values]
        try:
            return pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed JSON values: write them as text
            return pa.array([None if v is None else cell_text(v) for v in values], type=pa.string())


def _is_array(values: Any) -> bool:
    return isinstance(values, np.ndarray)


def open_sink(path: str, fmt: str, text_engine: str | None = None) -> Any:
    """A writer for the output path ('-' for standard output) in the given format."""
    if fmt not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {fmt!r} (choose from {', '.join(OUTPUT_FORMATS)})")
    if fmt in ("parquet", "arrow"):
        arrow_module(required=f"{fmt} output")
        if path == "-":
            raise UsageError(f"{fmt} output must go to a file, not standard output")
    stream = sys.stdout.buffer if path == "-" else _create(path)
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        pa = arrow_module() if text_engine != "python" else None
        return ArrowCsvWriter(stream, delimiter, pa) if pa is not None else PythonCsvWriter(stream, delimiter)
    if fmt == "jsonl":
        return JsonWriter(stream, lines=True)
    if fmt == "json":
        return JsonWriter(stream, lines=False)
    return ArrowFileWriter(stream, fmt)


def _create(path: str) -> BinaryIO:
    try:
        return open(path, "wb")  # noqa: SIM115  (closed by the writer)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror}") from None


def write_all(stream: BinaryIO, data: bytes) -> None:
    """Every byte written, or BrokenPipeError.

    A pipe whose reader closes in the middle of a large write makes write(2) return a short
    count, and Python's buffered writer then gives up without an error: `batch ... | head`
    would exit 0 and count every row as written. So the bytes go to the file descriptor,
    and a short write is followed by the rest, which raises EPIPE once the reader is gone.
    """
    stream.flush()
    try:
        fd = stream.fileno()
    except (AttributeError, OSError, ValueError):  # an in-memory stream: nothing is short
        stream.write(data)
        return
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


class Writer:
    """Writes chunks in two steps: `encode` (pure, so chunks can be encoded on other threads
    while the next is read) and `emit` (in order: the header once, the bytes, a flush)."""

    def __init__(self, stream: BinaryIO) -> None:
        self.stream, self.started = stream, False

    def encode(self, columns: Sequence[Column]) -> Any:
        raise NotImplementedError

    def header(self, names: list[str]) -> bytes:
        return b""

    def emit(self, names: list[str], data: Any) -> None:
        if not self.started:
            write_all(self.stream, self.header(names))
            self.started = True
        write_all(self.stream, data)

    def close(self) -> None:
        self.stream.flush()
        if self.stream is not sys.stdout.buffer:
            self.stream.close()


# --- CSV/TSV text: one set of rules, two implementations ------------------------------------------
# Both writers produce the same bytes for the same columns (tested): the csv module's writer and
# pyarrow's write_csv each have their own float and quoting conventions (0.0 vs 0, quote when
# needed vs quote every string), so neither is used for the cells. The rules:
#   - a float is repr(float): the shortest text that reads back to the same float, inf/-inf/nan;
#   - a failed result, a missing value (None, null) is an empty cell;
#   - text is written as it is, quoted ("" for a quote) only when it holds a quote, the delimiter,
#     a carriage return or a line break; other values as their JSON text (true, [1, 2], ...);
#   - a line that would be empty (one column, empty cell) is written "" so that no reader skips it.
def _needs_quotes(delimiter: str) -> re.Pattern[str]:
    return re.compile('["\r\n' + re.escape(delimiter) + "]")


def _quote(cell: str, special: re.Pattern[str]) -> str:
    return '"' + cell.replace('"', '""') + '"' if special.search(cell) else cell


def _csv_line(names: list[str], delimiter: str) -> bytes:
    special = _needs_quotes(delimiter)
    line = delimiter.join(_quote(name, special) for name in names)
    return ((line or '""') + "\n").encode()


def cell_text(value: Any) -> str:
    """The CSV text of one passed-through Python value (text, JSON or numpy values)."""
    if value is None or value is ABSENT:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return json.dumps(value, ensure_ascii=False, default=str)  # JSON objects and arrays


def _python_cells(column: Column) -> tuple[list[str], bool]:
    """(the column's unquoted cell texts, whether it may need quoting) with the csv-module rules."""
    values = column.values
    if _is_array(values) and values.dtype.kind == "f":
        cells, plain = [repr(v) for v in values.tolist()], True
    elif _is_array(values):
        cells, plain = [cell_text(v) for v in values.tolist()], False
    elif hasattr(values, "type"):  # a pyarrow column (the arrow reader, Parquet, Arrow)
        values = _one_array(values)
        if _is_float(values.type):
            floats = values.to_numpy(zero_copy_only=False).astype(np.float64).tolist()
            cells = [
                "" if null else repr(v) for v, null in zip(floats, values.is_null().to_pylist(), strict=True)
            ]
            plain = True
        else:
            cells, plain = [cell_text(v) for v in arrow_text(values).to_pylist()], False
    else:
        cells, plain = [cell_text(v) for v in values], False
    if column.failed is not None:
        for k in np.flatnonzero(column.failed):
            cells[k] = ""
    return cells, plain


class PythonCsvWriter(Writer):
    """CSV/TSV in Python (when pyarrow is not installed): the same bytes as ArrowCsvWriter."""

    def __init__(self, stream: BinaryIO, delimiter: str) -> None:
        super().__init__(stream)
        self.delimiter = delimiter

    def header(self, names: list[str]) -> bytes:
        return _csv_line(names, self.delimiter)

    def encode(self, columns: Sequence[Column]) -> bytes:
        special = _needs_quotes(self.delimiter)
        cells = []
        for column in columns:
            texts, plain = _python_cells(column)
            cells.append(texts if plain else [_quote(text, special) for text in texts])
        if len(cells) == 1:
            cells[0] = [text or '""' for text in cells[0]]
        return "".join(self.delimiter.join(row) + "\n" for row in zip(*cells, strict=True)).encode()


def _one_array(values: Any) -> Any:
    return values.combine_chunks() if hasattr(values, "combine_chunks") else values


def _is_float(kind: Any) -> bool:
    import pyarrow.types as pt

    return bool(pt.is_floating(kind))


def arrow_text(values: Any) -> Any:
    """A pyarrow column that is not floats as strings (nulls stay null); bool as true/false."""
    import pyarrow as pa
    import pyarrow.compute as pc

    values = _one_array(values)
    if pa.types.is_string(values.type):
        return values
    try:  # large_string too: the kernels that join cells want one string type
        return pc.cast(values, pa.string())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):  # nested or binary values: their JSON text
        return pa.array([None if v is None else cell_text(v) for v in values.to_pylist()], pa.string())


class ArrowCsvWriter(Writer):
    """CSV/TSV with pyarrow's compute kernels: every cell formatted and joined without a Python loop
    over rows (and without the GIL, so chunks encode on other threads), the same bytes as
    PythonCsvWriter."""

    def __init__(self, stream: BinaryIO, delimiter: str, pa: Any) -> None:
        super().__init__(stream)
        import pyarrow.compute as pc

        self.pa, self.pc, self.delimiter = pa, pc, delimiter
        self.special = '["\r\n' + ("\\t" if delimiter == "\t" else re.escape(delimiter)) + "]"

    def header(self, names: list[str]) -> bytes:
        return _csv_line(names, self.delimiter)

    def encode(self, columns: Sequence[Column]) -> Any:
        pa, pc = self.pa, self.pc
        cells = [self._cells(column) for column in columns]
        if not cells or not len(cells[0]):
            return b""
        lines = pc.binary_join_element_wise(*cells, self.delimiter) if len(cells) > 1 else cells[0]
        if len(cells) == 1:
            lines = pc.if_else(pc.equal(lines, ""), pa.scalar('""'), lines)
        lines = pc.binary_join_element_wise(lines, "\n", "")
        # The string array's data buffer is exactly the lines, one after the other.
        offsets = np.frombuffer(lines.buffers()[1], dtype=np.int32)
        start, end = int(offsets[lines.offset]), int(offsets[lines.offset + len(lines)])
        return lines.buffers()[2][start:end]

    def _cells(self, column: Column) -> Any:
        """The column's cells as a string array without nulls, quoted where needed."""
        pa, pc = self.pa, self.pc
        values, failed = column.values, column.failed
        if _is_array(values) and values.dtype.kind == "f":
            text = float_texts(values.astype(np.float64, copy=False))
            plain = True
        elif hasattr(values, "type") and _is_float(values.type):
            values = _one_array(values)
            nulls = values.is_null().to_numpy(zero_copy_only=False)
            text = float_texts(values.to_numpy(zero_copy_only=False).astype(np.float64))
            failed = nulls if failed is None else failed | nulls
            plain = True
        elif hasattr(values, "type"):
            text, plain = arrow_text(values), False
        else:
            items = values.tolist() if _is_array(values) else values
            text, plain = pa.array([cell_text(v) for v in items], pa.string()), False
        if failed is not None and failed.any():
            text = pc.if_else(pa.array(failed), pa.scalar(None, pa.string()), text)
        text = pc.fill_null(text, "")
        if not plain:
            needs = pc.match_substring_regex(text, self.special)
            if pc.any(needs).as_py():
                quoted = pc.binary_join_element_wise('"', pc.replace_substring(text, '"', '""'), '"', "")
                text = pc.if_else(needs, quoted, text)
        return text


def float_texts(values: np.ndarray) -> Any:
    """repr() of every float of the array, as a pyarrow string array, at C speed.

    pyarrow's float-to-string cast gives the same shortest round-trip digits as repr but another
    notation in three ranges: integers (no ".0"), 1e-9 <= |v| < 1e-4 (fixed notation or a
    one-digit exponent: 0.00001, 1e-7 where repr says 1e-05, 1e-07) and 1e10 <= |v| < 1e16
    (1e+10 where repr says 10000000000.0). Integers get ".0" appended; the other two ranges,
    rare in practice, are formatted by repr. A self-check at first use falls back to repr for
    everything should another pyarrow version format differently."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if not _cast_matches_repr():
        return pa.array([repr(v) for v in values.tolist()], pa.string())
    return _cast_floats(values, pa, pc)


def _cast_floats(values: np.ndarray, pa: Any, pc: Any) -> Any:
    text = pc.cast(pa.array(values), pa.string())
    size = np.abs(values)
    with np.errstate(invalid="ignore"):
        integral = (size < 1e10) & (values == np.trunc(values))
    if integral.any():
        text = pc.if_else(pa.array(integral), pc.binary_join_element_wise(text, ".0", ""), text)
    other = ((size >= 1e-9) & (size < 1e-4)) | ((size >= 1e10) & (size < 1e16))
    if other.any():
        texts = pa.array([repr(v) for v in values[other].tolist()], pa.string())
        text = pc.replace_with_mask(text, pa.array(other), texts)
    return text


@cache
def _cast_matches_repr() -> bool:
    """True when _cast_floats agrees with repr on values from every range it treats differently."""
    import pyarrow as pa
    import pyarrow.compute as pc

    probes = [0.0, -0.0, 1.0, -3.0, 0.5, 1e-4, 9.5e-5, 1e-9, 9.99e-10, 1.5e-7, 1e-300, 5e-324, 0.1]
    probes += [123.456, 9999999999.5, 9999999999.0, 1e10, 12345678901.5, 9999999999999998.0, 1e16]
    probes += [1.2345e17, 2.5e20, 1e22, 1e300, 1.7976931348623157e308, math.inf, -math.inf, math.nan]
    probes += np.random.default_rng(0).standard_normal(64).tolist()
    return _cast_floats(np.array(probes), pa, pc).to_pylist() == [repr(v) for v in probes]


_LINE_BREAKS = re.compile("[\x85\u2028\u2029]")  # those json.dumps leaves as they are


class JsonWriter(Writer):
    """JSON Lines (one object per line) or one JSON array of objects."""

    def __init__(self, stream: BinaryIO, lines: bool) -> None:
        super().__init__(stream)
        self.lines = lines

    def header(self, names: list[str]) -> bytes:
        return b"" if self.lines else b"["

    def encode(self, columns: Sequence[Column]) -> bytes:
        names = [c.name for c in columns]
        rows = zip(*(c.python() for c in columns), strict=True)
        objects = [
            dumps({name: v for name, v in zip(names, row, strict=True) if v is not ABSENT}) for row in rows
        ]  # a key a JSON record did not have is left out, as it was
        text = "".join(t + "\n" for t in objects) if self.lines else "".join(",\n" + t for t in objects)
        if not text.isascii() and _LINE_BREAKS.search(text):
            # line breaks to str.splitlines (and U+2028/9 to JavaScript): escaped, one object a line
            text = _LINE_BREAKS.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
        return text.encode()  # (JSON: emit drops the first comma)

    def emit(self, names: list[str], data: Any) -> None:
        if not self.lines and not self.started and data:
            data = b"\n" + data[2:]
        elif not self.lines and not data:
            return
        super().emit(names, data)

    def close(self) -> None:
        if not self.lines:
            self.stream.write(b"\n]\n" if self.started else b"[]\n")
        super().close()


class ArrowFileWriter(Writer):
    """Parquet or Arrow IPC: the schema comes from the first chunk."""

    def __init__(self, stream: BinaryIO, fmt: str) -> None:
        super().__init__(stream)
        self.fmt, self.writer, self.schema = fmt, None, None

    def encode(self, columns: Sequence[Column]) -> Any:
        pa = arrow_module()
        return pa.table({c.name: c.arrow(pa) for c in columns})

    def emit(self, names: list[str], table: Any) -> None:
        pa = arrow_module()
        if self.writer is None:
            # A column with no value yet (a JSON key the first records lack) is text: null
            # would fit nothing that comes later.
            self.schema = pa.schema(
                [
                    field.with_type(pa.string()) if pa.types.is_null(field.type) else field
                    for field in table.schema
                ]
            )
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                self.writer = pq.ParquetWriter(self.stream, self.schema)
            else:
                self.writer = pa.ipc.new_file(self.stream, self.schema)
        try:
            self.writer.write_table(table.cast(self.schema))
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError):
            raise UsageError(self._type_change(table)) from None

    def _type_change(self, table: Any) -> str:
        """The message for a chunk whose column does not fit the type the first chunk gave it (a
        JSON key that holds numbers in the first records and text later)."""
        schema = self.schema
        for name in table.column_names:
            if name in schema.names and table.schema.field(name).type != schema.field(name).type:
                try:
                    table.column(name).cast(schema.field(name).type)
                except Exception:  # noqa: BLE001  (any failure to cast: this is the column)
                    return (
                        f"the column {name!r} holds {schema.field(name).type} in the first rows and "
                        f"{table.schema.field(name).type} later: {self.fmt} needs one type per column "
                        "(write JSON Lines or CSV, or leave it out with --keep)"
                    )
        return f"a later chunk has other columns than the first: {self.fmt} needs one schema"

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        super().close()
