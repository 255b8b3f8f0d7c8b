"""adcalc.propagate against independent truth: closed forms of the GUM's law of propagation, the
`uncertainties` package (first order, correlated too), exact moments of quadratic functions of
Gaussian inputs (second order), and Monte Carlo statistics within a few standard errors."""

from __future__ import annotations

import math

import adcalc
import numpy as np
import pytest
from adcalc.errors import BadValue, EvaluationError, UsageError
from scipy import stats
from uncertainties import correlated_values, ufloat, umath

EXACT = {"rel": 1e-12, "abs": 1e-15}  # exact derivatives: rounding only


# --- closed forms of first order ------------------------------------------------------------
def test_a_product_adds_relative_uncertainties_in_quadrature() -> None:
    m, g, h, um, ug, uh = 2.0, 9.81, 10.0, 0.01, 0.02, 0.1
    result = adcalc.propagate("m*g*h", at={"m": m, "g": g, "h": h}, uncertainty={"m": um, "g": ug, "h": uh})
    relative = math.sqrt((um / m) ** 2 + (ug / g) ** 2 + (uh / h) ** 2)
    assert result.value == pytest.approx(m * g * h, **EXACT)
    assert result.u == pytest.approx(m * g * h * relative, **EXACT)
    budget = {row["input"]: row for row in result.budget(0)}
    assert budget["h"]["sensitivity"] == pytest.approx(m * g, **EXACT)
    assert budget["m"]["contribution"] == pytest.approx(g * h * um, **EXACT)
    shares = {
        name: (u / x) ** 2 / relative**2 * 100 for name, x, u in (("m", m, um), ("g", g, ug), ("h", h, uh))
    }
    for name, share in shares.items():
        assert budget[name]["percent"] == pytest.approx(share, **EXACT)
    assert sum(row["percent"] for row in budget.values()) == pytest.approx(100.0, **EXACT)


@pytest.mark.parametrize("r", [-1.0, -0.3, 0.0, 0.5, 1.0])
def test_a_sum_with_correlation(r: float) -> None:
    ua, ub = 0.3, 0.4
    result = adcalc.propagate(
        "a + b", at={"a": 1.0, "b": 2.0}, uncertainty={"a": ua, "b": ub}, correlation={("a", "b"): r}
    )
    assert result.u == pytest.approx(math.sqrt(ua**2 + ub**2 + 2 * r * ua * ub), **EXACT)
    assert result.terms[0]["correlations"] == pytest.approx(2 * r * ua * ub, **EXACT)


def test_a_quotient() -> None:
    x, y, ux, uy = 3.0, 4.0, 0.1, 0.2
    result = adcalc.propagate("x/y", at={"x": x, "y": y}, uncertainty={"x": ux, "y": uy})
    assert result.u == pytest.approx(math.hypot(ux / y, x * uy / y**2), **EXACT)


def test_exact_inputs_and_unused_names_add_nothing() -> None:
    result = adcalc.propagate("x*y", at={"x": 2.0, "y": 3.0, "z": 1.0}, uncertainty={"x": 0.1, "z": 5.0})
    assert result.u == pytest.approx(0.3, **EXACT)  # y exact; z not in the formula: c = 0
    assert [row["input"] for row in result.budget(0)] == ["x", "z"]
    assert result.uncertainty == {"x": 0.1, "y": 0.0, "z": 5.0}


def test_an_exact_input_with_an_infinite_sensitivity_is_still_exact() -> None:
    result = adcalc.propagate("sqrt(x) + y", at={"x": 0.0, "y": 1.0}, uncertainty={"y": 0.5})
    assert result.u == 0.5  # ∂/∂x = inf, but u_x = 0: no 0·inf = NaN


# --- agreement with the uncertainties package (first order) ------------------------------------
NONLINEAR = [
    ("sin(x)*exp(y)", lambda x, y: umath.sin(x) * umath.exp(y)),
    ("sqrt(x^2 + y^2)", lambda x, y: umath.sqrt(x**2 + y**2)),
    ("log(x)/y + x^y", lambda x, y: umath.log(x) / y + x**y),
    ("atan2(y, x)*tanh(x*y)", lambda x, y: umath.atan2(y, x) * umath.tanh(x * y)),
]


@pytest.mark.parametrize(("text", "same"), NONLINEAR)
def test_independent_inputs_agree_with_uncertainties(text: str, same: object) -> None:
    x, y = ufloat(1.3, 0.05), ufloat(0.7, 0.02)
    truth = same(x, y)  # type: ignore[operator]
    result = adcalc.propagate(text, at={"x": 1.3, "y": 0.7}, uncertainty={"x": 0.05, "y": 0.02})
    assert result.value == pytest.approx(truth.nominal_value, rel=1e-14)
    assert result.u == pytest.approx(truth.std_dev, rel=1e-12)
    derivatives = truth.error_components()
    budget = {row["input"]: row["contribution"] for row in result.budget(0)}
    assert abs(budget["x"]) == pytest.approx(derivatives[x], rel=1e-12)  # |c|·u there
    assert abs(budget["y"]) == pytest.approx(derivatives[y], rel=1e-12)


@pytest.mark.parametrize(("text", "same"), NONLINEAR)
def test_correlated_inputs_agree_with_uncertainties(text: str, same: object) -> None:
    cov = [[0.05**2, 0.6 * 0.05 * 0.02], [0.6 * 0.05 * 0.02, 0.02**2]]
    x, y = correlated_values([1.3, 0.7], cov)
    truth = same(x, y)  # type: ignore[operator]
    by_matrix = adcalc.propagate(text, at={"x": 1.3, "y": 0.7}, covariance={("x", "y"): cov})
    by_r = adcalc.propagate(
        text, at={"x": 1.3, "y": 0.7}, uncertainty={"x": 0.05, "y": 0.02}, correlation={("x", "y"): 0.6}
    )
    assert by_matrix.u == pytest.approx(truth.std_dev, rel=1e-12)
    assert by_r.u == pytest.approx(truth.std_dev, rel=1e-12)


def test_several_outputs_give_their_covariance_as_uncertainties_does() -> None:
    a, b = correlated_values([1.0, 2.0], [[0.01, 0.004], [0.004, 0.04]])
    truth = np.array(__import__("uncertainties").covariance_matrix([a + b, a * b, umath.exp(a) / b]))
    result = adcalc.propagate(
        "a + b, a*b, exp(a)/b",
        at={"a": 1.0, "b": 2.0},
        covariance={("a", "b"): [[0.01, 0.004], [0.004, 0.04]]},
    )
    np.testing.assert_allclose(result.covariance, truth, rtol=1e-12, atol=1e-15)
    assert list(result.u) == list(result.output_shapes) == ["a + b", "a*b", "exp(a)/b"]
    assert result.u["a*b"] == pytest.approx((a * b).std_dev, rel=1e-12)


# --- vector and matrix inputs: J Σ Jᵀ -----------------------------------------------------------
def test_a_linear_map_of_a_vector_is_a_sigma_a_transposed() -> None:
    A = np.array([[1.0, 2.0, -1.0], [0.5, -3.0, 2.0]])
    sigma = np.array([[0.04, 0.01, 0.0], [0.01, 0.09, -0.02], [0.0, -0.02, 0.25]])
    result = adcalc.propagate("A @ x", at={"A": A, "x": [1.0, 2.0, 3.0]}, covariance={"x": sigma})
    np.testing.assert_allclose(result.covariance, A @ sigma @ A.T, rtol=1e-12)
    np.testing.assert_allclose(result.u, np.sqrt(np.diag(A @ sigma @ A.T)), rtol=1e-12)
    assert result.labels == ["(A @ x)[1]", "(A @ x)[2]"]


def test_a_quadratic_form_by_its_gradient() -> None:
    A, x = np.array([[2.0, 1.0], [0.0, 3.0]]), np.array([0.4, -1.2])
    u = np.array([0.1, 0.3])
    result = adcalc.propagate("x' @ A @ x", at={"A": A, "x": x}, uncertainty={"x": u})
    g = (A + A.T) @ x
    assert result.u == pytest.approx(math.sqrt(np.sum((g * u) ** 2)), **EXACT)


def test_a_matrix_input_by_its_elements_row_major() -> None:
    M = np.array([[4.0, 1.0], [2.0, 3.0]])
    u = np.array([[0.1, 0.2], [0.3, 0.4]])
    result = adcalc.propagate("det(A)", at={"A": M}, uncertainty={"A": u})
    cofactors = np.array([[3.0, -2.0], [-1.0, 4.0]])  # ∂det/∂A = adj(A)ᵀ
    assert result.u == pytest.approx(math.sqrt(np.sum((cofactors * u) ** 2)), **EXACT)
    assert [row["input"] for row in result.budget(0)] == ["A[1,1]", "A[1,2]", "A[2,1]", "A[2,2]"]
    one = adcalc.propagate("det(A)", at={"A": M}, uncertainty={"A": 0.1})  # one u for every element
    assert one.u == pytest.approx(0.1 * math.sqrt(np.sum(cofactors**2)), **EXACT)


def test_elements_of_a_vector_correlate_by_their_labels() -> None:
    result = adcalc.propagate(
        "sum(x)", at={"x": [1.0, 2.0]}, uncertainty={"x": [0.1, 0.2]}, correlation={("x[1]", "x[2]"): -0.5}
    )
    assert result.u == pytest.approx(math.sqrt(0.01 + 0.04 - 2 * 0.5 * 0.02), **EXACT)


# --- second order: exact for quadratics of Gaussian inputs --------------------------------------
def test_x_squared_at_zero() -> None:
    first = adcalc.propagate("x^2", at={"x": 0.0}, uncertainty={"x": 10.0})
    assert first.u == 0.0 and "stationary" in first.warnings[0]
    second = adcalc.propagate("x^2", at={"x": 0.0}, uncertainty={"x": 10.0}, order=2)
    # x ~ N(0, 10²): x² = 100 χ²₁, mean 100, variance 100² · 2
    assert second.mean == pytest.approx(100.0, **EXACT)
    assert second.u == pytest.approx(math.sqrt(2) * 100, **EXACT)
    assert second.value == 0.0 and second.terms[0]["second_order"] == pytest.approx(2e4, **EXACT)


def test_a_correlated_product_at_second_order() -> None:
    # E[xy] = μx μy + σxy; Var[xy] = μy²σx² + μx²σy² + 2 μx μy σxy + σx²σy² + σxy² (Gaussian)
    mx, my, sx, sy, r = 2.0, -3.0, 0.5, 0.7, 0.4
    sxy = r * sx * sy
    result = adcalc.propagate(
        "x*y", at={"x": mx, "y": my}, uncertainty={"x": sx, "y": sy}, correlation={("x", "y"): r}, order=2
    )
    variance = my**2 * sx**2 + mx**2 * sy**2 + 2 * mx * my * sxy + sx**2 * sy**2 + sxy**2
    assert result.mean == pytest.approx(mx * my + sxy, **EXACT)
    assert result.u == pytest.approx(math.sqrt(variance), **EXACT)


def test_second_order_covariance_of_two_quadratics() -> None:
    # x, y ~ N(0, 1) independent: cov(x² + y², x² − y²) = Var x² − Var y² = 0; cov(x², x²+xy) = 2
    at, u = {"x": 0.0, "y": 0.0}, {"x": 1.0, "y": 1.0}
    result = adcalc.propagate("x^2 + y^2, x^2 - y^2, x^2 + x*y", at=at, uncertainty=u, order=2)
    np.testing.assert_allclose(result.covariance, [[4, 0, 2], [0, 4, 2], [2, 2, 3]], atol=1e-12)


def test_second_order_needs_scalar_outputs() -> None:
    with pytest.raises(UsageError, match="scalar outputs"):
        adcalc.propagate("x^2", at={"x": [1.0, 2.0]}, uncertainty={"x": 0.1}, order=2)


# --- Monte Carlo, within its standard error -----------------------------------------------------
def test_monte_carlo_of_a_product_within_five_standard_errors() -> None:
    mu, s = np.array([2.0, 9.81, 10.0]), np.array([0.2, 0.5, 1.0])
    n = 200_000
    result = adcalc.propagate(
        "m*g*h", at=dict(zip("mgh", mu, strict=True)), uncertainty=dict(zip("mgh", s, strict=True)), samples=n
    )
    mc = result.monte_carlo
    mean = float(np.prod(mu))  # independent inputs: E[mgh] = Π μ, Var = Π(μ² + σ²) − Π μ²
    std = math.sqrt(np.prod(mu**2 + s**2) - np.prod(mu**2))
    assert abs(mc.means[0] - mean) < 5 * std / math.sqrt(n)
    assert abs(mc.stds[0] - std) < 5 * std / math.sqrt(2 * n) * 1.5  # a little heavier than Gaussian
    assert mc.undefined == 0 and mc.samples == n and mc.seed == 0


def test_monte_carlo_of_x_squared_against_chi_squared() -> None:
    n = 100_000
    mc = adcalc.propagate("x^2", at={"x": 0.0}, uncertainty={"x": 10.0}, samples=n).monte_carlo
    assert abs(mc.means[0] - 100.0) < 5 * 100 * math.sqrt(2 / n)
    # Var(s²) ≈ (μ4 − σ⁴)/n with μ4 = 60·100⁴ (χ²₁: excess kurtosis 12), so SE(s) ≈ SE(s²)/(2s)
    se_std = math.sqrt(56e8 / n) / (2 * math.sqrt(2) * 100)
    assert abs(mc.stds[0] - math.sqrt(2) * 100) < 5 * se_std
    for p, found in ((0.025, mc.lows[0]), (0.975, mc.highs[0])):
        q = 100 * stats.chi2.ppf(p, 1)
        se = math.sqrt(p * (1 - p) / n) / (stats.chi2.pdf(q / 100, 1) / 100)
        assert abs(found - q) < 5 * se


def test_monte_carlo_of_correlated_vector_inputs() -> None:
    A = np.array([[1.0, 2.0], [3.0, -1.0]])
    sigma = np.array([[0.04, 0.03], [0.03, 0.09]])
    n = 4000  # one engine evaluation per sample (vector inputs)
    mc = adcalc.propagate(
        "A @ x", at={"A": A, "x": [1.0, 2.0]}, covariance={"x": sigma}, samples=n
    ).monte_carlo
    truth = A @ sigma @ A.T
    for k in range(2):
        assert abs(mc.means[k] - (A @ [1.0, 2.0])[k]) < 5 * math.sqrt(truth[k, k] / n)
        assert abs(mc.stds[k] - math.sqrt(truth[k, k])) < 5 * math.sqrt(truth[k, k] / (2 * n))
    r = truth[0, 1] / math.sqrt(truth[0, 0] * truth[1, 1])
    found = mc.covariance[0][1] / math.sqrt(mc.covariance[0][0] * mc.covariance[1][1])
    assert abs(found - r) < 5 * (1 - r**2) / math.sqrt(n)


def test_monte_carlo_is_reproducible_by_seed_and_keeps_exact_inputs_exact() -> None:
    def run(seed: int) -> list[float]:
        result = adcalc.propagate(
            "x + y", at={"x": 1.0, "y": 5.0}, uncertainty={"x": 0.1}, samples=1000, seed=seed
        )
        return result.monte_carlo.means + result.monte_carlo.stds

    assert run(0) == run(0) and run(0) != run(1)
    spread = adcalc.propagate("y", at={"x": 1.0, "y": 5.0}, uncertainty={"x": 0.1}, samples=100).monte_carlo
    assert spread.stds == [0.0] and spread.means == [5.0]


def test_undefined_samples_are_counted_and_left_out() -> None:
    n = 20_000
    result = adcalc.propagate("sqrt(x)", at={"x": 0.1}, uncertainty={"x": 0.1}, samples=n)
    p = stats.norm.cdf(-1.0)  # P(x < 0)
    assert abs(result.monte_carlo.undefined - p * n) < 5 * math.sqrt(n * p * (1 - p))
    assert any("no finite value" in text for text in result.warnings)
    with pytest.raises(EvaluationError):
        # defined at x = 1 only: every sample is undefined
        adcalc.propagate("sqrt(1e-4 - (x - 1)^2)", at={"x": 1.0}, uncertainty={"x": 100.0}, samples=10)


def test_scalar_and_engine_samplers_agree() -> None:
    from adcalc.answers.propagate import propagate

    graph = adcalc.parse("exp(x)*sin(y), x/y", shapes={"x": (), "y": ()})
    at, u = {"x": 0.3, "y": 1.1}, {"x": 0.1, "y": 0.2}
    compiled = adcalc.propagate(graph, at=at, uncertainty=u, samples=500).monte_carlo
    engine = propagate(graph, at, u, samples=500).monte_carlo  # no sampler: the engine per sample
    np.testing.assert_allclose(compiled.means, engine.means, rtol=1e-13)
    np.testing.assert_allclose(compiled.covariance, engine.covariance, rtol=1e-12)


# --- bad input ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"uncertainty": {"x": -0.1}}, "negative"),
        ({"uncertainty": {"x": math.inf}}, "not finite"),
        ({"uncertainty": {"z": 0.1}}, "no value at the point"),
        ({"uncertainty": {"x": 0.1}, "correlation": {("x", "y"): 1.5}}, r"in \[-1, 1\]"),
        ({"uncertainty": {"x": 0.1}, "correlation": {("x", "w"): 0.5}}, "no input element"),
        ({"uncertainty": {"x": 0.1}, "correlation": {("x", "x"): 0.5}}, "itself"),
        ({"covariance": {("x", "y"): [[1, 2], [2, 1]]}}, "positive semi-definite"),
        ({"covariance": {("x", "y"): [[1, 0.5], [0.4, 1]]}}, "not symmetric"),
        ({"covariance": {("x", "y"): [[1, 0, 0]]}}, "2×2 matrix"),
        ({"covariance": {"x": 0.1}, "uncertainty": {"x": 0.1}}, "twice"),
        ({"covariance": {("x", "y"): [[1, 0], [0, 1]]}, "correlation": {("x", "y"): 0.5}}, "already"),
    ],
)
def test_bad_uncertainties_are_bad_values(arguments: dict, message: str) -> None:
    with pytest.raises(BadValue, match=message):
        adcalc.propagate("x*y", at={"x": 1.0, "y": 2.0}, **arguments)


def test_correlations_each_in_range_but_not_together() -> None:
    u = {"x": 1.0, "y": 1.0, "z": 1.0}
    pairs = {("x", "y"): 0.9, ("x", "z"): 0.9, ("y", "z"): -0.9}
    with pytest.raises(BadValue, match="positive semi-definite"):
        adcalc.propagate("x + y + z", at={"x": 1.0, "y": 2.0, "z": 3.0}, uncertainty=u, correlation=pairs)


def test_order_and_samples_are_checked() -> None:
    with pytest.raises(UsageError):
        adcalc.propagate("x", at={"x": 1.0}, order=3)
    with pytest.raises(UsageError):
        adcalc.propagate("x", at={"x": 1.0}, samples=1)


def test_a_constant_has_no_uncertainty_and_its_samples_are_constant() -> None:
    result = adcalc.propagate("2 + 3", at={}, samples=10)
    assert result.u == 0.0 and result.monte_carlo.means == [5.0] and result.monte_carlo.stds == [0.0]
    assert result.warnings == ["no input has an uncertainty: every u is 0"]
