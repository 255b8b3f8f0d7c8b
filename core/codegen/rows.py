"""Row evaluation: graphs with vector or matrix values inside, one point at a time through the engine.

The numpy kernels of batch.py give every node one column of rows, which a matrix node cannot
have; so a graph with arrays inside (`least_squares.adl`: scalar inputs, a 4×2 matrix inside) runs
each row through the same engine as `adcalc grad`, at a few thousand rows per second instead of
millions. Batch needs scalar inputs (a CSV cell holds one number); the Python API takes any.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import AdcalcError, UsageError
from ..ir.graph import Graph
from ..ir.nodes import Node
from ..ir.shapes import show
from .batch import column_names


class Pointwise:
    """adcalc.compile for a graph with vector or matrix values: value, grad, hessian per point."""

    def __init__(self, graph: Graph, wrt: Sequence[str] | None = None) -> None:
        self.expression = graph
        self.variables: tuple[str, ...] = tuple(graph.variables)
        self.wrt: tuple[str, ...] = tuple(graph.variables if wrt is None else dict.fromkeys(wrt))
        self.roots = [n for _, n in graph.outputs]

    def __repr__(self) -> str:
        return f"adcalc.compile({self.expression.label!r})"

    def value(self, /, **point: Any) -> Any:
        """The value at one point (a dict by output name for several outputs)."""
        from ..answers.point import evaluate

        return evaluate(self.expression, point).value

    def grad(self, /, **point: Any) -> tuple[Any, dict[str, Any]]:
        """(value, {input: ∂f/∂input}, shaped like the input) at one point."""
        from ..answers.point import gradient

        result = gradient(self.expression, point, self.wrt)
        return result.value, result.gradient

    def hessian(self, /, **point: Any) -> tuple[Any, dict[str, Any], dict[str, dict[str, Any]]]:
        """(value, gradient, Hessian blocks a.shape + b.shape) at one point."""
        from ..answers.hessian import hessian

        result = hessian(self.expression, point, self.wrt)
        return result.value, result.gradient, result.hessian

    # --- what adcalc batch calls ---------------------------------------------------------------
    def outputs(self, order: int) -> tuple[list[str], list[Node]]:
        """(column names, the output nodes) of `table`: values, then gradients, then Hessians."""
        self._scalar_inputs()
        names = column_names([name for name, _ in self.expression.outputs], self.wrt, order)
        return names, self.roots

    def plan(self, order: int) -> RowPlan:
        return RowPlan(self, order)

    def table(self, order: int, columns: Sequence[Any]) -> np.ndarray:
        return self.plan(order).run(columns)

    def _scalar_inputs(self) -> None:
        arrays = [f"{name} is {show(shape)}" for name, shape in self.expression.inputs.items() if shape]
        if arrays:
            raise UsageError(
                f"batch takes scalar inputs (one number per cell); {', '.join(arrays)}: "
                "use adcalc.compile(...).grad(...) per point"
            )


class RowPlan:
    """Every output column for each row, through the engine: `run(columns)` -> (outputs, rows)."""

    def __init__(self, compiled: Pointwise, order: int) -> None:
        self.compiled, self.order = compiled, order
        self.names = compiled.outputs(order)[0]
        self.variables = compiled.variables
        self.outputs = self.names  # one entry per output column, as batch.Plan has

    def row(self, point: dict[str, float]) -> list[float]:
        """The output columns at one point."""
        from ..answers.hessian import hessian
        from ..answers.point import gradient

        graph, wrt = self.compiled.expression, self.compiled.wrt
        values: list[float] = []
        derivatives: list[float] = []
        for name, _ in graph.outputs:
            one = _one_output(graph, name)
            if self.order >= 2:
                result = hessian(one, point, wrt)
                derivatives += [result.gradient[v] for v in wrt]
                derivatives += [result.hessian[a][b] for i, a in enumerate(wrt) for b in wrt[i:]]
            elif self.order == 1:
                result = gradient(one, point, wrt)
                derivatives += [result.gradient[v] for v in wrt]
            else:
                from ..answers.point import evaluate

                result = evaluate(one, point)
            values.append(float(result.value))
        return values + [float(d) for d in derivatives]

    def run(self, columns: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
        rows = len(columns[0]) if columns else 1
        out = np.empty((len(self.names), rows)) if out is None else out
        for k in range(rows):
            point = {name: float(column[k]) for name, column in zip(self.variables, columns, strict=True)}
            try:
                out[:, k] = self.row(point)
            except AdcalcError:
                out[:, k] = np.nan  # reasons() says why
        return out

    def reasons(self, roots: Sequence[Node], columns: Sequence[np.ndarray]) -> list[str]:
        """Why each of these rows failed: the engine's own error message."""
        from ..answers.point import evaluate

        messages = []
        for k in range(len(columns[0]) if columns else 1):
            point = {name: float(column[k]) for name, column in zip(self.variables, columns, strict=True)}
            try:
                evaluate(self.compiled.expression, point)
                messages.append("undefined")
            except AdcalcError as problem:
                messages.append(problem.detail)
        return messages


def _one_output(graph: Graph, name: str) -> Graph:
    """The graph restricted to one named output (its gradient is that output's)."""
    if len(graph.outputs) == 1:
        return graph
    key = ("output", name)
    found = graph.cache.get(key)
    if found is None:
        root = dict(graph.outputs)[name]
        found = graph.cache[key] = graph.with_outputs(((name, root),))
    return found
