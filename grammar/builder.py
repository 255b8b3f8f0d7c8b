"""Programs: the compile-time state while a .adl program unrolls into one interned DAG.

The grammar turns each statement into a closure (and each expression into instructions); running
them against a `Builder` makes the nodes. Loops run their body once per iteration (no text is
parsed again), functions are inlined, and an `if` on a value runs both branches and joins each
variable they assign with `where(cond, then, else)`, so every point (every row of a batch)
takes, and differentiates, its own branch. Constants fold while building, which is what makes
loop bounds and indices known.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from adcalc import errors
from adcalc.errors import AdcalcError, Redefinition, Span
from adcalc.ir.graph import Graph
from adcalc.ir.nodes import Node, _payload_key, _set_inputs, _set_op, _set_payload, _set_span
from adcalc.ir.shapes import RULES, Shape, infer
from adcalc.ops.elementary import FUNCTIONS
from adcalc.ops.matrix import FUNCTIONS as MATRIX_FUNCTIONS
from adcalc.ops.matrix import Static
from adcalc.ops.scalar import SCALAR

# Unrolling stops with an error past these sizes (a loop of 10^5 steps of 3 ops is 3·10^5 nodes).
# 10^6 nodes must work (a sum of 5·10^5 terms, sin nested 10^6 deep), so the node limit is above it;
# README "Security and limits" gives the memory each costs at its maximum (bench/memory.py).
MAX_NODES = 4_000_000
MAX_STEPS = 1_000_000  # loop iterations, all loops of a program together
MAX_CALLS = 1_000_000  # def calls inlined


# Setting a Node's slots directly halves the cost of making one (0.3 µs instead of 0.6 µs);
# at 3·10^5 nodes per unrolled loop that is a tenth of the compile time.
_new = object.__new__


BUILTIN_FUNCTIONS = frozenset(FUNCTIONS) | frozenset(MATRIX_FUNCTIONS) | {"eye", "reshape"}


class ProgramError(AdcalcError):
    """Program error."""


class UndefinedName(AdcalcError):
    """Undefined name."""


class TooLarge(errors.TooLarge):
    """Program too large."""


Code = Callable[["Builder", dict[str, Node]], Any]  # a compiled statement or expression


@dataclass
class Function:
    """A `def`: parameters, body statements and the returned expression, inlined at each call."""

    name: str
    parameters: tuple[str, ...]
    body: tuple[Code, ...]
    result: Code
    span: Span | None


class Builder:
    """Makes interned, shape-checked nodes and holds the definitions of one program."""

    def __init__(
        self,
        source_name: str | None = None,
        hints: Mapping[str, Shape | None] | None = None,
        implicit: bool = False,
    ) -> None:
        self.source_name = source_name
        self.hints = {} if hints is None else hints  # shapes of free names, from their values
        self.implicit = implicit  # free names are inputs (no `input` statement in the text)
        self.free: dict[str, Node] = {}  # the inputs made of free names
        self.unknown: set[Node] = set()  # nodes whose shape is known only at a point
        self.table: dict[Any, Node] = {}
        self.order: list[Node] = []  # every node made, inputs first (creation order)
        self.shapes: dict[Node, Shape] = {}  # non-scalar nodes only
        self.inputs: dict[str, Shape] = {}
        self.params: dict[str, Node] = {}
        self.functions: dict[str, Function] = {}
        self.custom: dict[str, Any] = {}  # op name -> calls.CustomOp
        self.definitions: Any = None  # custom.Registrations of those ops, handed to the Program
        self.outputs: dict[str, Node] = {}
        self.results: list[tuple[str, Node]] = []  # the text's final expressions, named by their text
        self.calling: list[str] = []
        self.one_branch: dict[str, Span | None] = {}
        self.reserved: set[str] = set()  # names of inputs, params, defs and ops
        self.steps = 0
        self.loops: list[list[int]] = []  # [trip count, iterations begun] of each loop running now
        self.calls = 0  # defs inlined so far
        self.inlined: dict[tuple[Any, ...], Node] = {}  # (def, argument nodes) -> its result
        self.depth = 0  # > 0 inside a block or a function body

    # --- nodes -------------------------------------------------------------------------------
    def const(self, value: Any, span: Span | None = None) -> Node:
        """The constant node for a number or a Static payload."""
        # a non-zero number keys by value (the fast path); 0.0/-0.0 and NaN by their bits
        key = ("const", value) if value and value == value else ("const", _payload_key(value))
        found = self.table.get(key)
        if found is None:
            found = self.table[key] = Node("const", (), value, span)
            self.order.append(found)
        return found

    def var(self, name: str, shape: Shape, span: Span | None) -> Node:
        """The variable node of an input."""
        found = self.table.get(("var", name))
        if found is None:
            found = self.table[("var", name)] = Node("var", (), name, span)
            self.order.append(found)
            if shape:
                self.shapes[found] = shape
        return found

    def make(self, op: str, inputs: tuple[Node, ...], span: Span | None) -> Node:
        """The node for op(inputs): constants folded, shape inferred, interned."""
        table = self.table
        key = (op, inputs)  # nodes hash and compare by identity
        found = table.get(key)
        if found is not None:
            return found
        for i in inputs:
            if i.op != "const" or type(i.payload) is not float:
                break
        else:
            if op in SCALAR:
                return self.const(float(SCALAR[op](*(i.payload for i in inputs))), span)
        unknown = self.unknown
        if unknown and not unknown.isdisjoint(inputs):  # a free name's shape comes with its value
            found = table[key] = Node(op, inputs, None, span)
            unknown.add(found)
            self.order.append(found)
            return found
        shapes = self.shapes
        shape: Shape = ()
        if op in RULES or (shapes and not shapes.keys().isdisjoint(inputs)):
            statics = [i.payload if isinstance(i.payload, Static) else None for i in inputs]
            shape = infer(op, [shapes.get(i, ()) for i in inputs], statics, span)
        found = table[key] = _new(Node)  # Node(op, inputs, None, span), minus the __init__ frame
        _set_op(found, op)
        _set_inputs(found, inputs)
        _set_payload(found, None)
        _set_span(found, span)
        if shape:
            shapes[found] = shape
        order = self.order
        order.append(found)
        if len(order) > MAX_NODES:
            raise TooLarge(f"the program unrolls past {MAX_NODES:,} nodes (the documented limit)", span)
        return found

    def shape(self, n: Node) -> Shape:
        return self.shapes.get(n, ())

    def known_shape(self, n: Node, what: str, span: Span | None) -> Shape:
        """The shape of a node that `what` needs while the program is built."""
        if n in self.unknown:
            names = [name for name, node in self.free.items() if node in self.unknown]
            raise ProgramError(
                f"{what} needs the shape of {', '.join(names)}: "
                f"give a value, or declare it (input {names[0]}[n])",
                span,
            )
        return self.shapes.get(n, ())

    def constant(self, n: Node, what: str, span: Span | None = None) -> float:
        """The number a node folds to, or ProgramError: `what` must be known before evaluation."""
        if n.op != "const" or type(n.payload) is not float:
            detail = f"{what} must be a constant (numbers, params and loop variables)"
            raise ProgramError(detail, span or n.span)
        return n.payload

    def integer(self, n: Node, what: str, span: Span | None = None) -> int:
        """The whole number a node folds to (see constant)."""
        value = self.constant(n, what, span)
        if value != int(value):
            raise ProgramError(f"{what} must be a whole number, got {value:g}", span or n.span)
        return int(value)

    # --- names -------------------------------------------------------------------------------
    def lookup(self, env: dict[str, Node], name: str, span: Span | None) -> Node:
        """The value of a name in scope, or UndefinedName saying why."""
        found = env.get(name)
        if found is None:
            found = self.params.get(name) or self.free.get(name)
        if found is not None:
            return found
        if name in self.one_branch:
            where = self.one_branch[name]
            line = f" at line {where.line}" if where else ""
            raise UndefinedName(f"'{name}' is assigned in only one branch of the if{line}", span)
        if name in self.functions or name in self.custom or name in BUILTIN_FUNCTIONS:
            raise ProgramError(f"'{name}' is a function: call it as {name}(...)", span)
        if self.implicit:
            return self.free_input(name, span)
        raise UndefinedName(f"'{name}'", span)

    def free_input(self, name: str, span: Span | None) -> Node:
        """A name the text reads but does not define: an input, shaped like the value it is given."""
        found = self.free.get(name)
        if found is not None:
            return found
        shape = self.hints.get(name)
        self.reserved.add(name)
        self.inputs[name] = shape  # type: ignore[assignment]  (None: from the value at each point)
        found = self.free[name] = self.var(name, shape or (), span)
        if shape is None:
            self.unknown.add(found)
        return found

    def assign(self, env: dict[str, Node], name: str, value: Node, span: Span | None) -> None:
        """Bind a variable; inputs, params, loop variables and functions cannot be reassigned."""
        if name in self.reserved:
            kind = "an input" if name in self.inputs else "a param" if name in self.params else "a function"
            raise Redefinition(f"'{name}' is {kind} and cannot be assigned", span)
        if name in env.frozen:  # type: ignore[attr-defined]
            raise Redefinition(f"'{name}' is a loop variable and cannot be assigned", span)
        env[name] = value
        if self.one_branch:
            self.one_branch.pop(name, None)

    def declare(self, name: str, span: Span | None) -> None:
        """Check a new top-level name (input, param, def or op) is not taken."""
        if self.depth:
            raise ProgramError("declarations (input, param, def, op) belong at the top level", span)
        if name in self.reserved:
            raise Redefinition(f"'{name}' is already defined", span)
        self.reserved.add(name)

    # --- control flow ------------------------------------------------------------------------
    def run(self, statements: Iterable[Code], env: dict[str, Node]) -> None:
        for statement in statements:
            statement(self, env)

    def block(self, statements: Iterable[Code], env: dict[str, Node]) -> None:
        self.depth += 1
        try:
            self.run(statements, env)
        finally:
            self.depth -= 1

    def branch(self, cond: Node, then: tuple[Code, ...], other: tuple[Code, ...], env: dict) -> None:
        """if/else: a constant condition picks one branch; otherwise both run and join with where."""
        if cond.op == "const" and type(cond.payload) is float:
            self.block(then if cond.payload else other, env)
            return
        then_env, other_env = Scope(env), Scope(env)
        self.block(then, then_env)
        self.block(other, other_env)
        for name in dict.fromkeys([*then_env, *other_env]):
            a, b = then_env.get(name), other_env.get(name)
            if a is b:
                env[name] = a
            elif a is None or b is None:
                env.pop(name, None)
                self.one_branch[name] = cond.span
            else:
                env[name] = self.make("where", (cond, a, b), cond.span)

    def loop(
        self, name: str, first: Node, last: Node, body: tuple[Code, ...], env: dict, used: bool, spans: Any
    ) -> None:
        """for name in first..last (inclusive): the body runs once per value, building nodes."""
        start = self.integer(first, "a loop bound", spans[0])
        stop = self.integer(last, "a loop bound", spans[1])
        trips = max(0, stop - start + 1)
        self.steps += trips
        # A nested loop counts at entry for every iteration its enclosing loops have left (as if
        # its bounds stayed the same), so 10^6 × 10^6 stops here, before 10^6 steps are built; the
        # count of steps actually run (self.steps) catches bounds that grow.
        left = 1
        for outer, begun in self.loops:
            left *= outer - begun + 1
        projected = self.steps + trips * (left - 1)
        if projected > MAX_STEPS:
            nest = " × ".join(f"{outer - begun + 1:,}" for outer, begun in self.loops)
            detail = f" (nested: {nest} × {trips:,})" if self.loops else ""
            limit = f"past {MAX_STEPS:,} (the documented limit)"
            raise TooLarge(f"loops would run {projected:,} iterations{detail}, {limit}", spans[1])
        saved = env.get(name)
        frozen = getattr(env, "frozen", set())
        env.frozen = frozen | {name}  # type: ignore[attr-defined]
        self.depth += 1
        counter = [trips, 0]
        self.loops.append(counter)
        try:
            for i in range(start, stop + 1):
                counter[1] += 1
                if used:
                    dict.__setitem__(env, name, self.const(float(i), first.span))
                for statement in body:
                    statement(self, env)
        finally:
            self.loops.pop()
            self.depth -= 1
            env.frozen = frozen  # type: ignore[attr-defined]
            env.pop(name, None)
            if saved is not None:
                env[name] = saved

    def call(self, function: Function, arguments: list[Node], span: Span | None) -> Node:
        """Inline a def: its body runs in a fresh scope holding the parameters."""
        if function.name in self.calling:
            raise ProgramError(f"recursion: '{function.name}' calls itself (defs are inlined)", span)
        if len(arguments) != len(function.parameters):
            count = len(function.parameters)
            raise ProgramError(f"{function.name}() takes {count} argument{'s' * (count != 1)}", span)
        # A def is a pure function of its arguments (and of params, fixed before any call), and
        # nodes are interned: a call with the same argument nodes is the same node, so it is
        # inlined once. f_k(x) = f_{k-1}(x) + f_{k-1}(x), 30 deep, is 31 inlinings, not 2^30.
        key = (function.name, *arguments)
        found = self.inlined.get(key)
        if found is not None:
            return found
        scope = Scope(dict(zip(function.parameters, arguments, strict=True)))
        self.calls += 1
        if self.calls > MAX_CALLS:  # f_k(x) = f_{k-1}(sin(x)) + f_{k-1}(cos(x)), 30 deep: 2^30 calls
            detail = f"the program inlines past {MAX_CALLS:,} function calls (the documented limit)"
            raise TooLarge(detail, span)
        self.calling.append(function.name)
        self.depth += 1
        try:
            self.run(function.body, scope)
            result = self.inlined[key] = function.result(self, scope)
            return result
        finally:
            self.depth -= 1
            self.calling.pop()

    # --- result ------------------------------------------------------------------------------
    def program(self, end: Span | None, source: str = "", program: bool = True) -> Graph:
        """The compiled program: outputs and the nodes they need, in creation (topological) order."""
        outputs = (*self.outputs.items(), *self.results)
        if not outputs:
            detail = "no output: end the text with an expression (`y = x^2; 2*y`) or `output y`"
            raise ProgramError(detail, end)
        needed = {n for _, n in outputs}
        kept = []
        for n in reversed(self.order):
            if n in needed:
                kept.append(n)
                needed.update(n.inputs)
        kept.reverse()
        shapes = {n: s for n, s in self.shapes.items() if n in needed}
        inputs = {name: None if shape is None else tuple(shape) for name, shape in self.inputs.items()}
        return Graph(
            outputs, inputs, tuple(kept), shapes, source, self.source_name, program,
            self.definitions,  # its custom ops' registry entries live as long as the graph
        )


class Scope(dict):
    """Variables of a block: a dict that can also mark loop variables read-only."""

    frozen: set[str]

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.frozen = set(getattr(args[0], "frozen", ())) if args else set()
