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


def element_wise(graph: Graph) -> bool:
    """Whether every intermediate of the graph is a number: array inputs are read element by
    element only (x[i], A[i, j] with constant subscripts), which makes each element a variable."""
    arrays = {name for name, shape in graph.inputs.items() if shape}
    if any(not (n.op == "var" and n.payload in arrays) for n in graph.shapes):
        return False
    if any(root.op == "var" and root.payload in arrays for _, root in graph.outputs):  # `output x`
        return False
    return all(_element(n) for n in graph.order for i in n.inputs if i.op == "var" and i.payload in arrays)


def scalar_only(graph: Graph) -> None:
    """UsageError unless the graph is element_wise: generated code is scalar code."""
    if not element_wise(graph):
        raise UsageError(
            "codegen writes scalar code; this program computes with vectors or matrices "
            "(only elements x[i] of array inputs are supported: use adcalc.gradient_function)"
        )


def _element(n: Node) -> bool:
    """An index node reading one element of an array input: x[2], A[1, 3] (constant subscripts)."""
    if n.op != "index" or len(n.inputs) != 2 or n.inputs[1].op != "const":
        return False
    key = n.inputs[1].payload
    return isinstance(key, tuple) and all(type(k) is int for k in key)


def scalarized(graph: Graph) -> tuple[list[Node], tuple[str, ...]]:
    """The output graphs with each element of an array input a variable of its own, named as the
    language prints it (x[1], A[1,2]: 1-based), and every variable in gradient_function's order
    (inputs in order, arrays flattened row-major)."""
    from ...engine import elements
    from ...ir.nodes import topological_order, var
    from ...ops.registry import apply

    shapes = {name: tuple(shape or ()) for name, shape in graph.inputs.items()}
    roots = [root for _, root in graph.outputs]
    if not any(shapes.values()):
        return roots, tuple(graph.variables)
    done: dict[int, Node] = {}
    for n in topological_order(roots):
        if _element(n):
            name, key = n.inputs[0].payload, n.inputs[1].payload
            done[id(n)] = var(f"{name}[{','.join(str(k + 1) for k in key)}]")
        elif n.op in ("var", "const") or not n.inputs:
            done[id(n)] = n
        else:
            done[id(n)] = apply(n.op, *(done[id(i)] for i in n.inputs))
    return [done[id(r)] for r in roots], tuple(elements.all_labels(shapes))


def derivatives(graph: Graph, kind: str) -> Derivatives:
    """The value and derivative graphs of `graph` for a generated `kind` function."""
    scalar_only(graph)
    roots, variables = scalarized(graph)
    names = tuple(name for name, _ in graph.outputs)
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
