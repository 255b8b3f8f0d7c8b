"""Value and gradient of a program at one point of plain floats, by the shortest route.

The same two sweeps as forward.values_of and reverse.cotangents_of, with the same vjp rules and
the same convention (an exact zero cotangent propagates nothing), minus the per-node dispatch on
the kind of value: every value is a float, so each op's math function is called directly. An
unrolled loop of 10^5 steps is 3·10^5 nodes, where that dispatch is most of the cost.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..ir.nodes import Node
from ..ops.registry import OPS, call_rule, rules_of
from ..ops.scalar import SCALAR


def float_values(order: Sequence[Node], at: Mapping[str, float], wrt: Collection[str]) -> tuple[dict, set]:
    """(value of every node, the nodes that depend on a variable in wrt); `at` is a bound point
    (engine/bind.py checked that every variable has a value)."""
    values: dict[Node, Any] = {}
    active: set[Node] = set()
    table = SCALAR
    for n in order:
        op = n.op
        if op == "const":
            values[n] = n.payload
        elif op == "var":
            values[n] = at[n.payload]
            if n.payload in wrt:
                active.add(n)
        else:
            inputs = n.inputs
            if len(inputs) == 2:
                a, b = inputs
                values[n] = table[op](values[a], values[b])
                if a in active or b in active:
                    active.add(n)
            elif len(inputs) == 1:
                (a,) = inputs
                values[n] = table[op](values[a])
                if a in active:
                    active.add(n)
            else:
                values[n] = table[op](*[values[i] for i in inputs])
                if any(i in active for i in inputs):
                    active.add(n)
    return values, active


def float_gradient(order: Sequence[Node], values: Mapping[Node, Any], active: set[Node], root: Node) -> dict:
    """Variable name -> ∂root/∂variable, one backward sweep over `order`."""
    cotangents: dict[Node, Any] = {root: 1.0} if root in active else {}
    partials: dict[str, Any] = {}
    plans: dict[str, tuple[tuple[Any, Any], ...]] = {}
    pop, get = cotangents.pop, cotangents.get
    for n in reversed(order):
        g = pop(n, None)
        if g is None:
            continue
        inputs = n.inputs
        if not inputs:  # a variable (one node per name, but combined graphs may hold several)
            partials[n.payload] = partials.get(n.payload, 0.0) + g
            continue
        if g == 0:  # an exact zero propagates nothing (the branch of a where not taken)
            continue
        plan = plans.get(n.op)
        if plan is None:
            plan = plans[n.op] = _plan(n.op, n.span)
        args = None
        # no strict=: an empty plan is a zero derivative, and the keyword costs 10% of this loop
        for child, (partial, rule) in zip(inputs, plan):  # noqa: B905
            if rule is None or child not in active:
                continue
            if partial.__class__ is float:  # a linear op: ±g (an attribute, not a call of type())
                part = partial * g
            else:
                if args is None:
                    args = [values[i] for i in inputs]
                try:
                    part = partial(*args, values[n]) * g if partial is not None else rule(*args, values[n], g)
                except (ArithmeticError, ValueError):  # as call_rule: the IEEE result (1/0: inf)
                    part = call_rule(rule, args, values[n], g)
            previous = get(child)
            cotangents[child] = part if previous is None else previous + part
    return partials


def _plan(op: str, span: Any) -> tuple[tuple[Any, Any], ...]:
    """(local partial or None, vjp rule or None) per input of an op: () if its derivative is 0."""
    definition = OPS[op]
    if definition.zero_derivative:
        return ()
    rules = rules_of(op, "vjp", span)
    return tuple(zip(definition.partials or (None,) * len(rules), rules, strict=True))
