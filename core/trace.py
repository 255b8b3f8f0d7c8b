"""Evaluation traces the way the textbooks print them (Baydin et al. 2018, tables 2 and 3).

Inputs are v_{1-n} .. v_0 in order of appearance; intermediates are v_1, v_2, ... in evaluation
order, scheduled level by level (an op runs as soon as its inputs are known, ties in the order the
expression is written), which is the order the textbook tables use. Constants stay inline.
The primal trace gives each v_i; the adjoint trace walks back, one row per contribution
v̄_c += v̄_p ∂v_p/∂v_c; the tangent trace gives each v̇_i = sum_c ∂v_i/∂v_c v̇_c.
Partials are printed by running the op's own rules on graph nodes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .api import Expression, _used, as_expression, wrt_names
from .forward import raise_if_nan, values_of
from .graph import as_node
from .nodes import Node, topological_order, var
from .ops import OPS, call_rule, rules_of
from .printer import expression_text

_SUBSCRIPT = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


def v_name(index: int, mark: str = "") -> str:
    """v₋₁, v₀, v₁ ... (mark: '\u0304' for adjoints v̄, '\u0307' for tangents v̇)."""
    return "v" + mark + str(index).translate(_SUBSCRIPT)


BAR, DOT = "\u0304", "\u0307"


def marked(name: str, mark: str) -> str:
    """x̄1 for the adjoint of x1, ẋ1 for its tangent: the mark sits on the first letter."""
    return name[0] + mark + name[1:]


@dataclass(frozen=True)
class Trace:
    """Rows of the primal trace and of the adjoint (reverse) or tangent (forward) trace."""

    expression: str
    at: dict[str, Any]
    value: Any
    mode: str
    primal: list[dict[str, Any]]
    derivative: list[dict[str, Any]]
    result: dict[str, Any]  # gradient (reverse) or {"direction": .., "derivative": ..} (forward)

    def to_dict(self) -> dict[str, Any]:
        key = "adjoint" if self.mode == "reverse" else "tangent"
        result = {"gradient": self.result} if self.mode == "reverse" else self.result
        return {
            "expression": self.expression,
            "at": self.at,
            "value": self.value,
            "mode": self.mode,
            "primal": self.primal,
            key: self.derivative,
            **result,
        }


def numbering(expression: Expression) -> dict[Node, int]:
    """Textbook index of every input and intermediate (constants are not numbered)."""
    order = topological_order(expression.root)
    inputs = {n.payload: n for n in order if n.op == "var"}
    index = {inputs[name]: k + 1 - len(inputs) for k, name in enumerate(expression.variables)}
    level: dict[Node, int] = {}
    for n in order:
        level[n] = 1 + max((level[i] for i in n.inputs), default=-1)
    position = {n: k for k, n in enumerate(order)}
    steps = sorted((n for n in order if n.inputs), key=lambda n: (level[n], position[n]))
    index.update({n: k for k, n in enumerate(steps, start=1)})
    return index


def explain(
    expr: Expression | str,
    at: Mapping[str, Any],
    mode: str = "reverse",
    direction: Mapping[str, float] | None = None,
) -> Trace:
    """The primal trace, then the adjoint trace ending in the gradient (or the tangent trace).

    >>> adcalc.explain("ln(x1) + x1*x2 - sin(x2)", at={"x1": 2, "x2": 5}).result["x1"]
    5.5
    """
    expression = as_expression(expr)
    if expression.program is not None:
        from .program_derivatives import require_scalars

        require_scalars(expression, at, "explain", "try `adcalc grad` or `adcalc check`")
    index = numbering(expression)
    nodes = sorted(index, key=index.get)
    values = values_of(topological_order(expression.root), at)
    raise_if_nan([expression.root], values)
    names = {n: v_name(k) for n, k in index.items()}
    primal = [_primal_row(n, index[n], names, values) for n in nodes]
    point = _used(expression, at)
    if mode == "forward":
        seeds = dict(direction or {})
        wrt_names(expression, list(seeds), at)
        rows, result = _tangent_rows(expression, nodes, index, names, values, seeds)
    else:
        rows, result = _adjoint_rows(expression, nodes, index, names, values)
    return Trace(expression.label, point, values[expression.root], mode, primal, rows, result)


def _primal_row(n: Node, k: int, names: Mapping[Node, str], values: Mapping[Node, Any]) -> dict[str, Any]:
    if n.op == "var":
        text = str(n.payload)
    else:
        text = expression_text(n, {i: names[i] for i in n.inputs if i in names})
    op = OPS[n.op].extra.get("shown", n.op) if n.op in OPS else n.op  # a custom op: as written
    return {"index": k, "name": names[n], "op": op, "expression": text, "value": values[n]}


def _partial_text(n: Node, position: int, names: Mapping[Node, str]) -> str:
    """∂v_n/∂(input position), printed from the op's vjp rule applied to nodes with g = 1."""
    rule = rules_of(n.op, "vjp", n.span)[position]
    partial = as_node(rule(*n.inputs, n, as_node(1.0)))
    return expression_text(partial, names)


def _adjoint_rows(
    expression: Expression,
    nodes: list[Node],
    index: Mapping[Node, int],
    names: Mapping[Node, str],
    values: Mapping[Node, Any],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    root = expression.root
    bar = {n: v_name(k, BAR) for n, k in index.items()}
    adjoint: dict[Node, Any] = {root: 1.0}
    rows = [{"index": index[root], "name": bar[root], "rule": "ȳ", "value": 1.0}]
    for n in reversed(nodes):
        if not n.inputs or n not in adjoint or OPS[n.op].zero_derivative:
            continue
        args = [values[i] for i in n.inputs]
        for position, (child, rule) in enumerate(zip(n.inputs, rules_of(n.op, "vjp", n.span), strict=True)):
            if rule is None or child not in index:
                continue
            part = call_rule(rule, args, values[n], adjoint[n])
            first = child not in adjoint
            adjoint[child] = part if first else adjoint[child] + part
            partial = _partial_text(n, position, names)
            head = "" if first else f"{bar[child]} + "
            text = f"{head}{bar[n]} ∂{names[n]}/∂{names[child]} = {head}{bar[n]} × {_group(partial)}"
            rows.append({"index": index[child], "name": bar[child], "rule": text, "value": adjoint[child]})
    gradient = {}
    for n in nodes:
        if n.op == "var":
            gradient[n.payload] = float(adjoint.get(n, 0.0))
            label = marked(n.payload, BAR)
            rows.append({"index": index[n], "name": label, "rule": bar[n], "value": gradient[n.payload]})
    return rows, gradient


def _group(text: str) -> str:
    # a sum or difference multiplied by the adjoint needs parentheses
    return f"({text})" if (" + " in text or " - " in text or text.startswith("-")) else text


def _tangent_rows(
    expression: Expression,
    nodes: list[Node],
    index: Mapping[Node, int],
    names: Mapping[Node, str],
    values: Mapping[Node, Any],
    seeds: Mapping[str, float],
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dot_nodes = {n: var(f"\x00{v_name(k, DOT)}") for n, k in index.items()}  # placeholders for v̇
    tangent: dict[Node, Any] = {}
    rows = []
    for n in nodes:
        if n.op == "var":
            tangent[n] = float(seeds.get(n.payload, 0.0))
            text = marked(n.payload, DOT)
        else:
            text, tangent[n] = _tangent_of(n, names, dot_nodes, values, tangent)
        rows.append({"index": index[n], "name": v_name(index[n], DOT), "rule": text, "value": tangent[n]})
    direction = {name: float(seeds.get(name, 0.0)) for name in expression.variables}
    return rows, {"direction": direction, "derivative": tangent[expression.root]}


def _tangent_of(
    n: Node,
    names: Mapping[Node, str],
    dot_nodes: Mapping[Node, Node],
    values: Mapping[Node, Any],
    tangent: Mapping[Node, Any],
) -> tuple[str, Any]:
    symbolic, number = as_node(0.0), 0.0
    if not OPS[n.op].zero_derivative:
        args = [values[i] for i in n.inputs]
        for child, rule in zip(n.inputs, rules_of(n.op, "jvp", n.span), strict=True):
            if rule is None or child not in names:
                continue
            symbolic = symbolic + rule(*n.inputs, n, dot_nodes[child])
            number = number + call_rule(rule, args, values[n], tangent[child])
    labels = {**{m: names[m] for m in names}, **{dot_nodes[m]: v_name_of(dot_nodes[m]) for m in names}}
    return expression_text(as_node(symbolic), labels), number


def v_name_of(placeholder: Node) -> str:
    return str(placeholder.payload)[1:]
