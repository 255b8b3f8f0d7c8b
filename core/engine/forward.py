"""Value sweep and forward mode (tangent propagation, one Jacobian-vector product per sweep)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import DomainError, MissingVariables
from ..ir.nodes import Node
from ..ops.registry import OPS, apply, call_rule, rules_of


def check_inputs(order: Iterable[Node], at: Mapping[str, Any]) -> None:
    """MissingVariables listing every variable of the graph that has no value."""
    missing = [n.payload for n in order if n.op == "var" and n.payload not in at]
    if missing:
        raise MissingVariables(", ".join(dict.fromkeys(missing)) + " (give them with --at)")


def values_of(order: list[Node], at: Mapping[str, Any]) -> dict[Node, Any]:
    """Every node's value, inputs first (the forward primal trace)."""
    check_inputs(order, at)
    values: dict[Node, Any] = {}
    for n in order:
        if n.op == "const":
            values[n] = n.payload
        elif n.op == "var":
            values[n] = at[n.payload]
        else:
            values[n] = apply(n.op, *[values[i] for i in n.inputs])
    return values


def is_zero(value: Any) -> bool:
    """True for an exact zero that may be skipped (a float 0 or a constant-0 node)."""
    if type(value) is float or type(value) is int:
        return value == 0
    return isinstance(value, Node) and value.op == "const" and value.payload == 0


def tangents_of(order: list[Node], values: Mapping[Node, Any], seeds: Mapping[str, Any]) -> dict[Node, Any]:
    """Every node's tangent for the direction `seeds` (variable name -> tangent)."""
    tangents: dict[Node, Any] = {}
    for n in order:
        if n.op == "var":
            if n.payload in seeds and not is_zero(seeds[n.payload]):
                tangents[n] = seeds[n.payload]
            continue
        if not n.inputs or OPS[n.op].zero_derivative:
            continue
        total = None
        args = [values[i] for i in n.inputs]
        for child, rule in zip(n.inputs, rules_of(n.op, "jvp", n.span), strict=True):
            tangent = tangents.get(child)
            if rule is None or tangent is None or is_zero(tangent):  # an exact 0 carries nothing,
                continue  # as in reverse mode: not 0 * NaN from log(x-2) where the exponent is fixed
            part = call_rule(rule, args, values[n], tangent)
            if getattr(tangent, "ndim", 0) and not OPS[n.op].extra.get("array"):
                part = zero_where_zero(part, tangent)  # as reverse mode: an exact 0 carries nothing
            total = part if total is None else total + part
        if total is not None:
            shape = getattr(values[n], "shape", None)
            if shape and getattr(total, "shape", None) != shape and not OPS[n.op].extra.get("array"):
                # a scalar input's tangent through x + y (x a vector) is the vector's shape: array
                # rules downstream (sum, dot, @) need it so, as the values have it
                total = spread(total, shape)
            tangents[n] = total
    return tangents


def zero_where_zero(part: Any, d: Any) -> Any:
    """An element-wise op's part, exactly 0 wherever the tangent or cotangent d is 0.

    Each element of an element-wise op's output depends on one element of each input, so a zero
    d there can only have produced 0 * inf = NaN (sqrt' at 0, the branch of a where not taken).
    """
    import numpy as np

    return np.where(d == 0, 0.0, part)


def spread(tangent: Any, shape: tuple[int, ...]) -> Any:
    """The tangent broadcast to the shape of its node's value (an element-wise op broadcast it)."""
    import numpy as np

    return np.broadcast_to(tangent, shape).copy()


def nan_origin(root: Node, values: Mapping[Node, Any]) -> DomainError | None:
    """Where a NaN output came from: the first node on its path whose inputs are all numbers."""
    current = root
    if not _is_nan(values[current]):
        return None
    while True:
        if current.op == "where":
            condition, a, b = current.inputs
            chosen = a if values[condition] else b
            nan_inputs = [chosen] if _is_nan(values[chosen]) else [condition]
        else:
            nan_inputs = [i for i in current.inputs if _is_nan(values[i])]
        if not nan_inputs:
            shown = ", ".join(_short(values[i]) for i in current.inputs)
            return DomainError(f"{current.op}({shown}) is undefined", current.span)
        current = nan_inputs[0]


def raise_if_nan(roots: Iterable[Node], values: Mapping[Node, Any]) -> None:
    """Nothing, or the DomainError of the first root whose value is NaN (see nan_origin)."""
    for root in roots:
        problem = nan_origin(root, values)
        if problem is not None:
            raise problem


def _is_nan(value: Any) -> bool:
    return isinstance(value, float) and value != value


def _short(value: Any) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)
