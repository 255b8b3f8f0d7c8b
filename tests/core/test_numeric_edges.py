"""Regression table of numerical edge cases: each with its expected numbers from an independent
source (a closed form, IEEE 754 / numpy semantics, or mpmath) and where it was found.

Every scalar case runs on every path that must agree: adcalc.gradient (reverse mode on floats),
gradient_forward, adcalc.compile's one-point code and its numpy batch kernels.
"""

from __future__ import annotations

import math

import adcalc
import mpmath
import numpy as np
import pytest

from tests.cli.helpers import run_inprocess

INF = math.inf


def _sigmoid_case() -> tuple[float, float]:
    # tanh(-97) rounds to -1.0 exactly, so the float function is sigmoid(asin(tanh(atan(x)^-1)));
    # its value and derivative by mpmath at 50 digits (the exponent's own slope is 4e-84)
    with mpmath.workdps(50):
        def f(x: mpmath.mpf) -> mpmath.mpf:
            return 1 / (1 + mpmath.exp(-mpmath.asin(mpmath.tanh(mpmath.atan(x) ** -1))))

        return float(f(mpmath.mpf(-97))), float(mpmath.diff(f, mpmath.mpf(-97)))


SIGMOID_VALUE, SIGMOID_SLOPE = _sigmoid_case()

# (expression, point, value, gradient, source: where it was found and what the truth is)
CASES = [
    ("atanh(x)", {"x": -1.0}, -INF, {"x": INF},
     "issue 13: compiled (nan, inf) vs gradient DomainError; atanh(-1) = -inf, 1/(1-x²) = inf (IEEE, numpy)"),
    ("atanh(x)", {"x": 1.0}, INF, {"x": INF}, "issue 13: the same pole at +1"),
    ("x/ceil(x)", {"x": -0.5}, INF, {"x": -INF},
     "issue 13: ceil(-0.5) is -0.0 (IEEE, numpy): -0.5/-0.0 = +inf on every path (math.ceil's 0.0: -inf)"),
    ("x/ceil(x)", {"x": 2.5}, 2.5 / 3, {"x": 1 / 3}, "issue 13: closed form 1/ceil(x) off the jumps"),
    ("sigmoid(asin(tanh(pow(atan(x), tanh(x)))))", {"x": -97.0}, SIGMOID_VALUE, {"x": SIGMOID_SLOPE},
     "issue 13: NaN though finite; mpmath (exponent partial x^y log|x| at a negative base)"),
    ("atan(x)^tanh(x)", {"x": -97.0}, 1 / math.atan(-97.0), {"x": -1 / (math.atan(-97.0)**2 * 9410)},
     "issue 13 (its core): closed form of atan(x)^-1, the exponent's slope being 4e-84"),
    ("(-2)^y", {"y": 3.0}, -8.0, {"y": -8 * math.log(2)},
     "differential campaign: d/dy of the real part of (-2)^y at integer y is (-2)^y log 2"),
    ("min(where(x == x, pow(y, -2.0), sigmoid(x)), max((x) * (y), sinh(x)))", {"x": -1.38, "y": 0.0},
     -0.0, {"x": 0.0, "y": -1.38},
     "differential campaign: min chose max(x*y, ..) = x*y; forward/compiled gave NaN from pow(y,-2)' = inf"),
    ("where(sinh(y) != max(y, -2.19), y, min(log2(x), y))", {"x": 0.0, "y": -1.408}, -1.408,
     {"x": 0.0, "y": 1.0}, "differential campaign: the untaken branch's log2'(0) = inf leaked through min"),
    ("asin(x)", {"x": 1 - 2.0**-40}, math.asin(1 - 2.0**-40),
     {"x": 1 / math.sqrt(2.0**-40 * (2 - 2.0**-40))},
     "differential campaign: 1/sqrt(1 - x*x) lost digits near 1; closed form with exact (1-x)(1+x)"),
    ("1/max(x*y, 0)", {"x": -1.0, "y": 0.0}, INF, {},
     "differential campaign: max(-0.0, 0) is 0.0 in numpy (a tie gives the 2nd argument): +inf everywhere"),
    ("x^y", {"x": 0.0, "y": 0.0}, 1.0, {"x": 0.0, "y": 0.0}, "README: 0^0 = 1 with exact-zero partials"),
]  # fmt: skip


def _close(got: float, expected: float) -> bool:
    if math.isinf(expected) or math.isnan(expected):
        return got == expected or (math.isnan(got) and math.isnan(expected))
    return math.isclose(got, expected, rel_tol=1e-13, abs_tol=1e-300)


@pytest.mark.parametrize(("text", "at", "value", "gradient", "source"), CASES, ids=[c[0] for c in CASES])
def test_every_path_gives_the_expected_numbers(
    text: str, at: dict[str, float], value: float, gradient: dict[str, float], source: str
) -> None:
    compiled = adcalc.compile(text)
    columns = {name: np.array([v, v]) for name, v in at.items()}
    batch_value, batch_gradient = compiled.grad(**columns)
    one_value, one_gradient = compiled.grad(**at)
    paths = {
        "gradient": adcalc.gradient(text, at=at),
        "forward": adcalc.gradient_forward(text, at=at),
    }
    for label, result in paths.items():
        assert _close(result.value, value), (label, result.value, source)
        for name, expected in gradient.items():
            assert _close(result.gradient[name], expected), (label, name, result.gradient[name], source)
    assert _close(one_value, value) and _close(float(batch_value[0]), value), (one_value, batch_value, source)
    for name, expected in gradient.items():
        assert _close(one_gradient[name], expected), ("compiled", name, one_gradient[name], source)
        assert _close(float(batch_gradient[name][1]), expected), ("batch", name, batch_gradient[name], source)
    if math.isfinite(value):
        assert math.copysign(1, one_value) == math.copysign(1, value)  # -0.0 stays -0.0


def test_mixed_partial_of_a_power_at_zero_exponent() -> None:
    # differential campaign: ∂²/∂x∂y (0.72 + x)^(2y) = 2/(0.72 + x) at y = 0 (closed form); the
    # base partial's guard at y = 0 made it 0 on every Hessian path
    text, at = "(0.72+x)^(y+y)", {"x": 1.0, "y": 0.0}
    expected = 2 / 1.72
    assert adcalc.hessian(text, at=at).hessian["x"]["y"] == pytest.approx(expected, rel=1e-15)
    assert adcalc.compile(text).hessian(**at)[2]["x"]["y"] == pytest.approx(expected, rel=1e-15)
    assert adcalc.hessian_function(text)([1.0, 0.0])[0][1] == pytest.approx(expected, rel=1e-15)


def test_untaken_nan_branch_in_an_array_program() -> None:
    # issue 13: (x-2)^where(x>7, x, 1) is x - 2 for x <= 7 (closed form): derivative 1, Hessian 0,
    # with the exponent's log(x - 2) NaN at x = 1 in the branch not taken (README: an exact zero)
    text, at = "sum((x-2)^where(x>7, x, 1))", {"x": np.array([1.0, 3.0])}
    assert adcalc.gradient(text, at=at).gradient["x"].tolist() == [1.0, 1.0]
    assert adcalc.gradient_forward(text, at=at).gradient["x"].tolist() == [1.0, 1.0]
    assert adcalc.hessian(text, at=at).matrix == [[0.0, 0.0], [0.0, 0.0]]
    assert adcalc.jvp(text, at=at, direction={"x": np.array([1.0, 1.0])}).derivative == 2.0
    ones = {"x": np.array([1.0, 1.0])}
    assert adcalc.hvp(text, at=at, direction=ones).derivative["x"].tolist() == [0.0, 0.0]


def test_norm_of_huge_entries_is_scaled() -> None:
    # issue 13: norm([1e200, 1e200]) = √2·1e200 (closed form), gradient x/‖x‖ = [1/√2, 1/√2]; the
    # unscaled sqrt(Σx²) overflowed to inf with gradient [0, 0]
    result = adcalc.gradient("norm(x)", at={"x": [1e200, 1e200]})
    assert result.value == pytest.approx(math.sqrt(2) * 1e200, rel=1e-15)
    assert result.gradient["x"].tolist() == pytest.approx([1 / math.sqrt(2)] * 2, rel=1e-15)
    assert result.warnings == []


def test_an_overflow_to_an_infinite_value_is_named() -> None:
    # issue 13: log(exp(x)) at 800 is exactly 800 with derivative 1; exp(800) overflows, so adcalc
    # gives inf and 0 (no local rule recovers them) and must say which node overflowed
    result = adcalc.gradient("log(exp(x))", at={"x": 800.0})
    assert any(w.startswith("exp(x) overflowed to inf") for w in result.warnings), result.warnings
    assert adcalc.gradient("log(exp(x))", at={"x": 1.0}).warnings == []
    # a pole is not an overflow: log(0) = -inf is the exact limit
    assert not any("overflowed" in w for w in adcalc.gradient("log(x)", at={"x": 0.0}).warnings)


@pytest.mark.parametrize(
    ("text", "at", "warned"),
    [
        ("where(x > 0, x, abs(y))", {"x": 1.0, "y": 0.0}, False),  # abs only in the branch not taken
        ("where(abs(y) > 1, x, y)", {"x": 1.0, "y": 0.0}, False),  # abs only under a condition
        ("x*floor(abs(y))", {"x": 1.0, "y": 0.5}, False),  # below floor, whose derivative is 0 anyway
        ("abs(y)*x", {"x": 1.0, "y": 0.0}, True),  # the convention abs'(0) = 0 is used: warned
        ("where(x > 0, abs(y), x)", {"x": 1.0, "y": 0.0}, True),
    ],
)
def test_kink_warnings_only_where_the_derivative_uses_them(
    text: str, at: dict[str, float], warned: bool
) -> None:
    # issue 13: kink warnings for non-smooth nodes that do not affect the output
    warnings = adcalc.gradient(text, at=at).warnings
    assert any("kink" in w for w in warnings) == warned, warnings


def test_power_behind_a_zero_exponent_raises_nothing_but_adcalc_errors() -> None:
    # differential campaign: pow(NaN, 0) = 1 hid x^x at x = -0.5; its rule ran Python's float **,
    # which returns a complex number there, and adcalc.gradient raised TypeError
    result = adcalc.gradient("pow(x^x, sinh(y))", at={"x": -0.5, "y": 0.0})
    assert result.value == 1.0


def test_complex_step_where_its_formula_was_singular() -> None:
    # differential campaign: atan(y/x) at x = 0 and e^(y log x) at a negative base left 1e4 times
    # the step in the imaginary part; check's complex step now matches -1/y and 2^3 log 2 (closed forms)
    atan2 = adcalc.check("atan2(y, x)", at={"x": 0.0, "y": 1.7})
    assert atan2.passed, atan2.failures()
    power = adcalc.check("x^y", at={"x": -2.0, "y": 3.0})
    assert power.passed, power.failures()


def test_digits_round_an_array_direction(capsys: pytest.CaptureFixture[str]) -> None:
    # issue 13: --digits rounded the J·v entries but printed the array direction in full
    outcome = run_inprocess(
        ["jvp", "x^3", "--at", "x=[1.123456,2]", "--dir", "x=[1.234567,1]", "--digits", "3"], capsys
    )
    assert outcome.code == 0
    assert "direction x = [1.23, 1]" in outcome.stdout


def test_expm1_derivative_keeps_its_digits_far_below_zero() -> None:
    # d/dx expm1(x) = exp(x); as out + 1 it cancelled to 0 for x < -37 (found by the codegen tests)
    for x in (-40.0, -30.0, -1e-3, 2.0):
        assert adcalc.gradient(adcalc.parse("expm1(x)"), {"x": x}).gradient["x"] == pytest.approx(
            math.exp(x), rel=1e-15
        )


def test_a_hessian_row_through_an_undefined_gradient_is_undefined_not_zero() -> None:
    # acosh(cosh(x^2)) = x^2, but AD meets acosh's infinite partial at 1 times 0: ∇f is NaN (warned).
    # After the readable-diff rewrites the Hessian sweep met no NaN and said 0 (the truth is 2);
    # found by the differential test on the merged tree. Row and column of x are NaN, y's entry kept.
    found = adcalc.hessian("acosh(cosh(x^2)) + y^2", {"x": 0.0, "y": 1.0})
    assert math.isnan(found.hessian["x"]["x"]) and math.isnan(found.hessian["x"]["y"])
    assert found.hessian["y"]["y"] == 2.0
    assert any("second derivative undefined" in w for w in found.warnings)


@pytest.mark.parametrize(
    "at",
    [{"x": 10**400}, {"x": [10**400, 1.0]}, {"x": np.array([1 + 1j, 2.0])}],
    ids=["huge int", "huge int in a list", "complex array"],
)
def test_values_that_are_no_real_float_are_a_bad_value(at: dict) -> None:
    # OverflowError, and a ComplexWarning with the imaginary part dropped (fuzz campaign)
    with pytest.raises(adcalc.errors.BadValue):
        adcalc.evaluate("x", at=at)
