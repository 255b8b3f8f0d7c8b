"""Symbolic derivatives: reverse mode run on graph nodes, printed back as adcalc text.

The derivative is a DAG built by the op rules themselves (see reverse.gradient_graph), simplified
while it is built (constants folded, x*1, x+0, 0*x dropped), and printed with each shared
subexpression bound once, so its text grows with the size of the derivative DAG, not of a tree.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..answers.printer import to_text
from ..api import Expression, as_expression, wrt_names
from ..engine.reverse import gradient_graph
from ..ir.nodes import Node, topological_order


@dataclass(frozen=True)
class Derivative:
    """Partial derivatives as graphs and as text (one entry per variable)."""

    expression: str
    wrt: list[str]
    graphs: dict[str, Node] = field(repr=False)
    text: dict[str, str]

    @property
    def sizes(self) -> dict[str, int]:
        """DAG nodes per partial derivative."""
        return {name: len(topological_order(g)) for name, g in self.graphs.items()}

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "wrt": self.wrt, "derivative": self.text, "nodes": self.sizes}


def diff(expr: Expression | str, wrt: Sequence[str] | None = None, order: int = 1) -> Derivative:
    """The partial derivatives of an expression as simplified graphs and parseable text.

    >>> adcalc.diff("sin(x)*y", wrt=["x"]).text["x"]
    'cos(x)*y'
    """
    expression = as_expression(expr)
    if expression.program is not None:
        from ..answers.program_derivatives import require_scalars

        require_scalars(expression, {}, "diff", "try `adcalc grad`, `adcalc jacobian` or `adcalc hessian`")
    names = wrt_names(expression, wrt, {})
    graphs = {name: expression.root for name in names}
    for _ in range(order):  # d^k/dx^k: differentiate the derivative graph again
        graphs = {name: gradient_graph(g, [name])[name] for name, g in graphs.items()}
    taken = set(expression.variables)
    text = {name: to_text(g, taken) for name, g in graphs.items()}
    return Derivative(expression.label, names, graphs, text)
