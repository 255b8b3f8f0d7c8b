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

from ..engine import elements
from ..engine.bind import Point, bind, scalar_output
from ..engine.forward import values_of
from ..errors import EvaluationError, NotApplicable
from ..ir.graph import Graph
from ..ir.nodes import topological_order
from .point import gradient, gradient_forward

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


def check(graph: Graph, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Check:
    """Reverse, forward, central differences, complex step and symbolic gradients side by side,
    element by element for vector and matrix inputs."""
    point = bind(graph, at, wrt or ())
    scalar_output(point, "check")
    names = point.names(wrt)
    shapes = {name: point.shapes[name] for name in names}
    exact, seconds = _timed(lambda: gradient(graph, point.at, names))
    truth = _by_element(exact.gradient, shapes)
    n = len(truth)
    rows = [Method("reverse AD", truth, 2, "1 forward + 1 reverse sweep", seconds, 0.0)]
    per = "input element" if any(shapes.values()) else "input"
    for name, count, cost, compute in [
        (
            "forward AD", n, f"{n} forward sweeps, one per {per}",
            lambda: (_by_element(gradient_forward(graph, point.at, names).gradient, shapes), ""),
        ),
        (
            "central differences", 2 * n, f"2n = {2 * n} evaluations, h = cbrt(eps)·max(1, |x|)",
            lambda: _central(point, shapes),
        ),
        ("complex step", n, f"{n} complex evaluations, h = 1e-20", lambda: _complex_step(point, shapes)),
        ("symbolic (diff)", 1, "", lambda: _symbolic(point, names)),
    ]:  # fmt: skip
        rows.append(_row(name, count, cost, compute, truth))
    return Check(graph.label, point.at, exact.value, list(truth), rows)


def _by_element(partials: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> dict[str, float]:
    """Input name -> array becomes element label -> number."""
    result: dict[str, float] = {}
    for name, shape in shapes.items():
        result.update(zip(elements.labels(name, shape), elements.flat(partials[name], shape), strict=True))
    return result


def _row(name: str, count: int, cost: str, compute: Callable[[], Any], truth: Mapping[str, float]) -> Method:
    try:
        (values, extra), seconds = _timed(compute)
    except NotApplicable as problem:
        return Method(name, None, count, cost, 0.0, None, f"not applicable: {problem.detail}")
    except EvaluationError as problem:
        return Method(name, None, count, cost, 0.0, None, f"failed: {problem.message()}")
    return Method(name, values, count, extra or cost, seconds, _relative_error(values, truth))


def _value(point: Point, name: str, value: Any) -> Any:
    """The output at the point with one input moved (no checks: the point is already bound)."""
    order = list(point.graph.order)
    return values_of(order, {**point.at, name: value})[point.graph.root]


def _moved(point: Point, name: str, k: int, step: Any) -> Any:
    base = point.at[name]
    if not point.shapes[name]:
        return base + step
    import numpy as np

    moved = np.asarray(base, dtype=complex if isinstance(step, complex) else float).copy()
    moved.flat[k] += step
    return moved


def _central(point: Point, shapes: Mapping[str, tuple[int, ...]]) -> tuple[dict[str, float], str]:
    partials = {}
    for name, shape in shapes.items():
        for k, label in enumerate(elements.labels(name, shape)):
            x = elements.flat(point.at[name], shape)[k]
            h = EPS ** (1 / 3) * max(1.0, abs(x))  # cbrt(eps): truncation h² ~ rounding eps/h
            ends = [float(_value(point, name, _moved(point, name, k, step))) for step in (h, -h)]
            partials[label] = (ends[0] - ends[1]) / (2 * h)
    return partials, ""


def _complex_step(point: Point, shapes: Mapping[str, tuple[int, ...]]) -> tuple[dict[str, float], str]:
    if not point.scalar:
        raise NotApplicable("vector and matrix values are real numpy arrays")
    partials = {}
    for name in shapes:
        result = _value(point, name, complex(float(point.at[name]), COMPLEX_STEP))
        partials[name] = result.imag / COMPLEX_STEP if isinstance(result, complex) else 0.0
    return partials, ""


def _symbolic(point: Point, names: list[str]) -> tuple[dict[str, float], str]:
    if not point.scalar:
        raise NotApplicable("diff prints scalar expressions only")
    from ..ops.custom import visible
    from .diff import diff
    from .printer import parse_bindings

    derivative = diff(point.graph, names)
    partials, size = {}, 0
    for name in names:
        with visible(point.graph):  # the program's own ops, by the names printed
            graph = parse_bindings(derivative.text[name])[0]  # the printed text, parsed back
        size += len(derivative.text[name])
        partials[name] = float(values_of(topological_order(graph), point.at)[graph])
    return partials, f"diff, print ({size} chars), parse, evaluate"
