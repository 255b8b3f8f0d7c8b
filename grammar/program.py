"""Text to DAG: the LALR parser turns each statement into a closure, then the closures run.

Every text is a program: `sin(x)*y` is a one-line program whose free names are its inputs (in
order of first appearance, shaped like the values given), `x*y, sin(x)+y` has two outputs, and a
.adl file is the same language over several lines. A text that declares inputs (`input x[3]`)
must declare all of them, so a misspelt name in a program is an error, not a new input.

Parsing happens once; a loop body is a list of closures run once per iteration against the
`Builder` (adcalc.grammar.builder), which makes interned, shape-checked nodes. Every closure carries the
span of its text, so errors name file:line:col however deep in a loop or a def they happen.
"""

from __future__ import annotations

import bisect
import functools
import gc
from collections.abc import Mapping
from typing import Any

from adcalc.errors import ParseError, Span
from adcalc.grammar.builder import Builder, Function, ProgramError, Redefinition, Scope, TooLarge
from adcalc.ir.graph import Graph, Shape
from adcalc.ops import custom
from adcalc.ops.elementary import CONSTANTS

from . import calls
from .build import COMPARISONS, parse_error, token_span
from .lalr import Parser, SyntaxProblem, Token, load

Code = Any  # (Builder, env) -> Node | None
_make = Builder.make  # called unbound in the hot closures: no bound method per call
_span = functools.partial(tuple.__new__, Span)  # Span(...) without the named tuple's __new__ frame


def _code(function: Code, span: Span | None) -> Code:
    function.span = span
    return function


def apply(op: str, parts: tuple[Code, ...], span: Span | None) -> Code:
    """Code for `op(parts...)`: arithmetic, comparisons and scalar calls, the bulk of every text.

    A shallow expression (the usual loop body) is a closure calling its parts' closures, the
    cheapest thing to rerun once per loop step; a deep one (a sum of 10^5 terms, sin(...) nested
    10^5 deep) is a `Deep`, evaluated from an explicit stack, so nothing recurses per level.
    """
    depth = 1 + max((getattr(p, "depth", 0) for p in parts), default=0)
    if depth > SHALLOW:
        return Deep(op, parts, span, depth)
    if len(parts) == 2:
        left, right = parts
        code = _code(lambda b, env: _make(b, op, (left(b, env), right(b, env)), span), span)
    elif len(parts) == 1:
        (part,) = parts
        code = _code(lambda b, env: _make(b, op, (part(b, env),), span), span)
    else:
        code = _code(lambda b, env: _make(b, op, tuple([p(b, env) for p in parts]), span), span)
    code.depth = depth
    return code


SHALLOW = 64  # nesting evaluated by plain calls; deeper than this, from an explicit stack


class Deep:
    """A deeply nested `op(parts...)`: its Deep parts are expanded on a stack, the rest called."""

    __slots__ = ("op", "parts", "span", "depth")

    def __init__(self, op: str, parts: tuple[Code, ...], span: Span | None, depth: int) -> None:
        self.op, self.parts, self.span, self.depth = op, parts, span, depth

    def __call__(self, b: Builder, env: dict) -> Any:
        values: list[Any] = []
        stack: list[Any] = [self]
        push, pop, deep = stack.append, stack.pop, Deep
        while stack:
            code = pop()
            if type(code) is deep:
                push(_Done(code))
                stack.extend(reversed(code.parts))
            elif type(code) is _Done:
                code = code.code
                count = len(code.parts)
                inputs = tuple(values[-count:])
                del values[-count:]
                values.append(_make(b, code.op, inputs, code.span))
            else:
                values.append(code(b, env))
        return values[0]


class _Done:
    """On the evaluation stack: the parts of this Deep are computed, make its node."""

    __slots__ = ("code",)

    def __init__(self, code: Deep) -> None:
        self.code = code


def _cover(*parts: Any) -> Span | None:
    spans = [p.span for p in parts if getattr(p, "span", None) is not None]
    if not spans:
        return None
    whole = spans[0]
    for span in spans[1:]:
        whole = whole.cover(span)
    return whole


class ProgramCode:
    """Closures for statements and expressions, made at each LALR reduction."""

    source_name: str | None = None
    names: list[str]  # every name read so far in this parse, and where (for loop)
    positions: list[int]
    text: str = ""
    declares: bool = False  # an `input` statement was seen: every input is declared

    def reset(self, source_name: str | None, text: str = "") -> None:
        """Start a new parse."""
        self.source_name, self.names, self.positions = source_name, [], []
        self.text, self.declares = text, False

    def span(self, token: Token) -> Span:
        return token_span(token, self.source_name)

    # --- expressions -------------------------------------------------------------------------
    def number(self, token: Token) -> Code:
        value, span = float(token), self.span(token)
        return _code(lambda b, env: b.const(value, span), span)

    def name(self, token: Token) -> Code:
        name, span = str(token), self.span(token)
        if name in CONSTANTS:
            value = CONSTANTS[name]
            return _code(lambda b, env: b.const(value, span), span)
        self.positions.append(token.start_pos)  # which names each loop reads (see loop)
        self.names.append(name)
        return _code(lambda b, env: env.get(name) or b.lookup(env, name, span), span)

    def _binary(self, op: str, left: Code, right: Code) -> Code:
        """`left op right`: the commonest reduction of all, so apply() and Span.cover are inlined."""
        first, second = left.span, right.span  # every expression's code has a span
        # the left operand starts first and the right one ends last
        span = second if first is None else _span((first[0], first[1], second[2], second[3], first[4]))
        one, two = getattr(left, "depth", 0), getattr(right, "depth", 0)
        depth = 1 + (one if one > two else two)
        if depth > SHALLOW:
            return Deep(op, (left, right), span, depth)
        code = _code(lambda b, env: _make(b, op, (left(b, env), right(b, env)), span), span)
        code.depth = depth
        return code

    def add(self, left: Code, _: Token, right: Code) -> Code:
        return self._binary("add", left, right)

    def sub(self, left: Code, _: Token, right: Code) -> Code:
        return self._binary("sub", left, right)

    def mul(self, left: Code, _: Token, right: Code) -> Code:
        return self._binary("mul", left, right)

    def div(self, left: Code, _: Token, right: Code) -> Code:
        return self._binary("div", left, right)

    def pow(self, left: Code, _: Token, right: Code) -> Code:
        return self._binary("pow", left, right)

    def matmul(self, left: Code, _: Token, right: Code) -> Code:
        return self._binary("matmul", left, right)

    def compare(self, left: Code, token: Token, right: Code) -> Code:
        return self._binary(COMPARISONS[str(token)], left, right)

    def neg(self, token: Token, operand: Code) -> Code:
        return apply("neg", (operand,), self.span(token).cover(operand.span))

    def pos(self, _: Token, operand: Code) -> Code:
        return operand

    def transpose(self, operand: Code, token: Token) -> Code:
        return apply("transpose", (operand,), self.span(token).cover(operand.span))

    def arguments(self, *items: Code) -> list[Code]:
        return list(items)

    def call(self, token: Token, arguments: list[Code] | None = None) -> Code:
        name, items = str(token), arguments or []
        span = self.span(token)
        whole = span.cover(_cover(*items))
        op = calls.plain_op(name, len(items), span)
        if op is not None:  # a scalar function: resolved once, here
            return apply(op, tuple(items), whole)
        return _code(lambda b, env: calls.call(b, name, [a(b, env) for a in items], span, whole), whole)

    def literal(self, token: Token, items: list[Code]) -> Code:
        span = self.span(token).cover(_cover(*items))
        return _code(lambda b, env: calls.literal(b, [a(b, env) for a in items], span), span)

    def subscripts(self, *items: Code) -> list[Code]:
        return list(items)

    def range(self, *parts: Any) -> Code:
        colon = next(p for p in parts if isinstance(p, Token))
        position = parts.index(colon)
        start = parts[0] if position == 1 else None
        stop = parts[position + 1] if position + 1 < len(parts) else None
        span = self.span(colon).cover(_cover(*[p for p in (start, stop) if p is not None]))
        return _code(calls.Range(start, stop, span), span)

    def index(self, operand: Code, token: Token, items: list[Code]) -> Code:
        span = operand.span.cover(self.span(token)).cover(_cover(*items))
        return _code(lambda b, env: calls.index(b, operand(b, env), items, env, span), span)

    # --- statements --------------------------------------------------------------------------
    def assign(self, token: Token, _: Token, value: Code) -> Code:
        name, span = str(token), self.span(token)
        assign = Builder.assign
        return _code(lambda b, env: assign(b, env, name, value(b, env), span), span)

    def param(self, _: Token, token: Token, __: Token, value: Code) -> Code:
        name, span = str(token), self.span(token)

        def run(b: Builder, env: dict) -> None:
            b.declare(name, span)
            node = value(b, env)
            b.constant(node, f"param {name}")
            b.params[name] = node

        return _code(run, span)

    def declaration(self, token: Token, sizes: list[Code] | None = None) -> tuple[str, list[Code], Span]:
        return str(token), sizes or [], self.span(token)

    def inputs(self, _: Token, *declarations: tuple[str, list[Code], Span]) -> Code:
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

    def named(self, token: Token, _: Token, value: Code) -> Code:
        name, span = str(token), self.span(token)  # `∂f/∂x = ...`: an output, as diff prints it

        def run(b: Builder, env: dict) -> None:
            if name in b.outputs:
                raise Redefinition(f"output '{name}' is given twice", span)
            b.outputs[name] = value(b, env)

        return _code(run, span)

    def results(self, *items: Code) -> Code:
        names = self._texts(items)

        def run(b: Builder, env: dict) -> None:
            b.results.extend((name, item(b, env)) for name, item in zip(names, items, strict=True))

        run.results = True  # type: ignore[attr-defined]  (a text of results alone is a formula)
        return _code(run, _cover(*items))

    def _texts(self, items: tuple[Code, ...]) -> list[str]:
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
        return self._function(token, parameters, (), rest[-1])

    def define_block(self, _: Token, token: Token, *rest: Any) -> Code:
        parameters = rest[0] if isinstance(rest[0], list) else []
        body = tuple(r for r in rest[:-2] if callable(r))
        return self._function(token, parameters, body, rest[-1])

    def _function(self, token: Token, parameters: list[Token], body: tuple[Code, ...], result: Code) -> Code:
        name, span = str(token), self.span(token)
        names = tuple(map(str, parameters))

        def run(b: Builder, env: dict) -> None:
            calls.check_new_function(b, name, names, span)
            b.functions[name] = Function(name, names, body, result, span)

        return _code(run, span)

    def opdef(self, _: Token, token: Token, parameters: list[Token], *rest: Any) -> Code:
        name, span, names = str(token), self.span(token), tuple(map(str, parameters))
        value, rules = rest[1], rest[-1]

        def run(b: Builder, env: dict) -> None:
            custom.check_name(name, span)  # `op add(a, b)` must not replace the built-in add
            calls.check_new_function(b, name, names, span)
            if b.definitions is None:  # the program keeps its ops' registry entries alive
                b.definitions = custom.Registrations()
            b.custom[name] = calls.CustomOp(name, names, value, rules, span, b.definitions)

        return _code(run, span)

    def block(self, *statements: Code) -> tuple[Code, ...]:
        return statements

    def branch(self, _: Token, condition: Code, then: tuple[Code, ...], *rest: Any) -> Code:
        other = rest[-1] if rest else ()
        other = other if isinstance(other, tuple) else (other,)
        return _code(lambda b, env: b.branch(condition(b, env), then, other, env), condition.span)

    def loop(self, keyword: Token, token: Token, _: Token, first: Code, *rest: Any) -> Code:
        name, last, body = str(token), rest[1], rest[2]
        # names read since `for` are this loop's; an unread loop variable needs no node per step
        used = name in self.names[bisect.bisect_right(self.positions, keyword.start_pos) :]
        spans = (first.span, last.span)
        return _code(
            lambda b, env: b.loop(name, first(b, env), last(b, env), body, env, used, spans), self.span(token)
        )

    def start(self, *statements: Code) -> tuple[Code, ...]:
        return statements


# 4 MiB holds 10^6 DAG nodes written out (a sum of 5·10^5 terms, a power tower of 10^6: each about
# 15 s to parse), and no hand-written formula or program comes near it.
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
    if len(text) > MAX_TEXT:  # refused before any work: parsing runs at ~10^5 tokens a second
        raise TooLarge(f"the text has {len(text):,} characters; the documented limit is {MAX_TEXT:,}", None)
    parser, code = _parser()
    code.reset(source_name, text)
    enabled = gc.isenabled()
    # Neither the closures nor the DAG have cycles: collecting while 10^5 of them appear only
    # costs time (40% of parsing a 10^5-term sum, as the collector rescans every live object).
    gc.disable()
    try:
        try:
            statements = parser.parse(text)
        except SyntaxProblem as problem:
            raise parse_error(problem, text, source_name) from None
        finally:
            code.text = ""
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
