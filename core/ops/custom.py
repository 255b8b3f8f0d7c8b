"""User-defined ops (`op f(x) = value grad rule`): genuine registry entries with the user's rules.

As AD systems define their primitives, the value and the derivative of a custom op are given
separately: the value is a small graph over the parameters, each `grad` expression another graph
over the parameters, `out` (the value) and `g` (the output's cotangent). A rule that does not
mention `g` is a partial derivative ∂out/∂x and is multiplied by g (and by the tangent in forward
mode). Reverse mode then uses the user's rule, not the value graph, so `check` (reverse AD
against finite differences of the value) exposes a wrong hand-written rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.forward import values_of
from ..ir.nodes import Node, topological_order
from ..ops import scalar
from ..ops.registry import OPS, OpDef, register


@dataclass(frozen=True)
class Template:
    """A graph over named leaves, evaluated on any kind of value with the op functions."""

    order: tuple[Node, ...]
    leaves: tuple[str, ...]

    def __call__(self, *values: Any) -> Any:
        bound = dict(zip(self.leaves, values, strict=False))
        return values_of(list(self.order), bound)[self.order[-1]]

    @property
    def uses(self) -> set[str]:
        return {n.payload for n in self.order if n.op == "var"}


def template(root: Node, leaves: Sequence[str]) -> Template:
    """The template of a graph whose variables are named leaves."""
    return Template(tuple(topological_order(root)), tuple(leaves))


_DEFINED: dict[str, tuple[str, OpDef]] = {}  # registry name -> (source text, definition)


def define_op(name: str, text: str, value: Template, rules: Sequence[Template], scalar_op: bool) -> str:
    """Register a custom op and return its registry name (name, or name_2 if taken by another)."""
    registry_name, suffix = name, 1
    while registry_name in _DEFINED and _DEFINED[registry_name][0] != text:
        suffix += 1
        registry_name = f"{name}_{suffix}"
    if registry_name in _DEFINED:
        return registry_name
    arity = len(rules)
    definition = OpDef(
        registry_name,
        arity,
        jvp=tuple(_jvp(rule, arity) if scalar_op or "g" not in rule.uses else None for rule in rules),
        vjp=tuple(_vjp(rule, arity) for rule in rules),
        doc=f"custom op: {text}",
        extra={"custom": True, "array": not scalar_op},
    )
    register(definition)
    _DEFINED[registry_name] = (text, definition)
    # The value function runs the value graph on whatever kind of value arrives.
    scalar.SCALAR[registry_name] = value
    scalar.COMPLEX[registry_name] = value
    from ..ops.matrix import add_values

    add_values({registry_name: value})
    # Printed derivatives name the op: let expressions parsed later in this process call it.
    from ..ops.elementary import FUNCTIONS

    FUNCTIONS.append(registry_name)
    return registry_name


def _vjp(rule: Template, arity: int) -> Callable[..., Any]:
    # leaves: parameters..., out, g
    if "g" in rule.uses:
        return lambda *args: rule(*args)
    return lambda *args: args[-1] * rule(*args[:-1])


def _jvp(rule: Template, arity: int) -> Callable[..., Any]:
    # forward mode for a scalar op: the tangent contribution is ∂out/∂x · dx (g := dx)
    if "g" in rule.uses:
        return lambda *args: rule(*args)
    return lambda *args: rule(*args[:-1]) * args[-1]


def is_custom(op: str) -> bool:
    return op in OPS and OPS[op].extra.get("custom", False)
