"""Straight-line Python code from a graph: the fast path for one point, called many times.

The generated function uses plain operators and the math module, so it runs at the speed of
hand-written Python. The math module raises where IEEE arithmetic gives inf or NaN; when that
happens the compiled function hands the point to the interpreting evaluator, whose value
functions follow IEEE (see scalar.py), so both paths give the same numbers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

from ..engine.forward import values_of
from ..ir.nodes import Node, topological_order
from ..ops.registry import OPS
from ..ops.scalar import SCALAR


def _spellings() -> tuple[dict[str, str], dict[str, Any]]:
    """(op -> format string over its inputs, the math functions those strings call), from each
    op's registration: OpDef.values["python"] is a template (`{0} + {1}`) or a math function's
    name (`sin` reads `_sin({0})`, with `_sin` bound to math.sin). Other ops call their
    scalar.py function by name (`_s_cbrt({0})`)."""
    spellings, functions = {}, {}
    for op, definition in OPS.items():
        spelling = definition.values.get("python")
        if spelling is None:
            continue
        if "{" not in spelling:
            functions[f"_{spelling}"] = getattr(math, spelling)
            spelling = f"_{spelling}(" + ", ".join(f"{{{k}}}" for k in range(definition.arity)) + ")"
        spellings[op] = spelling
    return spellings, functions


PYTHON, _MATH = _spellings()
_GLOBALS: dict[str, Any] = dict(_MATH)
_GLOBALS.update(_inf=math.inf, _nan=math.nan)
_GLOBALS.update({f"_s_{name}": function for name, function in SCALAR.items()})


def namespace() -> dict[str, Any]:
    """The names generated code calls: math functions, and every scalar op's function — also those
    registered since import (a program's custom ops), which the table above cannot hold."""
    found = dict(_GLOBALS)
    if len(SCALAR) + len(_MATH) + 2 != len(found):
        found.update({f"_s_{name}": function for name, function in SCALAR.items()})
    return found


def template(op: str, count: int) -> str:
    """How op reads in Python, as a format string over its `count` inputs."""
    found = PYTHON.get(op)
    if found is not None:
        return found
    family = OPS[op].extra.get("variadic") if op in OPS else None
    if family is not None:
        # max(a, b, c) = max(max(a, b), c) by scalar.py's NaN-propagating max (Python's built-in
        # max(1, nan) is 1); the tie rule is in the derivative graph, not in the value
        found = "{0}"
        for k in range(1, count):
            found = f"_s_{family}({found}, {{{k}}})"
        PYTHON[op] = found
        return found
    return f"_s_{op}(" + ", ".join(f"{{{k}}}" for k in range(count)) + ")"


def _literal(value: float) -> str:
    if value != value:
        return "_nan"
    if math.isinf(value):
        return "_inf" if value > 0 else "(-_inf)"
    return repr(value)


def python_source(outputs: Sequence[Node], variables: Sequence[str], name: str = "compiled") -> str:
    """Source of `def name(variables...)` returning the outputs' values as a tuple."""
    order = topological_order(outputs)
    names: dict[Node, str] = {}
    seen: dict[tuple[Any, ...], str] = {}  # structural CSE across separately interned graphs
    lines: list[str] = []
    arguments = [f"v{k}" for k in range(len(variables))]
    index = {name: arg for name, arg in zip(variables, arguments, strict=True)}
    for n in order:
        if n.op == "const":
            names[n] = _literal(n.payload)
            continue
        if n.op == "var":
            names[n] = index[n.payload]
            continue
        key = (n.op, n.payload, *(names[i] for i in n.inputs))
        if key in seen:
            names[n] = seen[key]
            continue
        temp = f"t{len(lines)}"
        lines.append(f"    {temp} = {template(n.op, len(n.inputs)).format(*(names[i] for i in n.inputs))}")
        names[n] = seen[key] = temp
    result = ", ".join(names[o] for o in outputs)
    header = f"def {name}({', '.join(arguments)}):"
    return "\n".join([header, *lines, f"    return ({result},)"])


def compile_python(outputs: Sequence[Node], variables: Sequence[str]) -> Callable[..., tuple[float, ...]]:
    """f(*values) -> tuple of output values, as straight-line Python with an IEEE fallback.

    >>> f = compile_python([x * y, x + y], ["x", "y"])   # x, y variable nodes
    >>> f(2.0, 3.0)
    (6.0, 5.0)
    """
    source = python_source(outputs, variables)
    names = namespace()
    exec(compile(source, "<adcalc-compiled>", "exec"), names)  # our own generated code
    fast = names["compiled"]
    order = topological_order(outputs)

    def compiled(*point: float) -> tuple[float, ...]:
        try:
            return fast(*point)
        except (ValueError, ZeroDivisionError, OverflowError):
            values = values_of(order, dict(zip(variables, point, strict=True)))
            return tuple(values[o] for o in outputs)

    compiled.source = source  # type: ignore[attr-defined]
    return compiled
