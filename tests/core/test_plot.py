"""adcalc.plot_data: sampled values and derivatives against closed forms, gaps at NaN regions,
poles and jumps, and critical points against their known places."""

from __future__ import annotations

import math
from pathlib import Path

import adcalc
import numpy as np
import pytest
from adcalc.errors import AdcalcError, BadValue, EvaluationError, MissingVariables, UsageError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXACT = {"rtol": 1e-13, "atol": 1e-13}


def data(expr: str, interval: tuple[float, float], **options) -> adcalc.answers.plot.PlotData:
    return adcalc.plot_data(expr, None, interval, **options)


def straddles(result, name: str, point: float) -> bool:
    """Is some piece of the series drawn across `point`?"""
    return any(result.x[a] < point < result.x[b] for a, b in result.segments[name])


# --- the samples ------------------------------------------------------------------------------
def test_sin_and_its_derivatives_at_the_grid_points() -> None:
    result = data("sin(x)", (0, 7), order=2)
    x = np.linspace(0, 7, 201)
    assert np.array_equal(result.x, x)
    np.testing.assert_allclose(result.series["f"], np.sin(x), **EXACT)
    np.testing.assert_allclose(result.series["df"], np.cos(x), **EXACT)
    np.testing.assert_allclose(result.series["d2f"], -np.sin(x), **EXACT)
    assert result.segments == {"f": [(0, 200)], "df": [(0, 200)], "d2f": [(0, 200)]}


def test_cubic_with_another_input_held_fixed() -> None:
    result = adcalc.plot_data("x^3*y", "x", (-3, 3), at={"y": -2.0}, points=61, order=2)
    x = np.linspace(-3, 3, 61)
    np.testing.assert_allclose(result.series["f"], -2 * x**3, **EXACT)
    np.testing.assert_allclose(result.series["df"], -6 * x**2, **EXACT)
    np.testing.assert_allclose(result.series["d2f"], -12 * x, **EXACT)
    assert result.at == {"y": -2.0} and result.variable == "x"


def test_the_varying_input_can_be_any_of_them() -> None:
    result = adcalc.plot_data("x^2*exp(y)", "y", (0, 1), at={"x": 3.0}, points=11)
    y = np.linspace(0, 1, 11)
    np.testing.assert_allclose(result.series["f"], 9 * np.exp(y), **EXACT)
    np.testing.assert_allclose(result.series["df"], 9 * np.exp(y), **EXACT)


def test_a_program_with_a_branch() -> None:
    program = "input t\nif t > 0 { y = t^2 } else { y = -t }\noutput y\n"
    result = adcalc.plot_data(program, "t", (-1, 1), points=21)
    t = np.linspace(-1, 1, 21)
    np.testing.assert_allclose(result.series["f"], np.where(t > 0, t**2, -t), **EXACT)
    np.testing.assert_allclose(result.series["df"], np.where(t > 0, 2 * t, -1.0), **EXACT)


def test_a_program_with_matrices_inside() -> None:
    # least_squares.adl: f = Σ (x1 + t·x2 − b)² over t = 1..4, b = 6, 5, 7, 10
    path = str(EXAMPLES / "least_squares.adl")  # the engine point by point: a small grid
    result = adcalc.plot_data(path, "x1", (0, 8), at={"x2": 1.0}, points=32, critical=True)
    t, b = np.arange(1, 5), np.array([6, 5, 7, 10])
    x1 = result.x[:, None]
    np.testing.assert_allclose(result.series["f"], ((x1 + t - b) ** 2).sum(axis=1), **EXACT)
    np.testing.assert_allclose(result.series["df"], (2 * (x1 + t - b)).sum(axis=1), **EXACT)
    (minimum,) = result.critical
    assert minimum.kind == "minimum" and minimum.x == pytest.approx(4.5, abs=1e-12)


def test_a_vector_input_held_fixed() -> None:
    result = adcalc.plot_data("x*sum(a*x)", "x", (-3, 3), at={"a": np.array([1.0, 2.0])}, points=21)
    x = np.linspace(-3, 3, 21)
    np.testing.assert_allclose(result.series["f"], 3 * x**2, **EXACT)
    np.testing.assert_allclose(result.series["df"], 6 * x, **EXACT)


# --- gaps -------------------------------------------------------------------------------------
def test_sqrt_is_a_gap_left_of_zero() -> None:
    result = data("sqrt(x)", (-1, 1))
    f, x = result.series["f"], result.x
    assert np.isnan(f[x < 0]).all() and np.allclose(f[x >= 0], np.sqrt(x[x >= 0]), **EXACT)
    assert result.segments["f"] == [(100, 200)]  # from x = 0, where sqrt is 0
    assert result.segments["df"] == [(101, 200)]  # f′ is infinite at 0: a gap there
    assert result.to_dict()["f"][:100] == [None] * 100
    assert result.warnings == ["sqrt(x) is undefined or infinite at 100 of 201 points: drawn as gaps"]


def test_log_is_a_gap_where_it_is_undefined_and_its_derivative_too() -> None:
    result = data("log(x)", (-1, 1), points=200)
    x = result.x
    assert np.isnan(result.series["f"][x <= 0]).all()
    assert np.isnan(result.series["df"][x <= 0]).all()  # 1/x is finite there, but f′ is not defined
    np.testing.assert_allclose(result.series["df"][x > 0], 1 / x[x > 0], **EXACT)
    assert result.segments["f"] == [(100, 199)]


@pytest.mark.parametrize("points", [200, 201, 1001])
def test_tan_is_split_at_its_poles(points: int) -> None:
    result = data("tan(x)", (-3, 3), points=points, order=2)
    for name in ("f", "df", "d2f"):
        assert len(result.segments[name]) == 3, result.segments[name]
        assert not straddles(result, name, math.pi / 2) and not straddles(result, name, -math.pi / 2)


@pytest.mark.parametrize("expr", ["1/x", "1/x^2", "1/x^3", "1/x + 1000", "-2/x"])
@pytest.mark.parametrize("points", [200, 201])
def test_poles_at_zero(expr: str, points: int) -> None:
    result = data(expr, (-1, 1), points=points)
    assert len(result.segments["f"]) == 2 and not straddles(result, "f", 0.0)
    assert not straddles(result, "df", 0.0)


def test_floor_is_split_at_every_jump() -> None:
    result = data("floor(x)", (-3, 3))
    f = result.series["f"]
    assert len(result.segments["f"]) == 7  # jumps at -2, -1, 0, 1, 2 and 3 (the last point)
    for first, last in result.segments["f"]:
        assert (f[first : last + 1] == f[first]).all()  # no piece joins two steps
    assert result.segments["df"] == result.segments["f"]  # f′ does not exist at a jump of f


def test_sign_and_a_jump_with_a_slope() -> None:
    sign = data("sign(x)", (-1, 1))
    assert sign.segments["f"] == [(0, 99), (100, 100), (101, 200)]  # sign(0) = 0 is a point alone
    step = data("where(x > 0, x + 0.5, x)", (-1, 1), points=200)
    assert len(step.segments["f"]) == 2 and not straddles(step, "f", 0.0)


def test_a_kink_splits_the_derivative_not_the_function() -> None:
    result = data("abs(x - 0.3)", (-1, 1), points=200, order=2)
    assert result.segments["f"] == [(0, 199)]
    assert len(result.segments["df"]) == 2 and not straddles(result, "df", 0.3)
    cubic = data("x*abs(x)", (-1, 1), points=200, order=2)  # f″ = 2·sign(x) jumps, f′ does not
    assert len(cubic.segments["df"]) == 1 and len(cubic.segments["d2f"]) == 2


@pytest.mark.parametrize(
    ("expr", "interval"),
    [
        ("sin(20*x)", (-3, 3)),
        ("sin(100*x)", (0.1, 3)),  # 4.3 points per period: coarse, but no pole and no jump
        ("exp(5*x)", (-3, 3)),
        ("x^10", (-2, 2)),
        ("1/(x^2 + 0.01)", (-1, 1)),
        ("exp(-x^2/0.01)", (-1, 1)),
        ("atan(10*x)", (-1, 1)),
        ("sin(x)^2 + cos(x)^2", (-3, 3)),  # f″ is rounding noise only
        ("cosh(x)", (-30, 30)),
        ("1e8*exp(x) + sin(x)", (-1, 1)),
        ("sqrt(x)", (0, 1)),
        ("log(x)", (0.001, 10)),
    ],
)
def test_smooth_functions_are_one_piece(expr: str, interval: tuple[float, float]) -> None:
    result = data(expr, interval, order=2)
    assert all(len(pieces) == 1 for pieces in result.segments.values()), result.segments


def test_the_view_leaves_out_values_near_a_pole() -> None:
    result = data("tan(x)", (-3, 3))
    low, high = result.view()
    assert -50 < low < -5 and 5 < high < 0.1 * np.nanmax(result.series["df"])  # f′ = 1 + tan² ≥ 1
    smooth = data("sin(x)", (0, 7))
    everything = np.concatenate(list(smooth.series.values()))
    assert smooth.view() == (everything.min(), everything.max())  # no outliers: every value


# --- critical points --------------------------------------------------------------------------
def test_critical_points_of_a_cubic() -> None:
    result = data("x^3 - 3*x", (-3, 3), critical=True)
    assert [p.kind for p in result.critical] == ["maximum", "minimum"]
    assert [p.x for p in result.critical] == pytest.approx([-1.0, 1.0], abs=1e-10)
    assert [p.f for p in result.critical] == pytest.approx([2.0, -2.0], abs=1e-12)
    assert [p.d2f for p in result.critical] == pytest.approx([-6.0, 6.0], abs=1e-9)


def test_critical_points_of_sin() -> None:
    result = data("sin(x)", (0, 7), critical=True)
    assert [p.x for p in result.critical] == pytest.approx([math.pi / 2, 3 * math.pi / 2], abs=1e-10)
    assert [p.kind for p in result.critical] == ["maximum", "minimum"]
    flipped = adcalc.plot_data("y*sin(x)", "x", (0, 7), at={"y": -1.0}, critical=True)
    assert [p.kind for p in flipped.critical] == ["minimum", "maximum"]


def test_a_zero_of_f_prime_on_the_grid() -> None:
    result = data("x^2", (-1, 1), critical=True)
    assert [(p.x, p.kind) for p in result.critical] == [(0.0, "minimum")]
    assert [(p.x, p.kind) for p in data("x^3", (-1, 1), critical=True).critical] == [(0.0, "inflection")]


def test_a_critical_point_at_the_end_of_the_range_is_classified_by_f_second() -> None:
    # f = x² e^(-x): f′ = (2x − x²) e^(-x) vanishes at 0 (the first point; f″(0) = 2) and at 2
    result = data("x^2*exp(-x)", (0, 10), critical=True)
    assert [(p.x, p.kind) for p in result.critical] == [
        (0.0, "minimum"),
        (pytest.approx(2.0, abs=1e-12), "maximum"),
    ]
    assert result.critical[1].f == pytest.approx(4 * math.exp(-2), rel=1e-14)


@pytest.mark.parametrize("expr", ["1/x^2", "floor(x)", "tan(x)", "exp(x)"])
def test_no_critical_points_across_poles_or_on_flat_steps(expr: str) -> None:
    assert data(expr, (-3, 3), points=200, critical=True).critical == []


def test_many_critical_points_accurately() -> None:
    result = data("cos(3*x)", (0.1, 10), points=401, critical=True)
    expected = [k * math.pi / 3 for k in range(1, 10)]
    assert [p.x for p in result.critical] == pytest.approx(expected, abs=1e-10)


# --- what cannot be plotted -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("expr", "variable", "at", "error", "needle"),
    [
        ("x*y", None, {}, UsageError, "has inputs x, y: name the one that varies"),
        ("x*y", "z", {"y": 1.0}, BadValue, "no input 'z' (inputs: x, y)"),
        ("x*y", "x", {}, MissingVariables, "y (fix them with --at)"),
        ("x*y", "x", {"x": 1.0, "y": 2.0}, BadValue, "x varies over the range"),
        ("x, x^2", "x", {}, UsageError, "plot draws one output"),
        ("[x, x^2]", "x", {}, UsageError, "plot draws a scalar function"),
        ("x*a", "x", {"a": np.array([1.0, 2.0])}, UsageError, "plot draws a scalar function"),
        ("5", None, {}, UsageError, "5 has no inputs"),
    ],
)
def test_what_cannot_be_plotted(expr, variable, at, error, needle) -> None:
    with pytest.raises(error, match=needle.replace("(", r"\(").replace(")", r"\)")):
        adcalc.plot_data(expr, variable, (0, 1), at=at)


@pytest.mark.parametrize(
    ("interval", "points", "order", "needle"),
    [
        ((3, -3), 201, 1, "must go up"),
        ((1, 1), 201, 1, "must go up"),
        ((0, math.inf), 201, 1, "must be finite"),
        ((0, 1), 1, 1, "give 2 to"),
        ((0, 1), 201, 3, "--order 3"),
    ],
)
def test_bad_ranges(interval, points, order, needle) -> None:
    with pytest.raises(BadValue, match=needle):
        adcalc.plot_data("x^2", "x", interval, points=points, order=order)


def test_undefined_everywhere_is_an_evaluation_error() -> None:
    with pytest.raises(EvaluationError, match="undefined .* on the whole range") as caught:
        data("log(x)", (-3, -1))
    assert isinstance(caught.value, AdcalcError) and caught.value.exit_code == 1
