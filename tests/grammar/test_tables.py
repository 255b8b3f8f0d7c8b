"""The shipped parser table is lark's table for the shipped grammar, and the driver runs it as
lark would: same tokens, same trees, same place of a syntax error."""

from __future__ import annotations

import json
import random
import re
import subprocess
import sys
from pathlib import Path

import pytest
from adcalc.errors import AdcalcError
from adcalc.grammar import generate
from adcalc.grammar.builder import Builder, Scope
from adcalc.grammar.lalr import END, Parser, SyntaxProblem, Token, load
from adcalc.grammar.program import ProgramCode

lark = pytest.importorskip("lark")

EXAMPLES = sorted((Path(__file__).parents[2] / "examples").glob("*.adl"))
TEXTS = [
    "sin(x)*y",
    "x*y, sin(x)+y",
    "t1 = 1 + x^2\n∂f/∂x = 2*x/t1\n∂²f/∂y² = 0",
    "x' @ A @ x + A[1, :][2] + x[1:2][1] - [[1, 2], [3, 4]][2, 1]",
    "-x^-2 ** 3 <= 4; y = 2\n(y)",
    "input x[3]\nparam n = 3\nfor i in 1..n { x2 = x[i] }\n"
    "if x[1] > 0 { z = 1 } else if 1 { z = 2 } else { z = 3 }\n"
    "def f(a, b) { c = a; return c*b }\nop g(u) = u grad 2*u\noutput z # done",
    "inputs + in_ + output2 + .5e3 + 7. + 1e-3",
]


def test_the_shipped_table_is_up_to_date() -> None:
    # a new process: lark's state numbering must not depend on this process's history
    done = subprocess.run([sys.executable, generate.__file__, "--check"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_no_terminal_starts_as_an_ignored_one() -> None:
    # the scanner takes ignored text (spaces, comments) before each token, so this must hold
    # for a text to lex as lark lexes it, one terminal at a time in its order
    tables = json.loads(generate.TABLES.read_text(encoding="utf-8"))
    ignored = [pattern for name, pattern in tables["terminals"] if name in tables["ignore"]]
    for name, pattern in tables["terminals"]:
        if name not in tables["ignore"]:
            for first in " \t\f\r\n#":
                assert not re.match(pattern, first + "x1"), (name, first)
    assert all(re.match(pattern, " \t\f\r\n#") or re.match(pattern, "#") for pattern in ignored)


def test_only_a_number_starts_with_a_digit() -> None:
    # the lexer gives every token that starts with a digit the terminal NUMBER without a match
    tables = json.loads(generate.TABLES.read_text(encoding="utf-8"))
    for name, pattern in tables["terminals"]:
        if name != "NUMBER" and name not in tables["ignore"]:
            for digit in "0123456789":
                assert not re.match(pattern, digit + "x1 2"), (name, digit)


def lark_parser() -> lark.Lark:
    return lark.Lark(generate.GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic")


class Trees:
    """A transformer for the driver that builds lark-style trees: (rule name, children)."""

    def __getattr__(self, name: str) -> object:
        return lambda *children: (name, [self.plain(c) for c in children])

    @staticmethod
    def plain(child: object) -> object:
        return (child.type, str(child)) if isinstance(child, Token) else child


def lark_tree(tree: object) -> object:
    if isinstance(tree, lark.Token):
        return (tree.type, str(tree))
    return (tree.data, [lark_tree(c) for c in tree.children])


def corpus() -> list[str]:
    texts = TEXTS + [path.read_text(encoding="utf-8") for path in EXAMPLES]
    rng = random.Random(9)
    atoms = ["x", "y1", "2", ".5", "A[1, 2]", "f(x, y)", "[x, 1]", "(x - y)", "x'", "pi"]
    for _ in range(200):
        text = rng.choice(atoms)
        for _ in range(rng.randint(1, 8)):
            text = f"{text} {rng.choice(['+', '-', '*', '/', '^', '@', '<', '=='])} {rng.choice(atoms)}"
            if rng.random() < 0.3:
                text = f"{rng.choice(['-', 'sin', ''])}({text})"
        texts.append(text)
    return texts


@pytest.mark.parametrize("text", corpus())
def test_tokens_and_trees_are_larks(text: str) -> None:
    reference = lark_parser()
    ours = load(Trees())
    want = [(t.type, str(t), t.line, t.column, t.end_line, t.end_column) for t in reference.lex(text)]
    got = [(t.type, str(t), t.line, t.column, t.end_line, t.end_column) for t in ours.tokens(text)]
    assert got[-1][0] == END and got[:-1] == want
    try:
        expected = lark_tree(reference.parse(text))
    except lark.exceptions.UnexpectedInput as error:  # `a < b < c`: comparisons do not chain
        with pytest.raises(SyntaxProblem) as caught:
            ours.parse(text)
        assert (caught.value.line, caught.value.column) == (error.line, error.column)
        return
    assert ours.parse(text) == expected


def arithmetic() -> list[str]:
    """Runs of signs, operands and operators, the arithmetic fast lane's ground (grammar/precedence.py),
    with operands it leaves to the LALR actions and, in some, a token that does not belong."""
    rng = random.Random(13)
    operands = ["x", "y2", "3", ".5", "1e3", "pi", "f(x)", "x[1]", "x'", "(x - y)", "[x, 1]", "2'"]
    operators = ["+", "-", "*", "/", "@", "^", "**"]
    stray = ["y", "2", ")", ",", "=", "*", "(", ";", "..", "<", "[", "'"]
    texts = []
    for _ in range(400):
        parts = []
        for _ in range(rng.randint(1, 12)):
            parts.append("".join(rng.choice(["-", "+", "- "]) for _ in range(rng.choice([0, 0, 0, 1, 2]))))
            parts.append(rng.choice(operands))
            parts.append(rng.choice(operators))
        parts.pop()
        if rng.random() < 0.3:
            parts.insert(rng.randrange(len(parts) + 1), rng.choice(stray))
        text = " ".join(p for p in parts if p)
        contexts = [text, f"a = {text}\nb = 1\nb", f"g({text}, 1) < 2", f"for i in 1..{text} {{ }}\n1"]
        texts.append(rng.choice(contexts))
    return texts


@pytest.mark.parametrize("text", arithmetic())
def test_the_fast_lane_builds_larks_trees_and_errors(text: str) -> None:
    reference = lark_parser()
    try:
        expected = lark_tree(reference.parse(text))
    except lark.exceptions.UnexpectedInput as error:
        with pytest.raises(SyntaxProblem) as caught:
            load(Trees()).parse(text)
        if isinstance(error, lark.exceptions.UnexpectedToken) and error.token.type == "$END":
            assert caught.value.token is not None and caught.value.token.type == END  # no place in lark
        else:
            assert (caught.value.line, caught.value.column) == (error.line, error.column)
        if isinstance(error, lark.exceptions.UnexpectedToken):
            assert caught.value.expected == frozenset(error.expected)
        return
    assert load(Trees()).parse(text) == expected
    assert load(Trees(), fast=False).parse(text) == expected


def compiled(text: str, how: str) -> tuple[list, list, list, object]:
    """The postfix instructions, names read and their offsets, that ProgramCode makes of a text,
    and the DAG its statements build (each node's op, payload, inputs and span) or their error:
    with the lane taking runs whole (how="direct"), one method call per token ("replay"), or off."""
    code = ProgramCode()
    parser = load(code, fast=how != "off")
    if how == "replay":
        parser.lane.direct = None
    code.reset("f.adl", text)
    statements = parser.parse(text)
    builder = Builder("f.adl", {}, implicit=not code.declares)
    try:
        builder.run(statements, Scope())
    except AdcalcError as error:
        return code.code, code.names, code.positions, (type(error), str(error), error.span)
    place = {n: k for k, n in enumerate(builder.order)}
    dag = [(n.op, n.payload, tuple(place[i] for i in n.inputs), n.span) for n in builder.order]
    return code.code, code.names, code.positions, dag


@pytest.mark.parametrize("text", [t for t in arithmetic() if "pi" in t or "-" in t][:150] + TEXTS[:5])
def test_the_lane_compiles_a_run_as_the_reductions_do(text: str) -> None:
    try:
        expected = compiled(text, "off")
    except SyntaxProblem:
        return
    assert compiled(text, "direct") == expected  # the same instructions, spans, names and DAG
    assert compiled(text, "replay") == expected


BAD = ["x +", "(x", "x ? 2", "in*2", "x y", "1..2", "input x\ny = x +\noutput y", "a\n\n  )"]


@pytest.mark.parametrize("text", BAD)
def test_syntax_errors_stop_where_larks_do(text: str) -> None:
    with pytest.raises(lark.exceptions.UnexpectedInput) as theirs:
        lark_parser().parse(text)
    with pytest.raises(SyntaxProblem) as ours:
        load(Trees()).parse(text)
    if isinstance(theirs.value, lark.exceptions.UnexpectedToken) and theirs.value.token.type != "$END":
        assert (ours.value.line, ours.value.column) == (theirs.value.line, theirs.value.column)
        assert ours.value.expected == frozenset(theirs.value.expected)
    elif isinstance(theirs.value, lark.exceptions.UnexpectedCharacters):
        assert ours.value.token is None
        assert (ours.value.line, ours.value.column) == (theirs.value.line, theirs.value.column)
    else:  # the end of input
        assert ours.value.token is not None and ours.value.token.type == END


def test_a_long_repetition_parses_in_linear_time() -> None:
    # statements and arguments splice into one list in place: 10^5 statements take no quadratic copy
    parser: Parser = load(Trees())
    text = "\n".join(f"a{i} = {i}" for i in range(100_000))
    assert len(parser.parse(text)[1]) == 100_000
