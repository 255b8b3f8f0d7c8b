"""Text to DAG in one pass: a transformer that runs at each LALR reduction.

No parse tree is built and nothing recurses per nesting level, so 100,000 levels of parentheses
parse in linear time. Each method returns an interned node, so equal subexpressions are one node.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from adcalc.errors import ArityError, ParseError, Span, UnknownFunction
from adcalc.ir.nodes import Interner, Node
from adcalc.ops.elementary import ALIASES, CONSTANTS, FUNCTIONS, VARIADIC, minmax_op, variadic_family
from adcalc.ops.elementary import COMPARISONS as _SYMBOLS
from adcalc.ops.registry import OPS
from lark import Lark, Token, Transformer
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

COMPARISONS = {symbol: name for name, symbol in _SYMBOLS.items()}  # "<" -> "lt"


def token_span(token: Token, source_name: str | None = None) -> Span:
    """The span of one token."""
    return Span(token.line, token.column, token.end_line, token.end_column, source_name)


class BuildGraph(Transformer):
    """Builds interned nodes while the parser reduces; holds one parse's intern table.

    Methods take lark's list of children: lark's `v_args(inline=True)` wrapper is rebuilt on
    every reduction and would cost a fifth of the parse time.
    """

    def __init__(self) -> None:
        super().__init__()
        self.reset()

    def reset(self, source_name: str | None = None) -> None:
        """Start a new parse: a fresh intern table, so spans belong to this source."""
        self.interner = Interner()
        self.source_name = source_name

    def span(self, token: Token) -> Span:
        return token_span(token, self.source_name)

    def make(self, op: str, inputs: tuple[Node, ...], span: Span | None) -> Node:
        return self.interner.node(op, inputs, None, span)

    def number(self, children: list[Token]) -> Node:
        (token,) = children
        return self.interner.node("const", (), float(token), self.span(token))

    def name(self, children: list[Token]) -> Node:
        (token,) = children
        name = str(token)
        if name in CONSTANTS:
            return self.interner.node("const", (), CONSTANTS[name], self.span(token))
        if name in FUNCTIONS:
            raise ParseError(f"'{name}' is a function: call it as {name}(...)", self.span(token))
        return self.interner.node("var", (), name, self.span(token))

    def binary(self, op: str, left: Node, right: Node) -> Node:
        return self.make(op, (left, right), _cover(left, right))

    def add(self, children: list) -> Node:
        return self.binary("add", children[0], children[2])

    def sub(self, children: list) -> Node:
        return self.binary("sub", children[0], children[2])

    def mul(self, children: list) -> Node:
        return self.binary("mul", children[0], children[2])

    def div(self, children: list) -> Node:
        return self.binary("div", children[0], children[2])

    def pow(self, children: list) -> Node:
        return self.binary("pow", children[0], children[2])

    def compare(self, children: list) -> Node:
        left, token, right = children
        return self.binary(COMPARISONS[str(token)], left, right)

    def neg(self, children: list) -> Node:
        token, operand = children
        return self.make("neg", (operand,), self.span(token).cover(operand.span))

    def pos(self, children: list) -> Node:
        return children[1]

    def arguments(self, children: list[Node]) -> list[Node]:
        return children

    def call(self, children: list) -> Node:
        token, *rest = children
        arguments = rest[0] if rest and rest[0] is not None else []
        return self.apply_function(str(token), arguments, self.span(token))

    def apply_function(self, name: str, arguments: list[Node], span: Span) -> Node:
        """The node for `name(arguments)`, checking the name and the argument count."""
        whole = span
        for argument in arguments:
            whole = whole.cover(argument.span)
        if name not in FUNCTIONS:
            from adcalc.ops.custom import visible_op  # a program's own op, only inside custom.visible

            op = visible_op(name)
            if op is None:
                raise UnknownFunction(_suggest(name, FUNCTIONS), span)
            check_arity(name, len(arguments), OPS[op].arity, span)
            return self.make(op, tuple(arguments), whole)
        return scalar_call(lambda op, inputs: self.make(op, inputs, whole), name, arguments, span)


def scalar_call(
    make: Callable[[str, tuple[Node, ...]], Node], name: str, arguments: list[Node], span: Span
) -> Node:
    """make(op, inputs) for a scalar function call: min/max of 2 or more flattened, others checked."""
    op = ALIASES.get(name, name)
    if op in VARIADIC:
        if len(arguments) < 2:
            raise ArityError(f"{name}() takes 2 or more arguments, got {len(arguments)}", span)
        operands = flatten_extremum(op, arguments)
        if len(operands) == 1:  # max(x, x) is x
            return operands[0]
        return make(minmax_op(op, len(operands)), tuple(operands))
    check_arity(name, len(arguments), OPS[op].arity, span)
    return make(op, tuple(arguments))


def flatten_extremum(family: str, arguments: list[Node]) -> list[Node]:
    """The operands of one n-ary min or max: nested calls of the same kind spliced in, repeats dropped.

    max(max(x, y), z) and max(x, max(y, z)) both become max(x, y, z), so a tie is split among
    all tied arguments (1/3 each) whatever the nesting. Nodes are interned, so a repeated
    subexpression is one node: max(max(x, y), max(x, z)) is max(x, y, z), not x counted twice,
    which is exact (max is idempotent) and keeps x's share of a tie at 1/3, not 2/4.
    """
    operands: dict[Node, None] = {}  # insertion-ordered set: the first occurrence keeps its place
    for argument in arguments:
        nested = argument.inputs if variadic_family(argument.op) == family else (argument,)
        operands.update(dict.fromkeys(nested))
    return list(operands)


def check_arity(name: str, count: int, arity: int | None, span: Span) -> None:
    """ArityError unless `count` arguments suit `arity` (None: any number)."""
    if arity is not None and count != arity:
        raise ArityError(f"{name}() takes {arity} argument{'s' * (arity != 1)}, got {count}", span)


def _cover(left: Node, right: Node) -> Span | None:
    if left.span is None:
        return right.span
    return left.span.cover(right.span)


def _suggest(name: str, known: list[str]) -> str:
    import difflib  # only on this error path: importing it costs start-up time

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"'{name}'{hint}"


def lalr_parser(grammar: str, transformer: Transformer, lexer: str = "contextual") -> Lark:
    """An LALR parser for one of this package's grammars that runs `transformer` at each reduction."""
    return Lark.open_from_package(
        "adcalc.grammar", grammar, ("",), parser="lalr", lexer=lexer, transformer=transformer, cache=True
    )


@functools.cache
def _parser() -> tuple[Lark, BuildGraph]:
    builder = BuildGraph()
    # No two terminals of expr.lark overlap, so one lexer serves every parser state: the
    # contextual lexer would compile a regex scanner per state on first use (~8 ms of start-up).
    return lalr_parser("expr.lark", builder, lexer="basic"), builder


# How lark's terminal names read in an error message.
_DESCRIBE = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "COMMA": "','",
    "PLUS": "'+'",
    "MINUS": "'-'",
    "STAR": "'*'",
    "SLASH": "'/'",
    "POW": "'^'",
    "COMPARE": "a comparison",
    "$END": "end of input",
}


def describe_expected(expected: set[str]) -> str:
    """'a number, a name or (' from a set of terminal names."""
    words = sorted({_DESCRIBE.get(name, name.lower()) for name in expected})
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else "something else"


def parse_error(error: UnexpectedInput, source: str, source_name: str | None = None) -> ParseError:
    """adcalc's ParseError (with a span) for lark's exception."""
    line, column = getattr(error, "line", 1), getattr(error, "column", 1)
    if isinstance(error, UnexpectedEOF) or (
        isinstance(error, UnexpectedToken) and error.token.type == "$END"
    ):
        lines = source.splitlines() or [""]
        line, column = len(lines), len(lines[-1]) + 1
        detail = "unexpected end of input"
        if "RPAR" in getattr(error, "expected", ()):
            detail += " (a '(' is not closed)"
        span = Span(line, column, line, column + 1, source_name)
        return ParseError(detail, span)
    if isinstance(error, UnexpectedCharacters):
        char = source.splitlines()[line - 1][column - 1]
        return ParseError(f"unexpected character {char!r}", Span(line, column, line, column + 1, source_name))
    token = error.token  # type: ignore[attr-defined]
    expected = describe_expected(set(getattr(error, "expected", ())) - {"$END"} or {"$END"})
    span = token_span(token, source_name)
    return ParseError(f"unexpected {str(token)!r}; expected {expected}", span)


def parse_expr(text: str, source_name: str | None = None) -> Node:
    """The interned DAG of an expression; ParseError, UnknownFunction or ArityError with a span."""
    parser, builder = _parser()
    builder.reset(source_name)
    try:
        return parser.parse(text)
    except UnexpectedInput as error:
        raise parse_error(error, text, source_name) from None
    finally:
        builder.reset()
