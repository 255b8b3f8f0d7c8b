"""What an optimiser or root finder calls: f, ∇f, ∇²f, H·v and F, J over one flat vector x.

The unknowns (scalars, vectors, matrices) are laid out in one float vector, inputs in order and
each array row-major, as scipy wants them. Everything that does not depend on x is prepared once:
the point's shapes, the gradient as a graph (reverse mode run on nodes) and the node order of a
sweep over it, and the Hessian's sparsity colouring. A call is then one value sweep (f), one sweep
over the gradient graph (f and ∇f), that sweep plus one tangent sweep (H·v: forward over reverse)
or one tangent sweep per colour (∇²f). Every call is counted, so the reported evaluations are
what the optimiser asked for, whatever scipy's own bookkeeping says.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine import elements, sweeps
from ..engine.bind import Point, bind, scalar_output
from ..engine.transforms import coloured_hessian, hessian_pattern
from ..errors import MissingVariables
from ..ir.graph import Graph

Shape = tuple[int, ...]


class Layout:
    """Named unknowns laid out in one flat vector: names in order, each array's elements row-major."""

    def __init__(self, shapes: Mapping[str, Shape]) -> None:
        self.shapes = dict(shapes)
        self.spans = elements.offsets(self.shapes)
        self.size = sum(b - a for a, b in self.spans.values())

    @property
    def names(self) -> list[str]:
        return list(self.shapes)

    @property
    def labels(self) -> list[str]:
        """x, y or x[1], x[2], ...: one per element (1-based, as the language indexes)."""
        return elements.all_labels(self.shapes)

    def named(self, x: Any) -> dict[str, Any]:
        """Name -> float, or float array of the input's shape (a copy, never a view of x)."""
        found: dict[str, Any] = {}
        for name, (a, b) in self.spans.items():
            shape = self.shapes[name]
            found[name] = np.array(x[a:b], dtype=float).reshape(shape) if shape else float(x[a])
        return found

    def flat(self, named: Mapping[str, Any]) -> np.ndarray:
        """The flat vector of named values (each shaped like its input)."""
        parts = [
            np.broadcast_to(np.asarray(named[name], dtype=float), shape).ravel()
            for name, shape in self.shapes.items()
        ]
        return np.concatenate(parts) if parts else np.zeros(0)


def layout_of(graphs: list[Graph], start: Mapping[str, Any], fixed: Mapping[str, Any]) -> Layout:
    """The unknowns: every name given a start value, shaped like it (declared shapes win, so a number
    given for a declared vector fills it). MissingVariables names an input given neither."""
    inputs: dict[str, Shape | None] = {}
    for graph in graphs:
        for name, shape in graph.inputs.items():
            inputs.setdefault(name, shape)
    missing = [name for name in inputs if name not in start and name not in fixed]
    if missing:
        raise MissingVariables(
            ", ".join(missing) + " (give a start value with --from, or a fixed one with --at)"
        )
    shapes = {}
    for name, value in start.items():
        declared = inputs.get(name)
        shape = tuple(np.shape(value))
        shapes[name] = declared if declared and not shape else shape
    return Layout(shapes)


class Counts:
    """How many times each function was called."""

    __slots__ = ("value", "gradient", "hessian", "hvp", "jacobian")

    def __init__(self) -> None:
        self.value = self.gradient = self.hessian = self.hvp = self.jacobian = 0


class Objective:
    """f, ∇f, ∇²f and H·v of a graph's one scalar output over the flat unknowns x; calls counted.

    An undefined value (NaN, outside the domain) is returned as +inf, so line searches and trust
    regions back away from it instead of accepting it.
    """

    def __init__(
        self, graph: Graph, layout: Layout, fixed: Mapping[str, Any], what: str = "minimize"
    ) -> None:
        self.graph, self.layout, self.fixed = graph, layout, dict(fixed)
        self.names = [name for name in layout.names if name in graph.inputs]
        template = bind(graph, self._values(np.zeros(layout.size)), self.names)
        self.root = scalar_output(template, what)
        self.shapes, self.node_shapes = template.shapes, template.node_shapes
        graphs = sweeps.gradient_graph(self.root, self.names, self.node_shapes)
        self.gradient_nodes = [graphs[name] for name in self.names]
        self.value_order = list(graph.order)
        self.gradient_order = sweeps.order_of(template, self.gradient_nodes)
        self._pattern: Any = None
        self.counts = Counts()
        # the last sweep over the gradient graph, (x, every node's value): Newton-CG asks for many
        # H·v at one x, trust-exact for ∇f and ∇²f there, and each reuses it
        self._last: tuple[bytes, dict[Any, Any]] | None = None

    # --- the point ------------------------------------------------------------------------------
    def _values(self, x: Any) -> dict[str, Any]:
        return {**self.fixed, **self.layout.named(x)}

    def point(self, x: Any) -> Point:
        return Point(self.graph, self._values(x), self.shapes, self.node_shapes)

    def _scatter(self, parts: dict[str, Any]) -> np.ndarray:
        """A flat vector over every unknown from name -> part (0 for unknowns the graph does not use)."""
        out = np.zeros(self.layout.size)
        for name, part in parts.items():
            a, b = self.layout.spans[name]
            out[a:b] = elements.flat(part, self.layout.shapes[name])
        return out

    def _by_name(self, found: Mapping[Any, Any], default: Any = None) -> dict[str, Any]:
        """Unknown name -> the value (or tangent) of its gradient node; a constant node's own value."""
        return {
            name: found.get(g, g.payload if default is None else default)
            for name, g in zip(self.names, self.gradient_nodes, strict=True)
        }

    # --- what scipy calls -----------------------------------------------------------------------
    def value(self, x: Any) -> float:
        self.counts.value += 1
        return self.value_uncounted(x)

    def value_uncounted(self, x: Any) -> float:
        found = sweeps.values(self.point(x), check=False, order=self.value_order)[1]
        return _finite_or_inf(found[self.root])

    def gradient(self, x: Any) -> np.ndarray:
        self.counts.gradient += 1
        return self.value_and_gradient(x)[1]

    def value_and_gradient(self, x: Any) -> tuple[float, np.ndarray]:
        """(f, ∇f), uncounted: one sweep over the gradient graph (it holds f's nodes too)."""
        found = self._gradient_values(x)
        return _finite_or_inf(found[self.root]), self._scatter(self._by_name(found))

    def _gradient_values(self, x: Any) -> dict[Any, Any]:
        key = np.asarray(x, dtype=float).tobytes()
        if self._last is None or self._last[0] != key:
            found = sweeps.values(self.point(x), check=False, order=self.gradient_order)[1]
            self._last = (key, found)
        return self._last[1]

    def hvp(self, x: Any, v: Any) -> np.ndarray:
        """H·v: one sweep over the gradient graph, then one forward (tangent) sweep along v."""
        self.counts.hvp += 1
        order = self.gradient_order
        found = self._gradient_values(x)
        direction = self.layout.named(np.asarray(v, dtype=float))
        seeds = {name: direction[name] for name in self.names}
        tangents = sweeps.tangents(order, found, seeds)
        return self._scatter(self._by_name(tangents, 0.0))

    def hessian(self, x: Any) -> np.ndarray:
        """∇²f, exactly symmetric: one tangent sweep over the gradient graph per colour of its columns."""
        self.counts.hessian += 1
        order = self.gradient_order
        found = self._gradient_values(x)
        shapes = {name: self.shapes[name] for name in self.names}
        nodes = self.gradient_nodes
        if self._pattern is None:
            self._pattern = hessian_pattern(nodes, shapes, found)
        matrix, _ = coloured_hessian(nodes, shapes, order, found, self._pattern)
        local = np.array(matrix, dtype=float).reshape(len(self._pattern), len(self._pattern))
        if len(self.names) == len(self.layout.names):
            return local
        index = np.concatenate([np.arange(*self.layout.spans[name]) for name in self.names])
        full = np.zeros((self.layout.size, self.layout.size))
        full[np.ix_(index, index)] = local
        return full


def _finite_or_inf(value: Any) -> float:
    value = float(value)
    return math.inf if value != value else value


class Residual:
    """F(x) (every output's elements, flattened in order) and its Jacobian J(x) over the unknowns."""

    def __init__(self, graph: Graph, layout: Layout, fixed: Mapping[str, Any], x0: Any = None) -> None:
        self.graph, self.layout, self.fixed = graph, layout, dict(fixed)
        self.names = [name for name in layout.names if name in graph.inputs]
        self.counts = Counts()
        found = self.evaluate(np.zeros(layout.size) if x0 is None else x0, check=False)
        self.output_shapes = {key: elements.shape_of(value) for key, value in found.items()}
        self.size = sum(elements.size(shape) for shape in self.output_shapes.values())

    def evaluate(self, x: Any, check: bool = True) -> dict[str, Any]:
        """Output key -> value at x (DomainError, when `check`, for an undefined output)."""
        from .jacobian import output_keys

        point = bind(self.graph, {**self.fixed, **self.layout.named(x)})
        found = sweeps.values(point, check=check)[1]
        return {
            key: found[n] for key, (_, n) in zip(output_keys(self.graph), self.graph.outputs, strict=True)
        }

    def value(self, x: Any) -> np.ndarray:
        self.counts.value += 1
        found = self.evaluate(x, check=False)
        return np.array(
            [v for key, value in found.items() for v in elements.flat(value, self.output_shapes[key])]
        )

    def jacobian(self, x: Any) -> np.ndarray:
        """Rows: output elements; columns: every unknown's elements (0 where an unknown is not used)."""
        from .jacobian import jacobian

        self.counts.jacobian += 1
        at = {**self.fixed, **self.layout.named(x)}
        try:
            rows = jacobian(self.graph, at, self.names).rows
        except Exception as problem:  # outside the domain at a trial point: NaN, as scipy expects
            from ..errors import EvaluationError

            if not isinstance(problem, EvaluationError):
                raise
            return np.full((self.size, self.layout.size), np.nan)
        local = np.array(rows, dtype=float).reshape(self.size, -1)
        if len(self.names) == len(self.layout.names):
            return local
        full = np.zeros((self.size, self.layout.size))
        columns = np.concatenate([np.arange(*self.layout.spans[name]) for name in self.names])
        full[:, columns] = local
        return full
