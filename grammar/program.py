"""Text to DAG: the LALR parser turns each statement into a closure and each expression into
postfix instructions, then the closures run, running the instructions.

Every text is a program: `sin(x)*y` is a one-line program whose free names are its inputs (in
order of first appearance, shaped like the values given), `x*y, sin(x)+y` has two outputs, and a
.adl file is the same language over several lines. A text that declares inputs (`input x[3]`)
must declare all of them, so a misspelt name in a program is an error, not a new input.

Parsing happens once; a loop body is a list of closures run once per iteration against the
`Builder` (adcalc.grammar.builder), which makes interned, shape-checked nodes. Every closure and
instruction carries the span of its text, so errors name file:line:col however deep in a loop or
a def they happen.
"""

from __future__ import annotations

import bisect
import functools
import gc
from collections.abc import Mapping
from typing import Any, NamedTuple

from adcalc.errors import ParseError, Span
from adcalc.grammar.builder import Builder, Function, ProgramError, Redefinition, Scope, TooLarge
from adcalc.ir.graph import Graph, Shape
from adcalc.ir.nodes import Node
from adcalc.ops import custom
from adcalc.ops.elementary import CONSTANTS

from . import calls
from .build import COMPARISONS, parse_error, token_span
from .lalr import Parser, SyntaxProblem, Token, load
from .tokens import place

Code = Any  # a statement: (Builder, env) -> None; an expression (Expr): (Builder, env) -> Node
# called unbound in the hot loop: no bound method per call
_make, _const, _lookup = Builder.make, Builder.const, Builder.lookup
_span = functools.partial(tuple.__new__, Span)  # Span(...) without the named tuple's __new__ frame


def _code(function: Code, span: Span | None) -> Code:
    function.span = span
    return function


# An expression compiles to instructions in postfix order, (kind, payload, count, span): the LALR
# parser reduces a subexpression before the one that contains it, so appending one instruction
# per reduction to the parse's list writes each expression as one contiguous run of it. A loop
# body reruns the run once per step; nothing recurses, however deep the nesting (a sum of 10^5
# terms, sin(...) nested 10^5 deep), and there is no closure per node to make or to call.
_MAKE, _NAME, _CONST = 0, 1, 2  # op(the `count` values on top); a name's value; a number
# any other kind is a function(builder, env, stack, payload, count, span) doing its own work


class Piece(NamedTuple):
    """What a reduction returns for an expression: where its instructions are, and its text's span."""

    start: int
    stop: int
    span: Span | None


_piece = functools.partial(tuple.__new__, Piece)
_LEAF = frozenset({"name", "number"})


class Expr:
    """An expression's instructions, run against a Builder: the node of its value."""

    __slots__ = ("code", "span")

    def __init__(self, code: tuple[tuple[Any, ...], ...], span: Span | None) -> None:
        self.code, self.span = code, span

    def __call__(self, b: Builder, env: dict) -> Node:
        stack: list[Node] = []
        push, pop, get = stack.append, stack.pop, env.get
        free = b.free.get  # the free names (a formula's inputs): found without a call to lookup
        for kind, payload, count, span in self.code:
            if kind == _MAKE:
                if count == 2:
                    right = pop()
                    stack[-1] = _make(b, payload, (stack[-1], right), span)
                elif count == 1:
                    stack[-1] = _make(b, payload, (stack[-1],), span)
                else:
                    push(_make(b, payload, _popped(stack, count), span))
            elif kind == _NAME:
                push(get(payload) or free(payload) or _lookup(b, env, payload, span))
            elif kind == _CONST:
                push(_const(b, payload, span))
            else:
                kind(b, env, stack, payload, count, span)
        return stack[-1]


def _popped(stack: list[Node], count: int) -> tuple[Node, ...]:
    """The `count` values on top of the stack, taken off it."""
    cut = len(stack) - count
    values = tuple(stack[cut:])
    del stack[cut:]
    return values


def _call(b: Builder, env: dict, stack: list[Node], named: tuple[str, Span], count: int, whole: Span) -> None:
    name, span = named  # the function's name and its span; `whole` spans the call
    stack.append(calls.call(b, name, list(_popped(stack, count)), span, whole))


def _literal(b: Builder, env: dict, stack: list[Node], _: None, count: int, span: Span) -> None:
    stack.append(calls.literal(b, list(_popped(stack, count)), span))


def _range(b: Builder, env: dict, stack: list[Node], ends: tuple[bool, bool], _: int, span: Span) -> None:
    stop = stack.pop() if ends[1] else None
    start = stack.pop() if ends[0] else None
    stack.append(calls.Range(start, stop, span))  # type: ignore[arg-type]  (an item, not a node)


def _index(b: Builder, env: dict, stack: list[Node], spans: tuple[Span, ...], count: int, span: Span) -> None:
    items = _popped(stack, count)
    stack[-1] = calls.index(b, stack[-1], list(items), spans, span)


def _binary(op: str) -> Any:
    """The reduction `left op right`, the commonest of all (Span.cover inlined)."""

    def reduce(self: ProgramCode, left: Piece, _: Token, right: Piece) -> Piece:
        first, second = left.span, right.span
        # the left operand starts first and the right one ends last
        span = second if first is None else _span((first[0], first[1], second[2], second[3], first[4]))
        code = self.code  # self.emit(left.start, _MAKE, op, 2, span), inlined: 10^5 calls a big text
        code.append((_MAKE, op, 2, span))
        return _piece((left.start, len(code), span))

    return reduce


_COMPARE = {symbol: _binary(op) for symbol, op in COMPARISONS.items()}  # "<" -> the reduction of lt


def _cover(*parts: Any) -> Span | None:
    spans = [p.span for p in parts if getattr(p, "span", None) is not None]
    if not spans:
        return None
    whole = spans[0]
    for span in spans[1:]:
        whole = whole.cover(span)
    return whole


class ProgramCode:
    """A closure per statement and instructions per expression, made at each LALR reduction."""

    source_name: str | None = None
    code: list[tuple[Any, ...]]  # this parse's instructions: every expression's run, in order
    names: list[str]  # every name read so far in this parse, and where (for loop)
    positions: list[int]
    text: str = ""
    declares: bool = False  # an `input` statement was seen: every input is declared

    def reset(self, source_name: str | None, text: str = "") -> None:
        """Start a new parse."""
        self.source_name, self.names, self.positions = source_name, [], []
        self.text, self.declares, self.code = text, False, []

    # --- expressions -------------------------------------------------------------------------
    def span(self, token: Token) -> Span:
        return token_span(token, self.source_name)

    def emit(self, start: int | None, kind: Any, payload: Any, count: int, span: Span | None) -> Piece:
        """Append one instruction: the expression it ends starts at `start` (None: this one)."""
        code = self.code
        code.append((kind, payload, count, span))
        return _piece((len(code) - 1 if start is None else start, len(code), span))

    def postfix(
        self, run: list[tuple[str, int]], pieces: list[str], starts: list[int], ends: list[int],
        lines: list[int],
    ) -> Piece:
        """The instructions of a run of arithmetic from the fast lane (grammar/precedence.py), in
        post-order (method, token index): what name, number, neg, pos and the binary reductions
        would append one call at a time, the same instructions and spans, without a call, a
        token and a Piece per token (tests/grammar/test_tables.py compares the two)."""
        code, source, constants = self.code, self.source_name, CONSTANTS
        emit, first, read, at = code.append, len(code), self.names.append, self.positions.append
        one_line = len(lines) == 1  # every formula: a token's columns are its offsets
        spans: list[Span] = []  # the span of each operand made so far and not yet used
        for method, k in run:
            if method in _LEAF:
                start, end = starts[k], ends[k]
                if one_line:
                    span = _span((1, start + 1, 1, end + 1, source))
                else:
                    span = _span((*place(start, end, lines), source))
                text = pieces[k]
                if method == "number":
                    emit((_CONST, float(text), 0, span))
                elif text in constants:
                    emit((_CONST, constants[text], 0, span))
                else:
                    at(start)
                    read(text)
                    emit((_NAME, text, 0, span))
                spans.append(span)
            elif method == "neg":
                span = spans[-1] = _span((*place(starts[k], ends[k], lines), source)).cover(spans[-1])
                emit((_MAKE, "neg", 1, span))
            elif method != "pos":  # a binary operator, as _binary's reduction: left starts, right ends
                second, left = spans.pop(), spans[-1]
                span = spans[-1] = _span((left[0], left[1], second[2], second[3], left[4]))
                emit((_MAKE, method, 2, span))
        return _piece((first, len(code), spans[0]))

    def seal(self, piece: Piece) -> Expr:
        """The Expr of a whole expression (a statement's, a bound's, a size's): its own run."""
        return Expr(tuple(self.code[piece.start : piece.stop]), piece.span)

    def number(self, token: Token) -> Piece:
        return self.emit(None, _CONST, float(token.text), 0, self.span(token))

    def name(self, token: Token) -> Piece:
        name, span = token.text, self.span(token)
        if name in CONSTANTS:
            return self.emit(None, _CONST, CONSTANTS[name], 0, span)
        self.positions.append(token.start_pos)  # which names each loop reads (see loop)
        self.names.append(name)
        return self.emit(None, _NAME, name, 0, span)

    add, sub, mul, div = _binary("add"), _binary("sub"), _binary("mul"), _binary("div")
    pow, matmul = _binary("pow"), _binary("matmul")

    def compare(self, left: Piece, token: Token, right: Piece) -> Piece:
        return _COMPARE[str(token)](self, left, token, right)

    def neg(self, token: Token, operand: Piece) -> Piece:
        return self.emit(operand.start, _MAKE, "neg", 1, self.span(token).cover(operand.span))

    def pos(self, _: Token, operand: Piece) -> Piece:
        return operand

    def transpose(self, operand: Piece, token: Token) -> Piece:
        return self.emit(operand.start, _MAKE, "transpose", 1, self.span(token).cover(operand.span))

    def arguments(self, *items: Piece) -> list[Piece]:
        return list(items)

    def call(self, token: Token, arguments: list[Piece] | None = None) -> Piece:
        name, items = str(token), arguments or []
        span = self.span(token)
        whole = span.cover(_cover(*items))
        start = items[0].start if items else None
        op = calls.plain_op(name, len(items), span)
        if op is not None:  # a scalar function: resolved once, here
            return self.emit(start, _MAKE, op, len(items), whole)
        return self.emit(start, _call, (name, span), len(items), whole)

    def literal(self, token: Token, items: list[Piece]) -> Piece:
        span = self.span(token).cover(_cover(*items))
        return self.emit(items[0].start, _literal, None, len(items), span)

    def subscripts(self, *items: Piece) -> list[Piece]:
        return list(items)

    def range(self, *parts: Any) -> Piece:
        colon = next(p for p in parts if isinstance(p, Token))
        position = parts.index(colon)
        start = parts[0] if position == 1 else None
        stop = parts[position + 1] if position + 1 < len(parts) else None
        ends = [p for p in (start, stop) if p is not None]
        span = self.span(colon).cover(_cover(*ends))
        first = ends[0].start if ends else None
        return self.emit(first, _range, (start is not None, stop is not None), len(ends), span)

    def index(self, operand: Piece, token: Token, items: list[Piece]) -> Piece:
        span = operand.span.cover(self.span(token)).cover(_cover(*items))
        spans = tuple(item.span for item in items)
        return self.emit(operand.start, _index, spans, len(items), span)

    # --- statements --------------------------------------------------------------------------
    def assign(self, token: Token, _: Token, piece: Piece) -> Code:
        name, span, value = str(token), self.span(token), self.seal(piece)
        assign = Builder.assign
        return _code(lambda b, env: assign(b, env, name, value(b, env), span), span)

    def param(self, _: Token, token: Token, __: Token, piece: Piece) -> Code:
        name, span, value = str(token), self.span(token), self.seal(piece)

        def run(b: Builder, env: dict) -> None:
            b.declare(name, span)
            node = value(b, env)
            b.constant(node, f"param {name}")
            b.params[name] = node

        return _code(run, span)

    def declaration(self, token: Token, sizes: list[Piece] | None = None) -> tuple[str, list[Expr], Span]:
        return str(token), [self.seal(size) for size in sizes or []], self.span(token)

    def inputs(self, _: Token, *declarations: tuple[str, list[Expr], Span]) -> Code:
        self.declares = True

        def run(b: Builder, env: dict) -> None:
            for name, sizes, span in declarations:
                b.declare(name, span)
                shape = tuple(b.integer(size(b, env), "a size", size.span) for size in sizes)
                if any(n < 1 for n in shape):
                    raise ProgramError(f"sizes must be at least 1, got {list(shape)}", span)
                b.inputs[name] = shape
                env[name] = b.var(name, shape, span)

        return _code(run, declarations[0][2])

    def output(self, _: Token, *tokens: Token) -> Code:
        def run(b: Builder, env: dict) -> None:
            if b.depth:
                raise ProgramError("output belongs at the top level", self.span(tokens[0]))
            for token in tokens:
                name, span = str(token), self.span(token)
                if name in b.outputs:
                    raise Redefinition(f"output '{name}' is given twice", span)
                b.outputs[name] = b.lookup(env, name, span)

        return _code(run, self.span(tokens[0]))

    def named(self, token: Token, _: Token, piece: Piece) -> Code:
        name, span = str(token), self.span(token)  # `∂f/∂x = ...`: an output, as diff prints it
        value = self.seal(piece)

        def run(b: Builder, env: dict) -> None:
            if name in b.outputs:
                raise Redefinition(f"output '{name}' is given twice", span)
            b.outputs[name] = value(b, env)

        return _code(run, span)

    def results(self, *pieces: Piece) -> Code:
        names = self._texts(pieces)
        items = [self.seal(piece) for piece in pieces]

        def run(b: Builder, env: dict) -> None:
            b.results.extend((name, item(b, env)) for name, item in zip(names, items, strict=True))

        run.results = True  # type: ignore[attr-defined]  (a text of results alone is a formula)
        return _code(run, _cover(*pieces))

    def _texts(self, items: tuple[Piece, ...]) -> list[str]:
        """Each output expression's own text (its name), parentheses and all, comments left out."""
        text, starts = self.text, [0]
        for line in text.split("\n"):
            starts.append(starts[-1] + len(line) + 1)

        def offset(line: int, column: int) -> int:
            return starts[line - 1] + column - 1

        spans = [item.span for item in items]
        bounds = [offset(spans[0].line, spans[0].column)]
        while bounds[0] > 0 and text[bounds[0] - 1] in "( \t\r\n":  # the expression's own '('
            bounds[0] -= 1
        for left, right in zip(spans, spans[1:], strict=False):  # the comma between two outputs
            end = offset(left.end_line, left.end_column)
            bounds.append(text.index(",", end, offset(right.line, right.column)))
        last = offset(spans[-1].end_line, spans[-1].end_column)
        while last < len(text) and text[last] in ")] \t\r\n":
            last += 1
        bounds.append(last)
        pieces = [text[a + (i > 0) : b] for i, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False))]
        return [" ".join(line.split("#")[0].strip() for line in p.split("\n")).strip() for p in pieces]

    def parameters(self, *tokens: Token) -> list[Token]:
        return list(tokens)

    def define(self, _: Token, token: Token, *rest: Any) -> Code:
        parameters = rest[0] if len(rest) == 3 else []
        return self._function(token, parameters, (), self.seal(rest[-1]))

    def define_block(self, _: Token, token: Token, *rest: Any) -> Code:
        parameters = rest[0] if isinstance(rest[0], list) else []
        body = tuple(r for r in rest[:-2] if callable(r))
        return self._function(token, parameters, body, self.seal(rest[-1]))

    def _function(self, token: Token, parameters: list[Token], body: tuple[Code, ...], result: Expr) -> Code:
        name, span = str(token), self.span(token)
        names = tuple(map(str, parameters))

        def run(b: Builder, env: dict) -> None:
            calls.check_new_function(b, name, names, span)
            b.functions[name] = Function(name, names, body, result, span)

        return _code(run, span)

    def opdef(self, _: Token, token: Token, parameters: list[Token], *rest: Any) -> Code:
        name, span, names = str(token), self.span(token), tuple(map(str, parameters))
        value, rules = self.seal(rest[1]), [self.seal(rule) for rule in rest[-1]]

        def run(b: Builder, env: dict) -> None:
            custom.check_name(name, span)  # `op add(a, b)` must not replace the built-in add
            calls.check_new_function(b, name, names, span)
            if b.definitions is None:  # the program keeps its ops' registry entries alive
                b.definitions = custom.Registrations()
            b.custom[name] = calls.CustomOp(name, names, value, rules, span, b.definitions)

        return _code(run, span)

    def block(self, *statements: Code) -> tuple[Code, ...]:
        return statements

    def branch(self, _: Token, piece: Piece, then: tuple[Code, ...], *rest: Any) -> Code:
        other = rest[-1] if rest else ()
        other = other if isinstance(other, tuple) else (other,)
        condition = self.seal(piece)
        return _code(lambda b, env: b.branch(condition(b, env), then, other, env), condition.span)

    def loop(self, keyword: Token, token: Token, _: Token, start: Piece, *rest: Any) -> Code:
        name, first, last, body = str(token), self.seal(start), self.seal(rest[1]), rest[2]
        # names read since `for` are this loop's; an unread loop variable needs no node per step
        used = name in self.names[bisect.bisect_right(self.positions, keyword.start_pos) :]
        spans = (first.span, last.span)
        return _code(
            lambda b, env: b.loop(name, first(b, env), last(b, env), body, env, used, spans), self.span(token)
        )

    def start(self, *statements: Code) -> tuple[Code, ...]:
        return statements


# 4 MiB holds 10^6 DAG nodes written out (a sum of 5·10^5 terms, a power tower of 10^6: `grad` of
# each takes 6 to 15 s), and no hand-written formula or program comes near it.
MAX_TEXT = 4 * 1024 * 1024


@functools.cache
def _parser() -> tuple[Parser, ProgramCode]:
    code = ProgramCode()
    return load(code), code


def parse_program(
    text: str, source_name: str | None = None, shapes: Mapping[str, Shape | None] | None = None
) -> Graph:
    """The compiled program (outputs over one DAG); errors carry file:line:col.

    `shapes` gives the shapes of free names (from the values they will take), so a one-liner is
    shape-checked while it is built, as a program with declared inputs is; a free name without
    one gets its shape from the value at each point.

    >>> parse_program("input x\\ny = x*x\\noutput y").outputs[0][0]
    'y'
    >>> parse_program("x*y, sin(x)+y").variables
    ('x', 'y')
    """
    if len(text) > MAX_TEXT:  # refused before any work: parsing runs at ~2.5·10^5 tokens a second
        raise TooLarge(f"the text has {len(text):,} characters; the documented limit is {MAX_TEXT:,}", None)
    parser, code = _parser()
    code.reset(source_name, text)
    enabled = gc.isenabled()
    # Neither the code nor the DAG has cycles: collecting while 10^5 of them appear only
    # costs time (40% of parsing a 10^5-term sum, as the collector rescans every live object).
    gc.disable()
    try:
        try:
            statements = parser.parse(text)
        except SyntaxProblem as problem:
            raise parse_error(problem, text, source_name) from None
        finally:
            code.text, code.code = "", []  # the statements keep their own runs
        builder = Builder(source_name, {} if shapes is None else shapes, implicit=not code.declares)
        try:
            builder.run(statements, Scope())
        except RecursionError:
            raise ParseError("expression nested too deeply", None) from None
    finally:
        if enabled:
            gc.enable()
    lines = text.rstrip("\n").split("\n")
    end = Span(len(lines), 1, len(lines), len(lines[-1]) + 1, source_name)
    # a text of output expressions alone is a formula: results are named by its text, not a file
    formula = len(statements) == 1 and getattr(statements[0], "results", False)
    program = not formula or bool(source_name and source_name.endswith(".adl"))
    return builder.program(end, text, program)
