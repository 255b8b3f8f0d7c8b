"""`check` for programs with vector and matrix values: the gradient element by element, three ways.

Reverse mode, forward mode (one sweep per input element) and central differences (two
evaluations per element) run on the program as it is, arrays and all. The complex step and the
symbolic derivative are reported as not applicable: the array ops' values are real numpy
functions, and `diff` prints scalar expressions only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..answers.check import EPS, Check, Method, _relative_error, _timed
from ..answers.program_derivatives import element_labels, flat, one_point, program_gradient_forward, shape_of
from ..api import Expression, _used, gradient, wrt_names
from ..engine.forward import values_of


def _flat_gradient(partials: Mapping[str, Any], shapes: Mapping[str, tuple[int, ...]]) -> dict[str, float]:
    """Input name -> array becomes element label -> number."""
    result: dict[str, float] = {}
    for name, shape in shapes.items():
        result.update(zip(element_labels(name, shape), flat(partials[name], shape), strict=True))
    return result


def _central(expression: Expression, point: Mapping[str, Any], shapes: Mapping[str, Any]) -> dict[str, float]:
    # h = cbrt(eps)·max(1, |x|) per element, as for formulas (see methods.py)
    import numpy as np

    order = list(expression.program.order)
    root = expression.root
    partials: dict[str, float] = {}
    for name, shape in shapes.items():
        base = np.asarray(point[name], dtype=float)
        for k, label in enumerate(element_labels(name, shape)):
            x = float(base.flat[k])
            h = EPS ** (1 / 3) * max(1.0, abs(x))
            ends = []
            for step in (h, -h):
                moved = base.copy()
                moved.flat[k] = x + step
                value = moved if shape else float(moved)
                ends.append(float(values_of(order, {**point, name: value})[root]))
            partials[label] = (ends[0] - ends[1]) / (2 * h)
    return partials


def program_check(expression: Expression, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Check:
    """Reverse AD, forward AD and central differences over every input element, side by side."""
    names = wrt_names(expression, wrt, at)
    point = one_point(expression, at)
    shapes = {name: shape_of(point.get(name, 0.0)) for name in names}
    exact, seconds = _timed(lambda: gradient(expression, point, names))
    truth = _flat_gradient(exact.gradient, shapes)
    n = len(truth)
    rows = [Method("reverse AD", truth, 2, "1 forward + 1 reverse sweep", seconds, 0.0)]
    forward, seconds = _timed(lambda: program_gradient_forward(expression, point, names))
    values = _flat_gradient(forward.gradient, shapes)
    cost = f"{n} forward sweeps, one per input element"
    rows.append(Method("forward AD", values, n, cost, seconds, _relative_error(values, truth)))
    values, seconds = _timed(lambda: _central(expression, point, shapes))
    cost = f"2n = {2 * n} evaluations, h = cbrt(eps)·max(1, |x|)"
    rows.append(Method("central differences", values, 2 * n, cost, seconds, _relative_error(values, truth)))
    for name, count, why in [
        ("complex step", n, "not applicable: array values are real numpy arrays"),
        ("symbolic (diff)", 1, "not applicable: diff prints scalar expressions only"),
    ]:
        rows.append(Method(name, None, count, "", 0.0, None, why))
    return Check(expression.label, _used(expression, point), exact.value, list(truth), rows)
