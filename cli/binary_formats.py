"""Readers for `adcalc batch` of binary tables: numpy (.npy, .npz), Parquet and Arrow IPC files.

They yield the same `Chunk`s as the text readers in formats.py, BLOCK_ROWS rows at a time.
"""

from __future__ import annotations

import io
from collections.abc import Iterator, Sequence
from typing import Any, BinaryIO

import numpy as np
from adcalc.errors import UsageError

from .chunks import BLOCK_ROWS, Chunk, InputFile, Source, check_columns, to_floats
from .writers import arrow_module


def numpy_source(stream: BinaryIO, fmt: str, variables: Sequence[str], size: int | None) -> Source:
    """The chunks of a .npy (structured, or one column per variable) or .npz input."""
    import zipfile

    try:
        # allow_pickle=False: an object array would be unpickled, and a pickle runs code
        data = np.load(stream if stream.seekable() else io.BytesIO(stream.read()), allow_pickle=False)
        if isinstance(data, np.lib.npyio.NpzFile):
            arrays = {name: np.asarray(data[name]).reshape(-1) for name in data.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as error:
        raise UsageError(f"cannot read the input as .{fmt}: {_reason(error)}") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        pass  # arrays read above, inside the try: each member is loaded on access
    elif data.dtype.names:
        arrays = {name: data[name].reshape(-1) for name in data.dtype.names}
    elif data.ndim == 2 and data.shape[1] == len(variables):
        arrays = {name: data[:, k] for k, name in enumerate(variables)}  # columns in variable order
    else:
        raise UsageError(
            f".npy input must be a structured array or have {len(variables)} columns (one per variable)"
        )
    lengths = {len(a) for a in arrays.values()}
    if len(lengths) > 1:
        raise UsageError("the arrays of the input have different lengths")
    check_columns(list(arrays), variables)
    rows = lengths.pop() if lengths else 0

    def chunks() -> Iterator[Chunk]:
        for start in range(0, rows, BLOCK_ROWS):
            piece = {name: a[start : start + BLOCK_ROWS] for name, a in arrays.items()}
            problems: dict[int, str] = {}
            numbers = {name: _float_column(piece[name], name, problems) for name in variables}
            others = {name: piece[name].tolist() for name in piece if name not in numbers}
            yield Chunk(len(next(iter(piece.values()))), numbers, others, problems)

    return Source(list(arrays), chunks(), size, [size or 0])


def _reason(error: BaseException) -> str:
    text = str(error).splitlines()[0] if str(error) else type(error).__name__
    if "allow_pickle" in text:
        return "it holds Python objects (a pickle), which adcalc does not load"
    return text


def _float_column(values: np.ndarray, name: str, problems: dict[int, str]) -> np.ndarray:
    if values.dtype.kind in "fiub":
        return values.astype(np.float64)
    return to_floats(values.tolist(), name, problems)


def arrow_source(file: InputFile, fmt: str, variables: Sequence[str]) -> Source:
    """The chunks of a Parquet or Arrow IPC file, BLOCK_ROWS rows at a time."""
    pa = arrow_module(required=f"{fmt} input")
    if file.name == "standard input":
        raise UsageError(f"{fmt} input must be a file, not standard input")
    try:
        if fmt == "parquet":
            import pyarrow.parquet as pq

            reader = pq.ParquetFile(file.local or file.open())
            columns = reader.schema_arrow.names
            batches: Iterator[Any] = reader.iter_batches(batch_size=BLOCK_ROWS)
        else:
            ipc = pa.ipc.open_file(pa.memory_map(file.local) if file.local else file.open())
            columns = ipc.schema.names
            batches = _ipc_batches(ipc)
    except (pa.ArrowInvalid, OSError) as error:
        raise UsageError(f"cannot read {file.name} as {fmt}: {error}") from None
    check_columns(columns, variables)
    return Source(list(columns), (arrow_chunk(b, variables) for b in batches), file.size)


def _ipc_batches(ipc: Any) -> Iterator[Any]:
    """The record batches of an Arrow IPC file, in pieces of at most BLOCK_ROWS rows."""
    for k in range(ipc.num_record_batches):
        batch = ipc.get_batch(k)
        for start in range(0, batch.num_rows, BLOCK_ROWS):
            yield batch.slice(start, BLOCK_ROWS)


def arrow_chunk(batch: Any, variables: Sequence[str]) -> Chunk:
    """A chunk from an Arrow record batch (Parquet, Arrow, Dask partitions)."""
    problems: dict[int, str] = {}
    numbers = {}
    for name in variables:
        column = batch.column(batch.schema.get_field_index(name))
        if column.type.id in _numeric_type_ids():
            numbers[name] = column.to_numpy(zero_copy_only=False).astype(np.float64)
        else:
            numbers[name] = to_floats(column.to_pylist(), name, problems)
    others = {name: batch.column(k) for k, name in enumerate(batch.schema.names) if name not in numbers}
    return Chunk(batch.num_rows, numbers, others, problems)


def _numeric_type_ids() -> set[int]:
    import pyarrow as pa

    kinds = [pa.float64(), pa.float32(), pa.float16(), pa.int64(), pa.int32(), pa.int16(), pa.int8()]
    kinds += [pa.uint64(), pa.uint32(), pa.uint16(), pa.uint8()]
    return {t.id for t in kinds}
