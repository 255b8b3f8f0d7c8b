"""hessian_function and gradient_function on array programs: compiled over the elements where the
program reads its arrays element by element, the engine at each call where it computes with
whole arrays; both against derivatives worked out by hand."""

from __future__ import annotations

from pathlib import Path

import adcalc
import numpy as np
import pytest
from adcalc.codegen.prepared import CompiledElementGradient, CompiledElementHessian, ElementHessian

ROSENBROCK = (Path(__file__).parents[2] / "examples" / "rosenbrock.adl").read_text(encoding="utf-8")


def rosenbrock(n: int) -> adcalc.Graph:
    return adcalc.parse(ROSENBROCK.replace("param n = 4", f"param n = {n}"), "rosenbrock.adl")


def rosenbrock_by_hand(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Gradient and Hessian of Σ 100 (x[i+1] - x[i]²)² + (1 - x[i])², term by term."""
    n = x.size
    gradient, hessian = np.zeros(n), np.zeros((n, n))
    for i in range(n - 1):
        a, b = x[i], x[i + 1]
        gradient[i] += -400 * a * (b - a * a) - 2 * (1 - a)
        gradient[i + 1] += 200 * (b - a * a)
        hessian[i, i] += 1200 * a * a - 400 * b + 2
        hessian[i + 1, i + 1] += 200
        hessian[i, i + 1] = hessian[i + 1, i] = -400 * a
    return gradient, hessian


@pytest.mark.parametrize("n", [2, 5, 40])
def test_an_element_wise_program_compiles_to_its_hand_derivatives(n: int) -> None:
    graph = rosenbrock(n)
    h, g = adcalc.hessian_function(graph), adcalc.gradient_function(graph)
    assert isinstance(h, CompiledElementHessian) and isinstance(g, CompiledElementGradient)
    x = np.random.default_rng(n).uniform(-2, 2, n)
    gradient, hessian = rosenbrock_by_hand(x)
    np.testing.assert_allclose(h(x), hessian, rtol=1e-13, atol=1e-11)
    np.testing.assert_allclose(g(x), gradient, rtol=1e-13, atol=1e-11)
    assert np.array_equal(h(x), h(x).T)
    np.testing.assert_array_equal(h({"x": x}), h(x))  # a mapping name -> array, as before
    np.testing.assert_array_equal(h.triangle(x), h(x)[h.rows, h.columns])
    assert h.colours == min(n, 3)  # x[i] meets x[i-1] and x[i+1]: a tridiagonal pattern


def test_matrix_elements_and_the_order_of_variables() -> None:
    # det of a 2x2 matrix read element by element, times a scalar: A flattens row-major
    graph = adcalc.parse("input A[2, 2]\ninput s\nf = s*(A[1,1]*A[2,2] - A[1,2]*A[2,1])\noutput f")
    a, s = np.array([[1.0, 2.0], [3.0, 4.0]]), 5.0
    h = adcalc.hessian_function(graph, ["s", "A"])  # s first, then A11, A12, A21, A22
    assert isinstance(h, CompiledElementHessian)
    expected = np.zeros((5, 5))
    expected[0, 1:] = expected[1:, 0] = [a[1, 1], -a[1, 0], -a[0, 1], a[0, 0]]  # ∂²f/∂s∂A = ∂det/∂A
    expected[1, 4] = expected[4, 1] = s
    expected[2, 3] = expected[3, 2] = -s
    np.testing.assert_array_equal(h([s, *a.ravel()]), expected)
    np.testing.assert_array_equal(h({"A": a, "s": s}), expected)
    g = adcalc.gradient_function(graph, ["s", "A"])
    np.testing.assert_array_equal(g({"A": a, "s": s}), [-2.0, s * 4, -s * 3, -s * 2, s * 1])


def test_whole_array_programs_still_run_the_engine() -> None:
    graph = adcalc.parse("input x[3]\nf = sum(x^2) + x[1]*x[2]\noutput f")
    h = adcalc.hessian_function(graph)
    assert type(h) is ElementHessian
    np.testing.assert_array_equal(h([1.0, 2.0, 3.0]), [[2, 1, 0], [1, 2, 0], [0, 0, 2]])


def test_a_dense_hessian_past_the_colour_bound_stays_with_the_engine() -> None:
    # every element meets every other: 70 colours, 70 sweeps on nodes to prepare (seconds) where
    # the engine's call runs the same sweeps on numbers
    graph = adcalc.parse("input x[70]\ns = 0\nfor i in 1..70 { s = s + x[i]^2 }\nf = exp(s/70)\noutput f")
    h = adcalc.hessian_function(graph)
    assert type(h) is ElementHessian
    x = np.full(70, 0.1)
    s = float(x @ x)
    expected = np.exp(s / 70) * (np.outer(2 * x, 2 * x) / 70**2 + 2 * np.eye(70) / 70)
    np.testing.assert_allclose(h(x), expected, rtol=1e-13)


def test_an_array_output_is_not_a_hessian() -> None:
    for text in ["input x[2]\noutput x", "input x[2]\ny = x\noutput y"]:
        with pytest.raises(adcalc.errors.UsageError, match="scalar output"):
            adcalc.hessian_function(adcalc.parse(text))([1.0, 2.0])
        with pytest.raises(adcalc.errors.UsageError, match="scalar output"):
            adcalc.gradient_function(adcalc.parse(text))([1.0, 2.0])


DETERMINANT = "input A[2, 2]\ninput s\nf = s*(A[1,1]*A[2,2] - A[1,2]*A[2,1])\noutput f"
A = [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    "text, x, error",
    [(None, [1.0, 2.0], adcalc.errors.BadValue), (None, {"y": [1.0] * 4}, adcalc.errors.MissingVariables),
     (None, [1.0, "a", 2.0, 3.0], adcalc.errors.BadValue),
     (None, {"x": [[1.0], [2.0, 3.0]]}, adcalc.errors.BadValue),
     # a mapping's values are checked against their inputs, not only counted
     (DETERMINANT, {"A": [1.0, 2.0, 3.0], "s": [5.0, 4.0]}, adcalc.errors.BadValue),
     (DETERMINANT, {"A": A, "s": None}, adcalc.errors.BadValue),
     (DETERMINANT, {"A": A, "s": "5"}, adcalc.errors.BadValue),
     (DETERMINANT, {"A": [[1.0, 2.0]], "s": 1.0}, adcalc.errors.BadValue)],
)  # fmt: skip
def test_bad_points_are_adcalc_errors(text: str | None, x: object, error: type[Exception]) -> None:
    graph = rosenbrock(4) if text is None else adcalc.parse(text)
    for compiled in (adcalc.hessian_function(graph), adcalc.gradient_function(graph)):
        assert isinstance(compiled, CompiledElementHessian | CompiledElementGradient)
        with pytest.raises(error):
            compiled(x)
