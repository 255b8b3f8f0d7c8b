"""adcalc.minimize and adcalc.solve against answers known in closed form or computed independently
(hand-written derivatives, scipy run on them, numpy's least squares)."""

from __future__ import annotations

import math

import adcalc
import numpy as np
import pytest
import scipy.optimize as so
from adcalc.errors import DomainError, MissingVariables, UsageError

ROSENBROCK = "100*(y - x^2)^2 + (1 - x)^2"
HIMMELBLAU = "(x^2 + y - 11)^2 + (x + y^2 - 7)^2"


def rosenbrock_gradient(x: float, y: float) -> np.ndarray:
    return np.array([-400 * x * (y - x**2) - 2 * (1 - x), 200 * (y - x**2)])


def himmelblau_gradient(x: float, y: float) -> np.ndarray:
    a, b = x**2 + y - 11, x + y**2 - 7
    return np.array([4 * x * a + 2 * b, 2 * a + 4 * y * b])


# --- minimize: unconstrained -------------------------------------------------------------------
def test_rosenbrock_from_the_classic_start() -> None:
    result = adcalc.minimize(ROSENBROCK, x0={"x": -1.2, "y": 1})
    assert result.success and result.method == "trust-exact"
    assert result.x["x"] == pytest.approx(1, abs=1e-10) and result.x["y"] == pytest.approx(1, abs=1e-10)
    assert np.linalg.norm(rosenbrock_gradient(result.x["x"], result.x["y"])) < 1e-8
    assert result.nhev > 0 and result.nhvp == 0 and result.nfev >= result.nit


@pytest.mark.parametrize(
    ("method", "curvature"),
    [
        ("trust-krylov", "hvp"),
        ("trust-ncg", "hvp"),
        ("Newton-CG", "hvp"),
        ("dogleg", "hessian"),
        ("BFGS", None),
        ("L-BFGS-B", None),
        ("CG", None),
        ("trust-constr", "hessian"),
    ],
)
def test_every_method_reaches_the_rosenbrock_minimum(method: str, curvature: str | None) -> None:
    result = adcalc.minimize(ROSENBROCK, x0={"x": -1.2, "y": 1}, method=method.lower())
    assert result.success and result.method == method, result.message
    point = np.array([result.x["x"], result.x["y"]])
    np.testing.assert_allclose(point, [1, 1], atol=1e-8)
    assert np.linalg.norm(rosenbrock_gradient(*point)) < 1e-8
    assert (result.nhvp > 0) == (curvature == "hvp") and (result.nhev > 0) == (curvature == "hessian")
    assert result.njev > 0


def test_scipy_with_hand_written_derivatives_takes_the_same_steps() -> None:
    # the same method on scipy's own rosen/rosen_der/rosen_hess: exact derivatives give the same path
    ours = adcalc.minimize(ROSENBROCK, x0={"x": -1.2, "y": 1}, method="trust-exact")
    theirs = so.minimize(
        so.rosen,
        [-1.2, 1.0],
        jac=so.rosen_der,
        hess=so.rosen_hess,
        method="trust-exact",
        options={"gtol": 1e-9},
    )
    assert ours.nit == theirs.nit and ours.nfev == theirs.nfev and ours.nhev == theirs.nhev
    np.testing.assert_allclose([ours.x["x"], ours.x["y"]], theirs.x, atol=1e-12)


@pytest.mark.parametrize(
    ("start", "minimum"),
    [
        ((1, 1), (3.0, 2.0)),
        ((-2, 2), (-2.805118, 3.131312)),
        ((-3, -3), (-3.779310, -3.283186)),
        ((3, -1), (3.584428, -1.848126)),
    ],
)
def test_himmelblau_four_minima(start: tuple[float, float], minimum: tuple[float, float]) -> None:
    result = adcalc.minimize(HIMMELBLAU, x0={"x": start[0], "y": start[1]})
    assert result.success
    point = (result.x["x"], result.x["y"])
    np.testing.assert_allclose(point, minimum, atol=1e-6)
    assert result.fun == pytest.approx(0, abs=1e-18)
    assert np.linalg.norm(himmelblau_gradient(*point)) < 1e-8


def test_vector_unknowns_and_fixed_inputs() -> None:
    result = adcalc.minimize(
        "sum((x - c)^2) + (s - a)^2",
        x0={"x": [0.0, 0.0, 0.0], "s": 0.0},
        at={"c": np.array([1.0, 2.0, 3.0]), "a": 5.0},
    )
    np.testing.assert_allclose(result.x["x"], [1, 2, 3], atol=1e-12)
    assert result.x["s"] == pytest.approx(5) and result.jac["x"].shape == (3,)


def test_a_stall_at_rounding_level_is_polished_by_newton_steps() -> None:
    # f = √x + 1/x: f' = 1/(2√x) - 1/x² = 0 at x = 2^(2/3), where f ≈ 1.9 and f'' ≈ 0.33, so a
    # decrease for ‖∇f‖ < 1e-8 is below f's rounding: trust-exact gives up, Newton on f' = 0 does not
    result = adcalc.minimize("sqrt(x) + 1/x", x0={"x": 0.7}, method="trust-exact")
    assert result.success and "Newton step" in result.message
    assert result.x["x"] == pytest.approx(2 ** (2 / 3), rel=1e-14) and result.optimality <= 1e-9
    limited = adcalc.minimize(ROSENBROCK, x0={"x": -1.2, "y": 1}, method="trust-exact", maxiter=3)
    assert not limited.success  # a limit that was reached is no stall: no polishing


# --- minimize: bounds and constraints ----------------------------------------------------------
def test_active_bounds_end_on_the_bound() -> None:
    # unconstrained minimum (-1, 2); with x >= 0 and y <= 1 the minimum is the corner (0, 1)
    result = adcalc.minimize("(x + 1)^2 + (y - 2)^2", x0={"x": 1, "y": 0}, bounds={"x": "0:inf", "y": ":1"})
    assert result.method == "L-BFGS-B" and result.success
    assert (result.x["x"], result.x["y"]) == (0.0, 1.0) and result.fun == 2.0
    assert result.optimality == 0.0  # ∇f = (2, -2): the bounds' multipliers take it all


def test_rosenbrock_with_an_upper_bound() -> None:
    # x <= 0.5: the minimum is on the bound, at y = x² = 0.25, where ∂f/∂x = -2(1 - 0.5) = -1
    for method in ("L-BFGS-B", "SLSQP"):
        result = adcalc.minimize(ROSENBROCK, x0={"x": -1.2, "y": 1}, bounds={"x": (-2.0, 0.5)}, method=method)
        assert result.success, method
        assert result.x["x"] == pytest.approx(0.5, abs=1e-12)
        assert result.x["y"] == pytest.approx(0.25, abs=1e-9)
        assert result.jac["x"] == pytest.approx(-1.0, abs=1e-8)


@pytest.mark.parametrize("method", ["SLSQP", "trust-constr"])
def test_inequality_constraint_kkt_point(method: str) -> None:
    # min x + y on the unit disc: x = y = -1/√2, ∇f = λ ∇(1 - x² - y²) with λ = 1/√2
    result = adcalc.minimize("x + y", x0={"x": 0.5, "y": 0}, subject_to=["x^2 + y^2 <= 1"], method=method)
    assert result.success and result.method == method
    tolerance = 1e-10 if method == "SLSQP" else 1e-7  # an interior point stays a little inside
    np.testing.assert_allclose([result.x["x"], result.x["y"]], [-1 / math.sqrt(2)] * 2, atol=tolerance)
    (constraint,) = result.constraints
    assert constraint.active and constraint.type == "ineq"
    assert constraint.multiplier == pytest.approx(1 / math.sqrt(2), abs=1e-6)
    assert constraint.njev > 0 and not result.warnings


@pytest.mark.parametrize("method", ["SLSQP", "trust-constr"])
def test_equality_constraint(method: str) -> None:
    # min x² + 2y² on x + y = 1: Lagrange gives 2x = 4y = λ, so x = 2/3, y = 1/3, λ = 4/3
    result = adcalc.minimize("x^2 + 2*y^2", x0={"x": 0, "y": 0}, subject_to=["x + y == 1"], method=method)
    assert result.success
    np.testing.assert_allclose([result.x["x"], result.x["y"]], [2 / 3, 1 / 3], atol=1e-10)
    assert result.constraints[0].multiplier == pytest.approx(4 / 3, rel=1e-9)
    assert result.optimality < 1e-9


def test_two_sided_constraint_and_vector_constraint() -> None:
    # min (x - 3)² + (y + 3)² with 0 <= x - y <= 2 and both coordinates <= 1 (one vector relation)
    result = adcalc.minimize(
        "(p[1] - 3)^2 + (p[2] + 3)^2",
        x0={"p": [0.0, 0.0]},
        subject_to=["0 <= p[1] - p[2] <= 2", "p <= [1, 1]"],
    )
    # the nearest point of the band to (3, -3) is on x - y = 2: (1, -1), within p <= 1
    np.testing.assert_allclose(result.x["p"], [1, -1], atol=1e-9)
    texts = [c.constraint for c in result.constraints]
    assert texts == ["0 <= p[1] - p[2]", "p[1] - p[2] <= 2", "p <= [1, 1]"]
    assert [c.active for c in result.constraints] == [False, True, True]


def test_the_kkt_check_flags_a_negative_multiplier() -> None:
    from adcalc.answers.objective import Layout
    from adcalc.answers.optimality import kkt

    # f = (x - 3)², at x = 1 with ∂f/∂x = -4: on an upper bound x <= 1, λ = 4 >= 0 (a KKT point);
    # on a lower bound x >= 1 it would be λ = -4: f decreases into the feasible side
    layout = Layout({"x": ()})
    upper = kkt(np.array([1.0]), np.array([-4.0]), layout, {"x": (-math.inf, 1.0)}, [])
    lower = kkt(np.array([1.0]), np.array([-4.0]), layout, {"x": (1.0, math.inf)}, [])
    assert upper[2] == 0.0 and upper[3] == []
    assert lower[2] == 0.0 and "negative multiplier" in lower[3][0]
    result = adcalc.minimize("(x - 3)^2", x0={"x": 0}, bounds={"x": "-inf:1"})
    assert result.x["x"] == 1.0 and result.optimality == 0.0 and not result.warnings


# --- minimize: failures and bad input ----------------------------------------------------------
def test_not_converged_is_reported() -> None:
    result = adcalc.minimize(ROSENBROCK, x0={"x": -1.2, "y": 1}, method="BFGS", maxiter=3)
    assert not result.success and "iterations" in result.message and result.nit == 3


def test_bad_problems_are_usage_errors() -> None:
    with pytest.raises(MissingVariables, match="y"):
        adcalc.minimize(ROSENBROCK, x0={"x": 1})
    with pytest.raises(UsageError, match="z: not an input"):
        adcalc.minimize(ROSENBROCK, x0={"x": 1, "y": 1, "z": 2})
    with pytest.raises(UsageError, match="solve"):
        adcalc.minimize("x, y", x0={"x": 1, "y": 1})
    with pytest.raises(UsageError, match="takes no bounds"):
        adcalc.minimize(ROSENBROCK, x0={"x": 1, "y": 1}, method="BFGS", bounds={"x": "0:1"})
    with pytest.raises(UsageError, match="takes no constraints"):
        adcalc.minimize(ROSENBROCK, x0={"x": 1, "y": 1}, method="L-BFGS-B", subject_to=["x <= 1"])
    with pytest.raises(adcalc.AdcalcError, match="is no constraint"):
        adcalc.minimize(ROSENBROCK, x0={"x": 1, "y": 1}, subject_to=["x + y"])
    with pytest.raises(DomainError, match="log"):
        adcalc.minimize("log(x)", x0={"x": -1})


# --- solve -------------------------------------------------------------------------------------
def test_circle_and_line() -> None:
    result = adcalc.solve("x^2 + y^2 - 4, x - y", x0={"x": 1, "y": 0})
    assert result.success and result.method == "hybr"
    np.testing.assert_allclose([result.x["x"], result.x["y"]], [math.sqrt(2)] * 2, rtol=1e-15)
    assert result.residual_norm < 1e-14 and set(result.fun) == {"x^2 + y^2 - 4", "x - y"}
    # the Jacobian at the root, by hand: [[2x, 2y], [1, -1]]
    assert result.jacobian["x^2 + y^2 - 4"]["x"] == pytest.approx(2 * math.sqrt(2)) and result.rank == 2


def test_vector_unknown() -> None:
    result = adcalc.solve("x^2 - [2, 3]", x0={"x": [1.0, 1.0]})
    np.testing.assert_allclose(result.x["x"], [math.sqrt(2), math.sqrt(3)], rtol=1e-15)


def test_cos_x_equals_x() -> None:
    result = adcalc.solve("cos(x) = x", x0={"x": 1})
    assert result.success and result.method == "newton"
    assert result.x["x"] == pytest.approx(0.7390851332151607, abs=2e-16)
    assert list(result.fun) == ["cos(x) = x"] and abs(result.fun["cos(x) = x"]) < 1e-15
    bracketed = adcalc.solve("cos(x) = x", x0={}, bracket=(0.0, 1.0))
    assert bracketed.method == "brentq" and bracketed.x["x"] == pytest.approx(0.7390851332151607, abs=2e-16)


def test_newton_and_halley_take_scipys_steps_with_hand_derivatives() -> None:
    newton = adcalc.solve("cos(x) - x", x0={"x": 1})
    halley = adcalc.solve("cos(x) - x", x0={"x": 1}, order=2)
    assert halley.method == "halley" and halley.nhev > 0 and newton.nhev == 0
    assert halley.nit < newton.nit  # cubic against quadratic convergence

    def f(x: float) -> float:
        return math.cos(x) - x

    for ours, order in ((newton, 1), (halley, 2)):
        extra = {"fprime2": lambda x: -math.cos(x)} if order == 2 else {}
        theirs = so.root_scalar(
            f, x0=1.0, fprime=lambda x: -math.sin(x) - 1, method=ours.method, xtol=1e-15, **extra
        )
        assert ours.nit == theirs.iterations and ours.x["x"] == pytest.approx(theirs.root, abs=1e-16)


def test_a_singular_jacobian_is_named() -> None:
    # x² - y = 0 and x² - y = 1/2 contradict; the Jacobian rows (2x, -1), (4x, -2) are parallel
    result = adcalc.solve("x^2 - y, 2*x^2 - 2*y - 1", x0={"x": 1, "y": 0})
    assert not result.success and result.rank == 1 and result.singular
    assert "Jacobian is singular" in result.failure() and any("start point" in w for w in result.warnings)
    newton = adcalc.solve("x^2 - 2", x0={"x": 0})  # f'(0) = 0: no Newton step
    assert not newton.success and "derivative is 0" in newton.failure()


def test_no_real_root_does_not_converge() -> None:
    result = adcalc.solve("x^2 + 1", x0={"x": 0.5})
    assert not result.success and "after" in result.message and result.residual_norm >= 1


def test_least_squares_with_lm() -> None:
    result = adcalc.solve("x - 1, y - 2, x + y - 3.3", x0={"x": 0, "y": 0}, method="lm")
    a, b = np.array([[1.0, 0], [0, 1], [1, 1]]), np.array([1, 2, 3.3])
    np.testing.assert_allclose(
        [result.x["x"], result.x["y"]], np.linalg.lstsq(a, b, rcond=None)[0], atol=1e-10
    )
    assert any("least-squares" in w for w in result.warnings)
    with pytest.raises(UsageError, match="--method lm"):
        adcalc.solve("x - 1, y - 2, x + y - 3.3", x0={"x": 0, "y": 0})
