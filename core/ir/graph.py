"""The one graph type: what `adcalc.parse` returns for a formula and for a program alike.

A graph is named outputs over one DAG of interned nodes, its named inputs in order (each with a
shape, or None where the shape comes from the value given at a point), every node in
topological order, and the shapes the program declared (non-scalar nodes only). Evaluators keep
their own state; a graph is never changed, so it can be differentiated any number of times.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .nodes import Node, topological_order

Shape = tuple[int, ...]


class Graph:
    """Named outputs over one DAG: inputs (name -> shape, None: from the value), node order, shapes."""

    # a plain class, not a dataclass: one-point commands import it, and the dataclass
    # decorator's generated code costs start-up time; compared and hashed by identity
    __slots__ = ("outputs", "inputs", "order", "shapes", "source", "name", "declared", "definitions", "cache")

    def __init__(
        self,
        outputs: tuple[tuple[str, Node], ...],
        inputs: Mapping[str, Shape | None],
        order: tuple[Node, ...],
        shapes: Mapping[Node, Shape] | None = None,
        source: str = "",
        name: str | None = None,
        declared: bool = False,
        definitions: Any = None,
    ) -> None:
        self.outputs = outputs
        self.inputs = inputs
        self.order = order
        self.shapes: Mapping[Node, Shape] = shapes or {}  # declared non-scalar nodes
        self.source = source
        self.name = name  # the file it came from
        self.declared = declared  # a program: its inputs (and so every shape) are declared
        self.definitions = definitions  # ops.custom.Registrations: its custom ops live as long as it does
        self.cache: dict[Any, Any] = {}  # shape passes per input signature, restrictions to one output

    def __repr__(self) -> str:
        return f"Graph({self.label!r}, {len(self.order)} nodes)"

    def with_outputs(self, outputs: tuple[tuple[str, Node], ...]) -> Graph:
        """The same graph with other outputs (their nodes must be in it)."""
        same = (self.order, self.shapes, self.source, self.name, self.declared, self.definitions)
        return Graph(outputs, self.inputs, *same)

    @property
    def root(self) -> Node:
        """The first output (the function of a gradient)."""
        return self.outputs[0][1]

    @property
    def variables(self) -> tuple[str, ...]:
        """The input names in order (declared, or of first appearance)."""
        return tuple(self.inputs)

    @property
    def label(self) -> str:
        """How results name it: a program by its file name (`<program>` without one), a formula by
        its text."""
        if self.declared:
            one_line = self.source.strip()
            return self.name or (one_line if one_line and "\n" not in one_line else "<program>")
        return self.source

    @property
    def size(self) -> int:
        """Number of DAG nodes (shared subexpressions count once)."""
        return len(self.order)

    @property
    def uses_arrays(self) -> bool:
        """True when some node is declared a vector or matrix."""
        return bool(self.shapes) or any(shape for shape in self.inputs.values() if shape)

    def shape(self, n: Node) -> Shape:
        """A node's declared shape (() for a scalar or where it is known only at a point)."""
        return self.shapes.get(n, ())


def combine(graphs: list[Graph]) -> Graph:
    """Several one-output graphs as one graph with all their outputs (a Jacobian's rows)."""
    if len(graphs) == 1:
        return graphs[0]
    outputs = tuple(output for g in graphs for output in g.outputs)
    inputs: dict[str, Shape | None] = {}
    shapes: dict[Node, Shape] = {}
    for g in graphs:
        for name, shape in g.inputs.items():
            inputs.setdefault(name, shape)
        shapes.update(g.shapes)
    order = tuple(topological_order([n for _, n in outputs]))
    source = ", ".join(g.source.strip() for g in graphs)
    definitions = next((g.definitions for g in graphs if g.definitions is not None), None)
    declared = all(g.declared for g in graphs)
    return Graph(outputs, inputs, order, shapes, source, None, declared, definitions)
