"""A scalar input broadcast against vectors, in every mode: forward tangents, reverse cotangents,
Hessians and HVPs against central differences of the value (numpy, independent of adcalc's rules)."""

from __future__ import annotations

import adcalc
import numpy as np
import pytest

X, Y = np.array([1.0, 2.0, 3.0]), 0.5
PROGRAMS = {  # program body over x[3] and a scalar y -> the same function in numpy
    "f = dot(x + y, x + y)": lambda x, y: np.dot(x + y, x + y),
    "f = sum(x + y)^2": lambda x, y: np.sum(x + y) ** 2,
    "f = norm(x + y)^2": lambda x, y: np.linalg.norm(x + y) ** 2,
    "f = sum(softmax(x + y) * x)": lambda x, y: np.sum(np.exp(x + y) / np.sum(np.exp(x + y)) * x),
    "f = mean(x - y)^3": lambda x, y: np.mean(x - y) ** 3,
    "f = sum((x * y)[2:3]^2)": lambda x, y: np.sum((x * y)[1:3] ** 2),
    "f = sum(diag(x + y) @ x)": lambda x, y: np.sum(np.diag(x + y) @ x),
}


def flat_point(z: np.ndarray) -> tuple[np.ndarray, float]:
    return z[:3], float(z[3])


def numeric_gradient(f, z: np.ndarray, h: float = 1e-6) -> np.ndarray:
    """Central differences over the flattened point (x[1..3], y)."""
    grad = np.zeros_like(z)
    for k in range(len(z)):
        e = np.zeros_like(z)
        e[k] = h
        grad[k] = (f(*flat_point(z + e)) - f(*flat_point(z - e))) / (2 * h)
    return grad


def numeric_hessian(f, z: np.ndarray, h: float = 1e-4) -> np.ndarray:
    """H[i, j] by the four-point central difference (error ~h² plus rounding ~eps/h²: ~1e-7 here)."""
    value = lambda w: f(*flat_point(w))  # noqa: E731
    eye = np.eye(len(z)) * h
    return np.array(
        [
            [
                (value(z + a + b) - value(z + a - b) - value(z - a + b) + value(z - a - b)) / (4 * h * h)
                for b in eye
            ]
            for a in eye
        ]
    )


@pytest.mark.parametrize("body", PROGRAMS)
def test_scalar_broadcast_into_vectors_in_every_mode(body: str) -> None:
    graph = adcalc.parse(f"input x[3], y\n{body}\noutput f\n", "b.adl")
    truth = PROGRAMS[body]
    z = np.array([*X, Y])
    at = {"x": X, "y": Y}
    g_true, h_true = numeric_gradient(truth, z), numeric_hessian(truth, z)
    for result in (adcalc.gradient(graph, at), adcalc.gradient_forward(graph, at)):
        found = np.array([*result.gradient["x"], result.gradient["y"]])
        np.testing.assert_allclose(found, g_true, rtol=1e-7, atol=1e-8)
    hessian = np.array(adcalc.hessian(graph, at).matrix)
    np.testing.assert_allclose(hessian, h_true, rtol=1e-5, atol=1e-6)
    product = adcalc.hvp(graph, at, {"y": 1.0}).derivative  # H e_y: the last column
    np.testing.assert_allclose([*product["x"], product["y"]], h_true[:, 3], rtol=1e-5, atol=1e-6)
    rows = adcalc.jacobian(graph, at, mode="forward").rows
    assert all(isinstance(v, float) for row in rows for v in row)  # numbers, never an array entry
    np.testing.assert_allclose(rows[0], g_true, rtol=1e-7, atol=1e-8)


def test_custom_op_rule_that_sums_for_a_broadcast_argument() -> None:
    # the rule for b already sums over a's shape; reverse mode must not count it once per element
    text = "op m(a, b) = a*b grad g*b, sum(g*a)\ninput x[3], y\nf = sum(sin(m(x, y)))\noutput f\n"
    graph = adcalc.parse(text, "m.adl")
    truth = float(np.sum(np.cos(X * Y) * X))  # d/dy Σ sin(x y) = Σ x cos(x y)
    assert adcalc.gradient(graph, {"x": X, "y": Y}).gradient["y"] == pytest.approx(truth, rel=1e-14)
    assert adcalc.gradient_forward(graph, {"x": X, "y": Y}).gradient["y"] == pytest.approx(truth, rel=1e-14)


def test_an_unused_array_input_gets_a_zero_block_in_every_command() -> None:
    at = {"x": [1.0, 2.0], "y": 1.0}
    for result in (adcalc.gradient("y^2", at), adcalc.gradient_forward("y^2", at)):
        np.testing.assert_array_equal(result.gradient["x"], [0.0, 0.0])
        assert result.gradient["y"] == 2.0
    assert adcalc.hessian("y^2", at).hessian["y"]["y"] == 2.0
    rows = {m.name: m.values for m in adcalc.check("y^2", at).methods}
    assert rows["central differences"]["x[1]"] == 0.0 and rows["forward AD"]["y"] == 2.0


def test_compiled_functions_check_their_arguments() -> None:
    with pytest.raises(adcalc.AdcalcError, match="one output"):
        adcalc.hessian_function("input x\nf = x^2\ng = x^3\noutput f, g")
    with pytest.raises(adcalc.AdcalcError, match="unknown variable"):
        adcalc.hessian_function("x*y", ["z"])
    with pytest.raises(adcalc.AdcalcError, match="takes 2 numbers"):
        adcalc.hessian_function("x^2*y")([1.0])
    # structurally zero Hessian entries, and a permuted variable order
    np.testing.assert_array_equal(adcalc.hessian_function("x + y")([2.0, 3.0]), np.zeros((2, 2)))
    np.testing.assert_array_equal(adcalc.hessian_function("x*y", ["y", "x"])([2.0, 3.0]), [[0, 1], [1, 0]])


def test_directions_and_cotangents_are_checked() -> None:
    vector = "input x[2]\ny = x*2\noutput y"
    with pytest.raises(adcalc.AdcalcError, match=r"cotangent of y has shape \[3\] but y is \[2\]"):
        adcalc.vjp(vector, {"x": [1.0, 2.0]}, [1.0, 2.0, 3.0])
    for bad in ("a", None, 1j):
        with pytest.raises(adcalc.AdcalcError, match="direction x: not a real number"):
            adcalc.jvp("x*y", {"x": 1.0, "y": 2.0}, {"x": bad})
    np.testing.assert_array_equal(adcalc.vjp(vector, {"x": [1.0, 2.0]}, [1.0, 3.0]).gradient["x"], [2.0, 6.0])
    with pytest.raises(adcalc.AdcalcError, match="mode must be"):
        adcalc.explain("x", {"x": 1.0}, mode="sideways")


def test_an_exact_zero_tangent_carries_nothing_element_by_element() -> None:
    # forward mode along x[2] at x = [0, 4]: sqrt'(0) = inf meets a tangent of exactly 0 in x[1],
    # which must give 0 there (as reverse mode does), not 0 * inf = NaN: d/dx2 Σ sqrt = 1/(2·2)
    graph = adcalc.parse("input x[2]\nf = sum(sqrt(x))\noutput f\n", "s.adl")
    forward = adcalc.gradient_forward(graph, {"x": [0.0, 4.0]}).gradient["x"]
    reverse = adcalc.gradient(graph, {"x": [0.0, 4.0]}).gradient["x"]
    assert forward[1] == reverse[1] == 0.25 and forward[0] == reverse[0] == np.inf
    assert adcalc.check(graph, {"x": [0.0, 4.0]}).passed


def test_a_nan_element_of_an_array_value_is_a_warning() -> None:
    result = adcalc.evaluate("input x, y\na = x*y\nb = [x, sqrt(y)]\noutput a, b\n", {"x": 1.0, "y": -1.0})
    assert np.isnan(result.value["b"][1]) and any("NaN" in w for w in result.warnings)
