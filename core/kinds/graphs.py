"""Graph nodes as a kind of value: op rules applied to nodes build derivative graphs.

Each construction folds constants and drops exact identities (x*1, x+0, 0*x), then tries the
local rewrites of algebra.py (coefficients, like terms, powers of one node), so derivative graphs
stay small and readable. One rewrite keeps branches honest: a cotangent masked by `where`
stays masked through the products and quotients applied to it, `where(c, g, 0) * d` becoming
`where(c, g*d, 0)`, so a derivative that is NaN or inf in the branch not taken never turns the
selected 0 into NaN. Note 0*x -> 0 assumes x finite: that is the symbolic-zero convention.
"""

from __future__ import annotations

from typing import Any

from ..ir.nodes import Node, const, node
from ..ops.registry import register_kind
from ..ops.scalar import SCALAR
from . import algebra


def as_node(value: Any) -> Node:
    """A node for a node or a number."""
    return value if isinstance(value, Node) else const(value)


def _value(n: Node) -> float | None:
    return n.payload if n.op == "const" else None


def _masked(n: Node) -> tuple[Node, Node, bool] | None:
    """(condition, payload, taken-when-true) for where(c, h, 0) or where(c, 0, h)."""
    if n.op != "where":
        return None
    condition, a, b = n.inputs
    if _value(b) == 0:
        return condition, a, True
    if _value(a) == 0:
        return condition, b, False
    return None


def _mask(condition: Node, inner: Any, when_true: bool) -> Node:
    zero = const(0.0)
    inner = as_node(inner)
    branches = (inner, zero) if when_true else (zero, inner)
    return graph_apply("where", condition, *branches)


def _simplify(name: str, args: tuple[Node, ...]) -> Node | None:
    values = [_value(a) for a in args]
    if all(v is not None for v in values) and name in SCALAR:
        return const(SCALAR[name](*values))
    if name in ("mul", "div", "neg"):
        pushed = _push_mask(name, args)
        if pushed is not None:
            return pushed
    return _identity(name, args, values)


def _push_mask(name: str, args: tuple[Node, ...]) -> Node | None:
    # where(c, h, 0) * d -> where(c, h*d, 0); likewise d * where(..), where(..) / d, -where(..)
    for position, arg in enumerate(args if name == "mul" else args[:1]):
        masked = _masked(arg)
        if masked is not None:
            condition, inner, when_true = masked
            rest = list(args)
            rest[position] = inner
            return _mask(condition, graph_apply(name, *rest), when_true)
    return None


def _identity(name: str, args: tuple[Node, ...], values: list[float | None]) -> Node | None:
    if name == "add":
        if values[0] == 0:
            return args[1]
        if values[1] == 0:
            return args[0]
        return _fold_negation(name, args) or algebra.total(name, *args, graph_apply)
    elif name == "sub":
        if values[1] == 0:
            return args[0]
        if values[0] == 0:
            return graph_apply("neg", args[1])
        if args[0] is args[1]:
            return const(0.0)
        return _fold_negation(name, args) or algebra.total(name, *args, graph_apply)
    elif name == "mul":
        for mine, other in ((0, 1), (1, 0)):
            if values[mine] == 1:
                return args[other]
            if values[mine] == 0:
                return const(0.0)
            if values[mine] == -1:
                return graph_apply("neg", args[other])
        return _pull_negation(name, args) or algebra.product(*args, graph_apply)
    elif name == "div":
        if values[1] == 1:
            return args[0]
        if values[0] == 0:
            return const(0.0)
        return _pull_negation(name, args) or algebra.quotient(*args, graph_apply)
    elif name == "neg":
        return args[0].inputs[0] if args[0].op == "neg" else algebra.negation(args[0], graph_apply)
    elif name == "pow":
        if values[1] == 1:
            return args[0]
        if values[1] == 0:
            return const(1.0)
    elif name == "where":
        if values[0] is not None:
            return args[1] if values[0] else args[2]
        if args[1] is args[2]:
            return args[1]
    return None


def _fold_negation(name: str, args: tuple[Node, ...]) -> Node | None:
    # a + (-b) -> a - b, (-a) + b -> b - a, a - (-b) -> a + b: exact in IEEE arithmetic
    left, right = args
    if right.op == "neg":
        return graph_apply("sub" if name == "add" else "add", left, right.inputs[0])
    if name == "add" and left.op == "neg":
        return graph_apply("sub", right, left.inputs[0])
    return None


def _pull_negation(name: str, args: tuple[Node, ...]) -> Node | None:
    # (-a)*b -> -(a*b), a/(-b) -> -(a/b): exact, and lets the sign meet an add or sub above
    if any(a.op == "neg" for a in args):
        plain = [a.inputs[0] if a.op == "neg" else a for a in args]
        product = graph_apply(name, *plain)
        negations = sum(a.op == "neg" for a in args)
        return product if negations == 2 else graph_apply("neg", product)
    return None


def rewritten(name: str, inputs: tuple[Node, ...]) -> Node | None:
    """The simpler node for op `name` on these nodes, or None when no rule applies."""
    return _simplify(name, inputs)


def graph_apply(name: str, *args: Any) -> Node:
    """The simplified, interned node for op `name` applied to nodes or numbers."""
    inputs = tuple(as_node(a) for a in args)
    simpler = _simplify(name, inputs)
    return simpler if simpler is not None else node(name, *inputs)


register_kind(Node, 100, graph_apply)
