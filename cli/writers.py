"""Writers for `adcalc batch`: CSV/TSV, JSON Lines, JSON, and Parquet/Arrow with pyarrow.

A writer receives chunks as ordered columns: results are float64 arrays with a mask of the rows
that failed (written empty: CSV empty cell, JSON null), passed-through columns come as they were
read, the `error` column is text or None. Every chunk is flushed, so a pipe sees rows early.
Numbers are written in the shortest form that reads back to the same float; NaN and infinities
as nan/inf in CSV and "NaN"/"Infinity"/"-Infinity" in JSON (see jsonout.py).
"""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Sequence
from typing import Any, BinaryIO

import numpy as np
from adcalc.errors import UsageError

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
        try:
            return pa.array(self.values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):  # mixed JSON values: write them as text
            return pa.array([None if v is None else str(v) for v in self.values], type=pa.string())


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
            self.stream.write(self.header(names))
            self.started = True
        self.stream.write(data)
        self.stream.flush()

    def close(self) -> None:
        self.stream.flush()
        if self.stream is not sys.stdout.buffer:
            self.stream.close()


def _csv_line(names: list[str], delimiter: str) -> bytes:
    text = io.StringIO()
    csv.writer(text, delimiter=delimiter, lineterminator="\n").writerow(names)
    return text.getvalue().encode()


class PythonCsvWriter(Writer):
    """CSV/TSV through the csv module (when pyarrow is not installed)."""

    def __init__(self, stream: BinaryIO, delimiter: str) -> None:
        super().__init__(stream)
        self.delimiter = delimiter

    def header(self, names: list[str]) -> bytes:
        return _csv_line(names, self.delimiter)

    def encode(self, columns: Sequence[Column]) -> bytes:
        text = io.StringIO()
        out = csv.writer(text, delimiter=self.delimiter, lineterminator="\n")
        out.writerows(zip(*(_csv_cells(c) for c in columns), strict=True))
        return text.getvalue().encode()


def _csv_cells(column: Column) -> list[Any]:
    if _is_array(column.values):
        cells = [repr(v) for v in column.values.tolist()]  # shortest round-trip text
        if column.failed is not None:
            for k in np.flatnonzero(column.failed):
                cells[k] = ""
        return cells
    return ["" if v is None else v for v in column.python()]


class ArrowCsvWriter(Writer):
    """CSV/TSV through pyarrow's writer (fast float formatting); text is quoted only if it must be."""

    def __init__(self, stream: BinaryIO, delimiter: str, pa: Any) -> None:
        super().__init__(stream)
        import pyarrow.csv as pcsv

        self.pa, self.pcsv, self.delimiter = pa, pcsv, delimiter

    def header(self, names: list[str]) -> bytes:
        return _csv_line(names, self.delimiter)

    def encode(self, columns: Sequence[Column]) -> Any:
        pa, pcsv = self.pa, self.pcsv
        table = pa.table({f"c{k}": c.arrow(pa) for k, c in enumerate(columns)})
        quoting = "none" if _plain_text(table, self.delimiter) else "needed"
        options = pcsv.WriteOptions(include_header=False, delimiter=self.delimiter, quoting_style=quoting)
        sink = pa.BufferOutputStream()
        pcsv.write_csv(table, sink, options)
        return sink.getvalue()


def _plain_text(table: Any, delimiter: str) -> bool:
    """True when no text cell holds a quote, delimiter or line break (so none needs quoting)."""
    import pyarrow.compute as pc

    pattern = '["\\r\\n' + ("\\t" if delimiter == "\t" else delimiter) + "]"
    for column in table.columns:
        if str(column.type) in ("string", "large_string") and column.null_count < len(column):
            if pc.any(pc.match_substring_regex(column, pattern)).as_py():
                return False
    return True


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
        objects = [dumps(dict(zip(names, row, strict=True))) for row in rows]
        if self.lines:
            return "".join(text + "\n" for text in objects).encode()
        return "".join(",\n" + text for text in objects).encode()  # emit drops the first comma

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
        self.fmt, self.writer = fmt, None

    def encode(self, columns: Sequence[Column]) -> Any:
        pa = arrow_module()
        return pa.table({c.name: c.arrow(pa) for c in columns})

    def emit(self, names: list[str], table: Any) -> None:
        pa = arrow_module()
        if self.writer is None:
            if self.fmt == "parquet":
                import pyarrow.parquet as pq

                self.writer = pq.ParquetWriter(self.stream, table.schema)
            else:
                self.writer = pa.ipc.new_file(self.stream, table.schema)
        self.writer.write_table(table.cast(self.writer.schema) if self.fmt == "parquet" else table)

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        super().close()
