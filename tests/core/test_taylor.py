"""Taylor mode against series known in closed form."""

from __future__ import annotations

import math

import adcalc
import pytest
from adcalc.errors import UsageError

ORDER = 10


def series(text: str, at: float, order: int = ORDER) -> list[float]:
    return adcalc.taylor(text, at={"x": at}, order=order).coefficients


def test_exp() -> None:
    assert series("exp(x)", 0.0) == pytest.approx(
        [1 / math.factorial(k) for k in range(ORDER + 1)], rel=1e-15
    )


def test_exp_about_a_point() -> None:  # e^(a+t) = e^a sum t^k / k!
    a = 0.7
    expected = [math.exp(a) / math.factorial(k) for k in range(ORDER + 1)]
    assert series("exp(x)", a) == pytest.approx(expected, rel=1e-14)


def test_sin_and_cos() -> None:
    sine = [0.0 if k % 2 == 0 else (-1) ** (k // 2) / math.factorial(k) for k in range(ORDER + 1)]
    cosine = [0.0 if k % 2 else (-1) ** (k // 2) / math.factorial(k) for k in range(ORDER + 1)]
    assert series("sin(x)", 0.0) == pytest.approx(sine, abs=1e-17)
    assert series("cos(x)", 0.0) == pytest.approx(cosine, abs=1e-17)


def test_geometric_series() -> None:
    assert series("1/(1-x)", 0.0) == pytest.approx([1.0] * (ORDER + 1), rel=1e-15)
    # about x = 0.5: 1/(0.5 - t) = 2 sum (2t)^k
    assert series("1/(1-x)", 0.5) == pytest.approx([2.0 ** (k + 1) for k in range(ORDER + 1)], rel=1e-14)


def test_composition_exp_of_sin() -> None:
    # e^(sin x) = 1 + x + x²/2 - x⁴/8 - x⁵/15 - x⁶/240 + x⁷/90 + 31x⁸/5760 + x⁹/5670 (OEIS A002017/k!)
    expected = [1, 1, 1 / 2, 0, -1 / 8, -1 / 15, -1 / 240, 1 / 90, 31 / 5760, 1 / 5670]
    assert series("exp(sin(x))", 0.0, 9) == pytest.approx(expected, rel=1e-13, abs=1e-17)


@pytest.mark.parametrize(
    ("text", "coefficient"),
    [
        ("log(1+x)", lambda k: 0.0 if k == 0 else (-1) ** (k + 1) / k),
        ("atan(x)", lambda k: 0.0 if k % 2 == 0 else (-1) ** (k // 2) / k),
        ("sqrt(1+x)", lambda k: math.comb(2 * k, k) * (-1) ** (k + 1) / ((2 * k - 1) * 4**k)),
        ("(1+x)^-2", lambda k: (-1) ** k * (k + 1)),
        ("cosh(x)", lambda k: 0.0 if k % 2 else 1 / math.factorial(k)),
        ("x^3 - 2*x", lambda k: {1: -2.0, 3: 1.0}.get(k, 0.0)),
    ],
)
def test_known_series(text: str, coefficient) -> None:  # noqa: ANN001
    assert series(text, 0.0) == pytest.approx(
        [coefficient(k) for k in range(ORDER + 1)], rel=1e-13, abs=1e-16
    )


def test_tan_via_generic_rule() -> None:  # tan has no recurrence of its own: it uses its jvp rule
    expected = [0, 1, 0, 1 / 3, 0, 2 / 15, 0, 17 / 315, 0, 62 / 2835]
    assert series("tan(x)", 0.0, 9) == pytest.approx(expected, rel=1e-13, abs=1e-17)


def test_derivatives_are_k_factorial_times_coefficients() -> None:
    result = adcalc.taylor("x^4", at={"x": 2.0}, order=4)
    assert result.derivatives == [16.0, 32.0, 48.0, 48.0, 24.0]


def test_other_variables_are_held_fixed() -> None:
    result = adcalc.taylor("exp(a*x)", at={"x": 0.0, "a": 3.0}, order=3, wrt="x")
    assert result.coefficients == pytest.approx([1, 3, 4.5, 4.5], rel=1e-15)


def test_needs_one_variable() -> None:
    with pytest.raises(UsageError, match="one variable"):
        adcalc.taylor("x*y", at={"x": 1.0, "y": 2.0}, order=3)
