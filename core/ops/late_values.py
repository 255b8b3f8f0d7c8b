"""Numpy value functions of ops registered after start-up (literals, prod's higher derivatives,
custom ops): kept here, numpy-free, until the numpy table loads, then kept in step with it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

LATE: dict[str, Callable[..., Any]] = {}
_TABLES: list[dict[str, Callable[..., Any]]] = []  # ops/numpy_values.NUMPY, once it is imported


def add_values(table: dict[str, Callable[..., Any]]) -> None:
    """Numpy value functions for ops registered while programs compile."""
    LATE.update(table)
    for loaded in _TABLES:
        loaded.update(table)


def remove_values(names: Iterable[str]) -> None:
    """Forget the value functions of ops that are gone (a freed program's custom ops)."""
    for name in list(names):
        LATE.pop(name, None)
        for loaded in _TABLES:
            loaded.pop(name, None)


def attach(numpy_table: dict[str, Callable[..., Any]]) -> None:
    """The numpy table takes every value function so far, and every later one."""
    numpy_table.update(LATE)
    _TABLES.append(numpy_table)
