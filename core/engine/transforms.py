"""Transformations of graphs: the Hessian as coloured forward sweeps over the gradient graph.

`coloured_hessian` runs on numbers (a Hessian at a point); `hessian_graphs` runs the same sweeps
on nodes, giving one graph per structurally non-zero entry (for compiled Hessians and batch).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from ..ir.nodes import Node, const, topological_order
from . import elements, sparsity
from .forward import tangents_of
from .reverse import gradient_graph

Shape = tuple[int, ...]


def hessian_pattern(gradient: Sequence[Node], shapes: Mapping[str, Shape], found: Mapping[Node, Any]) -> list:
    """Row i: the element columns j where H[i, j] may be non-zero (symmetric), over all input elements."""
    if not any(shapes.values()):
        return sparsity.hessian_pattern(gradient, list(shapes))
    return sparsity.element_hessian_pattern(
        gradient, list(shapes.items()), lambda n: elements.shape_of(found[n])
    )


def coloured_entries(
    gradient: Sequence[Node],
    shapes: Mapping[str, Shape],
    order: list[Node],
    found: Mapping[Node, Any],
    one: Any,
    pattern: Sequence[Sequence[int]],
) -> tuple[list[tuple[int, int]], list[Any], int]:
    """(lower-triangle entries (i, j) over input elements, their values, number of colours).

    One forward sweep per colour, seeded with `one` (1.0, or the constant node 1 on graphs) in
    every element of the colour: on numbers (`found` the values) or on nodes (`found` the nodes).
    """
    colours = sparsity.colour_columns(pattern)
    where = list(elements.element_of(shapes))  # flat column -> (input name, element)
    columns = []
    for group in sparsity.colour_groups(colours):
        chosen: dict[str, list[int]] = {}
        for j in group:
            name, k = where[j]
            chosen.setdefault(name, []).append(k)
        seeds = {
            name: elements.units(shapes[name], ks) if shapes[name] else one for name, ks in chosen.items()
        }
        tangents = tangents_of(order, found, seeds)
        column: list[Any] = []
        for name, g in zip(shapes, gradient, strict=True):
            tangent = tangents.get(g, 0.0)
            column.extend(elements.flat(tangent, shapes[name]) if shapes[name] else [tangent])
        columns.append(column)
    entries = sparsity.lower_entries(pattern, colours)
    return [(i, j) for i, j, _ in entries], [columns[c][i] for i, _, c in entries], len(columns)


def coloured_hessian(
    gradient: Sequence[Node],
    shapes: Mapping[str, Shape],
    order: list[Node],
    found: Mapping[Node, Any],
    pattern: Sequence[Sequence[int]],
) -> tuple[list[list[float]], int]:
    """(the Hessian over input elements, exactly symmetric; number of forward sweeps)."""
    entries, values, colours = coloured_entries(gradient, shapes, order, found, 1.0, pattern)
    count = len(pattern)
    matrix = [[0.0] * count for _ in range(count)]
    for (i, j), value in zip(entries, values, strict=True):
        matrix[i][j] = matrix[j][i] = float(value)  # the lower triangle, mirrored
    # A row of second derivatives through a first derivative that is NaN is undefined too: a
    # sweep that skips exact-zero tangents can otherwise meet no NaN on its way and report a
    # confident 0 (acosh(cosh(x^2)) at 0: ∇f NaN, where the infinite partial of acosh meets 0).
    pairs = zip(shapes, gradient, strict=True)
    first = [v for name, g in pairs for v in elements.flat(found[g], shapes[name])]
    for i in [k for k, v in enumerate(first) if v != v]:
        matrix[i] = [math.nan] * count
        for row in matrix:
            row[i] = math.nan
    return matrix, colours


class ManyColours(Exception):
    """hessian_graphs would take more colours (forward sweeps on nodes) than it was allowed."""


def hessian_graphs(
    root: Node, variables: Sequence[str], max_colours: int | None = None
) -> tuple[list[Node], list[tuple[int, int]], list[Node], int]:
    """(gradient graphs, lower-triangle entries (i, j), their graphs, number of colours) for scalars;
    ManyColours, before any sweep, where the pattern takes more than `max_colours`."""
    from ..kinds.graphs import as_node

    graphs = gradient_graph(root, variables)
    gradient = [graphs[name] for name in variables]
    order = topological_order(gradient)
    identity = {n: n for n in order}  # forward mode on nodes: values are the nodes themselves
    shapes = {name: () for name in variables}
    pattern = sparsity.hessian_pattern(gradient, list(variables))
    if max_colours is not None and max(sparsity.colour_columns(pattern), default=-1) >= max_colours:
        raise ManyColours
    entries, found, colours = coloured_entries(gradient, shapes, order, identity, const(1.0), pattern)
    return gradient, entries, [as_node(g) for g in found], colours
