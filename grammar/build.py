"""What the parser shares: spans of tokens, scalar calls checked, and lark's errors in adcalc's words."""

from __future__ import annotations

from collections.abc import Callable

from adcalc.errors import ArityError, ParseError, Span
from adcalc.ir.nodes import Node
from adcalc.ops.elementary import ALIASES, VARIADIC, minmax_op, variadic_family
from adcalc.ops.elementary import COMPARISONS as _SYMBOLS
from adcalc.ops.registry import OPS

from .lalr import END, SyntaxProblem, Token

COMPARISONS = {symbol: name for name, symbol in _SYMBOLS.items()}  # "<" -> "lt"


def token_span(token: Token, source_name: str | None = None) -> Span:
    """The span of one token."""
    return tuple.__new__(Span, (*token.place(), source_name))  # minus the named tuple's __new__ frame


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


def _suggest(name: str, known: list[str]) -> str:
    import difflib  # only on this error path: importing it costs start-up time

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    return f"'{name}'{hint}"


# How the grammar's terminal names read in an error message.
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
    "EQUAL": "'='", "LBRACE": "'{'", "RBRACE": "'}'", "LSQB": "'['", "RSQB": "']'", "COLON": "':'",
    "DOTS": "'..'", "AT": "'@'", "QUOTE": "\"'\"", "SEMICOLON": "';'", "DNAME": "a name such as ∂f/∂x",
}  # fmt: skip
KEYWORDS = ("input", "output", "param", "def", "return", "op", "grad", "if", "else", "for", "in")
_DESCRIBE.update({word.upper(): f"'{word}'" for word in KEYWORDS})


def describe_expected(expected: set[str]) -> str:
    """'a number, a name or (' from a set of terminal names."""
    words = sorted({_DESCRIBE.get(name, name.lower()) for name in expected})
    if len(words) > 1:
        return ", ".join(words[:-1]) + " or " + words[-1]
    return words[0] if words else "something else"


def parse_error(problem: SyntaxProblem, source: str, source_name: str | None = None) -> ParseError:
    """adcalc's ParseError (with a span) for where the parser stopped."""
    token = problem.token
    if token is not None and token.type == END:
        lines = source.rstrip("\n").split("\n")  # lines as the lexer counts them: \f or U+2028 end none
        line, column = len(lines), len(lines[-1]) + 1
        detail = "unexpected end of input"
        if "RPAR" in problem.expected:
            detail += " (a '(' is not closed)"
        return ParseError(detail, Span(line, column, line, column + 1, source_name))
    if token is None:
        line, column = problem.line, problem.column
        char = source.split("\n")[line - 1][column - 1]
        return ParseError(f"unexpected character {char!r}", Span(line, column, line, column + 1, source_name))
    expected = describe_expected(set(problem.expected) - {END} or {END})
    span = token_span(token, source_name)
    if problem.expected <= {"SEMICOLON", END}:  # `x + 1; y`: output expressions end the text
        detail = f"unexpected {str(token)!r} after the output expressions, which end the text (several: x, y)"
        return ParseError(detail, span)
    if str(token) in KEYWORDS and "NAME" in problem.expected:  # `in*2`, `x + grad`
        return ParseError(f"unexpected {str(token)!r}: it is a keyword and cannot be a name", span)
    before = problem.previous
    if before is not None and str(before) in KEYWORDS and before.type != "NAME":  # `if*2`, `input + 1`
        detail = f"unexpected {str(token)!r} after '{before}', a keyword (keywords cannot be names)"
        return ParseError(detail, token_span(before, source_name).cover(span))
    return ParseError(f"unexpected {str(token)!r}; expected {expected}", span)
