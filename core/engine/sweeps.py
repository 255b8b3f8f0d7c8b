"""The three sweeps over a bound point — values, tangents, cotangents — and the gradient as a graph.

The float fast path is chosen once per sweep (every node a scalar: each op's math function is
called directly, no dispatch on the kind of value). A cotangent that an element-wise op
broadcast is summed back to its input's shape as the shape table says, not as guessed from
values; on graphs the same step is an `unbroadcast` node, so second derivatives see it.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from ..ir.nodes import Node, topological_order
from ..ops.registry import OPS, apply
from .bind import Point
from .forward import raise_if_nan, tangents_of, values_of
from .sweep import float_gradient, float_values

if TYPE_CHECKING:  # reverse.py and the broadcast undo load on first use: a scalar gradient does not
    from .reverse import Observe


def order_of(point: Point, roots: Sequence[Node] = ()) -> list[Node]:
    """The nodes the graph's outputs and `roots` need, inputs first."""
    if not roots:
        return list(point.graph.order)
    return topological_order([*(n for _, n in point.graph.outputs), *roots])


def values(
    point: Point, roots: Sequence[Node] = (), check: bool = True, order: list[Node] | None = None
) -> tuple[list[Node], dict[Node, Any]]:
    """(order, every node's value); DomainError for an output whose value is NaN (when `check`).

    The nodes are the graph's and those `roots` need, or exactly `order` when it is given.
    """
    order = order_of(point, roots) if order is None else order
    found = float_values(order, point.at, ())[0] if point.scalar else values_of(order, point.at)
    if check:
        raise_if_nan([n for _, n in point.graph.outputs], found)
    return order, found


def tangents(order: list[Node], found: Mapping[Node, Any], seeds: Mapping[str, Any]) -> dict[Node, Any]:
    """Every node's tangent for the direction `seeds` (input name -> tangent)."""
    return tangents_of(order, found, seeds)


def cotangents(
    point: Point,
    order: list[Node],
    found: Mapping[Node, Any],
    seeds: Mapping[Node, Any],
    wrt: Collection[str],
    observe: Observe | None = None,
) -> dict[Node, Any]:
    """Every active node's cotangent for output cotangents `seeds`, broadcasts summed back by shape."""
    from .reverse import cotangents_of

    shapes = point.node_shapes
    fit = None
    if shapes:
        from ..ir.broadcast import fit_to

        def fit(part: Any, child: Node, n: Node) -> Any:
            return fit_to(part, shapes.get(child, ()))

    return cotangents_of(order, found, seeds, set(wrt), fit, observe)


def float_partials(
    point: Point, root: Node, names: Sequence[str]
) -> tuple[Any, dict[str, Any], dict[Node, Any]]:
    """(value, name -> ∂root/∂name, every node's value) at a scalar point: both sweeps on floats."""
    order = list(point.graph.order)
    found, active = float_values(order, point.at, set(names))
    raise_if_nan([n for _, n in point.graph.outputs], found)
    partials = float_gradient(order, found, active, root)
    return found[root], {name: float(partials.get(name, 0.0)) for name in names}, found


def gradient_graph(root: Node, names: Collection[str], shapes: Mapping[Node, Shape_] | None = None) -> dict:
    """The gradient as graphs (name -> node): reverse mode run on nodes, broadcasts undone in the graph."""
    from .reverse import gradient_graph as _gradient_graph

    if not shapes:
        return _gradient_graph(root, names)

    def fit(part: Node, child: Node, n: Node) -> Any:
        if not OPS[n.op].extra.get("array") and shapes.get(child, ()) != shapes.get(n, ()):
            return apply("unbroadcast", part, child)  # Σ over the axes the op broadcast child along
        return part

    return _gradient_graph(root, names, fit)


Shape_ = tuple[int, ...]
