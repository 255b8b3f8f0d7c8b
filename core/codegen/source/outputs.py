"""What generated code computes: the value, gradient, Hessian or Jacobian graphs of a scalar program.

The layout is the one every language writes: the value(s) first, then the gradient (n entries, in
the order of `variables`), the Hessian (n·n, row-major, exactly symmetric: entry (i, j) and (j, i)
are one graph) or the Jacobian (m·n, row-major: one row per output).
"""

from __future__ import annotations

from dataclasses import dataclass

from ...engine.reverse import gradient_graph
from ...engine.transforms import hessian_graphs
from ...errors import UsageError
from ...ir.graph import Graph
from ...ir.nodes import Node, const

KINDS = ("grad", "hessian", "jacobian")


@dataclass(frozen=True)
class Derivatives:
    """The graphs of one generated function, in the layout above."""

    kind: str  # grad, hessian or jacobian
    variables: tuple[str, ...]
    outputs: tuple[str, ...]  # the program's output names
    nodes: tuple[Node, ...]

    @property
    def sizes(self) -> dict[str, int]:
        """Length of each array the function fills, by its name in the signature."""
        n, m = len(self.variables), len(self.outputs)
        if self.kind == "grad":
            return {"value": 1, "grad": n}
        if self.kind == "hessian":
            return {"value": 1, "grad": n, "hess": n * n}
        return {"value": m, "jac": m * n}


def scalar_only(graph: Graph) -> None:
    """UsageError unless every input and every intermediate of the graph is a number."""
    arrays = [name for name, shape in graph.inputs.items() if shape]
    if arrays:
        raise UsageError(
            f"codegen writes functions of scalar inputs; {arrays[0]} is an array "
            "(array programs are not supported: use adcalc.gradient_function)"
        )
    if graph.uses_arrays:
        raise UsageError(
            "codegen writes scalar code; this program computes with vectors or matrices inside "
            "(not supported: use adcalc.gradient_function)"
        )


def derivatives(graph: Graph, kind: str) -> Derivatives:
    """The value and derivative graphs of `graph` for a generated `kind` function."""
    scalar_only(graph)
    variables = tuple(graph.variables)
    names = tuple(name for name, _ in graph.outputs)
    roots = [root for _, root in graph.outputs]
    if kind not in KINDS:
        raise UsageError(f"codegen: unknown kind {kind} (one of {', '.join(KINDS)})")
    if kind != "jacobian" and len(roots) > 1:
        raise UsageError(
            f"this program has {len(roots)} outputs ({', '.join(names)}): use --jacobian "
            f"(a {'gradient' if kind == 'grad' else kind} is of one output)"
        )
    if kind == "grad":
        gradient = gradient_graph(roots[0], variables)
        return Derivatives(kind, variables, names, (roots[0], *(gradient[v] for v in variables)))
    if kind == "hessian":
        gradient, entries, graphs, _ = hessian_graphs(roots[0], variables)
        lower = dict(zip(entries, graphs, strict=True))
        zero = const(0.0)
        n = len(variables)
        full = [lower.get((max(i, j), min(i, j)), zero) for i in range(n) for j in range(n)]
        return Derivatives(kind, variables, names, (roots[0], *gradient, *full))
    rows = []
    for root in roots:
        gradient = gradient_graph(root, variables)
        rows += [gradient[v] for v in variables]
    return Derivatives(kind, variables, names, (*roots, *rows))
