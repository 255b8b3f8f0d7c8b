"""One gradient, five ways: reverse and forward AD, central differences, complex step, symbolic.

Each method reports its values, its largest error relative to reverse mode, how many function
evaluations (or sweeps) it needed and its time, so the table shows what AD buys: exact
derivatives for the price of a few evaluations, where finite differences need 2n evaluations and
lose about half the digits (step h = cbrt(eps) max(1, |x|) balances truncation h² against
rounding eps/h, leaving ~eps^(2/3) relative error).

It is also a gate, like torch.autograd.gradcheck: each method that applies must agree with
reverse mode within its tolerance, element by element, where the error of an element is
|m - r| / max(1, |r|) (relative, absolute below 1, so a partial near 0 is not held to digits it
cannot have). One tolerance `tol` sets them all: central differences get `tol` (default 1e-6:
their error is ~eps^(2/3) ≈ 4e-11 times the function's scale), the methods that are exact up to
rounding get `tol * EXACT_SCALE` (1e-12 by default).
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
from ..errors import DomainError, EvaluationError, NotApplicable
from ..ir.graph import Graph
from ..ir.nodes import topological_order
from .notes import Answer
from .point import gradient, gradient_forward

EPS = sys.float_info.epsilon
COMPLEX_STEP = 1e-20
DEFAULT_TOL = 1e-6
EXACT_SCALE = 1e-6  # forward AD, complex step and symbolic are exact up to rounding
APPROXIMATE = {"central differences"}  # the methods held to `tol` itself
# The symbolic column prints the derivative and parses it back: on a chain of single-use nodes
# (sin nested 10^4 deep) diff's printer needs memory quadratic in the depth (1.2 GB at 10^4), so
# check, which must stay linear in the graph, leaves the column out of larger graphs.
SYMBOLIC_NODES = 5_000
REPEAT_BELOW = 0.05  # seconds: a method this fast is timed again (best of 3); a slow one once


@dataclass(frozen=True)
class Method:
    """One row of the comparison: a method's gradient, error, cost and time."""

    name: str
    values: dict[str, float] | None  # None when the method does not apply
    evaluations: int  # function evaluations, or sweeps for AD
    cost: str  # the same in words
    seconds: float
    max_error: float | None = None  # largest |m - r| / max(1, |r|) over the elements
    note: str = ""
    tolerance: float = 0.0
    errors: dict[str, float] = field(default_factory=dict)  # element label -> its error

    @property
    def digits(self) -> float | None:
        """Correct significant digits implied by the error (16 for an exact match)."""
        if self.max_error is None:
            return None
        if self.max_error == 0:
            return 16.0
        if not math.isfinite(self.max_error):  # NaN or an infinite error: no digit is right
            return 0.0
        return max(0.0, min(16.0, -math.log10(self.max_error)))

    @property
    def failed(self) -> list[str]:
        """The elements whose error is over the tolerance (NaN counts as over)."""
        return [label for label, error in self.errors.items() if not error <= self.tolerance]

    @property
    def passed(self) -> bool | None:
        """True when every element is within the tolerance; None when the method does not apply."""
        return None if self.values is None else not self.failed

    def to_dict(self, shapes: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, Any]:
        values = self.values
        if values is not None and shapes is not None:  # shaped like grad's gradient
            values = _by_name(values, shapes)
        return {
            "method": self.name,
            "gradient": values,
            "max_error": self.max_error,
            "digits": self.digits,
            "tolerance": self.tolerance,
            "passed": self.passed,
            "failed": self.failed,
            "evaluations": self.evaluations,
            "cost": self.cost,
            "seconds": self.seconds,
            "note": self.note,
        }


@dataclass(frozen=True)
class Check(Answer):
    """The gradient of one expression at one point computed by every method."""

    expression: str
    at: dict[str, Any]
    value: Any
    variables: list[str]  # element labels: x, or x[1], A[2,3] for arrays
    methods: list[Method] = field(default_factory=list)
    shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)  # input name -> shape
    tol: float = DEFAULT_TOL

    @property
    def passed(self) -> bool:
        """True when every method that applies agrees with reverse mode within its tolerance."""
        return all(m.passed is not False for m in self.methods)

    def failures(self) -> list[str]:
        """One line per failed method, naming the element that failed worst (and how many more)."""
        truth = self.methods[0].values or {}
        lines = []
        for m in self.methods:
            if m.passed is not False or m.values is None:
                continue
            labels = sorted(m.failed, key=lambda k: -m.errors[k])  # NaN errors are inf: first
            worst = labels[0]
            line = (
                f"{m.name} disagrees with reverse AD at {worst}: {m.values[worst]!r} vs {truth[worst]!r}, "
                f"error {m.errors[worst]:.1e} > tolerance {m.tolerance:.0e}"
            )
            if len(labels) > 1:
                shown = ", ".join(labels[1:4]) + (", …" if len(labels) > 4 else "")
                line += f" (and {len(labels) - 1} more: {shown})"
            lines.append(line)
        return lines

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "at": self.at,
            "value": self.value,
            "variables": list(self.shapes),
            "elements": self.variables,
            "gradient": _by_name(self.methods[0].values or {}, self.shapes),
            "tolerance": self.tol,
            "passed": self.passed,
            "methods": [m.to_dict(self.shapes) for m in self.methods],
        }


def _by_name(values: Mapping[str, float], shapes: Mapping[str, tuple[int, ...]]) -> dict[str, Any]:
    """Element label -> number becomes input name -> number or nested list, as grad prints it."""
    flat = list(values.values())
    result, start = {}, 0
    for name, shape in shapes.items():
        count = elements.size(shape)
        result[name] = elements.block(flat[start : start + count], shape)
        start += count
    return result


def _timed(compute: Callable[[], Any], repeats: int = 3) -> tuple[Any, float]:
    """The result and the best of a few timings (the first run pays for imports and caches);
    a run slower than REPEAT_BELOW is not repeated, so check on a 10^6-node graph costs one
    run of each method, not three."""
    best = math.inf
    for _ in range(repeats):
        start = time.perf_counter()
        result = compute()
        best = min(best, time.perf_counter() - start)
        if best > REPEAT_BELOW:
            break
    return result, best


def _errors(values: Mapping[str, float], truth: Mapping[str, float]) -> dict[str, float]:
    """Element -> |m - r| / max(1, |r|); equal values (two NaNs, the same infinity) are 0 apart.

    Where reverse mode's own value is not finite (sqrt at 0), no approximation can match it:
    such an element is compared for equality only, and left out when the values differ.
    """
    found = {}
    for name, exact in truth.items():
        got = values[name]
        if got == exact or (got != got and exact != exact):
            found[name] = 0.0
            continue
        if not math.isfinite(exact):
            continue
        error = abs(got - exact) / max(1.0, abs(exact))
        found[name] = error if error == error else math.inf
    return found


def tolerance_of(method: str, tol: float) -> float:
    """The tolerance a method is held to for the gate tolerance `tol`."""
    return tol if method in APPROXIMATE else tol * EXACT_SCALE


def check(
    graph: Graph, at: Mapping[str, Any], wrt: Sequence[str] | None = None, tol: float = DEFAULT_TOL
) -> Check:
    """Reverse, forward, central differences, complex step and symbolic gradients side by side,
    element by element for vector and matrix inputs, each held to its tolerance (see above)."""
    if not tol > 0:
        from ..errors import UsageError

        raise UsageError(f"the tolerance must be a positive number, got {tol!r}")
    point = bind(graph, at, wrt or ())
    scalar_output(point, "check")
    names = point.names(wrt)
    shapes = {name: point.shapes[name] for name in names}
    exact, seconds = _timed(lambda: gradient(graph, point.at, names))
    truth = _by_element(exact.gradient, shapes)
    n = len(truth)
    rows = [
        Method(
            "reverse AD",
            truth,
            2,
            "1 forward + 1 reverse sweep",
            seconds,
            0.0,
            errors=dict.fromkeys(truth, 0.0),
        )
    ]
    per = "input element" if any(shapes.values()) else "input"
    for name, count, cost, compute in [
        (
            "forward AD", n, f"{_count(n, 'forward sweep')}, one per {per}",
            lambda: (_by_element(gradient_forward(graph, point.at, names).gradient, shapes), ""),
        ),
        (
            "central differences", 2 * n, f"2n = {2 * n} evaluations, h = cbrt(eps)·max(1, |x|)",
            lambda: _central(point, shapes),
        ),
        (
            "complex step", n, f"{_count(n, 'complex evaluation')}, h = 1e-20",
            lambda: _complex_step(point, shapes),
        ),
        ("symbolic (diff)", 1, "", lambda: _symbolic(point, names)),
    ]:  # fmt: skip
        rows.append(_row(name, count, cost, compute, truth, tolerance_of(name, tol)))
    return Check(graph.label, point.at, exact.value, list(truth), rows, shapes, tol, warnings=exact.warnings)


def _count(n: int, thing: str) -> str:
    """'1 forward sweep', '3 forward sweeps'."""
    return f"{n} {thing}" + ("" if n == 1 else "s")


def _by_element(partials: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> dict[str, float]:
    """Input name -> array becomes element label -> number."""
    result: dict[str, float] = {}
    for name, shape in shapes.items():
        result.update(zip(elements.labels(name, shape), elements.flat(partials[name], shape), strict=True))
    return result


def _row(
    name: str, count: int, cost: str, compute: Callable[[], Any], truth: Mapping[str, float], tolerance: float
) -> Method:
    try:
        (values, extra), seconds = _timed(compute)
    except NotApplicable as problem:
        return Method(name, None, count, cost, 0.0, None, f"not applicable: {problem.detail}", tolerance)
    except EvaluationError as problem:  # e.g. a difference step outside the domain: it does not apply
        return Method(name, None, count, cost, 0.0, None, f"failed: {problem.message()}", tolerance)
    errors = _errors(values, truth)
    worst = max(errors.values(), default=0.0)
    return Method(name, values, count, extra or cost, seconds, worst, "", tolerance, errors)


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
            if not all(map(math.isfinite, ends)):  # log(x) at x = 1e-9 with h = 6e-6, say
                raise DomainError(f"the difference step h = {h:.1g} leaves the domain at {label}")
            partials[label] = (ends[0] - ends[1]) / (2 * h)
    return partials, ""


def _complex_step(point: Point, shapes: Mapping[str, tuple[int, ...]]) -> tuple[dict[str, float], str]:
    if not point.scalar:
        raise NotApplicable("vector and matrix values are real numpy arrays")
    partials = {}
    for name in shapes:
        try:
            result = _value(point, name, complex(float(point.at[name]), COMPLEX_STEP))
        except (OverflowError, ZeroDivisionError) as problem:  # z^9^99: complex arithmetic overflows
            raise NotApplicable(f"complex arithmetic failed at {name}: {problem}") from None
        partials[name] = result.imag / COMPLEX_STEP if isinstance(result, complex) else 0.0
    return partials, ""


def _symbolic(point: Point, names: list[str]) -> tuple[dict[str, float], str]:
    if not point.scalar:
        raise NotApplicable("diff prints scalar expressions only")
    if point.graph.size > SYMBOLIC_NODES:
        raise NotApplicable(
            f"{point.graph.size:,} nodes; the printed derivative is checked up to {SYMBOLIC_NODES:,} "
            "(`adcalc diff` prints it)"
        )
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
