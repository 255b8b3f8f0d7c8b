"""Acceptance matrix for "one derivative engine": every command on every kind of input, one answer.

Each command (eval grad jvp jacobian hessian hvp taylor diff explain check graph batch, and the
`adcalc.compile` / `adcalc.hessian_function` API) runs on three kinds of input:

  formula         a scalar formula        x^2*y + sin(x*y)            at x = 0.7, y = -1.3
  scalar_program  a scalar .adl program   the same function, with a loop and an `if`
  array_program   vector and matrix input f = x'Ax + Σ sin(x)         at A = [[2,1],[0.5,3]], x = [0.3,-0.7]

The expected numbers are never adcalc's own: they come from the closed forms below (formulas in
the comments), and the first tests of this file check those closed forms against complex-step and
central differences, so a failure further down is the product's, not the truth's.
"""

from __future__ import annotations

import ast
import cmath
import csv
import io
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import adcalc
import numpy as np
import pytest

from tests.cli.helpers import Outcome, run_inprocess

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
EXACT = {"rtol": 1e-12, "atol": 1e-12}  # AD against a closed form: rounding only
DIFFERENCES = {"rtol": 1e-6, "atol": 1e-8}  # central differences inside adcalc check

# ================================================================================================
# Truth, by hand
# ================================================================================================

# --- (a)/(b) scalar: f(x, y) = s·x²·y + sin(x·y), where s = 1 for the formula; the program's
# `if x > 0 { q = x^2 } else { q = -x^2 }` makes s = sign(x) (so the two agree at x = 0.7).
#   ∂f/∂x   = 2·s·x·y + y·cos(xy)          ∂f/∂y   = s·x² + x·cos(xy)
#   ∂²f/∂x² = 2·s·y − y²·sin(xy)           ∂²f/∂y² = −x²·sin(xy)
#   ∂²f/∂x∂y = 2·s·x + cos(xy) − xy·sin(xy)
#   d³f/dx³ = −y³·cos(xy)                  d⁴f/dx⁴ = y⁴·sin(xy)
X0, Y0 = 0.7, -1.3
FORMULA = "x^2*y + sin(x*y)"
SCALAR_PROGRAM = """\
# the formula as a program: a loop that builds x*y in three steps, and a branch on x
input x, y
s = 0
for k in 1..3 {
    s = s + x*y/3
}
if x > 0 {
    q = x^2
} else {
    q = -x^2
}
f = q*y + sin(s)
"""


def scalar_f(x: Any, y: Any, s: float = 1.0) -> Any:
    return s * x**2 * y + (cmath.sin(x * y) if isinstance(x * y, complex) else math.sin(x * y))


def scalar_grad(x: float, y: float, s: float = 1.0) -> dict[str, float]:
    return {"x": 2 * s * x * y + y * math.cos(x * y), "y": s * x**2 + x * math.cos(x * y)}


def scalar_hessian(x: float, y: float, s: float = 1.0) -> dict[str, dict[str, float]]:
    xy = x * y
    fxy = 2 * s * x + math.cos(xy) - xy * math.sin(xy)
    return {
        "x": {"x": 2 * s * y - y**2 * math.sin(xy), "y": fxy},
        "y": {"x": fxy, "y": -(x**2) * math.sin(xy)},
    }


def scalar_x_derivatives(x: float, y: float) -> list[float]:
    """f, f', f'', f''', f'''' in x (y fixed), for the formula (s = 1)."""
    xy = x * y
    return [
        scalar_f(x, y),
        2 * x * y + y * math.cos(xy),
        2 * y - y**2 * math.sin(xy),
        -(y**3) * math.cos(xy),
        y**4 * math.sin(xy),
    ]


# second output for the scalar Jacobians: g(x, y) = x·y − y, ∂g/∂x = y, ∂g/∂y = x − 1
SECOND_FORMULA = "x*y - y"


def second_grad(x: float, y: float) -> dict[str, float]:
    return {"x": y, "y": x - 1}


# --- (c) arrays: f(A, x) = xᵀAx + Σ sin(xᵢ)
#   ∂f/∂A = x xᵀ                              ∂f/∂x = (A + Aᵀ)x + cos(x)
#   ∂²f/∂x∂x = A + Aᵀ − diag(sin x)           ∂²f/∂A∂A = 0
#   ∂²f/∂xₖ∂A_ij = δ_ik x_j + x_i δ_jk        (block x/A shaped [2] + [2,2], A/x its transpose)
#   g(A, x) = A x + x²   (element-wise square): ∂g_i/∂A_jk = δ_ij x_k, ∂g/∂x = A + diag(2x)
A0 = np.array([[2.0, 1.0], [0.5, 3.0]])
XV0 = np.array([0.3, -0.7])
ARRAY_PROGRAM = """\
input A[2,2], x[2]
f = x' @ A @ x + sum(sin(x))
"""
ARRAY_SECOND = "g = A @ x + x^2\n"


def array_f(A: np.ndarray, x: np.ndarray) -> float:
    return float(x @ A @ x + np.sum(np.sin(x)))


def array_g(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    return A @ x + x**2


def array_grad(A: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    return {"A": np.outer(x, x), "x": (A + A.T) @ x + np.cos(x)}


def array_hessian(A: np.ndarray, x: np.ndarray) -> dict[str, dict[str, np.ndarray]]:
    n = len(x)
    eye = np.eye(n)
    x_a = np.einsum("ki,j->kij", eye, x) + np.einsum("i,jk->kij", x, eye)  # [k, i, j]
    return {
        "A": {"A": np.zeros((n, n, n, n)), "x": np.transpose(x_a, (1, 2, 0))},
        "x": {"A": x_a, "x": A + A.T - np.diag(np.sin(x))},
    }


def array_hessian_flat(A: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The 6×6 Hessian over (A11, A12, A21, A22, x1, x2): row-major elements, inputs in order."""
    blocks = array_hessian(A, x)
    sizes = {"A": A.size, "x": x.size}
    return np.block([[blocks[a][b].reshape(sizes[a], sizes[b]) for b in ("A", "x")] for a in ("A", "x")])


def array_g_jacobian(A: np.ndarray, x: np.ndarray) -> dict[str, np.ndarray]:
    n = len(x)
    return {"A": np.einsum("ij,k->ijk", np.eye(n), x), "x": A + np.diag(2 * x)}


# --- examples/rosenbrock.adl: f = Σᵢ 100(xᵢ₊₁ − xᵢ²)² + (1 − xᵢ)², i = 1 … n−1
#   ∂f/∂xᵢ  += −400 xᵢ (xᵢ₊₁ − xᵢ²) − 2(1 − xᵢ),   ∂f/∂xᵢ₊₁ += 200 (xᵢ₊₁ − xᵢ²)
#   Hᵢᵢ += 1200 xᵢ² − 400 xᵢ₊₁ + 2,   Hᵢ₊₁,ᵢ₊₁ += 200,   Hᵢ,ᵢ₊₁ = Hᵢ₊₁,ᵢ = −400 xᵢ
def rosenbrock(x: np.ndarray) -> float:
    return float(np.sum(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2))


def rosenbrock_grad(x: np.ndarray) -> np.ndarray:
    g = np.zeros_like(x)
    r = x[1:] - x[:-1] ** 2
    g[:-1] += -400 * x[:-1] * r - 2 * (1 - x[:-1])
    g[1:] += 200 * r
    return g


def rosenbrock_hessian(x: np.ndarray) -> np.ndarray:
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


# --- examples/least_squares.adl: f = ‖Ax − b‖², ∇f = 2Aᵀ(Ax − b); A and b are read from the file
def least_squares_data() -> tuple[np.ndarray, np.ndarray]:
    text = (EXAMPLES / "least_squares.adl").read_text()
    found = {
        name: np.array(ast.literal_eval(value.split("#")[0].strip()), dtype=float)
        for name, value in re.findall(r"^(A|b) = (.*)$", text, flags=re.MULTILINE)
    }
    return found["A"], found["b"]


# --- independent numerical derivatives, used only to check the closed forms above
def complex_step_grad(f: Callable[..., Any], point: dict[str, float]) -> dict[str, float]:
    h = 1e-30
    return {name: f(**{**point, name: complex(point[name], h)}).imag / h for name in point}


def central(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """∂f/∂x by central differences over every element of x: shape f.shape + x.shape."""
    x = np.asarray(x, dtype=float)
    columns = []
    for k in range(x.size):
        step = np.zeros(x.size)
        step[k] = h
        plus = np.asarray(f((x.ravel() + step).reshape(x.shape)))
        minus = np.asarray(f((x.ravel() - step).reshape(x.shape)))
        columns.append((plus - minus) / (2 * h))
    out = np.stack(columns, axis=-1)
    return out.reshape(out.shape[:-1] + x.shape)


# ================================================================================================
# The inputs, and how the tests see them
# ================================================================================================


def element_names(name: str, shape: tuple[int, ...]) -> list[str]:
    """'x' for a scalar; 'x[1]', 'x[2]'; 'A[1,1]', 'A[1,2]', ... (1-based, row-major)."""
    if not shape:
        return [name]
    return [f"{name}[{','.join(str(i + 1) for i in index)}]" for index in np.ndindex(*shape)]


def flat(blocks: dict[str, Any], order: list[str]) -> dict[str, float]:
    """{'x': array} -> {'x[1]': ..., 'x[2]': ...}: per-element results as `check` reports them."""
    result = {}
    for name in order:
        value = np.asarray(blocks[name], dtype=float)
        result.update(zip(element_names(name, value.shape), value.ravel().tolist(), strict=True))
    return result


@dataclass
class Kind:
    name: str
    inputs: dict[str, Any]  # name -> value (float or numpy array), in declaration order
    at: str  # the same point, for --at
    direction: dict[str, Any]
    dir: str  # the same direction, for --dir
    value: float
    gradient: dict[str, Any]
    hessian: dict[str, dict[str, Any]]
    scalar: bool

    @property
    def variables(self) -> list[str]:
        return list(self.inputs)

    def jvp(self) -> float:
        return sum(
            float(np.sum(np.asarray(self.gradient[n]) * np.asarray(self.direction[n]))) for n in self.inputs
        )

    def hvp(self) -> dict[str, Any]:
        """H·v, block by block: Σ_b H[a][b] contracted with v[b] over b's axes."""
        out = {}
        for a in self.inputs:
            total = np.zeros(np.shape(self.inputs[a]))
            for b in self.inputs:
                v = np.asarray(self.direction[b], dtype=float)
                block = np.asarray(self.hessian[a][b], dtype=float)
                total = total + np.tensordot(block, v, axes=v.ndim)
            out[a] = total
        return out


SCALAR_POINT = {"x": X0, "y": Y0}
SCALAR_DIRECTION = {"x": 0.4, "y": -2.0}


def _scalar_kind(name: str) -> Kind:
    return Kind(
        name=name,
        inputs=dict(SCALAR_POINT),
        at="x=0.7,y=-1.3",
        direction=dict(SCALAR_DIRECTION),
        dir="x=0.4,y=-2",
        value=scalar_f(X0, Y0),
        gradient=scalar_grad(X0, Y0),
        hessian=scalar_hessian(X0, Y0),
        scalar=True,
    )


DIR_A, DIR_X = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([1.0, -1.0])
KINDS = {
    "formula": _scalar_kind("formula"),
    "scalar_program": _scalar_kind("scalar_program"),
    "array_program": Kind(
        name="array_program",
        inputs={"A": A0, "x": XV0},
        at="A=[[2,1],[0.5,3]],x=[0.3,-0.7]",
        direction={"A": DIR_A, "x": DIR_X},
        dir="A=[[1,2],[3,4]],x=[1,-1]",
        value=array_f(A0, XV0),
        gradient=array_grad(A0, XV0),
        hessian=array_hessian(A0, XV0),
        scalar=False,
    ),
}
ALL = list(KINDS)
SCALAR_KINDS = ["formula", "scalar_program"]


def source(kind: str, tmp_path: Path, two_outputs: bool = False) -> tuple[str, list[str]]:
    """(EXPR argument, output keys of `jacobian --json`) for one kind of input."""
    if kind == "formula":
        return (
            (f"{FORMULA}, {SECOND_FORMULA}", [FORMULA, SECOND_FORMULA])
            if two_outputs
            else (FORMULA, [FORMULA])
        )
    if kind == "scalar_program":
        text = SCALAR_PROGRAM + ("g = x*y - y\noutput f, g\n" if two_outputs else "output f\n")
    else:
        text = ARRAY_PROGRAM + (ARRAY_SECOND + "output f, g\n" if two_outputs else "output f\n")
    path = tmp_path / f"{kind}{'_two' if two_outputs else ''}.adl"
    path.write_text(text)
    return str(path), ["f", "g"] if two_outputs else ["f"]


def second_output(kind: str) -> tuple[Any, dict[str, Any]]:
    """(value, gradient blocks) of the second output g of the two-output inputs."""
    if kind == "array_program":
        return array_g(A0, XV0), array_g_jacobian(A0, XV0)
    return X0 * Y0 - Y0, second_grad(X0, Y0)


# ================================================================================================
# Helpers
# ================================================================================================


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    return run_inprocess(args, capsys)


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    done = run([*args, "--json"], capsys)
    assert done.code == 0, f"exit {done.code}: {done.stderr}"
    return json.loads(done.stdout)


def close(actual: Any, expected: Any, **tolerance: float) -> None:
    """Same shape (nested lists vs numpy arrays) and the same numbers."""
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(expected, dtype=float),
        strict=True,
        **(tolerance or EXACT),
    )


def close_blocks(actual: dict[str, Any], expected: dict[str, Any], **tolerance: float) -> None:
    assert list(actual) == list(expected), f"variables {list(actual)}, expected {list(expected)}"
    for name in expected:
        if isinstance(expected[name], dict):
            close_blocks(actual[name], expected[name], **tolerance)
        else:
            close(actual[name], expected[name], **tolerance)


def assert_refused(done: Outcome, *words: str) -> None:
    """Exit 2 and exactly one line on stderr (under --json, then the JSON error object), no traceback."""
    assert done.code == 2, (
        f"exit {done.code}, expected 2; stdout={done.stdout[:300]!r} stderr={done.stderr!r}"
    )
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    if lines and lines[-1].startswith('{"error"'):  # --json: the error for scripts, last
        assert json.loads(lines.pop())["error"]["exit_code"] == 2
    assert len(lines) == 1 and lines[0].startswith("error:"), done.stderr
    for word in words:
        assert word in lines[0], f"{word!r} not in {lines[0]!r}"


def eval_symbolic(text: str, point: dict[str, float]) -> float:
    """Evaluate printed adcalc text (`t1 = ...` lines, then the result) with Python's math module."""
    names = {name: getattr(math, name) for name in ("sin", "cos", "exp", "log", "sqrt")}
    names["where"] = lambda c, a, b: a if c else b
    names.update(point)
    result = None
    for line in text.strip().splitlines():
        name, equals, right = line.partition("=")
        binding = bool(equals) and name.strip().isidentifier() and not right.startswith("=")
        named = bool(equals) and name.strip().startswith("∂")  # the result, named as diff names it
        value = eval((right if binding or named else line).replace("^", "**"), {"__builtins__": {}}, names)  # noqa: S307
        if binding:
            names[name.strip()] = value
        else:
            result = value
    return float(result)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# ================================================================================================
# 0. The truth is right (closed forms against complex step and central differences)
# ================================================================================================


def test_truth_scalar_closed_forms() -> None:
    for s in (1.0, -1.0):
        point = {"x": X0 if s > 0 else -X0, "y": Y0}
        exact = scalar_grad(point["x"], point["y"], s)
        stepped = complex_step_grad(lambda x, y, s=s: scalar_f(x, y, s), point)
        close(list(stepped.values()), list(exact.values()), rtol=1e-14, atol=1e-14)
        hess = scalar_hessian(point["x"], point["y"], s)
        for name in ("x", "y"):
            row = complex_step_grad(lambda x, y, n=name, s=s: _complex_grad(x, y, s)[n], point)
            close(list(row.values()), list(hess[name].values()), rtol=1e-13, atol=1e-13)
    d = scalar_x_derivatives(X0, Y0)
    for k in range(1, 5):  # each x-derivative is the central difference of the one before
        before = lambda x, k=k: scalar_x_derivatives(float(x), Y0)[k - 1]
        close(central(before, np.array(X0)), d[k], rtol=1e-8, atol=1e-8)


def _complex_grad(x: Any, y: Any, s: float) -> dict[str, Any]:
    """scalar_grad written again with cmath, so the complex step can differentiate it."""
    return {"x": 2 * s * x * y + y * cmath.cos(x * y), "y": s * x**2 + x * cmath.cos(x * y)}


def test_truth_array_closed_forms() -> None:
    grad = array_grad(A0, XV0)
    close(central(lambda A: array_f(A, XV0), A0), grad["A"], rtol=1e-9, atol=1e-9)
    close(central(lambda x: array_f(A0, x), XV0), grad["x"], rtol=1e-9, atol=1e-9)
    hess = array_hessian(A0, XV0)
    for a in ("A", "x"):
        for b in ("A", "x"):

            def ga(v: np.ndarray, a: str = a, b: str = b) -> np.ndarray:
                return array_grad(*(v, XV0) if b == "A" else (A0, v))[a]

            close(central(ga, A0 if b == "A" else XV0), hess[a][b], rtol=1e-8, atol=1e-8)
    jac = array_g_jacobian(A0, XV0)
    close(central(lambda A: array_g(A, XV0), A0), jac["A"], rtol=1e-9, atol=1e-9)
    close(central(lambda x: array_g(A0, x), XV0), jac["x"], rtol=1e-9, atol=1e-9)
    flat_h = array_hessian_flat(A0, XV0)
    v = np.concatenate([A0.ravel(), XV0])
    unflat = lambda v: array_f(v[:4].reshape(2, 2), v[4:])
    fd = central(lambda w: central(unflat, w, 1e-4), v, 1e-4)
    close(flat_h, fd, rtol=1e-5, atol=1e-5)
    np.testing.assert_array_equal(flat_h, flat_h.T)


def test_truth_examples_closed_forms() -> None:
    x = np.linspace(-1.2, 1.1, 7)
    close(central(rosenbrock, x), rosenbrock_grad(x), rtol=1e-8, atol=1e-6)
    close(central(rosenbrock_grad, x), rosenbrock_hessian(x), rtol=1e-8, atol=1e-5)
    close(rosenbrock_hessian(np.array([-1.2, 1, -1.2, 1]))[0, :2], [1330.0, 480.0])  # README's table
    A, b = least_squares_data()
    assert A.shape == (4, 2) and b.shape == (4,)
    p = np.array([1.0, -2.0])
    close(central(lambda q: float(np.sum((A @ q - b) ** 2)), p), 2 * A.T @ (A @ p - b), rtol=1e-9, atol=1e-8)
    assert float(np.sum((A @ np.zeros(2) - b) ** 2)) == 210.0  # README: least_squares at 0 is 210


@pytest.mark.parametrize("kind", ["formula", "array_program"])
def test_truth_directional_derivatives(kind: str) -> None:
    """∇f·v and H·v of each kind against central differences along v (of f, and of the gradient)."""
    truth = KINDS[kind]
    if truth.scalar:
        f = lambda p: scalar_f(p["x"], p["y"])
        g = lambda p: scalar_grad(p["x"], p["y"])
    else:
        f = lambda p: array_f(p["A"], p["x"])
        g = lambda p: array_grad(p["A"], p["x"])
    along = lambda t: {n: truth.inputs[n] + t * np.asarray(truth.direction[n]) for n in truth.inputs}
    close(central(lambda t: f(along(float(t))), np.array(0.0)), truth.jvp(), rtol=1e-9, atol=1e-9)
    close(
        central(lambda t: f(along(float(t))), np.array(0.0)),
        sum(float(np.sum(np.asarray(truth.gradient[n]) * truth.direction[n])) for n in truth.inputs),
        rtol=1e-9,
        atol=1e-9,
    )
    hvp = truth.hvp()
    for name in truth.inputs:
        fd = central(lambda t, name=name: np.asarray(g(along(float(t)))[name]), np.array(0.0))
        close(fd, hvp[name], rtol=1e-8, atol=1e-8)


def test_truth_scalar_program_is_the_formula() -> None:
    """The program's steps, carried out by hand, give the formula at the test point."""
    s = 0.0
    for _ in range(3):
        s = s + X0 * Y0 / 3
    q = X0**2 if X0 > 0 else -(X0**2)
    assert math.isclose(q * Y0 + math.sin(s), scalar_f(X0, Y0), rel_tol=1e-14)


# ================================================================================================
# 1. The matrix: every command × every kind of input
# ================================================================================================


@pytest.mark.parametrize("kind", ALL)
def test_eval(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["eval", expr, "--at", truth.at], capsys)
    close(document["value"], truth.value)


@pytest.mark.parametrize("mode", ["reverse", "forward"])
@pytest.mark.parametrize("kind", ALL)
def test_grad(kind: str, mode: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["grad", expr, "--at", truth.at, "--mode", mode], capsys)
    close(document["value"], truth.value)
    close_blocks(document["gradient"], truth.gradient)


@pytest.mark.parametrize("kind", ALL)
def test_grad_forward_and_reverse_agree(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expr, _ = source(kind, tmp_path)
    at = KINDS[kind].at
    reverse = run_json(["grad", expr, "--at", at], capsys)
    forward = run_json(["grad", expr, "--at", at, "--mode", "forward"], capsys)
    assert forward["value"] == reverse["value"]
    close_blocks(forward["gradient"], reverse["gradient"], rtol=1e-14, atol=1e-15)


@pytest.mark.parametrize("kind", ALL)
def test_jvp(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["jvp", expr, "--at", truth.at, "--dir", truth.dir], capsys)
    close(document["value"], truth.value)
    close(document["directional"], truth.jvp())  # ∇f·v


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
@pytest.mark.parametrize("kind", ALL)
def test_jacobian_one_output(
    kind: str, mode: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expr, keys = source(kind, tmp_path)
    truth = KINDS[kind]
    args = ["jacobian", expr, "--at", truth.at, *(["--mode", mode] if mode else [])]
    document = run_json(args, capsys)
    assert document["variables"] == truth.variables
    close(list(document["value"].values())[0], truth.value)
    close_blocks(document["jacobian"][keys[0]], truth.gradient)  # a scalar output: blocks = gradient


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
@pytest.mark.parametrize("kind", ALL)
def test_jacobian_two_outputs(
    kind: str, mode: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Blocks ∂out/∂in shaped out.shape + in.shape; g is a vector for the array program."""
    expr, keys = source(kind, tmp_path, two_outputs=True)
    truth = KINDS[kind]
    g_value, g_blocks = second_output(kind)
    args = ["jacobian", expr, "--at", truth.at, *(["--mode", mode] if mode else [])]
    document = run_json(args, capsys)
    assert document["outputs"] == keys
    assert document["variables"] == truth.variables
    close(list(document["value"].values())[0], truth.value)
    close(list(document["value"].values())[1], g_value)
    close_blocks(document["jacobian"][keys[0]], truth.gradient)
    close_blocks(document["jacobian"][keys[1]], g_blocks)


@pytest.mark.parametrize("kind", ALL)
def test_hessian(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["hessian", expr, "--at", truth.at], capsys)
    close(document["value"], truth.value)
    close_blocks(document["gradient"], truth.gradient)
    close_blocks(document["hessian"], truth.hessian)
    assert isinstance(document["directions"], int) and document["directions"] >= 1


@pytest.mark.parametrize("kind", ALL)
def test_hvp(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["hvp", expr, "--at", truth.at, "--dir", truth.dir], capsys)
    close(document["value"], truth.value)
    close_blocks(document["hvp"], truth.hvp())


@pytest.mark.parametrize("kind", ALL)
def test_taylor(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Taylor series in x (y fixed): coefficients f⁽ᵏ⁾/k!. On arrays: a refusal, or the right value."""
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    done = run(["taylor", expr, "--at", truth.at, "--wrt", "x", "--order", "4", "--json"], capsys)
    if not truth.scalar:
        if done.code == 2:
            return assert_refused(done)
        assert done.code == 0, done.stderr
        close(json.loads(done.stdout)["coefficients"][0], truth.value)
        return None
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    derivatives = scalar_x_derivatives(X0, Y0)
    close(document["derivatives"], derivatives)
    close(document["coefficients"], [d / math.factorial(k) for k, d in enumerate(derivatives)])


@pytest.mark.parametrize("kind", ALL)
def test_grad_order_k(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """grad --order 3 --wrt x is d³f/dx³ = −y³cos(xy); on arrays a refusal (exit 2)."""
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    done = run(["grad", expr, "--at", truth.at, "--order", "3", "--wrt", "x", "--json"], capsys)
    if not truth.scalar:
        if done.code == 2:
            return assert_refused(done)
        assert done.code == 0, done.stderr
        return None
    assert done.code == 0, done.stderr
    close(json.loads(done.stdout)["derivative"], scalar_x_derivatives(X0, Y0)[3])
    return None


@pytest.mark.parametrize("kind", ALL)
def test_diff(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The printed derivative, evaluated at the point (by Python, not by adcalc), is the gradient."""
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    done = run(["diff", expr, "--json"], capsys)
    if not truth.scalar and done.code == 2:
        return assert_refused(done)
    assert done.code == 0, done.stderr
    texts = json.loads(done.stdout)["symbolic"]
    assert list(texts) == truth.variables
    for name in truth.variables:
        if truth.scalar:
            close(eval_symbolic(texts[name], SCALAR_POINT), truth.gradient[name])
        else:  # array derivatives: evaluate the printed text as a program with `adcalc eval`
            program = tmp_path / f"d_{name}.adl"
            lines = texts[name].strip().splitlines()
            program.write_text(
                "input A[2,2], x[2]\n"
                + "\n".join(lines[:-1])
                + f"\nd_result = {lines[-1]}\noutput d_result\n"
            )
            value = run_json(["eval", str(program), "--at", truth.at], capsys)["value"]
            close(value, truth.gradient[name])
    return None


@pytest.mark.parametrize("kind", ALL)
def test_explain_reverse(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    done = run(["explain", expr, "--at", truth.at, "--json"], capsys)
    if not truth.scalar and done.code == 2:
        return assert_refused(done)
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    close(document["value"], truth.value)
    close_blocks(document["gradient"], truth.gradient)
    return None


@pytest.mark.parametrize("kind", ALL)
def test_explain_forward(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    done = run(["explain", expr, "--at", truth.at, "--mode", "forward", "--dir", truth.dir, "--json"], capsys)
    if not truth.scalar and done.code == 2:
        return assert_refused(done)
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    close(document["value"], truth.value)
    close(document["directional"], truth.jvp())
    return None


SCALAR_METHODS = ["reverse AD", "forward AD", "central differences", "complex step", "symbolic (diff)"]
ARRAY_METHODS = ["reverse AD", "forward AD", "central differences"]  # the others may be "not applicable"


@pytest.mark.parametrize("kind", ALL)
def test_check(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every method row's gradient agrees with the truth, per element for arrays ('A[1,2]', 'x[1]')."""
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["check", expr, "--at", truth.at], capsys)
    close(document["value"], truth.value)
    expected = flat(truth.gradient, truth.variables)
    assert document["elements"] == list(expected) and document["variables"] == truth.variables
    rows = {row["method"]: row for row in document["methods"]}
    required = SCALAR_METHODS if truth.scalar else ARRAY_METHODS
    assert set(required) <= set(rows), f"methods {list(rows)}"
    for method, row in rows.items():
        if row["gradient"] is None:
            assert method not in required, f"{method} gave no gradient: {row['note']}"
            assert "not applicable" in row["note"]
            continue
        assert list(row["gradient"]) == truth.variables, method  # shaped as grad's, by input
        tolerance = DIFFERENCES if method == "central differences" else EXACT
        for name in truth.variables:
            close(row["gradient"][name], truth.gradient[name], **tolerance)


GRAPH_OPS: dict[str, Callable[..., Any]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "pow": np.power,
    "neg": np.negative,
    "sin": np.sin,
    "cos": np.cos,
    "exp": np.exp,
    "log": np.log,
    "gt": np.greater,
    "lt": np.less,
    "ge": np.greater_equal,
    "le": np.less_equal,
    "where": lambda c, a, b: np.where(c != 0, a, b),
    "matmul": np.matmul,
    "transpose": np.transpose,
    "sum": np.sum,
    "dot": np.dot,
}


def evaluate_graph(nodes: list[dict[str, Any]], point: dict[str, Any]) -> dict[str, Any]:
    """Run the node list of `graph --json` with numpy: the drawn DAG must compute the function."""
    values: dict[str, Any] = {}
    for node in nodes:
        if node["op"] == "var":
            values[node["id"]] = np.asarray(point[node["name"]], dtype=float)
        elif node["op"] == "const":
            values[node["id"]] = np.asarray(node["value"], dtype=float)
        else:
            assert node["op"] in GRAPH_OPS, f"op {node['op']!r} unknown to this test's interpreter"
            values[node["id"]] = GRAPH_OPS[node["op"]](*(values[i] for i in node["inputs"]))
    return values


@pytest.mark.parametrize("kind", ALL)
def test_graph(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The DAG of `graph --json`, run by a numpy interpreter here, computes every output."""
    truth = KINDS[kind]
    if kind == "formula":  # one formula, one root
        expr, expected = FORMULA, {None: truth.value}
    else:  # a program draws every output: f, and g (a vector for the array program)
        expr, _ = source(kind, tmp_path, two_outputs=True)
        expected = {"f": truth.value, "g": second_output(kind)[0]}
    document = run_json(["graph", expr], capsys)
    nodes = document["nodes"]
    assert document["count"] == len(nodes)
    assert sorted(n["name"] for n in nodes if n["op"] == "var") == sorted(truth.variables)
    values = evaluate_graph(nodes, truth.inputs)
    roots = {None: document["root"]} if kind == "formula" else document["output_nodes"]
    assert list(roots) == list(expected)
    for output, value in expected.items():
        close(np.squeeze(values[roots[output]]), value)
    for form in ("dot", "tree"):
        done = run(["graph", expr, "--format", form], capsys)
        assert done.code == 0 and done.stdout.strip(), done.stderr


BATCH_POINTS = [(0.7, -1.3), (2.0, 0.5), (-0.4, 1.1)]  # x < 0 takes the program's other branch


@pytest.mark.parametrize("kind", ALL)
def test_batch(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Value, gradient and Hessian columns per row; an array-input program is refused (exit 2)."""
    expr, _ = source(kind, tmp_path)
    table = tmp_path / "points.csv"
    if not KINDS[kind].scalar:
        table.write_text("id,A,x\na,1,2\n")
        return assert_refused(run(["batch", expr, "-i", str(table)], capsys))
    table.write_text("id,x,y\n" + "".join(f"r{i},{x},{y}\n" for i, (x, y) in enumerate(BATCH_POINTS)))
    done = run(["batch", expr, "-i", str(table), "--hessian", "--quiet"], capsys)
    assert done.code == 0, done.stderr
    rows = read_csv(done.stdout)
    assert [row["id"] for row in rows] == ["r0", "r1", "r2"]
    for row, (x, y) in zip(rows, BATCH_POINTS, strict=True):
        s = 1.0 if kind == "formula" or x > 0 else -1.0
        grad, hess = scalar_grad(x, y, s), scalar_hessian(x, y, s)
        close(float(row["value"]), scalar_f(x, y, s))
        close([float(row["d_x"]), float(row["d_y"])], [grad["x"], grad["y"]])
        close(
            [float(row["d2_x_x"]), float(row["d2_x_y"]), float(row["d2_y_y"])],
            [hess["x"]["x"], hess["x"]["y"], hess["y"]["y"]],
        )
    return None


def _api_source(kind: str, tmp_path: Path) -> str:
    """What the Python API takes: the formula, or the program's text."""
    expr, _ = source(kind, tmp_path)
    return expr if kind == "formula" else Path(expr).read_text()


@pytest.mark.parametrize("kind", ALL)
def test_compile_grad(kind: str, tmp_path: Path) -> None:
    """adcalc.compile(...).grad(**point): (value, {name: gradient}), arrays for array inputs."""
    expr, _ = source(kind, tmp_path)  # a formula, or a program's path
    truth = KINDS[kind]
    compiled = adcalc.compile(expr)
    value, gradient = compiled.grad(**truth.inputs)
    close(value, truth.value)
    close_blocks({name: gradient[name] for name in truth.variables}, truth.gradient)
    close(compiled.value(**truth.inputs), truth.value)


def _hessian_truth_flat(kind: str) -> np.ndarray:
    truth = KINDS[kind]
    if truth.scalar:
        return np.array([[truth.hessian[a][b] for b in "xy"] for a in "xy"])
    return array_hessian_flat(A0, XV0)


@pytest.mark.parametrize("kind", ALL)
def test_hessian_function_on_a_flat_vector(kind: str, tmp_path: Path) -> None:
    """h(v) with v the input elements flattened row-major, inputs in order: the n×n Hessian."""
    h = adcalc.hessian_function(_api_source(kind, tmp_path))
    truth = KINDS[kind]
    v = np.concatenate([np.ravel(truth.inputs[name]) for name in truth.variables])
    close(h(v), _hessian_truth_flat(kind))


@pytest.mark.parametrize("kind", ALL)
def test_hessian_function_on_a_mapping(kind: str, tmp_path: Path) -> None:
    h = adcalc.hessian_function(_api_source(kind, tmp_path))
    result = np.asarray(h(dict(KINDS[kind].inputs)))
    close(result, _hessian_truth_flat(kind))
    np.testing.assert_array_equal(result, result.T)


# ================================================================================================
# 2. Specified behaviours
# ================================================================================================


@pytest.mark.parametrize("command", ["grad", "hessian", "check"])
def test_an_array_for_a_formula_input_is_a_vector_input(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """x = [1, 2] makes x*y a vector: grad, hessian and check refuse, pointing to jacobian."""
    assert_refused(run([command, "x*y", "--at", "x=[1,2],y=3", "--json"], capsys), "jacobian")


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_a_vector_formula(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    # f = x*y with x = [1, 2], y = 3:  ∂f/∂x = y·I = [[3, 0], [0, 3]],  ∂f/∂y = x = [1, 2]
    document = run_json(["jacobian", "x*y", "--at", "x=[1,2],y=3", "--mode", mode], capsys)
    close(list(document["value"].values())[0], [3.0, 6.0])
    close_blocks(document["jacobian"]["x*y"], {"x": [[3.0, 0.0], [0.0, 3.0]], "y": [1.0, 2.0]})


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
def test_jacobian_of_the_identity_is_the_identity(
    mode: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    # x = [1, 2]:  ∂(x)/∂x = I,  ∂(x²)/∂x = diag(2x) = diag(2, 4)
    args = ["jacobian", "x^2, x", "--at", "x=[1,2]", *(["--mode", mode] if mode else [])]
    document = run_json(args, capsys)
    close(list(document["value"].values())[0], [1.0, 4.0])
    close(list(document["value"].values())[1], [1.0, 2.0])
    close(document["jacobian"]["x^2"]["x"], [[2.0, 0.0], [0.0, 4.0]])
    close(document["jacobian"]["x"]["x"], np.eye(2))


THIRD = 1 / 3


@pytest.mark.parametrize(
    ("expr", "at", "expected"),
    [
        ("max(x,y,z)", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("max(max(x,y),z)", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("max(x,max(y,z))", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("max(z,x,y)", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("min(x,y,z)", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("min(min(x,y),z)", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("min(x,min(y,z))", "x=1,y=1,z=1", [THIRD, THIRD, THIRD]),
        ("max(max(x,y),z)", "x=1,y=0,z=1", [0.5, 0.0, 0.5]),  # two of three tied
        ("max(x,max(y,z))", "x=1,y=1,z=0", [0.5, 0.5, 0.0]),
        ("max(y,x)", "x=1,y=1", [0.5, 0.5]),  # two arguments: the documented 1/2 each
    ],
)
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_ties_split_evenly_among_all_tied_arguments(
    expr: str, at: str, expected: list[float], mode: str, capsys: pytest.CaptureFixture[str]
) -> None:
    document = run_json(["grad", expr, "--at", at, "--mode", mode], capsys)
    assert document["value"] == 1.0
    gradient = document["gradient"]  # keys in order of first appearance: compare by name
    names = "xyz"[: len(expected)]
    assert sorted(gradient) == list(names), gradient
    close([gradient[name] for name in names], expected, rtol=1e-14, atol=1e-15)


UNUSED = ["--at", "x=0,y=1"]  # f = x^2: ∂f/∂x = 0, ∂f/∂y = 0 (y given, not used), ∂²f/∂x² = 2


@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_unused_variable_grad(mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["grad", "x^2", *UNUSED, "--mode", mode], capsys)
    assert document["gradient"] == {"x": 0.0, "y": 0.0}


def test_unused_variable_hessian(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["hessian", "x^2", *UNUSED], capsys)
    assert document["gradient"] == {"x": 0.0, "y": 0.0}
    assert document["hessian"] == {"x": {"x": 2.0, "y": 0.0}, "y": {"x": 0.0, "y": 0.0}}


@pytest.mark.parametrize("mode", [None, "forward", "reverse"])
def test_unused_variable_jacobian(mode: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["jacobian", "x^2", *UNUSED, *(["--mode", mode] if mode else [])], capsys)
    assert document["variables"] == ["x", "y"]
    assert document["jacobian"] == {"x^2": {"x": 0.0, "y": 0.0}}


def test_unused_variable_hvp(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["hvp", "x^2", *UNUSED, "--dir", "x=1,y=1"], capsys)
    assert document["hvp"] == {"x": 2.0, "y": 0.0}  # H·v = [[2, 0], [0, 0]]·[1, 1]


def test_unused_variable_check(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["check", "x^2", *UNUSED], capsys)
    assert document["variables"] == ["x", "y"]
    for row in document["methods"]:
        assert row["gradient"] == {"x": 0.0, "y": 0.0}, row["method"]


@pytest.mark.parametrize(
    ("command", "expr", "at", "constant"),
    [
        ("eval", "x+e", "x=1,e=2", "e"),
        ("eval", "x+pi", "x=1,pi=3", "pi"),
        ("eval", "x+e", "x=1,pi=3", "pi"),
        ("grad", "x+e", "x=1,e=2", "e"),
    ],
)
def test_a_constant_cannot_be_given_a_value(
    command: str, expr: str, at: str, constant: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run([command, expr, "--at", at], capsys)
    assert_refused(done, "constant")
    assert re.search(rf"\b{constant}\b", done.stderr), done.stderr


TWO_SCALAR_OUTPUTS = "input x, y\nf = x^2*y\ng = sin(x) + y\noutput f, g\n"
# f = x²y: ∂f/∂x = 2xy, ∂f/∂y = x²;   g = sin x + y: ∂g/∂x = cos x, ∂g/∂y = 1


def _tokens(column: str) -> set[str]:
    """'value_f' -> {'value', 'f'}; 'd_f_x' / 'df_dx' / 'd_x_f' -> {'f', 'x'} (a leading d dropped)."""
    return {t.removeprefix("d") for t in re.split(r"[^A-Za-z0-9]+", column)} - {""}


@pytest.mark.parametrize("grad", [False, True])
def test_batch_two_outputs(grad: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Every output is its own value column (value_f, value_g or similar), and with --grad its gradient."""
    program = tmp_path / "two.adl"
    program.write_text(TWO_SCALAR_OUTPUTS)
    table = tmp_path / "points.csv"
    table.write_text("x,y\n0.7,-1.3\n2,0.5\n")
    done = run(["batch", str(program), "-i", str(table), "--quiet", *(["--grad"] if grad else [])], capsys)
    assert done.code == 0, done.stderr
    rows = read_csv(done.stdout)
    columns = list(rows[0])
    value_columns = {out: [c for c in columns if "value" in c and out in _tokens(c)] for out in ("f", "g")}
    assert all(len(found) == 1 for found in value_columns.values()), f"value columns of f and g in {columns}"
    for row, (x, y) in zip(rows, [(0.7, -1.3), (2.0, 0.5)], strict=True):
        close(float(row[value_columns["f"][0]]), x**2 * y)
        close(float(row[value_columns["g"][0]]), math.sin(x) + y)
        if not grad:
            continue
        expected = {("f", "x"): 2 * x * y, ("f", "y"): x**2, ("g", "x"): math.cos(x), ("g", "y"): 1.0}
        for (out, var), number in expected.items():
            found = [c for c in columns if "value" not in c and _tokens(c) == {out, var}]
            assert len(found) == 1, f"one column for ∂{out}/∂{var} in {columns}"
            close(float(row[found[0]]), number)


def test_batch_least_squares(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Scalar inputs and output, arrays only inside: f = ‖Ax − b‖², ∇f = 2Aᵀ(Ax − b)."""
    A, b = least_squares_data()
    points = [(0.0, 0.0), (3.5, 1.4), (1.0, -2.0)]
    table = tmp_path / "points.csv"
    table.write_text("x1,x2\n" + "".join(f"{p},{q}\n" for p, q in points))
    done = run(["batch", str(EXAMPLES / "least_squares.adl"), "-i", str(table), "--grad", "--quiet"], capsys)
    assert done.code == 0, done.stderr
    rows = read_csv(done.stdout)
    for row, point in zip(rows, points, strict=True):
        p = np.array(point)
        r = A @ p - b
        close(float(row["value"]), float(r @ r))
        close([float(row["d_x1"]), float(row["d_x2"])], 2 * A.T @ r)


@pytest.mark.parametrize("n", [10, 100])
def test_rosenbrock_hessian_sweeps_do_not_grow(
    n: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The Hessian is tridiagonal: a colouring needs at most 3 forward sweeps, whatever n."""
    text = (EXAMPLES / "rosenbrock.adl").read_text()
    assert "param n = 4" in text
    program = tmp_path / f"rosenbrock_{n}.adl"
    program.write_text(text.replace("param n = 4", f"param n = {n}"))
    x = np.round(np.linspace(-1.2, 1.1, n) + 0.05 * np.sin(np.arange(n)), 6)
    at = "x=[" + ",".join(repr(float(v)) for v in x) + "]"
    document = run_json(["hessian", str(program), "--at", at], capsys)
    close(document["value"], rosenbrock(x), rtol=1e-12, atol=1e-9)
    close(document["gradient"]["x"], rosenbrock_grad(x), rtol=1e-12, atol=1e-9)
    close(document["hessian"]["x"]["x"], rosenbrock_hessian(x), rtol=1e-12, atol=1e-9)
    assert document["directions"] <= 3


@pytest.mark.parametrize("kind", SCALAR_KINDS)
def test_explain_gives_the_gradient_of_grad(
    kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    expr, _ = source(kind, tmp_path)
    at = KINDS[kind].at
    explained = run_json(["explain", expr, "--at", at], capsys)
    graded = run_json(["grad", expr, "--at", at], capsys)
    assert explained["value"] == graded["value"]
    close_blocks(explained["gradient"], graded["gradient"], rtol=1e-15, atol=1e-16)
    final = {row["name"]: row["value"] for row in explained["adjoint"][-2:]}  # the x̄, ȳ rows
    close(list(final.values()), [graded["gradient"]["x"], graded["gradient"]["y"]], rtol=1e-15, atol=1e-16)


@pytest.mark.parametrize("kind", ALL)
def test_check_names_every_element(kind: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    expr, _ = source(kind, tmp_path)
    truth = KINDS[kind]
    document = run_json(["check", expr, "--at", truth.at], capsys)
    if truth.scalar:
        assert document["variables"] == document["elements"] == ["x", "y"]
    else:
        assert document["variables"] == ["A", "x"]
        assert document["elements"] == ["A[1,1]", "A[1,2]", "A[2,1]", "A[2,2]", "x[1]", "x[2]"]
