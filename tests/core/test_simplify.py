"""diff's local rewrites: the printed forms people expect, the same numbers as independent truth,
NaN/inf kept where the unsimplified graph has them, and array graphs unharmed."""

from __future__ import annotations

import math

import adcalc
import mpmath
import numpy as np
import pytest
from adcalc.answers.printer import parse_bindings, to_text
from adcalc.engine.forward import values_of
from adcalc.ir.nodes import topological_order, var
from adcalc.ops.registry import sin
from hypothesis import given

from tests.cli.test_reads_what_it_prints import BULK, Case, assert_close, cases, truth


def evaluate(text: str, at: dict[str, float]) -> float:
    root = parse_bindings(text)[0]
    return values_of(topological_order(root), at)[root]


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2*x^3", "6*x^2"),  # was 3*x^2*2
        ("x*x + x + x", "2*x + 2"),  # was 2 + x + x
        ("x*x*x", "3*x^2"),  # was x*x + (x + x)*x
        ("x^4/4", "x^3"),
        ("x^3/3", "x^2"),
        ("1/x", "-1/x^2"),  # was -(1/x/x)
        ("-x^2", "-2*x"),
        ("sin(x)^2", "2*cos(x)*sin(x)"),  # was cos(x)*(2*sin(x))
        ("3*x^2 - 2*x^2", "2*x"),
        ("-(-x)", "1"),
        ("x/1 + 0*x", "1"),
        ("x - x + 5", "0"),
        ("1/(1 + x^2)", "-2*x/(x^2 + 1)^2"),
        ("tanh(x)", "1 - tanh(x)^2"),  # was 1 - t1*t1 with t1 = tanh(x)
        ("where(x > 0, x^2, -x)", "where(x > 0, 2*x, -1)"),  # was where(..., 0, -1) + where(..., 2*x, 0)
        ("exp(2*x)", "2*exp(2*x)"),
        ("x^3*y", "3*x^2*y"),
        ("2*x*3*y", "6*y"),
    ],
)
def test_simplified_forms(source: str, expected: str) -> None:
    assert adcalc.diff(source, wrt=["x"]).text["x"] == expected


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda u: u + u, "2*t1"),
        (lambda u: 2 * u + 3 * u, "5*t1"),
        (lambda u: 2 * (3 * u), "6*t1"),
        (lambda u: u * 2 * 3, "6*t1"),
        (lambda u: u * u, "t1^2"),
        (lambda u: u**2 * u, "t1^3"),
        (lambda u: u * u**2.5, "t1^3.5"),
        (lambda u: u - u, "0"),
        (lambda u: -(0 - u), "t1"),
        (lambda u: -(2 * u), "-2*t1"),
        (lambda u: u / 1, "t1"),
        (lambda u: 6 * u / 3, "2*t1"),
        (lambda u: 1 / u / u, "1/t1^2"),
        (lambda u: u - 2 * u, "-t1"),
        (lambda u: var("y") + (-2) * u, "y - 2*t1"),
        (lambda u: (var("y") + 2 * u) + 3 * u, "y + 5*t1"),
    ],
)
def test_each_rewrite(build: object, expected: str) -> None:
    u = sin(var("x"))  # a node that is not a variable: the rewrite must see it as one node
    text = to_text(build(u))  # type: ignore[operator]
    assert text.replace("sin(x)", "t1") == expected, text


@pytest.mark.parametrize(
    ("build", "x", "expected"),
    [
        (lambda x: x**0.5 * x**0.5, -1.0, math.nan),  # stays NaN: not rewritten to x^1
        (lambda x: x**-1.0 * x, 0.0, math.nan),  # inf*0 stays NaN: not rewritten to x^0 = 1
        (lambda x: x * x, -3.0, 9.0),
        (lambda x: x**3 * x, -2.0, 16.0),  # integer powers of negative bases stay exact
        (lambda x: x + x, math.inf, math.inf),
        (lambda x: (x / 2) * 4, math.inf, math.inf),
    ],
)
def test_rewrites_keep_nan_and_inf(build: object, x: float, expected: float) -> None:
    root = build(var("x"))  # type: ignore[operator]
    got = values_of(topological_order(root), {"x": x})[root]
    assert (math.isnan(got) and math.isnan(expected)) or got == expected, to_text(root)


def test_a_term_that_cancels_is_zero_even_at_infinity() -> None:
    # the symbolic-zero convention (README, kinks): u - u is 0 as a graph, whatever u is
    x = var("x")
    assert to_text(2 * x - 2 * x) == "0"


@BULK
@given(cases())
def test_simplified_derivatives_match_mpmath(case: Case) -> None:
    derivative = adcalc.diff(case.text, wrt=case.used)
    for name in case.used:
        got = evaluate(derivative.text[name], case.point)
        assert_close(got, truth(case, name, 1), f"{case.text} d/d{name}: {derivative.text[name]}")


POLYNOMIALS = ["3*x^2*y - 2*x*y^2 + x*x*y", "x*y*x*y + 2*x + x", "(x + y)^3 - x*x*x", "5*x/3 - x/3 + y*x*2"]


@pytest.mark.parametrize("source", POLYNOMIALS)
def test_like_terms_give_the_hand_derivative(source: str) -> None:
    f = eval(f"lambda x, y: {source.replace('^', '**')}")  # noqa: S307 - the table above
    derivative = adcalc.diff(source)
    for x, y in [(0.7, -1.3), (2.0, 0.5)]:
        for name in ("x", "y"):
            along = (lambda t, y=y: f(t, y)) if name == "x" else (lambda t, x=x: f(x, t))
            want = mpmath.diff(along, x if name == "x" else y)
            got = evaluate(derivative.text[name], {"x": x, "y": y})
            assert got == pytest.approx(float(want), rel=1e-12, abs=1e-12), (source, name)


def test_array_hessians_are_unchanged_by_the_rewrites() -> None:
    # sum(x*x + 3*x*x) = sum(4 x_i^2): gradient 8x, Hessian 8I (by hand); x*x is x^2 element-wise
    at = {"x": np.array([1.0, -2.0, 0.5])}
    result = adcalc.hessian("sum(x*x + 3*x*x) + x[1]*x[2]", at=at)
    assert np.allclose(result.flat_gradient, [8.0 - 2.0, -16.0 + 1.0, 4.0])
    want = 8 * np.eye(3)
    want[0, 1] = want[1, 0] = 1.0
    assert np.allclose(result.matrix, want)
