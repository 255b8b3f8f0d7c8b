"""What every batch reader yields: chunks of rows, the open source, its files, and the column checks."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import numpy as np
from adcalc.errors import UsageError

BLOCK_ROWS = 65536  # rows per chunk for binary formats


@dataclass
class Chunk:
    """Rows of the input: variable columns as floats, the other columns as read."""

    rows: int
    variables: dict[str, np.ndarray]
    others: dict[str, Any]  # name -> list of values or a pyarrow array
    problems: dict[int, str] = field(default_factory=dict)  # row in chunk -> why it cannot be used


@dataclass
class Source:
    """An open input: its column names, its chunks, and how far reading has come (bytes)."""

    columns: list[str]
    chunks: Iterator[Chunk]
    size: int | None = None  # total bytes when known (a file), for the progress bar
    position: list[int] = field(default_factory=lambda: [0])
    format: str = ""  # the format it is read in (csv, parquet, ...)


@dataclass
class InputFile:
    """One file of the input: its name (path or URL, for messages), size, and how to open it."""

    name: str
    size: int | None
    open: Callable[[], BinaryIO]
    local: str | None = None  # a local path, memory-mapped for Arrow IPC


def check_columns(columns: Sequence[str], variables: Sequence[str]) -> None:
    """UsageError unless every variable has a column and no two columns share a name."""
    seen: dict[str, int] = {}
    for k, name in enumerate(columns):
        if name in seen:
            # Which one would a variable or --keep mean? Neither reader may guess.
            raise UsageError(
                f"the input has two columns named {name!r} (columns {seen[name] + 1} and {k + 1}): "
                "every column needs its own name"
            )
        seen[name] = k
    missing = [name for name in variables if name not in columns]
    if missing:
        shown = ", ".join(columns) or "none"
        raise UsageError(f"the input has no column for variable(s) {', '.join(missing)} (columns: {shown})")


def to_floats(cells: Sequence[Any], name: str, problems: dict[int, str]) -> np.ndarray:
    """Floats for cells (text or JSON values); NaN and a problem for a bad one. (A missing or
    NaN cell is reported by the evaluation, which checks every variable for NaN.)"""
    try:
        if not any(c is True or c is False for c in cells):
            return np.array(cells, dtype=np.float64)  # numbers, numeric text, None -> NaN
    except (ValueError, TypeError):
        pass
    values = np.full(len(cells), np.nan)
    for k, cell in enumerate(cells):
        if cell is None or cell == "":
            continue
        if isinstance(cell, bool) or not isinstance(cell, int | float | str):
            problems.setdefault(k, f"non-numeric value {json.dumps(cell)} for {name}")
            continue
        try:
            values[k] = float(cell)
        except ValueError:
            # pyarrow's parser reads nan(...) as NaN (a missing value): so does this one
            if not (isinstance(cell, str) and cell.strip().lower().lstrip("+-").startswith("nan(")):
                problems.setdefault(k, f"non-numeric value {cell!r} for {name}")
    return values
