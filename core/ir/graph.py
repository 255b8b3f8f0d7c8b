"""The one graph type: what `adcalc.parse` returns for a formula and for a program alike.

A graph is named outputs over one DAG of interned nodes, its named inputs in order (each with a
shape, or None where the shape comes from the value given at a point), every node in
topological order, and the shapes the program declared (non-scalar nodes only). Evaluators keep
their own state; a graph is never changed, so it can be differentiated any number of times.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .nodes import Node, topological_order

Shape = tuple[int, ...]


@dataclass(frozen=True, eq=False)
class Graph:
    """Named outputs over one DAG: inputs (name -> shape, None: from the value), node order, shapes."""

    outputs: tuple[tuple[str, Node], ...]
    inputs: Mapping[str, Shape | None]
    order: tuple[Node, ...]
    shapes: Mapping[Node, Shape] = field(default_factory=dict)  # declared non-scalar nodes
    source: str = ""
    name: str | None = None  # the file it came from
    declared: bool = False  # a program: its inputs (and so every shape) are declared
    definitions: Any = None  # ops.custom.Registrations: its custom ops live as long as the graph
    cache: dict[Any, Any] = field(default_factory=dict, repr=False)  # shape passes per signature

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
        """How results name it: a program by its file name, a formula by its text."""
        return self.name if self.declared and self.name else self.source

    @property
    def size(self) -> int:
        """Number of DAG nodes (shared subexpressions count once)."""
        return len(self.order)

    @property
    def uses_arrays(self) -> bool:
        """True when some node is declared a vector or matrix."""
        return bool(self.shapes) or any(shape for shape in self.inputs.values() if shape)

    @property
    def program(self) -> Graph | None:
        """The graph itself for a program (inputs declared), None for a formula."""
        return self if self.declared else None

    def shape(self, n: Node) -> Shape:
        """A node's declared shape (() for a scalar or where it is known only at a point)."""
        return self.shapes.get(n, ())


def formula(root: Node, source: str, name: str | None = None) -> Graph:
    """The graph of a one-line formula: one output, inputs in order of first appearance."""
    order = tuple(topological_order(root))
    inputs = {n.payload: None for n in order if n.op == "var"}
    return Graph(((source.strip(), root),), inputs, order, {}, source, name)


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
