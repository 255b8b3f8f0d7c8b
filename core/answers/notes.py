"""Warnings that travel with every answer: undefined or infinite derivatives, and kinks where a
derivative is a convention (abs at 0, a max tie), so a user learns the number is not plain.

One mechanism for every result type: each derives from `Answer`, whose `warnings` field the
answer functions fill with `at_point(...)` after their value sweep. The kink test only looks at
the nodes whose op is not smooth (OpDef.smooth is False), so a smooth expression pays one
dictionary look-up per node; numpy is imported only when a value already is an array.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..ir.nodes import Node, topological_order
from ..ops.registry import OPS


@dataclass(frozen=True)
class Answer:
    """The base of every result: warnings about the point (kw_only, so subclasses keep their
    positional fields)."""

    warnings: list[str] = field(default_factory=list, kw_only=True, compare=False)


def _count(mask: Any) -> int:
    """How many elements a comparison holds for: a bool for scalars, an array for arrays."""
    if isinstance(mask, bool):
        return int(mask)
    return int(mask.sum()) if hasattr(mask, "sum") else int(bool(mask))


def _size(value: Any) -> int:
    return int(getattr(value, "size", 1))


def _at_zero(n: Node, found: Mapping[Node, Any]) -> tuple[int, int]:
    x = found[n.inputs[0]]
    return _count(x == 0), _size(x)


def _at_integer(n: Node, found: Mapping[Node, Any]) -> tuple[int, int]:
    x = found[n.inputs[0]]
    if getattr(x, "ndim", 0):
        import numpy as np

        return int(np.sum(np.isfinite(x) & (x == np.round(x)))), int(x.size)
    return int(math.isfinite(x) and x == round(x)), 1


def _tied(n: Node, found: Mapping[Node, Any]) -> tuple[int, int]:
    """Elements where two or more arguments equal the min/max (the derivative is split)."""
    out = found[n]
    hits = None
    for i in n.inputs:
        hit = found[i] == out
        hits = hit if hits is None else hits + hit
    if getattr(hits, "ndim", 0):
        return int((hits >= 2).sum()), int(hits.size)
    return int(hits >= 2), 1


# op (or min/max family) -> (how to find its kink, what derivative was used there)
KINKS = {
    "abs": (_at_zero, "at 0: derivative 0 used (abs has a kink there)"),
    "sign": (_at_zero, "at 0: derivative 0 used (sign jumps there)"),
    "floor": (_at_integer, "at an integer: derivative 0 used (floor jumps there)"),
    "ceil": (_at_integer, "at an integer: derivative 0 used (ceil jumps there)"),
    "max": (_tied, "with tied arguments: the derivative is split evenly among them"),
    "min": (_tied, "with tied arguments: the derivative is split evenly among them"),
}


def kinks(order: Iterable[Node], found: Mapping[Node, Any]) -> list[str]:
    """One warning per non-smooth node evaluated exactly at its kink (a convention was used), if
    its derivative reaches the result: not in a branch of `where` not taken, nor only under a
    condition or a piecewise-constant op (`where(abs(x) > 1, ...)` at x = 0 uses no convention)."""
    notes: dict[str, None] = {}
    rough = {name for name, definition in OPS.items() if not definition.smooth}
    order = order if isinstance(order, list) else list(order)
    hit = []
    for n in [n for n in order if n.op in rough]:  # one set lookup per node: 10^5-node graphs run this
        family = OPS[n.op].extra.get("variadic", n.op)
        if family not in KINKS or n not in found or any(i not in found for i in n.inputs):
            continue
        test, convention = KINKS[family]
        hits, size = test(n, found)
        if hits:
            hit.append((n, family, convention, hits, size))
    if not hit:
        return []
    reached = differentiated(order, found)
    for n, family, convention, hits, size in hit:
        if n in reached:
            where = f" in {hits} of {size} elements" if size > 1 else ""
            notes[f"{_shown(n, family)} {convention}{where}"] = None
    return list(notes)


def differentiated(order: list[Node], found: Mapping[Node, Any]) -> set[Node]:
    """The nodes whose derivative the roots of `order` (nodes no other node reads) take: through
    the branch each `where` takes (both where the condition is an array), never into a condition
    or below a piecewise-constant op (floor, sign, comparisons: their derivative is 0)."""
    read = {i for n in order for i in n.inputs}
    reached = {n for n in order if n not in read}
    for n in reversed(order):
        if n not in reached or not n.inputs or OPS[n.op].zero_derivative:
            continue
        if n.op == "where":
            condition, a, b = n.inputs
            taken = found.get(condition)
            if getattr(taken, "ndim", 0) or taken is None:
                reached.update((a, b))
            else:
                reached.add(a if taken else b)
        else:
            reached.update(n.inputs)
    return reached


def _shown(n: Node, family: str, limit: int = 40) -> str:
    # the call as the user would write it, when it is short; else the op's name
    if len(topological_order([n])) <= 12:
        from .printer import expression_text

        text = expression_text(n)
        if len(text) <= limit:
            return text
    return family


def _flags(value: Any) -> tuple[bool, bool]:
    """(has a NaN, has an infinity) for a number or an array."""
    if getattr(value, "ndim", 0):
        import numpy as np

        return bool(np.isnan(value).any()), bool(np.isinf(value).any())
    if isinstance(value, float | int):
        return value != value, math.isinf(value)
    if isinstance(value, list | tuple):
        found = [_flags(v) for v in value]
        return any(nan for nan, _ in found), any(inf for _, inf in found)
    return False, False


def derivatives(named: Mapping[str, Any], what: str = "derivative") -> list[str]:
    """Warnings for derivatives (by input name) that are NaN or infinite at this point."""
    notes = []
    for flag, problem in ((0, "undefined (NaN)"), (1, "infinite")):
        names = [name for name, value in named.items() if _flags(value)[flag]]
        if names:
            by = f" for {', '.join(names)}" if any(names) else ""  # "" names the one unnamed result
            notes.append(f"{what} {problem}{by} at this point")
    return notes


def value(found: Any) -> list[str]:
    """Warnings when the value is infinite (a result, not an error: log(0) is -inf) or holds a NaN
    in some element of an array (a NaN scalar value is an error, not a warning)."""
    values = list(found.values()) if isinstance(found, Mapping) else [found]
    notes = []
    if any(getattr(v, "ndim", 0) and _flags(v)[0] for v in values):
        notes.append("value undefined (NaN) in some elements at this point")
    if any(_flags(v)[1] for v in values):
        notes.append("value is infinite at this point")
    return notes


def at_point(
    order: Iterable[Node],
    found: Mapping[Node, Any],
    result: Any = None,
    partials: Mapping[str, Any] | None = None,
    what: str = "derivative",
) -> list[str]:
    """Every warning for an answer: its value, its derivatives by name, and the kinks it crossed."""
    return [
        *(value(result) if result is not None else ()),
        *(overflows(order, found, result) if result is not None else ()),
        *(derivatives(partials, what) if partials else ()),
        *kinks(order, found),
    ]


def overflows(order: Iterable[Node], found: Mapping[Node, Any], result: Any) -> list[str]:
    """A warning when a scalar result passed through an intermediate that overflowed: 1/exp(x) at
    x = 800 is finite again, but its derivative through exp's inf is not to be trusted, and
    log(exp(x)) there is inf (and its derivative 0) where the exact value is 800 (and 1)."""
    if type(result) is not float or result != result:  # only for a scalar result
        return []
    finite = result - result == 0
    order = order if isinstance(order, list) else list(order)
    last = order[-1] if order else None  # the result itself: "value is infinite" says it already
    for n in order:
        v = found.get(n)
        if type(v) is float and v - v != 0 and v == v and n.inputs:  # an infinite float (inf - inf is NaN)
            if finite:
                how = "overflowed to" if _overflow(n, found) else "is"
                return [f"{_shown(n, n.op)} {how} {v} at this point: the value and derivatives "
                        "computed through it may be wrong"]  # fmt: skip
            if n is not last and _overflow(n, found):  # an inf from an overflow, not a pole (log(0))
                return [f"{_shown(n, n.op)} overflowed to {v} at this point: the value {result} and the "
                        "derivatives through it may be wrong (the exact ones may be finite)"]  # fmt: skip
    return []


# ops with a pole: an infinite value from finite inputs there is exact (log(0) = -inf), not an overflow
_POLES = {
    "div": lambda x, y: y == 0,
    "log": lambda x: x == 0, "log2": lambda x: x == 0, "log10": lambda x: x == 0, "log1p": lambda x: x == -1,
    "atanh": lambda x: abs(x) == 1, "pow": lambda x, y: x == 0, "tan": lambda x: False,
}  # fmt: skip


def _overflow(n: Node, found: Mapping[Node, Any]) -> bool:
    """True when n is infinite from finite inputs by overflow: exp(800), 1e200 * 1e200."""
    args = [found.get(i) for i in n.inputs]
    if not all(type(a) is float and a - a == 0 for a in args):
        return False
    pole = _POLES.get(n.op)
    return pole is None or not pole(*args)
