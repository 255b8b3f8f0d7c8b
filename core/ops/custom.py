"""User-defined ops (`op f(x) = value grad rule`): genuine registry entries with the user's rules.

As AD systems define their primitives, the value and the derivative of a custom op are given
separately: the value is a small graph over the parameters, each `grad` expression another graph
over the parameters, `out` (the value) and `g` (the output's cotangent). Reverse mode uses the
user's rule, not the value graph, so `check` (reverse AD against finite differences of the value)
exposes a wrong hand-written rule.

What a rule means, for parameter x of shape X and an output of shape O:

* a rule that mentions `g` is the whole cotangent sent to x: x̄ = R(g), linear in g;
* a rule P that does not mention `g` is the element-wise partial ∂out/∂x, multiplied element-wise
  (with broadcasting): x̄ = Σ_to_X (g ⊙ P). For an element-wise op that is the usual
  ∂outᵢ/∂xᵢ; for a reduction such as `sum(u*u) grad 2*u` it is the gradient, g·2u. Both forms are
  therefore one linear map g ↦ C(g) = Jᵀg (C = R, or C = Σ_to_X(g ⊙ P)).

Forward mode needs J·dx, the transpose of that map. Since ⟨C(g), dx⟩ = ⟨g, J dx⟩ for every g,
J·dx = ∇_g ⟨C(g), dx⟩: reverse mode over the template graph of C, seeded with dx at its root,
and read at the leaf g. The value of g does not matter (C is linear in g), so g is bound to
`out`, which has the right shape and kind. That sweep runs on whatever kind of value arrives
(numbers, arrays, graph nodes), so Hessians (forward over reverse) get J·dx too. When every
shape is scalar J is 1×1 and is its own transpose, so the rule itself gives J·dx directly:
R(dx), or P·dx.

Scoping: an op belongs to the program that defines it. Each (definition, argument shapes) pair
is registered under its own internal name, `f__op<k>` with k unique in the process, holding
templates built at those shapes (so one op used at two shapes gets two correct entries). The
names are listed in a `Registrations` object that the program keeps (Program.definitions);
when the program is garbage-collected, `weakref.finalize` removes every entry again. The name
users wrote is kept as `extra["shown"]` for printing. Built-in names are reserved (ReservedName).
"""

from __future__ import annotations

import itertools
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from ..engine.forward import values_of
from ..engine.reverse import cotangents_of
from ..errors import Redefinition, Span
from ..ir.nodes import Node, topological_order
from ..ir.shapes import RULES, Shape
from . import matrix as tensor
from . import scalar
from .elementary import ALIASES
from .elementary import FUNCTIONS as SCALAR_FUNCTIONS
from .late_values import add_values, remove_values
from .registry import OPS, OpDef, apply, register

Rule = Callable[..., Any]


class ReservedName(Redefinition):
    """Reserved name."""


@dataclass(frozen=True)
class Template:
    """A graph over named leaves, evaluated on any kind of value with the op functions."""

    order: tuple[Node, ...]
    leaves: tuple[str, ...]

    def __call__(self, *values: Any) -> Any:
        bound = dict(zip(self.leaves, values, strict=False))
        return values_of(list(self.order), bound)[self.order[-1]]

    @property
    def root(self) -> Node:
        return self.order[-1]

    @property
    def uses(self) -> set[str]:
        return {n.payload for n in self.order if n.op == "var"}


def template(root: Node, leaves: Sequence[str]) -> Template:
    """The template of a graph whose variables are named leaves."""
    return Template(tuple(topological_order(root)), tuple(leaves))


# --- scoping -----------------------------------------------------------------------------------
# Names a program may not take for an op: every op registered when this module is imported and
# every function name the grammar knows (calls.py resolves eye and reshape itself).
RESERVED = frozenset({*OPS, *SCALAR_FUNCTIONS, *tensor.FUNCTIONS, *ALIASES, "eye", "reshape"})

_SERIAL = itertools.count(1)


def check_name(name: str, span: Span | None) -> None:
    """ReservedName (exit 2) for an op named like a built-in; a custom op never replaces one."""
    if name in RESERVED or (name in OPS and not is_custom(name)):
        raise ReservedName(f"'{name}' is a built-in function and cannot be redefined by an op", span)


class Registrations:
    """The registry names of one program's custom ops, removed when it is garbage-collected.

    The program holds this object (Program.definitions); nothing global refers to it, so its
    finalizer runs when the last reference to the program goes.
    """

    def __init__(self) -> None:
        self.names: list[str] = []
        self.scalar: dict[str, str] = {}  # name written -> entry for scalar arguments (see visible)
        weakref.finalize(self, _unregister, self.names)  # the callback must not refer to self

    def new_name(self, shown: str) -> str:
        name = f"{shown}__op{next(_SERIAL)}"  # the trailing number is unique: no two decompose alike
        self.names.append(name)
        return name


def _unregister(names: list[str]) -> None:
    for name in names:
        for table in (OPS, scalar.SCALAR, scalar.COMPLEX, RULES):
            table.pop(name, None)
    remove_values(names)  # the numpy table's entries too, if it is loaded
    names.clear()


_VISIBLE: ContextVar[Mapping[str, str] | None] = ContextVar("adcalc_visible_ops", default=None)


@contextmanager
def visible(program: Any) -> Iterator[None]:
    """Inside the block, formulas may call the program's scalar ops by the names it wrote.

    This is how a printed derivative (which shows `sq(t)`, not the registry name) parses back:
    only for the caller that asks, in its own context, never for the rest of the process.
    """
    definitions = getattr(program, "definitions", None)
    names = {} if definitions is None else definitions.scalar
    token = _VISIBLE.set({**(_VISIBLE.get() or {}), **names})
    try:
        yield
    finally:
        _VISIBLE.reset(token)


def visible_op(name: str) -> str | None:
    """The registry name a formula's call `name(...)` means inside `visible`, else None."""
    return (_VISIBLE.get() or {}).get(name)


def is_custom(op: str) -> bool:
    return op in OPS and OPS[op].extra.get("custom", False)


def shown_name(op: str) -> str:
    """The name the user wrote for a custom op's registry entry (any other op: itself)."""
    definition = OPS.get(op)
    return op if definition is None else definition.extra.get("shown", op)


# --- one specialization ------------------------------------------------------------------------
@dataclass(frozen=True)
class Signature:
    """The shapes one registry entry is built for, and the shape of every template node."""

    parameters: tuple[str, ...]
    shapes: tuple[Shape, ...]
    out: Shape
    nodes: Mapping[Node, Shape]  # template nodes that are not scalars

    @property
    def scalar(self) -> bool:
        return not self.out and not any(self.shapes)


def define_op(
    owner: Registrations,
    shown: str,
    text: str,
    value: Template,
    rules: Sequence[Template],
    cotangents: Sequence[Template],
    signature: Signature,
    elementwise: bool,
) -> str:
    """Register one specialization of a custom op for `owner`; its registry name.

    `rules` are the rules as written, `cotangents` the same as maps g ↦ x̄ (g ⊙ P for a partial
    P, summed to x's shape), all over the leaves (parameters..., out, g).
    """
    name = owner.new_name(shown)
    if signature.scalar:
        jvp = tuple(_scalar_jvp(rule) for rule in rules)
    else:
        jvp = tuple(_transposed(cotangent, signature) for cotangent in cotangents)
    definition = OpDef(
        name,
        len(rules),
        jvp=jvp,
        vjp=tuple(_vjp(cotangent) for cotangent in cotangents),
        doc=f"custom op: {text}",
        extra={"custom": True, "array": not elementwise, "shown": shown},
    )
    register(definition)
    # The value function runs the value graph on whatever kind of value arrives.
    scalar.SCALAR[name] = value
    scalar.COMPLEX[name] = value
    add_values({name: value})
    if signature.scalar:
        owner.scalar[shown] = name
    out = signature.out
    RULES[name] = lambda shapes, statics, span: out  # built for exactly these argument shapes
    return name


def _vjp(cotangent: Template) -> Rule:
    # leaves: parameters..., out, g
    return lambda *args: cotangent(*args)


def _scalar_jvp(rule: Template) -> Rule:
    # every shape scalar: J is 1×1, its own transpose, so J·dx is the rule with g := dx (or P·dx)
    if "g" in rule.uses:
        return lambda *args: rule(*args)
    return lambda *args: rule(*args[:-1]) * args[-1]


def _transposed(cotangent: Template, signature: Signature) -> Rule:
    """J·dx = ∇_g ⟨C(g), dx⟩: a reverse sweep over the cotangent template, read at g."""
    order = list(cotangent.order)
    root = cotangent.root
    g_leaf = next(n for n in order if n.op == "var" and n.payload == "g")
    shapes = signature.nodes

    def jvp(*args: Any) -> Any:
        *inputs, out, dx = args
        bound = dict(zip(signature.parameters, inputs, strict=True))
        bound["out"] = bound["g"] = out  # C is linear in g: any value of g's shape gives the same ∇_g
        values = values_of(order, bound)

        def fit(part: Any, child: Node, n: Node) -> Any:
            # an element-wise template op broadcast child: sum its cotangent back to child's shape
            if OPS[n.op].extra.get("array") or shapes.get(n, ()) == shapes.get(child, ()):
                return part
            return sum_like(part, values[child])

        seed = _spread(dx, values[root])  # a tangent may have a smaller, broadcastable shape
        cotangents = cotangents_of(order, values, {root: seed}, {"g"}, fit)
        return cotangents.get(g_leaf, 0.0)  # C does not reach g (only through constants): J·dx = 0

    return jvp


# --- sum_like: the one helper op the sweeps above need -------------------------------------------
def sum_like(g: Any, like: Any) -> Any:
    """g summed over the axes along which it was broadcast from like's shape."""
    if isinstance(g, Node) or isinstance(like, Node):
        return apply("sum_like", g, like)
    return _sum_like_values(g, like)


def _sum_like_values(g: Any, like: Any) -> Any:
    shape, target = tuple(getattr(g, "shape", ())), tuple(getattr(like, "shape", ()))
    if shape == target:
        return g
    extra = len(shape) - len(target)
    axes = tuple(range(extra)) + tuple(
        extra + k for k, size in enumerate(target) if size == 1 and shape[extra + k] != 1
    )
    summed = g.sum(axis=axes) if axes else g
    return summed.reshape(target) if target else float(summed)


def _spread(dx: Any, like: Any) -> Any:
    """dx broadcast to like's shape (on nodes, an expand node; a no-op when the shapes agree)."""
    if isinstance(dx, Node) or isinstance(like, Node):
        return tensor.expand(dx, like)
    shape = tuple(getattr(like, "shape", ()))
    if tuple(getattr(dx, "shape", ())) == shape:
        return dx
    import numpy as np

    return np.broadcast_to(dx, shape)


register(
    OpDef(
        "sum_like", 2,
        (lambda g, like, out, dg: sum_like(dg, like), None),  # linear in g
        (lambda g, like, out, h: tensor.expand(h, g), None),  # a sum's transpose spreads h over g
        doc="g summed over the axes along which it was broadcast from the shape of `like`",
        extra=tensor.ARRAY,
    )
)  # fmt: skip
# no scalar value function: a sum_like node only appears where a template's shapes differ (arrays)
add_values({"sum_like": _sum_like_values})
RULES["sum_like"] = lambda shapes, statics, span: shapes[1]
RESERVED = RESERVED | {"sum_like"}
