"""A graph as straight-line code: the one lowering every generated language shares.

`lower(outputs, variables)` turns output graphs into a Program: a list of assignments, one temporary
per distinct operation (structurally equal nodes from different graphs become one, constants are
folded), inputs first. A language module (python.py, numpy.py, c.py) only spells each op.

`where(c, a, b)` in scalar code evaluates only the taken branch, as adcalc's evaluator does: a node
needed only by one branch of a where is computed inside an `if` block for that branch (a Branch
item), so `where(x > 0, log(x), 0)` never computes log of a negative number. A node needed by both
branches, or outside them, is computed before the `if` (its guard is the common part of its users'
guards). With `branches=False` (NumPy arrays, the C batch loop) every node is computed and where
selects: the derivative graphs are built masked, where(c, g·d, 0), so a NaN or inf of the branch not
taken is never multiplied into the selected 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ...errors import UsageError
from ...ir.nodes import Node, topological_order
from ...ops.elementary import COMPARISONS as _SYMBOLS
from ...ops.registry import OPS
from ...ops.scalar import SCALAR
from .. import numpy_kernels

# A reference to a value: ("t", k) temporary k, ("x", i) input i, ("c", value) a constant.
Ref = tuple[str, Any]


@dataclass(frozen=True)
class Assign:
    """temp = op(args...); note: the convention this line implements, if any."""

    temp: int
    op: str
    args: tuple[Ref, ...]
    note: str = ""


@dataclass(frozen=True)
class Branch:
    """temp = where(condition, ...): `then` computed and its value taken when condition != 0,
    else `otherwise`."""

    temp: int
    condition: Ref
    then: tuple[Any, ...]
    then_value: Ref
    otherwise: tuple[Any, ...]
    otherwise_value: Ref
    note: str = ""


Item = Assign | Branch


@dataclass(frozen=True)
class Program:
    """Straight-line code computing `outputs` (references) from the inputs `variables`."""

    variables: tuple[str, ...]
    body: tuple[Item, ...]
    outputs: tuple[Ref, ...]
    temps: int

    def ops(self) -> set[str]:
        """Every op the body uses (what a language must be able to spell)."""
        found: set[str] = set()
        stack = list(self.body)
        while stack:
            item = stack.pop()
            if isinstance(item, Branch):
                found.add("where")
                stack += [*item.then, *item.otherwise]
            else:
                found.add(item.op)
        return found


Entry = numpy_kernels.Entry  # (op, payload, input entry numbers)


def expand_custom(outputs: Sequence[Node]) -> list[Node]:
    """The outputs with every scalar custom op (`op f(x) = ...` of a program) replaced by its value
    graph applied to its arguments, so generated code needs nothing but the built-in ops."""
    if not any(
        OPS.get(n.op) is not None and OPS[n.op].extra.get("custom") for n in topological_order(outputs)
    ):
        return list(outputs)
    done: dict[int, Node] = {}
    for n in topological_order(outputs):
        inputs = [done[id(i)] for i in n.inputs]
        definition = OPS.get(n.op)
        if definition is not None and definition.extra.get("custom"):
            if definition.extra.get("array"):
                raise UsageError(f"codegen cannot write the array op {definition.extra.get('shown', n.op)}")
            done[id(n)] = SCALAR[n.op](*inputs)  # the value template, run on nodes, builds the graph
        elif inputs and any(a is not b for a, b in zip(inputs, n.inputs, strict=True)):
            from ...ops.registry import apply

            done[id(n)] = apply(n.op, *inputs)
        else:
            done[id(n)] = n
    return [done[id(o)] for o in outputs]


def linearize(outputs: Sequence[Node]) -> tuple[list[Entry], list[int]]:
    """Distinct operations, inputs first (structural sharing, constants folded), and each output's
    entry: the numpy kernels' linearization, with `where(x > y, 1, 0)` the comparison itself."""
    return numpy_kernels.linearize(outputs, _indicator)


COMPARISONS = frozenset(_SYMBOLS)  # the comparison ops


def _indicator(entries: list[Entry], op: str, inputs: tuple[int, ...]) -> int | None:
    """The comparison that where(comparison, 1, 0) is (1.0 or 0.0 already), else None."""
    if op != "where":
        return None
    condition, a, b = (entries[k] for k in inputs)
    indicator = (
        condition[0] in COMPARISONS
        and a == ("const", 1.0, ())
        and b == ("const", 0.0, ())
        and str(b[1]) == "0.0"
    )
    return inputs[0] if indicator else None


Guard = tuple[tuple[int, int], ...]  # the (where entry, branch 1 or 2) blocks a node sits in


def _guards(entries: list[Entry], roots: Sequence[int]) -> dict[int, Guard]:
    """Each entry's block: the longest guard common to all its uses (reverse topological order
    sees every user of an entry before the entry)."""
    guards: dict[int, Guard] = {k: () for k in roots}
    for position in range(len(entries) - 1, -1, -1):
        if position not in guards:
            continue
        op, _, inputs = entries[position]
        mine = guards[position]
        for slot, k in enumerate(inputs):
            wanted = (*mine, (position, slot)) if op == "where" and slot > 0 else mine
            previous = guards.get(k)
            guards[k] = wanted if previous is None else _common(previous, wanted)
    return guards


def _common(a: Guard, b: Guard) -> Guard:
    length = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        length += 1
    return a[:length]


def lower(outputs: Sequence[Node], variables: Sequence[str], branches: bool = True) -> Program:
    """The outputs as a Program over `variables` (see the module docstring)."""
    entries, slots = linearize(expand_custom(outputs))
    index = {name: k for k, name in enumerate(variables)}
    for op, payload, _ in entries:
        if op == "var" and payload not in index:
            raise UsageError(f"codegen: {payload} is not among the variables {', '.join(variables)}")
    guards = _guards(entries, slots) if branches else {k: () for k in range(len(entries))}
    blocks: dict[Guard, list[int]] = {}
    for position, (op, _, _) in enumerate(entries):
        if op not in ("const", "var") and position in guards:
            blocks.setdefault(guards[position], []).append(position)
    temps: dict[int, int] = {}

    def ref(k: int) -> Ref:
        op, payload, _ = entries[k]
        if op == "const":
            return ("c", payload)
        if op == "var":
            return ("x", index[payload])
        return ("t", temps[k])

    def block(guard: Guard) -> tuple[Item, ...]:
        items: list[Item] = []
        for position in blocks.get(guard, []):
            op, _, inputs = entries[position]
            then, otherwise = (*guard, (position, 1)), (*guard, (position, 2))
            if op == "where" and (then in blocks or otherwise in blocks):
                then_items, otherwise_items = block(then), block(otherwise)
                temps[position] = len(temps)
                items.append(Branch(
                    temps[position], ref(inputs[0]), then_items, ref(inputs[1]), otherwise_items,
                    ref(inputs[2]), note(entries, position),
                ))  # fmt: skip
                continue
            temps[position] = len(temps)
            items.append(Assign(temps[position], op, tuple(ref(k) for k in inputs), note(entries, position)))
        return tuple(items)

    body = block(())
    return Program(tuple(variables), body, tuple(ref(k) for k in slots), len(temps))


# --- the conventions, said where they happen -------------------------------------------------------
def note(entries: list[Entry], position: int) -> str:
    """A comment for a line that implements one of adcalc's conventions at kinks, else ''."""
    op, _, inputs = entries[position]
    family = OPS[op].extra.get("variadic") if op in OPS else None
    if op == "abs":
        return "abs: its derivative is sign(x), so abs'(0) = 0"
    if op == "sign":
        return "sign(0) = 0: abs'(0) = 0"
    if family is not None:
        return f"{family}: a tie splits the derivative evenly; NaN propagates"
    if op == "where":
        condition = entries[inputs[0]]
        if condition[0] == "eq":
            sides = {entries[k][0] for k in condition[2]}
            values = {entries[k][1] for k in inputs[1:] if entries[k][0] == "const"}
            tied = any(OPS[s].extra.get("variadic") for s in sides if s in OPS) or 0.5 in values
            if tied:
                return "tie: equal arguments of max/min share the derivative evenly"
            return "at equality: adcalc's convention (the limit, e.g. 0 for d/dx x^y at y = 0)"
        return "where: only the branch taken counts"
    return ""


def spelled(program: Program, spellings: dict[str, str], language: str) -> None:
    """UsageError naming the first op of the program that `language` has no spelling for."""
    missing = sorted(op for op in program.ops() if op not in spellings and op != "where")
    if missing:
        raise UsageError(f"codegen --lang {language} cannot write the op {missing[0]}")


def variadic(op: str, count: int, binary: str) -> str:
    """min3(a, b, c) spelled as binary(binary(a, b), c) (the value; the tie rule is in the derivative)."""
    found = "{0}"
    for k in range(1, count):
        found = binary.format(found, f"{{{k}}}")
    return found


def family_of(op: str) -> str | None:
    """'min' or 'max' for min, max, min3, max4, ..."""
    definition = OPS.get(op)
    return None if definition is None else definition.extra.get("variadic")
