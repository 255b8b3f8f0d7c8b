"""Taylor coefficients and k-th derivatives in one variable: one sweep of series arithmetic."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..engine.bind import bind, scalar_output
from ..engine.forward import values_of
from ..errors import UsageError
from ..ir.graph import Graph
from ..ir.shapes import show
from ..kinds.series import Series, lift
from . import notes
from .notes import Answer
from .point import Evaluation

MAX_ORDER = 1000  # the series recurrences cost O(order²) per op


@dataclass(frozen=True)
class TaylorSeries(Answer):
    """Taylor coefficients f_k = f^(k)(x0) / k! of f in one variable, the others held fixed."""

    expression: str
    at: dict[str, Any]
    wrt: str
    coefficients: list[float]

    @property
    def derivatives(self) -> list[float]:
        """f^(k)(x0) = k! f_k."""
        return [c * math.factorial(k) for k, c in enumerate(self.coefficients)]

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "at": self.at,
            "value": self.coefficients[0],
            "variable": self.wrt,  # the one variable of the series (a string; diff's "wrt" is a list)
            "order": len(self.coefficients) - 1,
            "coefficients": self.coefficients,
            "derivatives": self.derivatives,
        }


def taylor(graph: Graph, at: Mapping[str, Any], order: int, wrt: str | None = None) -> TaylorSeries:
    """Taylor coefficients up to `order` at the point, by one sweep of series arithmetic."""
    if not 0 <= order <= MAX_ORDER:
        raise UsageError(f"order must be from 0 to {MAX_ORDER}, got {order}")
    if wrt is None:
        if len(graph.variables) != 1:
            shown = ", ".join(graph.variables) or "none"
            raise UsageError(f"Taylor mode needs one variable or wrt (variables: {shown})")
        wrt = graph.variables[0]
    if wrt not in at:
        raise UsageError(f"give the expansion point of {wrt}")
    point = bind(graph, at)
    scalar_output(point, "Taylor mode")
    if not point.scalar:
        arrays = ", ".join(f"{name} is {show(shape)}" for name, shape in point.shapes.items() if shape)
        raise UsageError(
            f"Taylor mode works on scalar computations; {graph.label} has vector/matrix values "
            f"({arrays or 'inside'}): try `adcalc hessian` or `adcalc hvp`"
        )
    values = dict(point.at)
    x0 = float(values[wrt])
    values[wrt] = Series([x0, 1.0] + [0.0] * (order - 1)) if order else Series([x0])
    result = values_of(list(graph.order), values)[graph.root]
    coefficients = lift(result, order + 1) if isinstance(result, Series) else lift(float(result), order + 1)
    coefficients = [float(c) for c in coefficients]
    return TaylorSeries(graph.label, point.at, wrt, coefficients, warnings=_notes(point, coefficients))


def _notes(point: Any, coefficients: list[float]) -> list[str]:
    # the kinks are found on plain values: one float sweep, cheap beside the series sweep
    from ..engine import sweeps

    order, found = sweeps.values(point, check=False)
    return [
        *notes.value(coefficients[0]),
        *notes.derivatives({"": coefficients[1:]}, "a Taylor coefficient"),
        *notes.kinks(order, found),
    ]


@dataclass(frozen=True)
class HigherDerivative(Evaluation):
    """The k-th derivative of a function of one variable (the others held at their values)."""

    wrt: str = ""
    order: int = 1
    derivative: Any = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "variable": self.wrt, "order": self.order, "derivative": self.derivative}


def derivative(graph: Graph, at: Mapping[str, Any], order: int, wrt: str | None = None) -> HigherDerivative:
    """d^k f / dx^k at a point: k! times the k-th Taylor coefficient (Taylor mode, one sweep)."""
    series = taylor(graph, at, order, wrt)
    value = series.coefficients[order] * math.factorial(order)
    return HigherDerivative(
        series.expression, series.at, series.coefficients[0], series.wrt, order, float(value),
        warnings=series.warnings,
    )  # fmt: skip
