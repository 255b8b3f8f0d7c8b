"""Hessians and Hessian-vector products: forward mode over the gradient graph (forward over reverse).

The gradient is built once as a graph (reverse mode run on nodes, broadcasts undone inside it);
then forward sweeps over it, one per colour of a column colouring of the Hessian's structural
sparsity over input *elements* (engine/sparsity.py): columns that never share a row are seeded
together. The lower triangle is mirrored, so the result is exactly symmetric. An HVP is one
forward sweep along the given direction, without forming H.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import elements, sweeps
from ..engine.bind import bind, scalar_output
from ..engine.transforms import coloured_hessian, hessian_pattern
from ..errors import TooLarge
from ..ir.graph import Graph
from ..ir.shapes import MAX_ELEMENTS, limit_text
from .notes import at_point, derivatives
from .point import Gradient, HessianVectorProduct, bind_direction, dense_direction


@dataclass(frozen=True)
class Hessian(Gradient):
    """Value, gradient and Hessian blocks (first input -> second input -> block a.shape + b.shape).

    `labels`, `matrix` and `flat_gradient` are the same numbers over the flattened input elements.
    """

    hessian: dict[str, dict[str, Any]] = field(default_factory=dict)
    directions: int = 0  # forward sweeps over the gradient graph (colours of the column colouring)
    labels: list[str] = field(default_factory=list)
    matrix: list[list[float]] = field(default_factory=list)
    flat_gradient: list[float] = field(default_factory=list)

    @property
    def elementwise(self) -> bool:
        """True when some input is a vector or matrix (tables show one row per element)."""
        return len(self.labels) != len(self.gradient)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "hessian": self.hessian, "directions": self.directions}


def dense_limit(entries: int, what: str, instead: str) -> None:
    """TooLarge before a dense matrix of more entries than one array may hold (2^24: 128 MiB)."""
    if entries > MAX_ELEMENTS:
        raise TooLarge(f"{what} would have {entries:,} entries, {limit_text()}: try `{instead}`")


def hessian(graph: Graph, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Hessian:
    """Value, gradient and exactly symmetric Hessian over every input element."""
    point = bind(graph, at, wrt or ())
    root = scalar_output(point, "a Hessian")
    names = point.names(wrt)
    shapes = {name: point.shapes[name] for name in names}
    dense_limit(sum(map(elements.size, shapes.values())) ** 2, "the Hessian", "adcalc hvp")
    # what does not depend on the point's values is built once per input signature
    key = ("hessian", tuple(names), tuple(point.shapes.items()))
    prepared = graph.cache.get(key)
    if prepared is None:
        graphs = sweeps.gradient_graph(root, names, point.node_shapes)
        gradient_nodes = [graphs[name] for name in names]
        prepared = [gradient_nodes, sweeps.order_of(point, gradient_nodes), None]
        graph.cache[key] = prepared
    gradient_nodes, order, pattern = prepared
    found = sweeps.values(point, order=order)[1]
    if pattern is None:  # element shapes of the gradient graph's nodes are read off the values
        pattern = prepared[2] = hessian_pattern(gradient_nodes, shapes, found)
    matrix, directions = coloured_hessian(gradient_nodes, shapes, order, found, pattern)
    gradient = [
        v
        for name, g in zip(names, gradient_nodes, strict=True)
        for v in elements.flat(found[g], shapes[name])
    ]
    spans = elements.offsets(shapes)
    blocks: dict[str, dict[str, Any]] = {}
    for a in names:
        (r0, r1) = spans[a]
        blocks[a] = {}
        for b in names:
            (c0, c1) = spans[b]
            entries = [matrix[i][j] for i in range(r0, r1) for j in range(c0, c1)]
            blocks[a][b] = elements.block(entries, shapes[a] + shapes[b])
    partials = {name: elements.block(gradient[slice(*spans[name])], shapes[name]) for name in names}
    second = {f"∂²f/∂{a}∂{b}": blocks[a][b] for a in names for b in names}
    notes = at_point(order, found, found[root], partials) + derivatives(second, "second derivative")
    return Hessian(
        graph.label, point.at, found[root], partials, blocks, directions,
        elements.all_labels(shapes), matrix, gradient, warnings=notes,
    )  # fmt: skip


def hvp(
    graph: Graph, at: Mapping[str, Any], direction: Mapping[str, Any], wrt: Sequence[str] | None = None
) -> HessianVectorProduct:
    """H·v without forming H: one forward sweep over the gradient graph (`derivative`: name -> (H v))."""
    point = bind(graph, at, [*(wrt or ()), *direction])
    root = scalar_output(point, "a Hessian-vector product")
    names = point.names(wrt)
    seeds = bind_direction(point, direction)
    graphs = sweeps.gradient_graph(root, names, point.node_shapes)
    order, found = sweeps.values(point, list(graphs.values()))
    tangents = sweeps.tangents(order, found, seeds)
    product = {name: elements.dense(tangents.get(graphs[name], 0.0), point.shapes[name]) for name in names}
    shown = dense_direction(point, seeds, names) | {k: v for k, v in seeds.items() if k not in names}
    notes = at_point(order, found, found[root], product, "H·v")
    return HessianVectorProduct(graph.label, point.at, found[root], shown, product, warnings=notes)
