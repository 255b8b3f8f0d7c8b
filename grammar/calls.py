"""What names mean in a program: calls (defs, custom ops, matrix and scalar functions), literals
and indexing, each checked while the program compiles.

Indices are 1-based and ranges inclusive, as in the maths (x₁ … xₙ, `for i in 1..n`):
`x[1]` is the first element, `x[2:n]` the second to the last, `A[:, 1]` the first column.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from adcalc.errors import ArityError, Span, UnknownFunction
from adcalc.grammar.builder import Builder, ProgramError, Redefinition, Scope
from adcalc.ir.nodes import Node
from adcalc.ir.shapes import MAX_RANK, Shape, ShapeError, broadcast, show, stack_shape
from adcalc.ops import custom
from adcalc.ops import matrix as tensor
from adcalc.ops.elementary import ALIASES, VARIADIC
from adcalc.ops.elementary import FUNCTIONS as SCALAR_FUNCTIONS
from adcalc.ops.matrix import Static
from adcalc.ops.registry import OPS

from .build import _suggest, check_arity, scalar_call

BUILTINS = sorted({*SCALAR_FUNCTIONS, *tensor.FUNCTIONS})
MAX_EYE = 4096  # eye(4096) is 128 MiB of float64: a documented limit, not a MemoryError


def call(b: Builder, name: str, arguments: list[Node], span: Span, whole: Span | None) -> Node:
    """The node for name(arguments): a def is inlined, anything else becomes one op node."""
    if name in b.functions:
        return b.call(b.functions[name], arguments, whole)
    if name in b.custom:
        return b.custom[name].apply(b, arguments, whole)
    if name == "eye":
        check_arity(name, len(arguments), 1, span)
        n = b.integer(arguments[0], "the size of eye(n)", whole)
        if not 1 <= n <= MAX_EYE:  # eye(10^5) would ask for 75 GiB
            raise ProgramError(f"eye(n) takes n from 1 to {MAX_EYE:,}, got {n:,}", whole)
        return b.make("eye", (b.const(Static((n,))),), whole)
    if name == "reshape":
        if len(arguments) < 2:
            raise ArityError("reshape(x, sizes...) takes an array and one or more sizes", span)
        sizes = Static(b.integer(a, "a size", whole) for a in arguments[1:])
        return b.make("reshape", (arguments[0], b.const(sizes)), whole)
    if name in tensor.FUNCTIONS:
        check_arity(name, len(arguments), tensor.FUNCTIONS[name], span)
        return b.make(name, tuple(arguments), whole)
    if name not in SCALAR_FUNCTIONS or custom.is_custom(name):  # another program's op is not ours
        visible = custom.visible_op(name)  # printed text of a program with ops, read back
        if visible is not None:
            check_arity(name, len(arguments), OPS[visible].arity, span)
            return b.make(visible, tuple(arguments), whole)
        known = BUILTINS + list(b.functions) + list(b.custom)
        raise UnknownFunction(_suggest(name, known), span)
    return scalar_call(lambda op, inputs: b.make(op, inputs, whole), name, arguments, span)


def plain_op(name: str, count: int, span: Span) -> str | None:
    """The op of a scalar function with a fixed arity (checked), else None (resolved at run time)."""
    op = ALIASES.get(name, name)
    if name not in _PLAIN or op in VARIADIC:
        return None
    check_arity(name, count, OPS[op].arity, span)
    return op


_PLAIN = frozenset(SCALAR_FUNCTIONS)


def check_new_function(b: Builder, name: str, parameters: tuple[str, ...], span: Span) -> None:
    """A def or op name must be new and not a built-in; its parameters distinct."""
    b.declare(name, span)
    if name in BUILTINS or name in ALIASES:
        raise Redefinition(f"'{name}' is a built-in function", span)
    if len(set(parameters)) != len(parameters):
        raise ProgramError(f"{name}: a parameter name appears twice", span)


def literal(b: Builder, items: list[Node], span: Span) -> Node:
    """[a, b, ...]: constant numbers become one array node; anything else a stack of items."""
    if len(b.shape(items[0])) >= MAX_RANK:
        raise ProgramError(f"a literal has at most {MAX_RANK} dimensions (levels of [...])", span)
    if all(i.op == "const" and type(i.payload) is float for i in items):
        return b.make("array", (b.const(Static(i.payload for i in items)),), span)
    if all(i.op == "array" for i in items):
        rows = [i.inputs[0].payload for i in items]
        if len({len(r) for r in rows}) == 1 and all(b.shape(i) == b.shape(items[0]) for i in items):
            return b.make("array", (b.const(Static(rows)),), span)
    shape = stack_shape([b.known_shape(i, "a literal", span) for i in items], span)
    return b.make(tensor.stack_op(len(items)), (b.const(Static(shape)), *items), span)


@dataclass
class Range:
    """a:b in an index (either end may be left out): the nodes of its ends."""

    start: Node | None
    stop: Node | None
    span: Span | None


def index(b: Builder, x: Node, items: list[Node | Range], spans: tuple[Span, ...], span: Span) -> Node:
    """x[i], A[i, j], x[a:b], A[:, j]: 1-based, inclusive, checked against the shape.

    `spans` are the items' own texts, for errors (a node is shared by every text that makes it).
    """
    shape = b.known_shape(x, "indexing", span)
    if len(items) > len(shape):
        raise ShapeError(f"{len(items)} indices for a value of shape {show(shape)}", span)
    key: list[Any] = []
    for axis, (item, where) in enumerate(zip(items, spans, strict=True)):
        size = shape[axis]
        if isinstance(item, Range):
            start = 1 if item.start is None else b.integer(item.start, "an index", where)
            stop = size if item.stop is None else b.integer(item.stop, "an index", where)
            if not 1 <= start <= stop <= size:
                raise ProgramError(f"range {start}:{stop} is outside 1:{size}", item.span)
            key.append((start - 1, stop))
        else:
            i = b.integer(item, "an index", where)
            if not 1 <= i <= size:
                raise ProgramError(f"index {i} is outside 1..{size}", where)
            key.append(i - 1)
    return b.make("index", (x, b.const(Static(key))), span)


@dataclass
class CustomOp:
    """An `op` definition of one program: registered once per argument shapes, at first use."""

    name: str
    parameters: tuple[str, ...]
    value: Any
    rules: list[Any]
    span: Span | None
    owner: custom.Registrations  # kept by the program: its entries go when the program goes
    specialized: dict[tuple[Shape, ...], str] = field(default_factory=dict)  # shapes -> registry name
    building: bool = False

    def apply(self, b: Builder, arguments: list[Node], span: Span | None) -> Node:
        """One node of the op's entry for these argument shapes (templates built at those shapes)."""
        if len(arguments) != len(self.parameters):
            count = len(self.parameters)
            raise ArityError(f"{self.name}() takes {count} argument{'s' * (count != 1)}", span)
        shapes = tuple(b.known_shape(a, f"op {self.name}", span) for a in arguments)
        name = self.specialized.get(shapes)
        if name is None:
            if self.building:
                raise ProgramError(f"recursion: op '{self.name}' uses itself", span)
            self.building = True
            try:
                name = self.specialized[shapes] = self._register(b, shapes)
            finally:
                self.building = False
        return b.make(name, tuple(arguments), span)

    def _register(self, b: Builder, shapes: tuple[Shape, ...]) -> str:
        if len(self.rules) != len(self.parameters):
            raise ProgramError(
                f"op {self.name}: {len(self.parameters)} parameter(s) but {len(self.rules)} grad rule(s)",
                self.span,
            )
        if {"g", "out"} & set(self.parameters):
            raise ProgramError(f"op {self.name}: 'g' and 'out' name the cotangent and value", self.span)
        inner = Builder(b.source_name)
        inner.params, inner.functions, inner.custom = b.params, b.functions, b.custom
        env = Scope({p: inner.var(p, s, self.span) for p, s in zip(self.parameters, shapes, strict=True)})
        value = self.value(inner, env)
        for extra in ("out", "g"):
            env[extra] = inner.var(extra, inner.shape(value), self.span)
        value_graph = custom.template(value, self.parameters)
        elementwise = not any(OPS[n.op].extra.get("array") for n in value_graph.order if n.inputs)
        rules, cotangents = [], []
        for parameter, shape, code in zip(self.parameters, shapes, self.rules, strict=True):
            rule = code(inner, env)
            uses_g = any(n.op == "var" and n.payload == "g" for n in custom.template(rule, ()).order)
            # the rule as the map g -> cotangent of the parameter: a partial P is g ⊙ P (g first,
            # as printed derivatives have always read), summed back to the parameter's shape
            cotangent = rule if uses_g else inner.make("mul", (env["g"], rule), code.span)
            # x̄ must have x's shape: a smaller cotangent is spread over it, a partial's g ⊙ P that
            # x was broadcast into is summed back (for an element-wise op the sweeps do that, as
            # for built-in ops: reverse mode masks g ⊙ P element by element first); a cotangent
            # rule may not be larger than x
            got, joint = inner.shape(cotangent), broadcast("grad", [inner.shape(cotangent), shape], code.span)
            if joint != shape and (uses_g or joint != got):
                got = show(inner.shape(rule))
                raise ShapeError(f"grad rule for {parameter} has shape {got}, not {show(shape)}", code.span)
            if got != shape and not elementwise:  # element-wise: the sweeps sum broadcasts back
                spread = "expand" if joint == shape else "sum_like"
                cotangent = inner.make(spread, (cotangent, env[parameter]), code.span)
            rules.append(rule)
            cotangents.append(cotangent)
        leaves = (*self.parameters, "out", "g")
        graphs = [custom.template(rule, leaves) for rule in rules]
        maps = [custom.template(c, leaves) for c in cotangents]
        signature = custom.Signature(self.parameters, shapes, inner.shape(value), dict(inner.shapes))
        text = f"{self.name}({', '.join(self.parameters)})"
        return custom.define_op(
            self.owner, self.name, text, value_graph, graphs, maps, signature, elementwise
        )
