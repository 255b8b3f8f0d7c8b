"""Reverse mode: a backward sweep that accumulates cotangents in reverse topological order.

The same sweep runs on numbers (gradients at a point) and on graph nodes (the derivative as a
graph). Cost is linear in the number of DAG nodes: each node's rules run once, whatever the
number of its uses, and each use contributes once with `+`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from ..engine.forward import is_zero, zero_where_zero
from ..ir.broadcast import fit_shape
from ..ir.nodes import Node, topological_order
from ..ops.registry import OPS, call_rule, rules_of

Fit = Callable[[Any, Node, Node], Any]  # (cotangent part, input node, node) -> part in the input's shape
# (node, input position, input node, part sent, input's cotangent so far or None): explain's rows
Observe = Callable[[Node, int, Node, Any, Any], None]


def active_nodes(order: list[Node], wrt: Collection[str] | None) -> set[Node]:
    """Nodes that depend on a variable in `wrt` (all variables when None)."""
    active: set[Node] = set()
    for n in order:
        if n.op == "var":
            if wrt is None or n.payload in wrt:
                active.add(n)
        elif any(i in active for i in n.inputs):
            active.add(n)
    return active


def cotangents_of(
    order: list[Node],
    values: Mapping[Node, Any],
    seeds: Mapping[Node, Any],
    wrt: Collection[str] | None = None,
    fit: Fit | None = None,
    observe: Observe | None = None,
) -> dict[Node, Any]:
    """Every active node's cotangent, given output cotangents `seeds`.

    An exact zero cotangent propagates nothing: that is what keeps the branch of `where` that was
    not taken from sending 0 * inf = NaN into the gradient. A cotangent broadcast by an op is
    summed back to its input's shape by `fit(part, child, n)`, by default fit_shape on the values.
    """
    active = active_nodes(order, wrt)
    cotangents: dict[Node, Any] = {n: g for n, g in seeds.items() if n in active}
    for n in reversed(order):
        g = cotangents.get(n)
        if g is None or not n.inputs or is_zero(g) or OPS[n.op].zero_derivative:
            continue
        args = [values[i] for i in n.inputs]
        out = values[n]
        masked = getattr(g, "ndim", 0) and not OPS[n.op].extra.get("array")
        for position, (child, rule) in enumerate(zip(n.inputs, rules_of(n.op, "vjp", n.span), strict=True)):
            if rule is None or child not in active:
                continue
            part = call_rule(rule, args, out, g)
            if masked and getattr(part, "shape", None) == g.shape:  # not a part the rule already summed
                part = zero_where_zero(part, g)
            part = fit_shape(part, values[child]) if fit is None else fit(part, child, n)
            previous = cotangents.get(child)
            if observe is not None:
                observe(n, position, child, part, previous)
            cotangents[child] = part if previous is None else previous + part
    return cotangents


def gradient_graph(root: Node, wrt: Collection[str], fit: Fit | None = None) -> dict[str, Node]:
    """The gradient as graphs: reverse mode run on nodes instead of numbers (variable -> node)."""
    from ..kinds.graphs import as_node

    order = topological_order(root)
    cotangents = cotangents_of(order, {n: n for n in order}, {root: as_node(1.0)}, set(wrt), fit)
    return {name: as_node(g) for name, g in partials_by_name(cotangents, wrt).items()}


def partials_by_name(cotangents: Mapping[Node, Any], names: Iterable[str]) -> dict[str, Any]:
    """Variable name -> its cotangent (0.0 for a variable the output does not depend on)."""
    by_name = {n.payload: g for n, g in cotangents.items() if n.op == "var"}
    return {name: by_name.get(name, 0.0) for name in names}
