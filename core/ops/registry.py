"""The op registry: each operation once, with its derivative rules, and dispatch on kinds of value.

Rules are written in plain arithmetic and in the op functions below (`cos(x)`, `where(c, a, b)`),
so that one rule serves every kind of value that flows through it: floats (the fast scalar path,
no numpy), complex numbers (complex-step checks), numpy arrays (batches, matrices), dual numbers
and power series (forward-over-reverse, Taylor mode), and graph `Node`s — running a rule on nodes
*builds* the derivative graph, which is how `diff`, Hessians and compiled gradients come about.

Rules are per input, as in JAX's `defjvp`/`defvjp`: `jvp[i](*inputs, out, dx_i)` is input i's
contribution to the output tangent, `vjp[i](*inputs, out, g)` the cotangent sent to input i. Per
input, because an evaluator then never computes a partial it does not need (the partial of `x^y`
with respect to a constant exponent involves `log(x)`, which is NaN for x < 0).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import MissingRule
from ..ir.nodes import install_arithmetic
from ..ops.scalar import COMPLEX, IEEE, SCALAR, apply_ieee

Rule = Callable[..., Any]


@dataclass(frozen=True)
class OpDef:
    """An operation: its name, arity, derivative rules, and its value on each kind of value.

    `values` maps a kind to the op's value there: "float" (a function of Python floats, IEEE
    style: inf and NaN, never an exception), "complex" (complex-analytic, for the complex step),
    "numpy" (the name of a numpy ufunc, or of a function in ops/numpy_values.py, resolved when
    numpy loads), "python" (how generated Python spells it: a `{0} + {1}` template, or the name
    of a math-module function). Matrix ops keep their numpy values in ops/matrix_values.py, which
    imports numpy; everything else about an op is in its one registration.
    """

    name: str
    arity: int
    jvp: tuple[Rule | None, ...] | None = None  # None entry: output does not depend on it
    vjp: tuple[Rule | None, ...] | None = None
    symbol: str | None = None  # infix spelling for printers, e.g. "+"
    smooth: bool = True  # False: has kinks where derivatives are conventions (abs, max)
    zero_derivative: bool = False  # piecewise constant: derivative 0 wherever it exists
    doc: str = ""
    extra: dict[str, Any] = field(default_factory=dict)  # room for later kinds' rules
    values: dict[str, Any] = field(default_factory=dict)  # kind of value -> the op's value there
    # The vjp rules as local partials, where each is partial × incoming: a number (±1 for a linear
    # op) or partial(*inputs, out); None where a rule is not of that form. The float sweep
    # (engine/sweep.py) multiplies them itself: one call per input, or none, instead of two.
    partials: tuple[float | Rule | None, ...] | None = None


OPS: dict[str, OpDef] = {}


def register(definition: OpDef) -> OpDef:
    """Add an op to the registry (one entry per op; the evaluators never change)."""
    if definition.jvp is not None and len(definition.jvp) != definition.arity:
        raise ValueError(f"{definition.name}: {len(definition.jvp)} jvp rules for arity {definition.arity}")
    if definition.vjp is not None and len(definition.vjp) != definition.arity:
        raise ValueError(f"{definition.name}: {len(definition.vjp)} vjp rules for arity {definition.arity}")
    OPS[definition.name] = definition
    if "float" in definition.values:
        SCALAR[definition.name] = definition.values["float"]
    if "complex" in definition.values:
        COMPLEX[definition.name] = definition.values["complex"]
    return definition


def elementwise(name: str, *partials: Rule | None, **options: Any) -> OpDef:
    """An op whose rules are `partial_i(*inputs, out) * d`, the same for both modes."""

    def jvp_of(partial: Rule) -> Rule:
        return lambda *args: partial(*args[:-1]) * args[-1]

    def vjp_of(partial: Rule) -> Rule:
        # partial first, so the derivative of sin(x)*y prints as cos(x)*y, the textbook order
        return lambda *args: partial(*args[:-1]) * args[-1]

    jvp = tuple(None if p is None else jvp_of(p) for p in partials)
    vjp = tuple(None if p is None else vjp_of(p) for p in partials)
    return register(OpDef(name, len(partials), jvp, vjp, partials=partials, **options))


def linear(name: str, *signs: int, **options: Any) -> OpDef:
    """An op that is a signed sum of its inputs (add, sub, neg): rules need no multiplication."""

    def rule(sign: int) -> Rule:
        return (lambda *args: args[-1]) if sign > 0 else (lambda *args: -args[-1])

    rules = tuple(rule(s) for s in signs)
    partials = tuple(float(s) for s in signs)  # ±1.0 × g is ±g exactly (but for a NaN's sign bit)
    return register(OpDef(name, len(signs), rules, rules, partials=partials, **options))


def zero_derivative(name: str, arity: int = 1, **options: Any) -> OpDef:
    """A piecewise-constant op (floor, sign, comparisons): its derivative is 0 wherever it exists."""
    nothing = (None,) * arity
    return register(OpDef(name, arity, nothing, nothing, zero_derivative=True, **options))


def rules_of(name: str, mode: str, span: Any = None) -> tuple[Rule | None, ...]:
    """The op's jvp or vjp rules, or MissingRule naming the op."""
    definition = OPS.get(name)
    rules = None if definition is None else getattr(definition, mode)
    if rules is None:
        raise MissingRule(f"'{name}' has no {mode} rule", span)
    return rules


# --- dispatch on the kind of value -------------------------------------------------------------
# A kind is a type whose values know how to apply ops; the highest priority among the arguments
# wins (a dual number holding graph nodes outranks a node). Plain floats use the math table.

Apply = Callable[..., Any]
_KINDS: dict[type, tuple[int, Apply]] = {}


def register_kind(kind: type, priority: int, apply_op: Apply) -> None:
    """Make values of `kind` flow through every rule: `apply_op(name, *args)` computes an op."""
    _KINDS[kind] = (priority, apply_op)


def apply(name: str, *args: Any) -> Any:
    """Apply op `name` to values of any registered kind."""
    best: tuple[int, Apply] | None = None
    for arg in args:
        kind = _KINDS.get(type(arg))
        if kind is not None and (best is None or kind[0] > best[0]):
            best = kind
    if best is None:
        return SCALAR[name](*args)  # numpy arrays are a kind once ops/numpy_values.py is imported
    return best[1](name, *args)


install_arithmetic(apply)  # arithmetic on graph nodes builds nodes through this registry


def _apply_complex(name: str, *args: Any) -> Any:
    function = COMPLEX.get(name)
    if function is None:
        from ..errors import NotApplicable

        called = OPS[name].extra.get("variadic", name) if name in OPS else name  # max3 is max
        raise NotApplicable(f"'{called}' is not complex-analytic, so complex step does not apply")
    return function(*args)


register_kind(complex, 1, _apply_complex)
register_kind(IEEE, 0, apply_ieee)


def call_rule(rule: Rule, args: list[Any], out: Any, incoming: Any) -> Any:
    """rule(*args, out, incoming); where Python raises (1/0), the IEEE result (inf, NaN) instead."""
    try:
        return rule(*args, out, incoming)
    except (ArithmeticError, ValueError):
        retried = rule(*(_ieee(a) for a in args), _ieee(out), _ieee(incoming))
        return float(retried) if isinstance(retried, IEEE) else retried


def _ieee(value: Any) -> Any:
    return IEEE(value) if type(value) is float or type(value) is int else value


def _fn(name: str) -> Callable[..., Any]:
    def function(*args: Any) -> Any:
        return apply(name, *args)

    function.__name__ = name
    return function


# The op functions rules are written in; each works on every kind of value.
(sin, cos, tan, exp, log, sqrt, cbrt, sinh, cosh, tanh, sigmoid, sign, hypot, where) = map(
    _fn,
    "sin cos tan exp log sqrt cbrt sinh cosh tanh sigmoid sign hypot where".split(),
)
lt, le, gt, ge, eq = map(_fn, "lt le gt ge eq".split())
power = _fn("pow")  # not Python's float **, which gives a complex number for (-8) ** 0.5
