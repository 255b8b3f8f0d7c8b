"""Derivatives at the points where naive AD gives NaN, each against an independent truth."""

from __future__ import annotations

import math

import adcalc
import pytest


def grad(text: str, **at: float) -> tuple[float, dict[str, float]]:
    result = adcalc.gradient(text, at=at)
    return result.value, result.gradient


def test_integer_power_of_negative_base() -> None:
    # d/dx x^3 = 3x^2 = 12 at x = -2
    assert grad("x^3", x=-2.0) == (-8.0, {"x": 12.0})
    assert grad("x**2", x=-3.0) == (9.0, {"x": -6.0})


def test_power_by_exponent_at_zero_base() -> None:
    # d/dy 0^y = 0 for y > 0 (0^y is identically 0 there)
    value, partials = grad("x^y", x=0.0, y=2.0)
    assert value == 0.0 and partials == {"x": 0.0, "y": 0.0}


def test_zeroth_power_at_zero_has_finite_derivative() -> None:
    value, partials = grad("x^y", x=0.0, y=0.0)
    assert value == 1.0 and partials["x"] == 0.0


def test_branch_not_taken_does_not_leak() -> None:
    assert grad("where(x > 0, sqrt(x), 0)", x=-1.0) == (0.0, {"x": 0.0})
    assert grad("where(x > 0, log(x), x^2)", x=-3.0) == (9.0, {"x": -6.0})
    assert grad("where(x > 0, sqrt(x), 0)", x=4.0) == (2.0, {"x": 0.25})


@pytest.mark.parametrize(
    ("text", "x", "value", "slope"),
    [
        ("tanh(x)", 1000.0, 1.0, 0.0),
        ("tanh(x)", -1000.0, -1.0, 0.0),
        ("sigmoid(x)", 1000.0, 1.0, 0.0),
        ("sigmoid(x)", -1000.0, 0.0, 0.0),
        ("softplus(x)", 1000.0, 1000.0, 1.0),
        ("softplus(x)", -1000.0, 0.0, 0.0),
    ],
)
def test_saturating_functions_at_extremes(text: str, x: float, value: float, slope: float) -> None:
    assert grad(text, x=x) == (value, {"x": slope})


# Kinks: the convention of JAX and PyTorch, where they agree (see README).
@pytest.mark.parametrize(
    ("text", "at", "expected"),
    [
        ("abs(x)", {"x": 0.0}, {"x": 0.0}),
        ("sign(x)", {"x": 0.0}, {"x": 0.0}),
        ("floor(x)", {"x": 2.0}, {"x": 0.0}),
        ("ceil(x)", {"x": 2.0}, {"x": 0.0}),
        ("min(x, y)", {"x": 1.0, "y": 1.0}, {"x": 0.5, "y": 0.5}),
        ("max(x, y)", {"x": 1.0, "y": 1.0}, {"x": 0.5, "y": 0.5}),
        ("max(x, y)", {"x": 2.0, "y": 1.0}, {"x": 1.0, "y": 0.0}),
        ("min(x, y, z)", {"x": 3.0, "y": 1.0, "z": 2.0}, {"x": 0.0, "y": 1.0, "z": 0.0}),
    ],
)
def test_kink_conventions(text: str, at: dict[str, float], expected: dict[str, float]) -> None:
    assert adcalc.gradient(text, at=at).gradient == expected


def test_textbook_example_baydin_2018() -> None:
    # f(x1, x2) = ln x1 + x1 x2 - sin x2 at (2, 5): Baydin et al. (2018), tables 2 and 3
    value, partials = grad("ln(x1)+x1*x2-sin(x2)", x1=2.0, x2=5.0)
    assert value == pytest.approx(math.log(2) + 10 - math.sin(5), rel=1e-15)
    assert round(value, 3) == 11.652
    assert partials["x1"] == pytest.approx(1 / 2 + 5, rel=1e-15)  # 1/x1 + x2 = 5.5
    assert partials["x2"] == pytest.approx(2 - math.cos(5), rel=1e-15)  # x1 - cos x2 = 1.716
    assert round(partials["x2"], 3) == 1.716


def test_domain_error_points_at_the_node() -> None:
    with pytest.raises(adcalc.DomainError) as caught:
        adcalc.evaluate("1 + log(x - 3)", at={"x": 1.0})
    assert caught.value.span.column == 5
    assert "log(-2)" in caught.value.message()
    assert caught.value.exit_code == 1


def test_infinity_is_a_value_not_an_error() -> None:
    assert adcalc.evaluate("1/x", at={"x": 0.0}).value == math.inf
    assert adcalc.gradient("sqrt(x)", at={"x": 0.0}).gradient["x"] == math.inf


def test_zero_to_a_negative_power_is_infinite() -> None:
    # IEEE 754 pow: 0^-1 = inf, (-0)^-3 = -inf, the same as 1/0 and numpy's power
    assert adcalc.evaluate("x^-1", at={"x": 0.0}).value == math.inf
    assert adcalc.evaluate("(-x)^-3", at={"x": 0.0}).value == -math.inf
    assert adcalc.gradient("x^0.5", at={"x": 0.0}).gradient["x"] == math.inf  # like sqrt'(0)


def test_cube_root_of_perfect_cubes_is_exact() -> None:
    assert adcalc.evaluate("cbrt(x)", at={"x": 1000.0}).value == 10.0
    assert adcalc.evaluate("cbrt(x)", at={"x": -27.0}).value == -3.0
    assert adcalc.evaluate("cbrt(x)", at={"x": 2.0}).value == pytest.approx(2 ** (1 / 3), rel=1e-15)
