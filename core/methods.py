"""One gradient, five ways: reverse and forward AD, central differences, complex step, symbolic.

Each method reports its values, its largest error relative to reverse mode, how many function
evaluations (or sweeps) it needed and its time, so the table shows what AD buys: exact
derivatives for the price of a few evaluations, where finite differences need 2n evaluations and
lose about half the digits (step h = cbrt(eps) max(1, |x|) balances truncation h² against
rounding eps/h, leaving ~eps^(2/3) relative error).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .api import Expression, _used, as_expression, gradient, wrt_names
from .errors import EvaluationError, NotApplicable
from .forward import values_of
from .nodes import Node, topological_order

EPS = sys.float_info.epsilon
COMPLEX_STEP = 1e-20


@dataclass(frozen=True)
class Method:
    """One row of the comparison: a method's gradient, error, cost and time."""

    name: str
    values: dict[str, float] | None  # None when the method does not apply
    evaluations: int  # function evaluations, or sweeps for AD
    cost: str  # the same in words
    seconds: float
    max_relative_error: float | None = None
    note: str = ""

    @property
    def digits(self) -> float | None:
        """Correct significant digits implied by the error (16 for an exact match)."""
        if self.max_relative_error is None:
            return None
        return 16.0 if self.max_relative_error == 0 else min(16.0, -math.log10(self.max_relative_error))

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.name,
            "gradient": self.values,
            "max_relative_error": self.max_relative_error,
            "digits": self.digits,
            "evaluations": self.evaluations,
            "cost": self.cost,
            "seconds": self.seconds,
            "note": self.note,
        }


@dataclass(frozen=True)
class Check:
    """The gradient of one expression at one point computed by every method."""

    expression: str
    at: dict[str, Any]
    value: Any
    variables: list[str]
    methods: list[Method] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "at": self.at,
            "value": self.value,
            "variables": self.variables,
            "methods": [m.to_dict() for m in self.methods],
        }


def _timed(compute: Callable[[], Any], repeats: int = 3) -> tuple[Any, float]:
    """The result and the best of a few timings (the first run pays for imports and caches)."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = compute()
        best = min(best, time.perf_counter() - start)
    return result, best


def _relative_error(values: Mapping[str, float], truth: Mapping[str, float]) -> float:
    worst = 0.0
    for name, exact in truth.items():
        error = abs(values[name] - exact)
        error = error / abs(exact) if exact != 0 else error
        worst = max(worst, error if error == error else math.inf)
    return worst


def check(expr: Expression | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Check:
    """Reverse, forward, central differences, complex step and symbolic gradients side by side.

    >>> [m.name for m in adcalc.check("x*y", at={"x": 1, "y": 2}).methods][:2]
    ['reverse AD', 'forward AD']
    """
    expression = as_expression(expr)
    if expression.program is not None and (
        expression.program.uses_arrays or any(hasattr(v, "shape") for v in at.values())
    ):
        from .program_check import program_check  # element by element

        return program_check(expression, at, wrt)
    names = wrt_names(expression, wrt, at)
    n = len(names)
    exact, seconds = _timed(lambda: gradient(expression, at, names))
    truth = exact.gradient
    rows = [Method("reverse AD", truth, 2, "1 forward + 1 reverse sweep", seconds, 0.0)]
    order = topological_order(expression.root)
    for name, count, cost, compute in [
        ("forward AD", n, f"{n} forward sweeps, one per input", lambda: _forward(expression, at, names)),
        (
            "central differences",
            2 * n,
            f"2n = {2 * n} evaluations, h = cbrt(eps)·max(1, |x|)",
            lambda: _central(order, expression, at, names),
        ),
        (
            "complex step",
            n,
            f"{n} complex evaluations, h = 1e-20",
            lambda: _complex_step(order, expression, at, names),
        ),
        ("symbolic (diff)", 1, "", lambda: _symbolic(expression, at, names)),
    ]:
        rows.append(_row(name, count, cost, compute, truth))
    return Check(expression.label, _used(expression, at), exact.value, names, rows)


def _row(name: str, count: int, cost: str, compute: Callable[[], Any], truth: Mapping[str, float]) -> Method:
    try:
        (values, extra), seconds = _timed(compute)
    except NotApplicable as problem:
        return Method(name, None, count, cost, 0.0, None, f"not applicable: {problem.detail}")
    except EvaluationError as problem:
        return Method(name, None, count, cost, 0.0, None, f"failed: {problem.message()}")
    return Method(name, values, count, extra or cost, seconds, _relative_error(values, truth))


def _forward(expression: Expression, at: Mapping[str, Any], names: list[str]) -> tuple[dict[str, float], str]:
    from .derivatives import gradient_forward

    return gradient_forward(expression, at, names).gradient, ""


def _value(order: list[Node], root: Node, at: Mapping[str, Any]) -> Any:
    return values_of(order, at)[root]


def _central(
    order: list[Node], expression: Expression, at: Mapping[str, Any], names: list[str]
) -> tuple[dict[str, float], str]:
    partials = {}
    for name in names:
        x = float(at[name])
        h = EPS ** (1 / 3) * max(1.0, abs(x))  # cbrt(eps): truncation h² ~ rounding eps/h
        forward = _value(order, expression.root, {**at, name: x + h})
        backward = _value(order, expression.root, {**at, name: x - h})
        partials[name] = (forward - backward) / (2 * h)
    return partials, ""


def _complex_step(
    order: list[Node], expression: Expression, at: Mapping[str, Any], names: list[str]
) -> tuple[dict[str, float], str]:
    partials = {}
    for name in names:
        point = {**at, name: complex(float(at[name]), COMPLEX_STEP)}
        result = values_of(order, point)[expression.root]
        partials[name] = result.imag / COMPLEX_STEP if isinstance(result, complex) else 0.0
    return partials, ""


def _symbolic(
    expression: Expression, at: Mapping[str, Any], names: list[str]
) -> tuple[dict[str, float], str]:
    from .custom import visible
    from .printer import parse_bindings
    from .symbolic import diff

    derivative = diff(expression, names)
    partials, size = {}, 0
    for name in names:
        with visible(expression.program):  # the program's own ops, by the names printed
            graph = parse_bindings(derivative.text[name])[0]  # the printed text, parsed back
        size += len(derivative.text[name])
        partials[name] = float(_value(topological_order(graph), graph, at))
    return partials, f"diff, print ({size} chars), parse, evaluate"
