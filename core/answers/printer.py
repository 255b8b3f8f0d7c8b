"""Graphs back to adcalc text: infix with minimal parentheses, shared subexpressions bound once.

Precedence follows grammar/adcalc.lark, loosest first: comparison, + -, * /, unary -, ^, atoms.
The structure is kept exactly (`a - (b - c)`, `a + (b + c)`), so text printed from a graph parses
back to the same graph. A node used more than once is printed once, as a binding line
`t1 = cos(x)` before the final expression, so a DAG never swells into an exponentially long
tree; such text is a program of adcalc's one language, and `parse_bindings` reads it back.
Every walk is iterative: derivative graphs can be thousands of levels deep.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from ..ir.nodes import Node, topological_order
from ..ops.elementary import COMPARISONS
from ..ops.registry import OPS

COMPARE, SUM, PRODUCT, UNARY, POWER, ATOM = range(6)
INFIX = {
    name: (OPS[name].symbol, level)
    for name, level in [("add", SUM), ("sub", SUM), ("mul", PRODUCT), ("div", PRODUCT)]
}
SPACED = {"+", "-"} | set(COMPARISONS.values())

Piece = tuple[str, int]  # text and the precedence level of its outermost operator


def number_text(value: float) -> Piece:
    """A constant as adcalc reads it: 2 rather than 2.0; inf and NaN as 1/0 and 0/0."""
    if value != value:
        return "0/0", PRODUCT
    if math.isinf(value):
        return ("1/0", PRODUCT) if value > 0 else ("-1/0", PRODUCT)  # (-1)/0: a quotient, as 1/0
    text = repr(float(value))
    if text.endswith(".0"):
        text = text[:-2]
    if text.startswith("-"):
        return text, UNARY
    return text, ATOM


def _wrap(piece: Piece, minimum: int) -> str:
    return piece[0] if piece[1] >= minimum else f"({piece[0]})"


def op_text(op: str, pieces: Sequence[Piece]) -> Piece:
    """The text of `op` applied to already printed inputs."""
    if op in INFIX:
        symbol, level = INFIX[op]
        left, right = _wrap(pieces[0], level), _wrap(pieces[1], level + 1)
        # a negation on the right reads better in parentheses: x*(-y), not x*-y
        if pieces[1][1] == UNARY:
            right = f"({pieces[1][0]})"
        return (f"{left} {symbol} {right}" if symbol in SPACED else f"{left}{symbol}{right}"), level
    if op == "neg":
        return "-" + _wrap(pieces[0], UNARY), UNARY
    if op == "pow":  # atom ^ unary, right-associative
        return f"{_wrap(pieces[0], ATOM)}^{_wrap(pieces[1], UNARY)}", POWER
    if op in COMPARISONS:
        return f"{_wrap(pieces[0], SUM)} {COMPARISONS[op]} {_wrap(pieces[1], SUM)}", COMPARE
    # the name it is called by, so the text parses back to the same op: a custom op's name as the
    # user wrote it; max(a, b, c) for max3 (internal registry names are not callable)
    definition = OPS.get(op)
    extra = definition.extra if definition is not None else {}
    called = extra.get("shown") or extra.get("variadic") or op
    return f"{called}({', '.join(p[0] for p in pieces)})", ATOM


def _leaf(n: Node) -> Piece:
    if n.op == "const" and not isinstance(n.payload, float | int):  # a compile-time argument alone
        return str(list(n.payload)), ATOM
    return number_text(n.payload) if n.op == "const" else (str(n.payload), ATOM)


def expression_text(root: Node, names: Mapping[Node, str] | None = None) -> str:
    """One infix expression for the graph, shared nodes repeated (use for small graphs).

    Nodes in `names` print as that name, and their inputs are not visited.
    """
    names = names or {}
    pieces: dict[Node, Piece] = {}
    for n in _order([root], names):
        pieces[n] = (names[n], ATOM) if n in names else _piece(n, pieces)
    return pieces[root][0]


def _piece(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    if not n.inputs:
        return _leaf(n)
    array = ARRAY_TEXT.get(n.op) or (_stack if n.op.startswith("stack") and n.op[5:].isdigit() else None)
    if array is not None:
        return array(n, pieces)
    return op_text(n.op, [pieces[i] for i in n.inputs])


def _matmul(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    a, b = (pieces[i] for i in n.inputs)
    return f"{_wrap(a, PRODUCT)} @ {_wrap(b, PRODUCT + 1)}", PRODUCT


def _transpose(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    return f"{_wrap(pieces[n.inputs[0]], ATOM)}'", ATOM


def _index(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    # the key is 0-based (i, or (start, stop) half-open); the language is 1-based and inclusive
    items = [f"{k[0] + 1}:{k[1]}" if isinstance(k, tuple) else str(k + 1) for k in n.inputs[1].payload]
    return f"{_wrap(pieces[n.inputs[0]], ATOM)}[{', '.join(items)}]", ATOM


def _array(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    def literal(values: object) -> str:
        if isinstance(values, tuple | list):
            return "[" + ", ".join(literal(v) for v in values) + "]"
        return number_text(float(values))[0]  # type: ignore[arg-type]

    return literal(n.inputs[0].payload), ATOM


def _eye(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    return f"eye({n.inputs[0].payload[0]})", ATOM


def _reshape(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    sizes = ", ".join(str(size) for size in n.inputs[1].payload)
    return f"reshape({pieces[n.inputs[0]][0]}, {sizes})", ATOM


def _stack(n: Node, pieces: Mapping[Node, Piece]) -> Piece:
    return "[" + ", ".join(pieces[i][0] for i in n.inputs[1:]) + "]", ATOM


# ops whose text is not name(args): array syntax, and compile-time arguments printed as written
ARRAY_TEXT = {"matmul": _matmul, "transpose": _transpose, "index": _index, "array": _array, "eye": _eye,
              "reshape": _reshape}  # fmt: skip


def _order(roots: Sequence[Node], names: Mapping[Node, str]) -> list[Node]:
    # topological order that stops at named nodes (they print as their name)
    if not names:
        return topological_order(roots)
    order, seen, stack = [], set(), [(r, False) for r in reversed(roots)]
    while stack:
        n, expanded = stack.pop()
        if expanded:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        if n not in names:
            stack.extend((i, False) for i in reversed(n.inputs) if i not in seen)
    return order


def binding_prefix(taken: set[str]) -> str:
    """A name prefix ('t', 'tt', ...) such that no taken name is prefix+digits."""
    prefix = "t"
    while any(name.startswith(prefix) and name[len(prefix) :].isdigit() for name in taken):
        prefix += "t"
    return prefix


LONGEST_PIECE = 240  # characters of a subexpression printed inline; a longer one gets its own line


def to_text(
    roots: Node | Sequence[Node], taken: set[str] | None = None, names: Sequence[str] | None = None
) -> str:
    """Binding lines for shared subexpressions, then the roots: a program adcalc reads back.

    Several roots print as one line `a, b` (two outputs), or with `names` as `name = root` lines.
    Newlines do not end statements, so a last line that would continue the binding before it
    (`-t1`, `(t1)`, `[...]`) gets a `;` between them.

    >>> to_text(parse("sin(x)*sin(x) + 1").root)
    't1 = sin(x)\\nt1*t1 + 1'
    """
    roots = [roots] if isinstance(roots, Node) else list(roots)
    bound, pieces = bindings(roots, taken, _piece, lambda prefix, k: (f"{prefix}{k}", ATOM))
    lines = [f"{name} = {piece[0]}" for name, piece in bound]
    if names is not None:
        return "\n".join(lines + [f"{name} = {pieces[r][0]}" for name, r in zip(names, roots, strict=True)])
    last = ", ".join(pieces[r][0] for r in roots)
    if lines and last[0] in "-+([":
        lines[-1] += ";"
    return "\n".join([*lines, last])


def bindings(
    roots: Sequence[Node],
    taken: set[str] | None,
    piece_of: Callable[[Node, Mapping[Node, Piece]], Piece],
    name_of: Callable[[str, int], Piece],
) -> tuple[list[tuple[str, Piece]], dict[Node, Piece]]:
    """Every node's piece, printed by `piece_of`, with the shared ones (and the long ones) bound
    to the pieces `name_of(prefix, k)` (a name, at the printer's atom level): (the bindings in
    order, as (name, piece); every node's piece). The one binding pass of to_text and to_latex."""
    order = topological_order(roots)
    uses: Counter[Node] = Counter(i for n in order for i in n.inputs)
    for r in roots:
        uses[r] += 1
    prefix = binding_prefix(set(taken or ()) | {n.payload for n in order if n.op == "var"})
    pieces: dict[Node, Piece] = {}
    bound: list[tuple[str, Piece]] = []
    for n in order:
        piece = piece_of(n, pieces)
        # shared, or long: a chain of single-use nodes (the derivative of sin nested 10^4 deep)
        # would otherwise grow one piece per level, k²/2 characters held and copied in all
        if n.inputs and (uses[n] > 1 or len(piece[0]) > LONGEST_PIECE) and n not in roots:
            named = name_of(prefix, len(bound) + 1)
            bound.append((named[0], piece))
            piece = named
        pieces[n] = piece
    return bound, pieces


def parse_bindings(text: str) -> list[Node]:
    """The graphs of text printed by `to_text`: adcalc's own language reads it (binding lines,
    then the results), so sharing survives the round trip."""
    from ..grammar import parse_program

    return [root for _, root in parse_program(text).outputs]


def substitute(root: Node, bound: Mapping[str, Node]) -> Node:
    """The graph with each variable named in `bound` replaced by its graph (rebuilt, interned)."""
    from ..ir.nodes import node

    if not bound:
        return root
    new: dict[Node, Node] = {}
    for n in topological_order(root):
        if n.op == "var" and n.payload in bound:
            new[n] = bound[n.payload]
        elif n.inputs:
            inputs = tuple(new[i] for i in n.inputs)
            new[n] = n if inputs == n.inputs else node(n.op, *inputs, payload=n.payload)
        else:
            new[n] = n
    return new[root]
