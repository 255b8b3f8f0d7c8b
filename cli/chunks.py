"""What every batch reader yields: chunks of rows, the open source, its files, and the column checks."""

from __future__ import annotations

import json
import math
import re
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
    names: list[str] | None = None  # JSON: every key of its records, in order of first appearance


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


def shown_names(names: Sequence[str], most: int = 20) -> str:
    """Column names for a one-line message: a name with a line break or another unprintable
    character as its repr, a long one cut, and at most `most` of them."""

    def one(name: str) -> str:
        text = name if name.isprintable() else repr(name)
        return text if len(text) <= 40 else text[:37] + "..."

    shown = ", ".join(one(name) for name in names[:most]) or "none"
    return shown + (f", ... ({len(names) - most} more)" if len(names) > most else "")


def check_columns(columns: Sequence[str], variables: Sequence[str]) -> None:
    """UsageError unless every variable has a column and no two columns share a name."""
    seen: dict[str, int] = {}
    for k, name in enumerate(columns):
        if name in seen:
            # Which one would a variable or --keep mean? Neither reader may guess.
            raise UsageError(
                f"the input has two columns named {name!r:.60} (columns {seen[name] + 1} and {k + 1}): "
                "every column needs its own name"
            )
        seen[name] = k
    missing = [name for name in variables if name not in columns]
    if missing:
        raise UsageError(
            f"the input has no column for variable(s) {', '.join(missing)} (columns: {shown_names(columns)})"
        )


# What a number is in a text cell: decimal or scientific notation, inf, infinity or nan (any
# case, a sign allowed), spaces or tabs around it. Python's float() accepts more (1_000, other
# Unicode digits and spaces, \v, \f): those are row errors, in both CSV readers, as pyarrow has them.
NUMBER = re.compile(
    r"[ \t]*[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|infinity|nan)[ \t]*", re.IGNORECASE | re.ASCII
)
UNUSUAL = re.compile(r"[^ \t!-^`-~]")  # a character outside printable ASCII, or an underscore


def to_floats(cells: Sequence[Any], name: str, problems: dict[int, str]) -> np.ndarray:
    """Floats for cells (text or JSON values); NaN and a problem for a bad one. (A missing or
    NaN cell is reported by the evaluation, which checks every variable for NaN.)"""
    try:
        if not any(c is True or c is False for c in cells):
            values = np.array(cells, dtype=np.float64)  # numbers, numeric text, None -> NaN
            texts = [c for c in cells if isinstance(c, str)]
            if values.shape == (len(cells),) and (not texts or not UNUSUAL.search("".join(texts))):
                return values  # float() and NUMBER agree on plain ASCII without underscores
    except (ValueError, TypeError, OverflowError):
        pass
    values = np.full(len(cells), np.nan)
    for k, cell in enumerate(cells):
        if cell is None or cell == "" or cell is ABSENT:
            continue
        if isinstance(cell, bool) or not isinstance(cell, int | float | str):
            problems.setdefault(k, f"non-numeric value {_shown(cell)} for {name}")
            continue
        if isinstance(cell, int) and not isinstance(cell, float):
            values[k] = _int_float(cell)
            continue
        if isinstance(cell, str) and not NUMBER.fullmatch(cell):
            # pyarrow's parser reads nan(...) as NaN (a missing value): so does this one
            if not cell.strip(" \t").lower().lstrip("+-").startswith("nan("):
                problems.setdefault(k, f"non-numeric value {_shown(cell)} for {name}")
            continue
        values[k] = float(cell)
    return values


def _int_float(number: int) -> float:
    """A JSON integer as a float; beyond the float range, an infinity (as JSON's 1e400 reads)."""
    try:
        return float(number)
    except OverflowError:
        return math.inf if number > 0 else -math.inf


def _shown(cell: Any) -> str:
    """A bad cell in an error message: its repr (JSON for JSON values), cut to 60 characters."""
    text = repr(cell) if isinstance(cell, str) else json.dumps(cell, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


class _Absent:
    """The value of a JSON key that a record does not have (not written in JSON output)."""

    _instance: _Absent | None = None

    def __new__(cls) -> _Absent:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "ABSENT"

    def __bool__(self) -> bool:
        return False


ABSENT = _Absent()
