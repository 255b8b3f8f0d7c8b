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

# How each op reads in Python; anything else calls its scalar.py function by name.
PYTHON = {
    "add": "{0} + {1}",
    "sub": "{0} - {1}",
    "mul": "{0} * {1}",
    "div": "{0} / {1}",
    "neg": "-{0}",
    "pow": "_pow({0}, {1})",
    "lt": "1.0 if {0} < {1} else 0.0",
    "le": "1.0 if {0} <= {1} else 0.0",
    "gt": "1.0 if {0} > {1} else 0.0",
    "ge": "1.0 if {0} >= {1} else 0.0",
    "eq": "1.0 if {0} == {1} else 0.0",
    "ne": "1.0 if {0} != {1} else 0.0",
    "where": "{1} if {0} else {2}",
    "abs": "abs({0})",
}
MATH = "sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh exp expm1 log1p log2 log10 sqrt"
for _name in MATH.split():
    PYTHON[_name] = f"_{_name}({{0}})"
MATH += " atan2 hypot"
PYTHON.update(atan2="_atan2({0}, {1})", hypot="_hypot({0}, {1})")
PYTHON["log"] = "_log({0})"

_GLOBALS: dict[str, Any] = {f"_{name}": getattr(math, name) for name in MATH.split()}
_GLOBALS.update(_pow=math.pow, _log=math.log, _inf=math.inf, _nan=math.nan)
_GLOBALS.update({f"_s_{name}": function for name, function in SCALAR.items()})


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
    namespace = dict(_GLOBALS)
    exec(compile(source, "<adcalc-compiled>", "exec"), namespace)  # our own generated code
    fast = namespace["compiled"]
    order = topological_order(outputs)

    def compiled(*point: float) -> tuple[float, ...]:
        try:
            return fast(*point)
        except (ValueError, ZeroDivisionError, OverflowError):
            values = values_of(order, dict(zip(variables, point, strict=True)))
            return tuple(values[o] for o in outputs)

    compiled.source = source  # type: ignore[attr-defined]
    return compiled
