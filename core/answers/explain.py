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

from ..engine import sweeps
from ..engine.bind import Point, bind, scalar_output
from ..errors import TooLarge, UsageError
from ..ir.graph import Graph
from ..ir.nodes import Node, var
from ..ir.shapes import show
from ..kinds.graphs import as_node
from ..ops.registry import OPS, rules_of
from .notes import Answer, at_point
from .point import bind_direction
from .printer import expression_text

_SUBSCRIPT = str.maketrans("-0123456789", "₋₀₁₂₃₄₅₆₇₈₉")


# A trace prints rows for people (and --json for scripts): 10^5 steps (sin nested 10^5 deep) are
# 2·10^5 rows, 25-30 MB of JSON, already more than anyone reads; past twice that, `grad` gives the
# numbers and `graph --format dot` the structure. Counted before anything is evaluated.
MAX_STEPS = 200_000


def v_name(index: int, mark: str = "") -> str:
    """v₋₁, v₀, v₁ ... (mark: '\u0304' for adjoints v̄, '\u0307' for tangents v̇)."""
    return "v" + mark + str(index).translate(_SUBSCRIPT)


BAR, DOT = "\u0304", "\u0307"


def marked(name: str, mark: str) -> str:
    """x̄1 for the adjoint of x1, ẋ1 for its tangent: the mark sits on the first letter."""
    return name[0] + mark + name[1:]


@dataclass(frozen=True)
class Trace(Answer):
    """Rows of the primal trace and of the adjoint (reverse) or tangent (forward) trace."""

    expression: str
    at: dict[str, Any]
    value: Any
    mode: str
    primal: list[dict[str, Any]]
    derivative: list[dict[str, Any]]
    result: dict[str, Any]  # gradient (reverse) or {"direction": .., "derivative": ..} (forward)

    @property
    def directional(self) -> Any:
        """∇f·v of the forward trace (None for a reverse trace)."""
        return self.result["derivative"] if self.mode == "forward" else None

    def to_dict(self) -> dict[str, Any]:
        key = "adjoint" if self.mode == "reverse" else "tangent"
        if self.mode == "reverse":
            result = {"gradient": self.result}
        else:  # the keys jvp uses for the same numbers
            result = {"direction": self.result["direction"], "directional": self.directional}
        return {
            "expression": self.expression,
            "at": self.at,
            "value": self.value,
            "mode": self.mode,
            "primal": self.primal,
            key: self.derivative,
            **result,
        }


def numbering(graph: Graph) -> dict[Node, int]:
    """Textbook index of every input and intermediate (constants are not numbered)."""
    order = list(graph.order)
    used = {n.payload: n for n in order if n.op == "var"}
    inputs = [name for name in graph.variables if name in used]  # an unused input has no node
    index = {used[name]: k + 1 - len(inputs) for k, name in enumerate(inputs)}
    level: dict[Node, int] = {}
    for n in order:
        level[n] = 1 + max((level[i] for i in n.inputs), default=-1)
    position = {n: k for k, n in enumerate(order)}
    steps = sorted((n for n in order if n.inputs), key=lambda n: (level[n], position[n]))
    index.update({n: k for k, n in enumerate(steps, start=1)})
    return index


@dataclass(frozen=True)
class Style:
    """How a trace writes names, expressions and rules: adcalc text (v₋₁, v̄₃, x̄1) or LaTeX."""

    latex: bool = False

    def v(self, index: int, mark: str = "") -> str:
        if not self.latex:
            return v_name(index, mark)
        return f"{_ACCENT[mark]}{{v}}_{{{index}}}" if mark else f"v_{{{index}}}"

    def marked(self, name: str, mark: str) -> str:
        if not self.latex:
            return marked(name, mark)
        from .latex import name_latex

        base, _, subscript = name_latex(name).partition("_")  # \\bar{x}_{1}, not \\bar{x_{1}}
        return f"{_ACCENT[mark]}{{{base}}}" + (f"_{subscript}" if subscript else "")

    def name(self, name: str) -> str:
        if not self.latex:
            return name
        from .latex import name_latex

        return name_latex(name)

    def expression(self, root: Node, names: Mapping[Node, str]) -> str:
        if not self.latex:
            return expression_text(root, names)
        from .latex import expression_latex

        return expression_latex(root, names)

    def adjoint_rule(self, head: str, bar: str, v: str, child: str, partial: str) -> str:
        """v̄c (+)= v̄p ∂vp/∂vc = (v̄c +) v̄p × partial."""
        if not self.latex:
            return f"{head}{bar} ∂{v}/∂{child} = {head}{bar} × {_group(partial)}"
        grouped = rf"\left({partial}\right)" if _group(partial) != partial else partial
        return rf"{head}{bar} \frac{{\partial {v}}}{{\partial {child}}} = {head}{bar} \cdot {grouped}"

    @property
    def seed(self) -> str:
        return r"\bar{y}" if self.latex else "ȳ"


_ACCENT = {BAR: r"\bar", DOT: r"\dot"}


def explain(
    graph: Graph,
    at: Mapping[str, Any],
    mode: str = "reverse",
    direction: Mapping[str, float] | None = None,
    latex: bool = False,
) -> Trace:
    """The primal trace, then the adjoint trace ending in the gradient (or the tangent trace);
    `latex`: names, expressions and rules as LaTeX (v_{-1}, \\bar{v}_{3}, \\frac{\\partial ...})."""
    if mode not in ("reverse", "forward"):
        raise UsageError(f"mode must be reverse or forward, got {mode!r}")
    steps = sum(1 for n in graph.order if n.op != "const")
    if steps > MAX_STEPS:
        raise TooLarge(
            f"explain prints one row per step; {graph.label[:40]} has {steps:,}, more than {MAX_STEPS:,} "
            "(the documented limit): try `adcalc grad`, or `adcalc graph --format dot` for the structure"
        )
    point = bind(graph, at, list(direction or ()))
    root = scalar_output(point, "explain")
    if not point.scalar:
        arrays = ", ".join(f"{name} is {show(shape)}" for name, shape in point.shapes.items() if shape)
        raise UsageError(
            f"explain traces scalar computations; {graph.label} has vector/matrix values "
            f"({arrays or 'inside'}): try `adcalc grad` or `adcalc check`"
        )
    style = Style(latex)
    index = numbering(graph)
    nodes = sorted(index, key=index.get)
    order, values = sweeps.values(point)
    names = {n: style.v(k) for n, k in index.items()}
    primal = [_primal_row(n, index[n], names, values, style) for n in nodes]
    if mode == "forward":
        seeds = bind_direction(point, direction or {})
        rows, result = _tangent_rows(point, nodes, index, names, values, seeds, style)
    else:
        rows, result = _adjoint_rows(point, nodes, index, names, values, style)
    partials = result if mode == "reverse" else {"": result["derivative"]}
    what = "derivative" if mode == "reverse" else "directional derivative ∇f·v"
    notes = at_point(order, values, values[root], partials, what)
    return Trace(graph.label, point.at, values[root], mode, primal, rows, result, warnings=notes)


def _primal_row(
    n: Node, k: int, names: Mapping[Node, str], values: Mapping[Node, Any], style: Style
) -> dict[str, Any]:
    if n.op == "var":
        text = style.name(str(n.payload))
    else:
        text = style.expression(n, {i: names[i] for i in n.inputs if i in names})
    op = OPS[n.op].extra.get("shown", n.op) if n.op in OPS else n.op  # a custom op: as written
    return {"index": k, "name": names[n], "op": op, "expression": text, "value": values[n]}


def _partial_text(n: Node, position: int, names: Mapping[Node, str], style: Style) -> str:
    """∂v_n/∂(input position), printed from the op's vjp rule applied to nodes with g = 1."""
    rule = rules_of(n.op, "vjp", n.span)[position]
    partial = as_node(rule(*n.inputs, n, as_node(1.0)))
    return style.expression(partial, names)


def _adjoint_rows(
    point: Point,
    nodes: list[Node],
    index: Mapping[Node, int],
    names: Mapping[Node, str],
    values: Mapping[Node, Any],
    style: Style,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    root = point.graph.root
    bar = {n: style.v(k, BAR) for n, k in index.items()}
    if root not in index:  # a constant: no step to trace, every derivative 0
        return [], {name: 0.0 for name in point.at}
    rows = [{"index": index[root], "name": bar[root], "rule": style.seed, "value": 1.0}]

    def record(n: Node, position: int, child: Node, part: Any, previous: Any) -> None:
        if child not in index:
            return
        partial = _partial_text(n, position, names, style)
        head = "" if previous is None else f"{bar[child]} + "
        text = style.adjoint_rule(head, bar[n], names[n], names[child], partial)
        total = part if previous is None else previous + part
        rows.append({"index": index[child], "name": bar[child], "rule": text, "value": total})

    # the textbook order is a topological order: the one reverse sweep runs over it, observed
    adjoint = sweeps.cotangents(point, nodes, values, {root: 1.0}, list(point.at), record)
    gradient = {}
    for n in nodes:
        if n.op == "var":
            gradient[n.payload] = float(adjoint.get(n, 0.0))
            label = style.marked(n.payload, BAR)
            rows.append({"index": index[n], "name": label, "rule": bar[n], "value": gradient[n.payload]})
    gradient.update({name: 0.0 for name in point.at if name not in gradient})  # unused: 0
    return rows, gradient


def _group(text: str) -> str:
    # a sum or difference multiplied by the adjoint needs parentheses
    return f"({text})" if (" + " in text or " - " in text or text.startswith("-")) else text


def _tangent_rows(
    point: Point,
    nodes: list[Node],
    index: Mapping[Node, int],
    names: Mapping[Node, str],
    values: Mapping[Node, Any],
    seeds: Mapping[str, float],
    style: Style,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    dot_nodes = {n: var(f"\x00{style.v(k, DOT)}") for n, k in index.items()}  # placeholders for v̇
    labels = {**{m: names[m] for m in names}, **{dot_nodes[m]: v_name_of(dot_nodes[m]) for m in names}}
    tangent = sweeps.tangents(nodes, values, seeds)  # the numbers: the one forward sweep
    rows = []
    for n in nodes:
        text = style.marked(n.payload, DOT) if n.op == "var" else _tangent_text(n, dot_nodes, labels, style)
        value = float(tangent.get(n, 0.0))
        rows.append({"index": index[n], "name": style.v(index[n], DOT), "rule": text, "value": value})
    direction = {name: float(seeds.get(name, 0.0)) for name in point.at}
    return rows, {"direction": direction, "derivative": float(tangent.get(point.graph.root, 0.0))}


def _tangent_text(n: Node, dot_nodes: Mapping[Node, Node], labels: Mapping[Node, str], style: Style) -> str:
    """v̇ᵢ = Σ ∂vᵢ/∂v_c v̇_c, printed from the op's jvp rules applied to nodes."""
    symbolic = as_node(0.0)
    if not OPS[n.op].zero_derivative:
        for child, rule in zip(n.inputs, rules_of(n.op, "jvp", n.span), strict=True):
            if rule is not None and child in dot_nodes:
                symbolic = symbolic + rule(*n.inputs, n, dot_nodes[child])
    return style.expression(as_node(symbolic), labels)


def v_name_of(placeholder: Node) -> str:
    return str(placeholder.payload)[1:]
