"""Samplers: a graph's compiled kernels run over many points at once, for the answers that need
many values (plot's grid, propagate's Monte Carlo draws). Here, above answers/, because they use
the compiled forms; the answers take them as plain functions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..answers.plot import derivative_graph
from ..errors import EvaluationError
from ..ir.graph import Graph
from .compiled import compile_graph


def plot_sampler(graph: Graph, variable: str, at: dict[str, Any], order: int) -> Any:
    """xs -> [f, f′, f″, f‴ or None] over the grid, the other inputs held at `at`."""
    import numpy as np

    if not graph.uses_arrays:  # one numpy plan computes f and every derivative over all the points
        compiled = compile_graph(derivative_graph(graph, variable, order + 1), None)
        names = compiled.variables

        def columns(xs: Any) -> list[Any]:
            return [xs if name == variable else np.full(xs.shape, float(at[name])) for name in names]

        return lambda xs: list(compiled.table(0, columns(xs)))
    # vector or matrix values: the engine's exact Hessian point by point (no f‴: the gaps of f″
    # come from its neighbouring steps)
    pointwise = compile_graph(graph, [variable])

    def sample(xs: Any) -> list[Any]:
        found = np.full((3, len(xs)), np.nan)
        for k, t in enumerate(xs.tolist()):
            try:
                value, gradient, hessian = pointwise.hessian(**at, **{variable: t})
            except EvaluationError:
                continue  # outside the domain: a gap
            found[:, k] = value, gradient[variable], hessian[variable][variable]
        return [*found, None]

    return sample


def draw_sampler(graph: Graph, at: Mapping[str, Any]) -> Any:
    """Monte Carlo draws through adcalc's compiled numpy kernels (batch's path) when every input
    and node is a scalar; None (one engine evaluation per draw) otherwise."""
    import numpy as np

    if graph.uses_arrays or any(np.shape(at.get(name, 0.0)) != () for name in graph.variables):
        return None

    compiled = compile_graph(graph)
    index = {name: k for k, name in enumerate(graph.variables)}  # the Jacobian's columns start so

    def run(draws: Any) -> Any:
        columns = [draws[:, index[name]].copy() for name in compiled.variables]
        values = compiled.plan(0).run(columns).T  # (outputs, rows) -> (rows, outputs)
        return values if columns else np.repeat(values, len(draws), axis=0)  # a constant: one row

    return run
