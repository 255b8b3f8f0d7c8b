"""Every kind of derivative at a point: JVP, forward-mode gradient, Jacobian, Hessian, HVP, k-th.

Forward mode pushes one tangent per sweep (cost ~ one evaluation per input direction); reverse
mode pulls one cotangent per sweep (~ one evaluation per output). The Hessian is forward over
reverse: the gradient as a graph (reverse mode run on nodes), then forward sweeps over that
graph, one per colour of the Hessian's column colouring (see sparsity.py), lower triangle mirrored
so the result is exactly symmetric. The same sweeps run on nodes (`hessian_graphs`) give a graph
per entry, for prepared.py and batch.py. Nothing here imports numpy (the scalar CLI path stays light).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..api import Evaluation, Expression, Gradient, _as_float, _used, as_expression, wrt_names
from ..engine.forward import raise_if_nan, tangents_of, values_of
from ..engine.reverse import cotangents_of, gradient_graph, partials_by_name
from ..engine.sparsity import colour_columns, colour_groups, hessian_pattern, lower_entries
from ..errors import UsageError
from ..ir.nodes import Node, const, topological_order
from ..kinds.graphs import as_node


def _values(roots: Sequence[Node], at: Mapping[str, Any]) -> tuple[list[Node], dict[Node, Any]]:
    """Topological order and values; DomainError if the first root's value is NaN."""
    order = topological_order(roots)
    values = values_of(order, at)
    raise_if_nan(roots[:1], values)
    return order, values


def _arrays(expression: Expression, *points: Mapping[str, Any]) -> bool:
    """A program with vector or matrix values (declared, or given at the point or direction)."""
    if expression.program is None:
        return False
    return expression.program.uses_arrays or any(hasattr(v, "shape") for p in points for v in p.values())


@dataclass(frozen=True)
class DirectionalDerivative(Evaluation):
    """Value and the derivative along a direction (one forward sweep)."""

    direction: dict[str, float] = field(default_factory=dict)
    derivative: Any = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "direction": self.direction, "derivative": self.derivative}


def jvp(
    expr: Expression | str, at: Mapping[str, Any], direction: Mapping[str, float]
) -> DirectionalDerivative:
    """∇f · direction by one forward-mode sweep (variables left out of direction get 0).

    >>> adcalc.jvp("x*y", at={"x": 2, "y": 3}, direction={"x": 1, "y": 1}).derivative
    5.0
    """
    expression = as_expression(expr)
    if len(expression.outputs) > 1 or _arrays(expression, at, direction):
        from ..answers.program_derivatives import program_jvp

        return program_jvp(expression, at, direction)
    wrt_names(expression, list(direction), at)  # unknown names are usage errors
    order, values = _values([expression.root], at)
    tangent = tangents_of(order, values, direction).get(expression.root, 0.0)
    dense = {name: _as_float(direction.get(name, 0.0)) for name in expression.variables}
    dense.update({k: _as_float(v) for k, v in direction.items()})
    return DirectionalDerivative(
        expression.label, _used(expression, at), values[expression.root], dense, _as_float(tangent)
    )


def gradient_forward(
    expr: Expression | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None
) -> Gradient:
    """Value and gradient by forward mode: one tangent sweep per variable."""
    expression = as_expression(expr)
    if len(expression.outputs) > 1 or _arrays(expression, at):
        from ..answers.program_derivatives import program_gradient_forward

        return program_gradient_forward(expression, at, wrt)
    names = wrt_names(expression, wrt, at)
    order, values = _values([expression.root], at)
    partials = {
        name: _as_float(tangents_of(order, values, {name: 1.0}).get(expression.root, 0.0)) for name in names
    }
    return Gradient(expression.label, _used(expression, at), values[expression.root], partials)


@dataclass(frozen=True)
class Jacobian:
    """Values of several outputs and their Jacobian (rows: outputs, columns: variables)."""

    outputs: list[str]
    at: dict[str, Any]
    value: list[Any]
    variables: list[str]
    rows: list[list[Any]]
    mode: str

    def keys(self) -> list[str]:
        """JSON keys of the outputs: their text; a repeated text gets ' (k)' with its 1-based position."""
        seen: set[str] = set()
        keys = []
        for position, text in enumerate(self.outputs, start=1):
            keys.append(text if text not in seen else f"{text} ({position})")
            seen.add(text)
        return keys

    def to_dict(self) -> dict[str, Any]:
        matrix = {
            key: dict(zip(self.variables, row, strict=True))
            for key, row in zip(self.keys(), self.rows, strict=True)
        }
        return {
            "outputs": self.outputs,
            "at": self.at,
            "value": self.value,
            "mode": self.mode,
            "variables": self.variables,
            "jacobian": matrix,
        }


def jacobian(
    exprs: Sequence[Expression | str],
    at: Mapping[str, Any],
    wrt: Sequence[str] | None = None,
    mode: str | None = None,
) -> Jacobian:
    """Jacobian of several outputs: forward mode when inputs < outputs, else reverse (or `mode`).

    >>> adcalc.jacobian(["x*y", "sin(x)+y"], at={"x": 1, "y": 2}).rows[0]
    [2.0, 1.0]
    """
    expressions = [as_expression(e) for e in exprs]
    if not expressions:
        raise UsageError("jacobian needs at least one output expression")
    if any(e.program is not None for e in expressions):
        if len(expressions) > 1:
            raise UsageError("a program's Jacobian is of its own outputs: give one .adl program")
        from ..answers.program_jacobian import program_jacobian  # outputs by name, array blocks

        return program_jacobian(expressions[0], at, wrt, mode)
    every = list(dict.fromkeys(name for e in expressions for name in e.variables))
    names = (
        every if wrt is None else wrt_names(Expression(expressions[0].root, "", None, tuple(every)), wrt, at)
    )
    roots = [e.root for e in expressions]
    mode = mode or ("forward" if len(names) < len(roots) else "reverse")
    if mode not in ("forward", "reverse"):
        raise UsageError(f"--mode must be forward or reverse, got {mode!r}")
    order = topological_order(roots)
    values = values_of(order, at)
    raise_if_nan(roots, values)
    if mode == "forward":
        columns = [tangents_of(order, values, {name: 1.0}) for name in names]
        rows = [[_as_float(c.get(r, 0.0)) for c in columns] for r in roots]
    else:
        rows = []
        for r in roots:
            cotangents = cotangents_of(order, values, {r: 1.0}, set(names))
            partials = partials_by_name(cotangents, names)
            rows.append([_as_float(partials[name]) for name in names])
    point = {name: at[name] for name in every if name in at} | dict(at)
    texts = [e.source.strip() for e in expressions]
    return Jacobian(texts, point, [values[r] for r in roots], names, rows, mode)


@dataclass(frozen=True)
class Hessian(Gradient):
    """Value, gradient and Hessian (row variable -> column variable -> second derivative)."""

    hessian: dict[str, dict[str, Any]] = field(default_factory=dict)
    directions: int = 0  # forward sweeps over the gradient graph (colours of the column colouring)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "hessian": self.hessian, "directions": self.directions}


def hessian(expr: Expression | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Hessian:
    """Value, gradient and exactly symmetric Hessian by forward over reverse, sparsity-compressed.

    >>> adcalc.hessian("x^2*y", at={"x": 1, "y": 2}).hessian["x"]
    {'x': 4.0, 'y': 2.0}
    """
    expression = as_expression(expr)
    if expression.program is not None and (len(expression.outputs) > 1 or _arrays(expression, at)):
        from ..answers.program_derivatives import program_hessian  # shape-aware gradient graph, per element

        return program_hessian(expression, at, wrt)
    names = wrt_names(expression, wrt, at)
    graphs = gradient_graph(expression.root, names)
    gradient_nodes = [graphs[name] for name in names]
    order, values = _values([expression.root, *gradient_nodes], at)
    entries, found, directions = hessian_entries(gradient_nodes, names, order, values, 1.0)
    matrix = [[0.0] * len(names) for _ in names]
    for (i, j), value in zip(entries, found, strict=True):
        matrix[i][j] = matrix[j][i] = _as_float(value)
    table = {a: dict(zip(names, row, strict=True)) for a, row in zip(names, matrix, strict=True)}
    partials = {name: _as_float(values[g]) for name, g in zip(names, gradient_nodes, strict=True)}
    return Hessian(
        expression.label, _used(expression, at), values[expression.root], partials, table, directions
    )


def hessian_entries(
    gradient: Sequence[Node], names: Sequence[str], order: list[Node], values: Mapping[Node, Any], one: Any
) -> tuple[list[tuple[int, int]], list[Any], int]:
    """(structurally non-zero lower-triangle entries (i, j), their values, number of colours).

    One forward sweep over the gradient graphs per colour, seeded with `one` in each of its
    columns: on numbers (`values` at a point) or on nodes (`values` the nodes themselves).
    """
    pattern = hessian_pattern(gradient, names)
    colours = colour_columns(pattern)
    columns = []
    for group in colour_groups(colours):
        tangents = tangents_of(order, values, {names[j]: one for j in group})
        columns.append([tangents.get(g, 0.0) for g in gradient])
    entries = lower_entries(pattern, colours)
    return [(i, j) for i, j, _ in entries], [columns[c][i] for i, _, c in entries], len(columns)


def hessian_graphs(
    root: Node, variables: Sequence[str]
) -> tuple[list[Node], list[tuple[int, int]], list[Node], int]:
    """(gradient graphs, lower-triangle entries (i, j), their graphs, number of colours)."""
    graphs = gradient_graph(root, variables)
    gradient = [graphs[name] for name in variables]
    order = topological_order(gradient)
    identity = {n: n for n in order}  # forward mode on nodes: values are the nodes themselves
    entries, found, colours = hessian_entries(gradient, variables, order, identity, const(1.0))
    return gradient, entries, [as_node(g) for g in found], colours


def hvp(
    expr: Expression | str,
    at: Mapping[str, Any],
    direction: Mapping[str, float],
    wrt: Sequence[str] | None = None,
) -> DirectionalDerivative:
    """H · direction without forming H: one forward sweep over the gradient graph.

    `derivative` is a dict variable -> (H v)_variable.
    """
    expression = as_expression(expr)
    if expression.program is not None and (len(expression.outputs) > 1 or _arrays(expression, at, direction)):
        from ..answers.program_derivatives import program_hvp

        return program_hvp(expression, at, direction, wrt)
    names = wrt_names(expression, wrt, at)
    wrt_names(expression, list(direction), at)
    graphs = gradient_graph(expression.root, names)
    order, values = _values([expression.root, *graphs.values()], at)
    tangents = tangents_of(order, values, direction)
    product = {name: _as_float(tangents.get(graphs[name], 0.0)) for name in names}
    dense = {name: _as_float(direction.get(name, 0.0)) for name in names} | {
        k: _as_float(v) for k, v in direction.items()
    }
    return DirectionalDerivative(
        expression.label, _used(expression, at), values[expression.root], dense, product
    )


@dataclass(frozen=True)
class HigherDerivative(Evaluation):
    """The k-th derivative of a function of one variable (the others held at their values)."""

    wrt: str = ""
    order: int = 1
    derivative: Any = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "wrt": self.wrt, "order": self.order, "derivative": self.derivative}


def derivative(
    expr: Expression | str, at: Mapping[str, Any], order: int, wrt: str | None = None
) -> HigherDerivative:
    """d^k f / dx^k at a point: k! times the k-th Taylor coefficient (Taylor mode, one sweep).

    >>> adcalc.derivative("x^5", at={"x": 1}, order=3).derivative
    60.0
    """
    from math import factorial

    from ..kinds.series import taylor

    series = taylor(expr, at, order, wrt)
    value = series.coefficients[order] * factorial(order)
    return HigherDerivative(
        series.expression, series.at, series.coefficients[0], series.wrt, order, _as_float(value)
    )


def hessian_function(
    expr: Expression | str, variables: Sequence[str] | None = None, vectorize: bool = True
) -> Any:
    """A compiled Hessian (prepared.HessianFunction): prepare once, then h(x) -> n x n numpy array.

    >>> h = adcalc.hessian_function("x^2*y")
    >>> h([1.0, 2.0])                      # [[4, 2], [2, 0]]
    """
    from ..codegen.prepared import HessianFunction  # numpy: imported only here

    return HessianFunction(expr, variables, vectorize)


def gradient_function(
    expr: Expression | str, variables: Sequence[str] | None = None, vectorize: bool = True
) -> Any:
    """A compiled gradient (prepared.GradientFunction): g(x) -> numpy vector."""
    from ..codegen.prepared import GradientFunction

    return GradientFunction(expr, variables, vectorize)
