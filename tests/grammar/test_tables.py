"""The shipped parser table is lark's table for the shipped grammar, and the driver runs it as
lark would: same tokens, same trees, same place of a syntax error."""

from __future__ import annotations

import random
import subprocess
import sys
from pathlib import Path

import pytest
from adcalc.grammar import generate
from adcalc.grammar.lalr import END, Parser, SyntaxProblem, load

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


def lark_parser() -> lark.Lark:
    return lark.Lark(generate.GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic")


class Trees:
    """A transformer for the driver that builds lark-style trees: (rule name, children)."""

    def __getattr__(self, name: str) -> object:
        return lambda *children: (name, [self.plain(c) for c in children])

    @staticmethod
    def plain(child: object) -> object:
        return (child.type, str(child)) if isinstance(child, str) else child


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
