"""Jacobians, Hessians, JVPs and HVPs against hand-derived formulas and finite differences."""

from __future__ import annotations

import math

import adcalc
import numpy as np
import pytest
from adcalc.engine.reverse import gradient_graph
from adcalc.engine.sparsity import colour_columns, hessian_pattern

from tests.conftest import central_difference


def rosenbrock_text(n: int) -> str:
    return " + ".join(
        f"100*(x{2 * i} - x{2 * i - 1}^2)^2 + (1 - x{2 * i - 1})^2" for i in range(1, n // 2 + 1)
    )


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    """By hand: 2x2 blocks [[1200 a² - 400 b + 2, -400 a], [-400 a, 200]] for each pair (a, b)."""
    n = x.size
    h = np.zeros((n, n))
    for k in range(0, n, 2):
        a, b = x[k], x[k + 1]
        h[k, k] = 1200 * a * a - 400 * b + 2
        h[k, k + 1] = h[k + 1, k] = -400 * a
        h[k + 1, k + 1] = 200
    return h


def matrix(result: adcalc.Hessian, names: list[str]) -> np.ndarray:
    return np.array([[result.hessian[a][b] for b in names] for a in names])


@pytest.mark.parametrize("n", [2, 10, 40])
def test_rosenbrock_hessian_matches_hand_formula(n: int) -> None:
    names = [f"x{k}" for k in range(1, n + 1)]
    x = np.random.default_rng(n).uniform(-2, 2, n)
    result = adcalc.hessian(rosenbrock_text(n), at=dict(zip(names, x, strict=True)), wrt=names)
    got = matrix(result, names)
    assert np.allclose(got, rosenbrock_hessian(x), rtol=1e-14, atol=1e-12)
    assert np.array_equal(got, got.T)  # exactly symmetric, not just close
    assert result.directions == 2  # two colours whatever n: the 2x2 blocks never share a row


def test_rosenbrock_pattern_and_colouring() -> None:
    names = [f"x{k}" for k in range(1, 101)]
    root = adcalc.parse(rosenbrock_text(100)).root
    graphs = gradient_graph(root, names)
    pattern = hessian_pattern([graphs[n] for n in names], names)
    assert sum(map(len, pattern)) == 200  # 200 of 10,000 entries
    colours = colour_columns(pattern)
    assert max(colours) + 1 == 2
    for row in pattern:  # distance-2: no two columns of a row share a colour
        assert len({colours[j] for j in row}) == len(row)


def test_compiled_hessian_function_matches_hand_numpy() -> None:
    n = 100
    names = [f"x{k}" for k in range(1, n + 1)]
    hessian = adcalc.hessian_function(rosenbrock_text(n), names)
    for seed in range(3):
        x = np.random.default_rng(seed).uniform(-2, 2, n)
        h = hessian(x)
        assert np.allclose(h, rosenbrock_hessian(x), rtol=1e-14, atol=1e-12)
        assert np.array_equal(h, h.T)
        assert np.array_equal(hessian.triangle(x), h[hessian.rows, hessian.columns])
    scalar = adcalc.hessian_function(rosenbrock_text(n), names, vectorize=False)
    assert np.array_equal(scalar(x), h)


def test_compiled_gradient_function_matches_reverse_mode() -> None:
    text = "sin(x*y) + x^2*z + exp(-z)"
    gradient = adcalc.gradient_function(text, ["x", "y", "z"])
    at = {"x": 0.3, "y": -1.2, "z": 0.7}
    expected = adcalc.gradient(text, at=at).gradient
    assert gradient(at).tolist() == pytest.approx([expected[k] for k in "xyz"], rel=1e-15)


LOG_SUM_EXP = "log(exp(a) + exp(b) + exp(c))"


def test_log_sum_exp_gradient_is_softmax_and_hessian_is_diag_minus_outer() -> None:
    values = {"a": 0.5, "b": -1.0, "c": 2.0}
    exps = np.exp(list(values.values()))
    p = exps / exps.sum()
    result = adcalc.hessian(LOG_SUM_EXP, at=values)
    assert [result.gradient[k] for k in "abc"] == pytest.approx(p, rel=1e-14)
    assert np.allclose(matrix(result, list("abc")), np.diag(p) - np.outer(p, p), rtol=1e-13, atol=1e-15)


def test_softmax_jacobian_by_both_modes() -> None:
    values = {"a": 0.5, "b": -1.0, "c": 2.0}
    total = "(exp(a) + exp(b) + exp(c))"
    outputs = [f"exp({k})/{total}" for k in "abc"]
    exps = np.exp(list(values.values()))
    p = exps / exps.sum()
    expected = np.diag(p) - np.outer(p, p)  # d softmax_i / d z_j = p_i (δ_ij - p_j)
    for mode in ("forward", "reverse"):
        result = adcalc.jacobian(outputs, at=values, mode=mode)
        assert result.mode == mode
        assert np.allclose(np.array(result.rows), expected, rtol=1e-13, atol=1e-15)


def test_polar_to_cartesian_jacobian_and_automatic_mode() -> None:
    r, t = 2.0, 0.7
    result = adcalc.jacobian(["r*cos(t)", "r*sin(t)"], at={"r": r, "t": t})
    assert result.variables == ["r", "t"]
    expected = [[math.cos(t), -r * math.sin(t)], [math.sin(t), r * math.cos(t)]]
    assert np.allclose(result.rows, expected, rtol=1e-15)
    assert result.mode == "reverse"  # 2 inputs, 2 outputs: not fewer inputs than outputs
    three = adcalc.jacobian(["r*cos(t)", "r*sin(t)", "r"], at={"r": r, "t": t})
    assert three.mode == "forward"
    det = np.linalg.det(np.array(result.rows))
    assert det == pytest.approx(r, rel=1e-14)  # the area element r dr dθ
    assert result.to_dict()["jacobian"]["r*sin(t)"] == {"r": math.sin(t), "t": r * math.cos(t)}


def test_repeated_outputs_get_distinct_json_keys() -> None:
    keys = list(adcalc.jacobian(["x", "x"], at={"x": 1.0}).to_dict()["jacobian"])
    assert keys == ["x", "x (2)"]


@pytest.mark.parametrize(
    ("text", "at"),
    [
        ("sin(x*y) + x^3*z - exp(y/z)", {"x": 0.4, "y": 1.3, "z": 0.8}),
        ("hypot(x, y) * atan2(y, x) + log1p(x*x*z)", {"x": 1.1, "y": -0.6, "z": 2.0}),
        ("max(x, y)*tanh(z) + where(x > 0, x^2, y)", {"x": 0.9, "y": 0.2, "z": 0.3}),
    ],
)
def test_hessian_matches_central_differences_of_the_gradient(text: str, at: dict[str, float]) -> None:
    result = adcalc.hessian(text, at=at)
    for row in at:
        for column in at:

            def partial(t: float, row: str = row, column: str = column) -> float:
                return adcalc.gradient(text, at={**at, column: t}).gradient[row]

            expected = central_difference(partial, at[column])
            assert result.hessian[row][column] == pytest.approx(expected, rel=1e-7, abs=1e-8)


def test_hessian_matches_symmetric_second_differences() -> None:
    text, at, h = "exp(x)*sin(y) + x*y^2", {"x": 0.3, "y": 0.8}, 1e-4
    result = adcalc.hessian(text, at=at)

    def f(dx: float, dy: float) -> float:
        return adcalc.evaluate(text, at={"x": at["x"] + dx, "y": at["y"] + dy}).value

    mixed = (f(h, h) - f(h, -h) - f(-h, h) + f(-h, -h)) / (4 * h * h)
    assert result.hessian["x"]["y"] == pytest.approx(mixed, rel=1e-6)
    assert result.hessian["x"]["x"] == pytest.approx((f(h, 0) - 2 * f(0, 0) + f(-h, 0)) / h**2, rel=1e-6)


def test_jvp_and_hvp_agree_with_gradient_and_hessian() -> None:
    text, at, v = "x^2*y + sin(y*z)", {"x": 1.5, "y": -0.5, "z": 2.0}, {"x": 0.3, "y": -1.0, "z": 0.5}
    gradient = adcalc.gradient(text, at=at).gradient
    assert adcalc.jvp(text, at=at, direction=v).derivative == pytest.approx(
        sum(gradient[k] * v[k] for k in v), rel=1e-14
    )
    hessian = adcalc.hessian(text, at=at).hessian
    product = adcalc.hvp(text, at=at, direction=v).derivative
    for k in at:
        assert product[k] == pytest.approx(sum(hessian[k][j] * v[j] for j in v), rel=1e-14)


def test_forward_mode_gradient_equals_reverse_mode() -> None:
    text, at = "log(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}
    assert adcalc.gradient_forward(text, at=at).gradient == {"x1": 5.5, "x2": 2.0 - math.cos(5.0)}


@pytest.mark.parametrize(
    ("text", "x", "order", "expected"),
    [
        ("x^5", 2.0, 3, 60 * 4.0),
        ("sin(x)", 0.3, 4, math.sin(0.3)),
        ("exp(2*x)", 0.1, 5, 32 * math.exp(0.2)),
        ("1/x", 2.0, 3, -6 / 16),
    ],
)
def test_kth_derivative(text: str, x: float, order: int, expected: float) -> None:
    assert adcalc.derivative(text, at={"x": x}, order=order).derivative == pytest.approx(expected, rel=1e-13)


def test_partials_by_name_gives_zero_for_variables_the_output_does_not_use() -> None:
    from adcalc.engine.forward import values_of
    from adcalc.engine.reverse import cotangents_of, partials_by_name
    from adcalc.ir.nodes import topological_order

    root = adcalc.parse("x*y + sin(x)").root
    order = topological_order(root)
    values = values_of(order, {"x": 2.0, "y": 3.0})
    cotangents = cotangents_of(order, values, {root: 1.0}, {"x", "y", "z"})
    # d/dx (x y + sin x) = y + cos x; d/dy = x; z does not occur
    assert partials_by_name(cotangents, ["z", "x", "y"]) == {"z": 0.0, "x": 3.0 + math.cos(2.0), "y": 2.0}
