"""Every program in examples/ runs through the command line and gives independently known numbers."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import run_inprocess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def run(capsys: pytest.CaptureFixture[str], command: str, name: str, at: str) -> dict:
    done = run_inprocess([command, str(EXAMPLES / name), "--at", at, "--json"], capsys)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


def rosenbrock(capsys: pytest.CaptureFixture[str]) -> None:
    x = np.array([-1.2, 1.0, -1.2, 1.0])
    found = run(capsys, "grad", "rosenbrock.adl", "x=[-1.2, 1, -1.2, 1]")
    # ∂f/∂xᵢ = −400 xᵢ (xᵢ₊₁ − xᵢ²) − 2 (1 − xᵢ) + 200 (xᵢ − xᵢ₋₁²)
    expected = np.zeros(4)
    expected[:-1] += -400 * x[:-1] * (x[1:] - x[:-1] ** 2) - 2 * (1 - x[:-1])
    expected[1:] += 200 * (x[1:] - x[:-1] ** 2)
    assert found["value"] == pytest.approx(532.4)
    np.testing.assert_allclose(found["gradient"]["x"], expected, rtol=1e-13)


def mlp(capsys: pytest.CaptureFixture[str]) -> None:
    w1 = np.array([[0.5, -0.4], [0.3, 0.8], [-0.6, 0.2]])
    b1, w2, b2 = np.array([0.0, 0.1, -0.1]), np.array([[0.7, -0.5, 0.4]]), np.array([0.05])
    at = "W1=[[0.5,-0.4],[0.3,0.8],[-0.6,0.2]],b1=[0,0.1,-0.1],W2=[[0.7,-0.5,0.4]],b2=[0.05]"
    found = run(capsys, "grad", "mlp.adl", at)
    # backpropagation written out by hand
    x, y = np.array([[0, 0], [0, 1], [1, 0], [1, 1.0]]), np.array([[0], [1], [1], [0.0]])
    h = np.tanh(x @ w1.T + b1)
    p = h @ w2.T + b2
    dp = 2 * (p - y) / p.size
    dh = (dp @ w2) * (1 - h**2)
    assert found["value"] == pytest.approx(np.mean((p - y) ** 2), rel=1e-14)
    np.testing.assert_allclose(found["gradient"]["W2"], dp.T @ h, rtol=1e-12)
    np.testing.assert_allclose(found["gradient"]["b2"], dp.sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(found["gradient"]["W1"], dh.T @ x, rtol=1e-12)
    np.testing.assert_allclose(found["gradient"]["b1"], dh.sum(axis=0), rtol=1e-12)


def least_squares(capsys: pytest.CaptureFixture[str]) -> None:
    a, b = np.array([[1, 1], [1, 2], [1, 3], [1, 4.0]]), np.array([6, 5, 7, 10.0])
    solution = np.linalg.solve(a.T @ a, a.T @ b)  # the normal equations
    x1, x2 = map(float, solution)
    at_solution = run(capsys, "grad", "least_squares.adl", f"x1={x1!r},x2={x2!r}")
    assert max(map(abs, at_solution["gradient"].values())) < 1e-12
    at_zero = run(capsys, "hessian", "least_squares.adl", "x1=0,x2=0")
    np.testing.assert_allclose(list(at_zero["gradient"].values()), -2 * a.T @ b)
    hessian = [[at_zero["hessian"][i][j] for j in ("x1", "x2")] for i in ("x1", "x2")]
    np.testing.assert_allclose(hessian, 2 * a.T @ a)


def pendulum(capsys: pytest.CaptureFixture[str]) -> None:
    found = run(capsys, "grad", "pendulum.adl", "theta0=0.5,L=1.2")
    # the same steps with their tangents carried along by hand (forward sensitivity equations)
    g, dt, length = 9.81, 0.001, 1.2
    theta, omega = 0.5, 0.0
    d_theta, d_omega = np.array([1.0, 0.0]), np.zeros(2)  # derivatives by (theta0, L)
    for _ in range(1000):
        k = dt * g / length
        d_k = np.array([0.0, -dt * g / length**2])
        d_omega = d_omega - (d_k * math.sin(theta) + k * math.cos(theta) * d_theta)
        omega = omega - k * math.sin(theta)
        d_theta = d_theta + dt * d_omega
        theta = theta + dt * omega
    assert found["value"] == pytest.approx(theta, rel=1e-13)
    np.testing.assert_allclose([found["gradient"]["theta0"], found["gradient"]["L"]], d_theta, rtol=1e-10)


def logdet(capsys: pytest.CaptureFixture[str]) -> None:
    a = np.array([[4.0, 1, 0], [1, 3, 1], [0, 1, 2]])
    found = run(capsys, "grad", "logdet.adl", "A=[[4,1,0],[1,3,1],[0,1,2]]")
    assert found["value"] == pytest.approx(math.log(np.linalg.det(a)), rel=1e-14)
    np.testing.assert_allclose(found["gradient"]["A"], np.linalg.inv(a).T, rtol=1e-12)


def custom_op(capsys: pytest.CaptureFixture[str]) -> None:
    t = 0.7
    found = run(capsys, "grad", "custom_op.adl", f"t={t}")
    softplus, sigmoid = math.log1p(math.exp(t)), 1 / (1 + math.exp(-t))
    assert found["value"] == pytest.approx(softplus * t**3, rel=1e-14)
    assert found["gradient"]["t"] == pytest.approx(sigmoid * t**3 + softplus * 3 * t**2, rel=1e-14)
    checked = run(capsys, "check", "custom_op.adl", f"t={t}")  # the rules agree with differences
    differences = next(m for m in checked["methods"] if m["method"] == "central differences")
    assert differences["max_error"] < 1e-8


def rosenbrock100(capsys: pytest.CaptureFixture[str]) -> None:
    x = np.array(json.loads((EXAMPLES / "rosenbrock100_start.json").read_text()))
    found = run(capsys, "grad", "rosenbrock100.adl", f"x=@{EXAMPLES / 'rosenbrock100_start.json'}")
    a, b = x[0::2], x[1::2]  # the 50 pairs (x[2i-1], x[2i])
    expected = np.empty(100)
    expected[0::2] = -400 * a * (b - a**2) - 2 * (1 - a)
    expected[1::2] = 200 * (b - a**2)
    assert found["value"] == pytest.approx(50 * 24.2)
    np.testing.assert_allclose(found["gradient"]["x"], expected, rtol=1e-13)


CASES = {
    "rosenbrock.adl": rosenbrock,
    "rosenbrock100.adl": rosenbrock100,
    "mlp.adl": mlp,
    "least_squares.adl": least_squares,
    "pendulum.adl": pendulum,
    "logdet.adl": logdet,
    "custom_op.adl": custom_op,
}


def test_every_example_has_a_check() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.adl")) == sorted(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_example(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    CASES[name](capsys)
