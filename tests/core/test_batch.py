"""Batch evaluation: generated numpy block kernels against hand-derived formulas and the scalar path."""

from __future__ import annotations

import math

import adcalc
import numpy as np
import pytest
from adcalc.codegen.batch import broadcast_columns, derivative_outputs, evaluate_rows, plan
from adcalc.codegen.numpy_kernels import linearize, numpy_source

WORKLOAD = (
    "sin(x0)*x1 + exp(x0*x2) + log(1 + x1*x1)*x2 + tanh(x1*x3) + sin(x2)*x3 + exp(x2*x4) + "
    "log(1 + x3*x3)*x4 + tanh(x3*x5) + sin(x4)*x5 + exp(x4*x6) + log(1 + x5*x5)*x6 + "
    "tanh(x5*x7) + sin(x6)*x7 + exp(x6*x8) + log(1 + x7*x7)*x8 + tanh(x7*x9) + sin(x8)*x9 + "
    "exp(x8*x0) + log(1 + x9*x9)*x0 + tanh(x9*x1)"
)
NAMES = [f"x{i}" for i in range(10)]


def hand_workload(x: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    """Value and gradient of WORKLOAD, derived by hand term by term."""
    value = np.zeros_like(x[0])
    gradient = [np.zeros_like(x[0]) for _ in x]
    for j in range(0, 10, 2):
        a, b, c, d = j, (j + 1) % 10, (j + 2) % 10, (j + 3) % 10
        t = np.tanh(x[b] * x[d])
        value += np.sin(x[a]) * x[b] + np.exp(x[a] * x[c]) + np.log(1 + x[b] ** 2) * x[c] + t
        gradient[a] += np.cos(x[a]) * x[b] + x[c] * np.exp(x[a] * x[c])
        gradient[b] += np.sin(x[a]) + 2 * x[b] * x[c] / (1 + x[b] ** 2) + x[d] * (1 - t * t)
        gradient[c] += x[a] * np.exp(x[a] * x[c]) + np.log(1 + x[b] ** 2)
        gradient[d] += x[b] * (1 - t * t)
    return value, gradient


def workload_plan(order: int = 1, block: int | None = None) -> adcalc.batch.Plan:
    names, nodes = derivative_outputs(adcalc.parse(WORKLOAD).outputs, NAMES, order)
    result = plan(nodes, names, NAMES)
    if block is not None:
        result.block = block
    return result


@pytest.mark.parametrize("rows, block", [(1, None), (1000, None), (20011, None), (1001, 7), (50, 64)])
def test_workload_matches_hand_gradient(rows: int, block: int | None) -> None:
    x = list(np.random.default_rng(rows).uniform(-1, 1, (10, rows)))
    out = workload_plan(1, block).run(x)
    value, gradient = hand_workload(x)
    assert out.shape == (11, rows)
    np.testing.assert_allclose(out[0], value, rtol=1e-13, atol=1e-13)
    for k in range(10):
        np.testing.assert_allclose(out[1 + k], gradient[k], rtol=1e-12, atol=1e-13)


def test_hessian_matches_hand_formulas() -> None:
    # f = sin(x)*y + x^2 y^3: f_xx = -sin(x) y + 2 y^3, f_xy = cos(x) + 6 x y^2, f_yy = 6 x^2 y
    names, nodes = derivative_outputs(adcalc.parse("sin(x)*y + x^2*y^3").outputs, ["x", "y"], 2)
    assert names == ["value", "d_x", "d_y", "d2_x_x", "d2_x_y", "d2_y_y"]
    x, y = np.linspace(-2, 2, 9), np.linspace(0.5, 3, 9)
    out = plan(nodes, names, ["x", "y"]).run([x, y])
    np.testing.assert_allclose(out[3], -np.sin(x) * y + 2 * y**3, rtol=1e-13)
    np.testing.assert_allclose(out[4], np.cos(x) + 6 * x * y**2, rtol=1e-13)
    np.testing.assert_allclose(out[5], 6 * x**2 * y, rtol=1e-13, atol=1e-13)


def test_branch_not_taken_leaks_no_nan() -> None:
    # d/dx where(x > 0, log(x), 0): 1/x where x > 0, exactly 0 elsewhere (not 0 * NaN)
    names, nodes = derivative_outputs(adcalc.parse("where(x > 0, log(x), 0)").outputs, ["x"], 2)
    x = np.array([-1.0, 0.0, 2.0])
    out = plan(nodes, names, ["x"]).run([x])
    assert out[1].tolist() == [0.0, 0.0, 0.5]
    assert out[2].tolist() == [0.0, 0.0, -0.25]


OPS_EXPRESSIONS = [
    "sigmoid(x) * softplus(y) + hypot(x, y)",
    "min(x, y) + max(x, 2*y) + abs(x - y)",
    "where(x < y, x^3, y^2) + (x >= 0) * cbrt(y)",
    "atan2(y, x) + asinh(x) + x^y",
    "floor(x) + ceil(y) + sign(x) * expm1(y) + log1p(y*y)",
]


@pytest.mark.parametrize("text", OPS_EXPRESSIONS)
def test_kernel_agrees_with_scalar_path(text: str) -> None:
    # the generated numpy code against the math-module evaluator, point by point
    expression = adcalc.parse(text)
    names, nodes = derivative_outputs(expression.outputs, ["x", "y"], 1)
    x = np.array([0.3, -1.7, 2.5, 0.0, 1.25, -0.5])
    y = np.array([1.1, 0.4, 2.5, 3.0, -0.75, 0.5])
    out = plan(nodes, names, ["x", "y"]).run([x, y])
    for k in range(len(x)):
        point = {"x": float(x[k]), "y": float(y[k])}
        try:
            expected = adcalc.gradient(expression, at=point)
        except adcalc.DomainError:
            assert math.isnan(out[0, k])
            continue
        assert out[0, k] == pytest.approx(expected.value, rel=1e-14, abs=1e-14)
        for j, name in enumerate(["x", "y"]):
            assert out[1 + j, k] == pytest.approx(expected.gradient[name], rel=1e-13, abs=1e-13, nan_ok=True)


def test_structural_duplicates_share_one_entry() -> None:
    # x*y parsed twice (two intern tables) is computed once; a constant-only op is folded
    first, second = adcalc.parse("x*y").root, adcalc.parse("x*y + 1").root
    entries, slots = linearize([first, second])
    assert [op for op, _, _ in entries].count("mul") == 1
    source, buffers = numpy_source([adcalc.parse("sin(x)*(2+3)").root], ["x"])
    assert "5.0" in source and buffers == 1


def test_signed_zero_and_nan_constants_stay_distinct() -> None:
    # 0.0 == -0.0 but 1/-0.0 = -inf; NaN != NaN but two NaN constants are one entry
    from adcalc.ir.nodes import const

    entries, _ = linearize([const(0.0), const(-0.0), const(math.nan), const(math.nan)])
    assert [math.copysign(1.0, p) for op, p, _ in entries[:2]] == [1.0, -1.0] and len(entries) == 3
    x = adcalc.parse("x").root
    out = plan([x / const(0.0), x / const(-0.0)], ["a", "b"], ["x"]).run([np.array([1.0])])
    assert out[:, 0].tolist() == [math.inf, -math.inf]


def test_output_that_is_a_variable_or_constant() -> None:
    # d/dx (x*y) = y (a variable), d/dy (3*x + y) = 1 (a constant): both copied into their slots
    names, nodes = derivative_outputs(adcalc.parse("x*y + 3*x + y").outputs, ["x", "y"], 1)
    out = plan(nodes, names, ["x", "y"]).run([np.array([1.0, 2.0]), np.array([5.0, 7.0])])
    assert out[1].tolist() == [8.0, 10.0] and out[2].tolist() == [2.0, 3.0]


def test_broadcast_columns_gives_per_row_shapes() -> None:
    columns, shape = broadcast_columns(["x", "y"], {"x": np.arange(6.0).reshape(2, 3), "y": 2.0})
    assert shape == (2, 3) and [c.shape for c in columns] == [(6,), (6,)]
    assert columns[1].tolist() == [2.0] * 6
    with pytest.raises(adcalc.AdcalcError, match="y"):
        broadcast_columns(["x", "y"], {"x": 1.0})


def test_evaluate_rows_marks_missing_and_undefined_rows() -> None:
    expression = adcalc.parse("log(x) * y")
    names, nodes = derivative_outputs(expression.outputs, ["x", "y"], 1)
    run = plan(nodes, names, ["x", "y"])
    x = np.array([1.0, -1.0, np.nan, 4.0, 2.0])
    y = np.array([2.0, 3.0, 1.0, 1.0, 1.0])
    rows = evaluate_rows(run, [expression.root], {"x": x, "y": y}, {4: "non-numeric value 'a' for y"})
    assert rows.failed.tolist() == [False, True, True, False, True]
    assert rows.errors == {
        1: "log(-1) is undefined",
        2: "missing or NaN value for x",
        4: "non-numeric value 'a' for y",
    }
    assert rows.values[:, 0].tolist() == [0.0, 2.0, 0.0]
    assert rows.values[:, 3].tolist() == [math.log(4), 0.25, math.log(4)]
    assert np.isnan(rows.values[:, [1, 2, 4]]).all()


def test_domain_error_names_the_node_inside_a_product() -> None:
    expression = adcalc.parse("x * sqrt(y - 2)")
    run = plan([expression.root], ["value"], ["x", "y"])
    rows = evaluate_rows(run, [expression.root], {"x": np.array([1.0, 1.0]), "y": np.array([3.0, 1.0])})
    assert rows.errors == {1: "sqrt(-1) is undefined"}
