"""Parsing: precedence, numbers, names, sharing, deep input and error positions."""

from __future__ import annotations

import math

import adcalc
import pytest
from adcalc.errors import ArityError, ParseError, UnknownFunction
from adcalc.grammar.builder import ProgramError
from adcalc.ir.nodes import Node, topological_order


def sexpr(root: Node) -> str:
    """(op child ...) form, built iteratively so deep graphs do not recurse."""
    text: dict[Node, str] = {}
    for n in topological_order(root):
        if n.op == "const":
            text[n] = repr(n.payload)
        elif n.op == "var":
            text[n] = n.payload
        else:
            text[n] = "(" + " ".join([n.op, *(text[i] for i in n.inputs)]) + ")"
    return text[root]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("x + 2*y", "(add x (mul 2.0 y))"),
        ("x - y - z", "(sub (sub x y) z)"),
        ("x / y / z", "(div (div x y) z)"),
        ("-x^2", "(neg (pow x 2.0))"),
        ("x^-y", "(pow x (neg y))"),
        ("x^y^z", "(pow x (pow y z))"),
        ("2^3^2", "512.0"),  # constants fold while the graph is built
        ("x**2", "(pow x 2.0)"),
        ("x*-y", "(mul x (neg y))"),
        ("+x", "x"),
        ("(x + y) * z", "(mul (add x y) z)"),
        ("x < y + 1", "(lt x (add y 1.0))"),
        ("x != y", "(ne x y)"),
        ("ln(x)", "(log x)"),
        ("pow(x, 3)", "(pow x 3.0)"),
        ("atan2(y, x)", "(atan2 y x)"),
        ("max(a, b, c)", "(max3 a b c)"),  # one 3-argument op, not max(max(a, b), c)
        ("max(max(a, b), c)", "(max3 a b c)"),
        ("min(a, min(b, c), d)", "(min4 a b c d)"),
        ("max(min(a, b), c)", "(max (min a b) c)"),  # only calls of the same kind flatten
        ("max(max(a, b), max(a, c))", "(max3 a b c)"),  # a repeated argument counts once
        ("max(a, a)", "a"),
        ("where(x >= 0, x, -x)", "(where (ge x 0.0) x (neg x))"),
        (".5*x + 2.5e-3*x + 1E3*x + 7.", "(add (add (add (mul 0.5 x) (mul 0.0025 x)) (mul 1000.0 x)) 7.0)"),
        ("theta_1 * x1", "(mul theta_1 x1)"),
    ],
)
def test_parse_tree(source: str, expected: str) -> None:
    assert sexpr(adcalc.parse(source).root) == expected


def test_constants() -> None:
    assert adcalc.evaluate("pi", at={}).value == math.pi
    assert adcalc.evaluate("e", at={}).value == math.e


def test_values_follow_precedence() -> None:
    assert adcalc.evaluate("-2^2", at={}).value == -4.0
    assert adcalc.evaluate("2^-1", at={}).value == 0.5
    assert adcalc.evaluate("2^3^2", at={}).value == 512.0
    assert adcalc.evaluate("10 - 4 - 3", at={}).value == 3.0


def test_identical_subexpressions_are_one_node() -> None:
    expression = adcalc.parse("sin(x)*sin(x) + sin(x)")
    sins = [n for n in topological_order(expression.root) if n.op == "sin"]
    assert len(sins) == 1
    assert expression.size == 4  # x, sin, mul, add


def test_variables_in_order_of_appearance() -> None:
    assert adcalc.parse("b*a + c*b").variables == ("b", "a", "c")


@pytest.mark.parametrize(
    "source",
    [
        "(" * 100_000 + "x" + ")" * 100_000,
        "sin(" * 100_000 + "x" + ")" * 100_000,
        " + ".join(f"x{k % 10}*{k}" for k in range(100_000)),
    ],
    ids=["parentheses", "calls", "sum"],
)
def test_deep_input_parses_and_differentiates(source: str) -> None:
    expression = adcalc.parse(source)
    at = {name: 0.5 for name in expression.variables}
    result = adcalc.gradient(expression, at=at)
    assert set(result.gradient) == set(expression.variables)


def test_deep_sum_gradient_is_exact() -> None:
    # d/dx of sum_k k*x = sum_k k
    source = " + ".join(f"{k}*x" for k in range(100_000))
    assert adcalc.gradient(source, at={"x": 1.0}).gradient["x"] == sum(range(100_000))


@pytest.mark.parametrize(
    ("source", "error", "column", "words"),
    [
        ("sin(x)*(y", ParseError, 10, "not closed"),
        ("x + * y", ParseError, 5, "unexpected '*'"),
        ("x +", ParseError, 4, "end of input"),
        ("x $ y", ParseError, 3, "unexpected character '$'"),
        ("sine(x)", UnknownFunction, 1, "did you mean 'sin'"),
        ("2 * lgo(x)", UnknownFunction, 5, "did you mean 'log'"),
        ("atan2(x)", ArityError, 1, "takes 2 arguments, got 1"),
        ("max(x)", ArityError, 1, "2 or more"),
        ("sin + 1", ProgramError, 1, "is a function"),
    ],
)
def test_errors_point_at_the_column(source: str, error: type, column: int, words: str) -> None:
    with pytest.raises(error) as caught:
        adcalc.parse(source)
    assert caught.value.span.column == column
    assert words in caught.value.message()


def test_error_renders_caret_under_the_text() -> None:
    with pytest.raises(UnknownFunction) as caught:
        adcalc.parse("2 * sine(x)")
    lines = caught.value.render("2 * sine(x)").splitlines()
    assert lines[0] == "error: <expr>:1:5: Unknown function: 'sine'; did you mean 'sin'?"
    assert lines[1] == "  2 * sine(x)"
    assert lines[2] == "      ^~~~"


def test_calls_of_a_def_nest_as_deep_as_operators() -> None:
    # f(f(...f(x)...)) 10^4 deep, f(a) = a*c: the value is x*c^n and the derivative c^n
    n, c = 10_000, 0.9999
    source = "def f(a) = a*0.9999\n" + "f(" * n + "x" + ")" * n
    result = adcalc.gradient(source, at={"x": 2.0})
    assert math.isclose(result.gradient["x"], c**n, rel_tol=1e-9)
    assert math.isclose(result.value, 2.0 * c**n, rel_tol=1e-9)


def test_a_literal_nests_up_to_32_levels() -> None:
    result = adcalc.evaluate("[" * 32 + "x" + "]" * 32, at={"x": 2.0})
    assert result.value.shape == (1,) * 32 and result.value.item() == 2.0
    for depth, column in ((33, 1), (10_000, 10_000 - 32)):
        with pytest.raises(ProgramError, match="at most 32 dimensions") as caught:
            adcalc.parse("[" * depth + "x" + "]" * depth, shapes={"x": ()})
        assert caught.value.span.column == column  # the outermost literal past the limit
