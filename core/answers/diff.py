"""Symbolic derivatives: reverse mode run on graph nodes, printed back as adcalc text.

The derivative is a DAG built by the op rules themselves (see reverse.gradient_graph), simplified
while it is built (constants folded, x*1, x+0, 0*x dropped, and the local rewrites of
kinds/algebra.py: 6*x^2, not 3*x^2*2), and printed with each shared subexpression bound once, so
its text grows with the size of the derivative DAG, not of a tree. As LaTeX: answers/latex.py;
through SymPy's simplify: answers/sympy_form.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..answers.printer import to_text
from ..engine.reverse import gradient_graph
from ..errors import TooLarge, UsageError
from ..ir.graph import Graph
from ..ir.nodes import Node, topological_order
from ..ir.shapes import show
from .notes import Answer


@dataclass(frozen=True)
class Derivative(Answer):
    """Partial derivatives as graphs and as text (one entry per variable)."""

    expression: str
    wrt: list[str]
    graphs: dict[str, Node] = field(repr=False)
    text: dict[str, str]
    order: int = 1
    program: str = ""  # every derivative as one text: shared bindings, then `∂f/∂x = ...` lines
    output: str = "f"  # the name the derivatives are named by: ∂f/∂x
    taken: frozenset[str] = frozenset()  # names binding lines must not take (the program's inputs)

    def latex(self, times: str = " ") -> str:
        """Every derivative as LaTeX: `\\frac{\\partial f}{\\partial x} = ...`, bindings `t_{1} = ...`
        first (an aligned environment when there is more than one line); `times` between
        juxtaposed factors (r" \\cdot " to mark every product)."""
        from .latex import derivative_latex, to_latex

        labels = [derivative_latex(self.output, name, self.order) for name in self.wrt]
        return to_latex([self.graphs[name] for name in self.wrt], labels, set(self.taken), times)

    @property
    def sizes(self) -> dict[str, int]:
        """DAG nodes per partial derivative."""
        return {name: len(topological_order(g)) for name, g in self.graphs.items()}

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "wrt": self.wrt,
            "order": self.order,
            "symbolic": self.text,  # input name -> the derivative as adcalc text
            "program": self.program,  # all of them as one adcalc text, outputs named ∂f/∂x
            "sizes": self.sizes,  # input name -> DAG nodes of that derivative
        }


SIMPLIFIERS = ("local", "sympy")
MAX_ORDER = 20


def diff(
    graph: Graph, wrt: Sequence[str] | None = None, order: int = 1, simplify: str = "local"
) -> Derivative:
    """The partial derivatives of a scalar graph as simplified graphs and parseable text.

    simplify="local": the rewrites made while the graph is built (kinds/algebra.py), linear cost;
    "sympy": then each derivative through SymPy's simplify (optional dependency, any cost).
    """
    if simplify not in SIMPLIFIERS:
        raise UsageError(f"simplify must be local or sympy, got {simplify!r}")
    if len(graph.outputs) > 1:
        names = ", ".join(name for name, _ in graph.outputs)
        raise UsageError(f"diff takes one output, {graph.label} has {names}: try `adcalc jacobian`")
    if graph.uses_arrays:
        arrays = ", ".join(f"{name} is {show(shape)}" for name, shape in graph.inputs.items() if shape)
        raise UsageError(
            f"diff prints scalar expressions; {graph.label} has vector/matrix values ({arrays or 'inside'}): "
            "try `adcalc grad`, `adcalc jacobian` or `adcalc hessian`"
        )
    if order < 1:
        raise UsageError(f"order must be 1 or more, got {order}")
    if order > MAX_ORDER:  # each order differentiates the last one's graph: sizes multiply
        raise TooLarge(f"--order {order}: diff goes to order {MAX_ORDER} (the documented limit); "
                       "for more coefficients, `adcalc taylor` (series arithmetic)")
    names = list(graph.variables) if wrt is None else list(dict.fromkeys(wrt))
    root = _global(graph.root)
    graphs = {name: root for name in names}
    for _ in range(order):  # d^k/dx^k: differentiate the derivative graph again
        graphs = {name: gradient_graph(g, [name])[name] for name, g in graphs.items()}
    if simplify == "sympy":
        from .sympy_form import simplified

        graphs = simplified(graphs)
    taken = set(graph.variables)
    output = graph.outputs[0][0] if graph.declared and graph.outputs[0][0].isidentifier() else "f"
    labels = [derivative_name(output, name, order) for name in names]
    # after binding lines a result is named (`∂f/∂x = ...` reads plainly); alone, it is bare
    named = {name: to_text(graphs[name], taken, [label]) for name, label in zip(names, labels, strict=True)}
    text = {}
    for name, label in zip(names, labels, strict=True):
        text[name] = named[name] if "\n" in named[name] else named[name].removeprefix(f"{label} = ")
    program = named[names[0]] if len(names) == 1 else to_text(list(graphs.values()), taken, labels)
    return Derivative(graph.label, names, graphs, text, order, program, output, frozenset(taken))


def _global(root: Node) -> Node:
    """The graph again in the interning table the derivative rules build in, so a subexpression
    the rules make (sin(t) from the derivative of cos(t)) is the node the text already has; and
    through the same local rewrites, so x*x*x is x^3 before it is differentiated (3*x^2, not
    x*x + 2*x^2). A node no rule changes keeps its source span for error messages."""
    from ..ir.nodes import GLOBAL
    from ..kinds.graphs import rewritten

    new: dict[Node, Node] = {}
    for n in topological_order(root):
        inputs = tuple(new[i] for i in n.inputs)
        simpler = rewritten(n.op, inputs) if inputs and n.payload is None else None
        new[n] = simpler if simpler is not None else GLOBAL.node(n.op, inputs, n.payload, n.span)
    return new[root]


SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def derivative_name(output: str, name: str, order: int = 1) -> str:
    """∂f/∂x, ∂²f/∂x²: how diff names a derivative, and a name adcalc's language reads as an output."""
    power = "" if order == 1 else str(order).translate(SUPERSCRIPTS)
    return f"∂{power}{output}/∂{name}{power}"
