"""One language: every matrix feature of .adl programs works in a one-line expression.

Each matrix function is differentiated inside a one-liner and held to an independent truth: a
closed form computed here with numpy, and central differences of a numpy twin of the expression.
Nothing is compared with adcalc's own earlier output, except where the point is that two spellings
(a .adl file and a one-liner) mean the same thing.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import adcalc
import numpy as np
import pytest
from adcalc.errors import AdcalcError, UsageError
from adcalc.ir.shapes import ShapeError

from tests.cli.helpers import run_inprocess, run_subprocess

Array = np.ndarray

# --- the point: a non-symmetric, well-conditioned A (det 56.25 > 0) and a few vectors ----------
A3 = np.array([[4.0, 1.0, -0.5], [2.0, 3.0, 1.0], [0.5, -1.0, 5.0]])
B3 = np.array([[1.0, -2.0, 0.5], [0.3, 2.0, 1.0], [-1.0, 0.7, 1.5]])
X3 = np.array([0.7, -1.2, 2.0])
Y3 = np.array([1.5, 0.4, -0.8])
B_VEC = np.array([1.0, -2.0, 0.5])
V4 = np.array([0.5, -1.0, 2.0, 1.5])
W4 = np.array([1.0, -2.0, 3.0, 0.25])
ONES3 = np.ones(3)


def softmax(v: Array) -> Array:
    e = np.exp(v - v.max())
    return e / e.sum()


def inv_t(a: Array) -> Array:
    return np.linalg.inv(a).T


def unit(shape: tuple[int, ...], *index: int) -> Array:
    """All zeros but a one at the (0-based) index."""
    out = np.zeros(shape)
    out[index] = 1.0
    return out


@dataclass(frozen=True)
class Case:
    """A one-liner, its point, a numpy twin of the expression, and its closed-form gradient."""

    id: str
    text: str
    at: dict[str, Any]
    f: Callable[..., float]
    grad: Callable[..., dict[str, Any]]


CASES = [
    Case("logdet", "logdet(A)", {"A": A3}, lambda A: np.log(np.linalg.det(A)), lambda A: {"A": inv_t(A)}),
    Case(
        "det",
        "det(A)",
        {"A": A3},
        lambda A: np.linalg.det(A),
        lambda A: {"A": np.linalg.det(A) * inv_t(A)},
    ),
    Case(
        "quadratic-form",
        "x' @ A @ x",
        {"A": A3, "x": X3},
        lambda A, x: x @ A @ x,
        lambda A, x: {"x": (A + A.T) @ x, "A": np.outer(x, x)},
    ),
    Case(
        "trace-of-product",
        "trace(A @ B)",
        {"A": A3, "B": B3},
        lambda A, B: np.trace(A @ B),
        lambda A, B: {"A": B.T, "B": A.T},
    ),
    Case(
        "trace-of-transposed-product",
        "trace(A' @ B)",
        {"A": A3, "B": B3},
        lambda A, B: np.trace(A.T @ B),
        lambda A, B: {"A": B, "B": A},
    ),
    Case(
        "transpose-function",
        "sum(transpose(A) @ x)",
        {"A": A3, "x": X3},
        lambda A, x: np.sum(A.T @ x),
        lambda A, x: {"A": np.outer(x, ONES3), "x": A @ ONES3},
    ),
    Case(
        "inv",
        "sum(inv(A))",
        {"A": A3},
        lambda A: np.sum(np.linalg.inv(A)),
        lambda A: {"A": -inv_t(A) @ np.outer(ONES3, ONES3) @ inv_t(A)},
    ),
    Case(
        "solve",
        "sum(solve(A, b))",
        {"A": A3, "b": B_VEC},
        lambda A, b: np.sum(np.linalg.solve(A, b)),
        lambda A, b: {
            "b": inv_t(A) @ ONES3,
            "A": -np.outer(inv_t(A) @ ONES3, np.linalg.solve(A, b)),
        },
    ),
    Case("norm", "norm(x)", {"x": X3}, lambda x: np.linalg.norm(x), lambda x: {"x": x / np.linalg.norm(x)}),
    Case("dot", "dot(x, y)", {"x": X3, "y": Y3}, lambda x, y: x @ y, lambda x, y: {"x": y, "y": x}),
    Case(
        "outer",
        "sum(outer(x, v))",  # a 3 x 4 outer product: not square
        {"x": X3, "v": V4},
        lambda x, v: np.sum(np.outer(x, v)),
        lambda x, v: {"x": np.sum(v) * np.ones(3), "v": np.sum(x) * np.ones(4)},
    ),
    Case("mean-vector", "mean(v)", {"v": V4}, lambda v: np.mean(v), lambda v: {"v": np.full(4, 0.25)}),
    Case("mean-matrix", "mean(A)", {"A": A3}, lambda A: np.mean(A), lambda A: {"A": np.full((3, 3), 1 / 9)}),
    Case("prod", "prod(v)", {"v": V4}, lambda v: np.prod(v), lambda v: {"v": np.prod(v) / v}),
    Case(
        "logsumexp",
        "logsumexp(v)",
        {"v": V4},
        lambda v: np.log(np.sum(np.exp(v))),
        lambda v: {"v": softmax(v)},
    ),
    Case(
        "softmax",
        "sum(softmax(v) * w)",
        {"v": V4, "w": W4},
        lambda v, w: softmax(v) @ w,
        lambda v, w: {"v": softmax(v) * (w - softmax(v) @ w), "w": softmax(v)},
    ),
    Case(
        "diag-of-vector",
        "sum(diag(x) @ B)",
        {"x": X3, "B": B3},
        lambda x, B: np.sum(np.diag(x) @ B),
        lambda x, B: {"x": B @ ONES3, "B": np.outer(x, ONES3)},
    ),
    Case(
        "diag-of-matrix",
        "sum(diag(A) * y)",
        {"A": A3, "y": Y3},
        lambda A, y: np.diag(A) @ y,
        lambda A, y: {"A": np.diag(y), "y": np.diag(A)},
    ),
    Case("eye", "trace(A + eye(3))", {"A": A3}, lambda A: np.trace(A) + 3, lambda A: {"A": np.eye(3)}),
    Case(
        "reshape",
        "trace(reshape(v, 2, 2))",  # row-major: [[v1, v2], [v3, v4]]
        {"v": V4},
        lambda v: np.trace(v.reshape(2, 2)),
        lambda v: {"v": np.array([1.0, 0.0, 0.0, 1.0])},
    ),
    Case("index-element", "A[1, 2]", {"A": A3}, lambda A: A[0, 1], lambda A: {"A": unit((3, 3), 0, 1)}),
    Case("index-vector", "x[2]", {"x": X3}, lambda x: x[1], lambda x: {"x": unit((3,), 1)}),
    Case(
        "column",
        "sum(A[:, 1])",
        {"A": A3},
        lambda A: np.sum(A[:, 0]),
        lambda A: {"A": np.outer(ONES3, unit((3,), 0))},
    ),
    Case(
        "row",
        "sum(A[2, :])",
        {"A": A3},
        lambda A: np.sum(A[1, :]),
        lambda A: {"A": np.outer(unit((3,), 1), ONES3)},
    ),
    Case(
        "range",
        "sum(v[2:3])",  # 1-based and inclusive: v2 + v3
        {"v": V4},
        lambda v: v[1] + v[2],
        lambda v: {"v": np.array([0.0, 1.0, 1.0, 0.0])},
    ),
    Case(
        "vector-literal",
        "norm([x1, x2])",
        {"x1": 3.0, "x2": -4.0},
        lambda x1, x2: np.hypot(x1, x2),
        lambda x1, x2: {"x1": x1 / np.hypot(x1, x2), "x2": x2 / np.hypot(x1, x2)},
    ),
    Case(
        "matrix-literal",
        "det([[x1, x2], [x2, x1]])",  # x1² - x2²
        {"x1": 3.0, "x2": 1.5},
        lambda x1, x2: x1**2 - x2**2,
        lambda x1, x2: {"x1": 2 * x1, "x2": -2 * x2},
    ),
    Case(
        "elementwise",
        "sum(sin(x) * y)",
        {"x": X3, "y": Y3},
        lambda x, y: np.sin(x) @ y,
        lambda x, y: {"x": np.cos(x) * y, "y": np.sin(x)},
    ),
    Case(
        "broadcast-row",
        "sum(exp(A) * x)",  # [3, 3] * [3]: x runs along each row, as numpy broadcasts
        {"A": A3 / 4, "x": X3},
        lambda A, x: np.sum(np.exp(A) * x),
        lambda A, x: {"A": np.exp(A) * x, "x": np.exp(A).sum(axis=0)},
    ),
    Case(
        "broadcast-scalar",
        "sum(log(c + v^2))",
        {"c": 2.0, "v": V4},
        lambda c, v: np.sum(np.log(c + v**2)),
        lambda c, v: {"c": np.sum(1 / (c + v**2)), "v": 2 * v / (c + v**2)},
    ),
    Case(
        "statement",
        "B = A' @ A; trace(B)",
        {"A": A3},
        lambda A: np.trace(A.T @ A),
        lambda A: {"A": 2 * A},
    ),
]


def as_lists(at: dict[str, Any]) -> dict[str, Any]:
    """The point as a user types it: nested lists and floats."""
    return {name: value.tolist() if isinstance(value, np.ndarray) else value for name, value in at.items()}


def numpy_point(at: dict[str, Any]) -> dict[str, Any]:
    return {
        name: np.array(value, dtype=float) if isinstance(value, np.ndarray) else value
        for name, value in at.items()
    }


def central_differences(f: Callable[..., Any], at: dict[str, Any], h: float = 1e-6) -> dict[str, Array]:
    """∂f/∂(each element of each input) by (f(p + h e) - f(p - h e)) / 2h, h scaled to the element;
    f may return an array: each derivative is shaped f's shape + the input's shape."""
    out: dict[str, Array] = {}
    for name, value in at.items():
        base = np.array(value, dtype=float)
        columns = {}
        for index in np.ndindex(base.shape):
            step = h * max(1.0, abs(base[index]))
            up, down = base.copy(), base.copy()
            up[index] += step
            down[index] -= step
            plus = np.asarray(f(**{**at, name: up if base.shape else float(up)}), dtype=float)
            minus = np.asarray(f(**{**at, name: down if base.shape else float(down)}), dtype=float)
            columns[index] = (plus - minus) / (2 * step)
        shape = next(iter(columns.values())).shape
        grad = np.zeros(shape + base.shape)
        for index, column in columns.items():
            grad[(..., *index)] = column
        out[name] = grad
    return out


# --- each matrix function in a one-liner, against its closed form --------------------------------
METHODS = {"reverse": adcalc.gradient, "forward": adcalc.gradient_forward}


@pytest.mark.parametrize("mode", list(METHODS))
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gradient_matches_closed_form(case: Case, mode: str) -> None:
    result = METHODS[mode](case.text, at=as_lists(case.at))
    point = numpy_point(case.at)
    assert float(result.value) == pytest.approx(float(case.f(**point)), rel=1e-12, abs=1e-12)
    expected = case.grad(**point)
    assert set(result.gradient) == set(expected)
    for name, truth in expected.items():
        got = np.asarray(result.gradient[name], dtype=float)
        assert got.shape == np.shape(case.at[name]), name  # a derivative by an input has its shape
        np.testing.assert_allclose(got, truth, rtol=1e-10, atol=1e-12, err_msg=f"{case.text}: d/d{name}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_gradient_matches_central_differences(case: Case) -> None:
    """A second witness: central differences of the numpy twin, with no closed form in between."""
    point = numpy_point(case.at)
    result = adcalc.gradient(case.text, at=point)  # numpy arrays as inputs work as lists do
    numeric = central_differences(case.f, point)
    for name, fd in numeric.items():
        got = np.asarray(result.gradient[name], dtype=float)
        np.testing.assert_allclose(got, fd, rtol=1e-6, atol=1e-6, err_msg=f"{case.text}: d/d{name}")


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hessian_matches_central_differences_of_the_closed_form_gradient(case: Case) -> None:
    """Second derivatives of every matrix rule: ∂(closed-form ∂f/∂u)/∂w by central differences."""
    point = numpy_point(case.at)
    answer = adcalc.hessian(case.text, at=as_lists(case.at))
    for of in point:
        numeric = central_differences(lambda **p: case.grad(**p)[of], point)  # noqa: B023
        for by, expected in numeric.items():
            block = np.asarray(answer.hessian[of][by], dtype=float)
            np.testing.assert_allclose(
                block, expected, rtol=1e-6, atol=1e-6, err_msg=f"{case.text}: d2/d{of} d{by}"
            )


CLI_CASES = [c for c in CASES if c.id in {"logdet", "solve", "range", "vector-literal", "statement"}]


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_gradient_on_the_command_line(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    at = [arg for name, value in as_lists(case.at).items() for arg in ("--at", f"{name}={json.dumps(value)}")]
    done = run_inprocess(["grad", case.text, *at, "--json"], capsys)
    assert done.code == 0, done.stderr
    answer = json.loads(done.stdout)
    point = numpy_point(case.at)
    assert answer["value"] == pytest.approx(float(case.f(**point)), rel=1e-12)
    for name, truth in case.grad(**point).items():
        np.testing.assert_allclose(np.asarray(answer["gradient"][name]), truth, rtol=1e-10, atol=1e-12)


# --- Jacobians, several outputs and Hessians -----------------------------------------------------
def test_jacobian_of_matrix_vector_product() -> None:
    a = np.array([[4.0, 1.0, -0.5], [2.0, 3.0, 1.0]])  # 2 x 3: the output and the input differ in size
    answer = adcalc.jacobian("A @ x", at=as_lists({"A": a, "x": X3})).to_dict()
    assert answer["outputs"] == ["A @ x"]
    np.testing.assert_allclose(answer["value"]["A @ x"], a @ X3, rtol=1e-14)
    blocks = answer["jacobian"]["A @ x"]
    np.testing.assert_array_equal(np.asarray(blocks["x"]), a)  # ∂(Ax)/∂x = A, exactly
    by_a = np.zeros((2, 2, 3))  # ∂(Ax)_i/∂A_jk = δ_ij x_k
    for i in range(2):
        by_a[i, i, :] = X3
    np.testing.assert_allclose(np.asarray(blocks["A"]), by_a, rtol=1e-14)


@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_softmax(mode: str) -> None:
    s = softmax(V4)
    answer = adcalc.jacobian("softmax(v)", at={"v": V4.tolist()}, mode=mode)
    np.testing.assert_allclose(answer.values["softmax(v)"], s, rtol=1e-14)
    block = np.asarray(answer.blocks["softmax(v)"]["v"])
    np.testing.assert_allclose(block, np.diag(s) - np.outer(s, s), rtol=1e-10, atol=1e-14)


def test_several_scalar_outputs() -> None:
    x, y = 1.0, 2.0
    answer = adcalc.jacobian("x*y, sin(x)+y", at={"x": x, "y": y}).to_dict()
    assert answer["outputs"] == ["x*y", "sin(x)+y"]
    assert answer["value"] == {"x*y": pytest.approx(x * y), "sin(x)+y": pytest.approx(np.sin(x) + y)}
    assert answer["jacobian"]["x*y"] == {"x": pytest.approx(y), "y": pytest.approx(x)}
    assert answer["jacobian"]["sin(x)+y"] == {"x": pytest.approx(np.cos(x)), "y": pytest.approx(1.0)}


def test_several_matrix_outputs() -> None:
    answer = adcalc.jacobian("x' @ A @ x, norm(x), A @ x", at=as_lists({"A": A3, "x": X3}), wrt=["x"])
    blocks = answer.blocks
    assert answer.outputs == ["x' @ A @ x", "norm(x)", "A @ x"]
    np.testing.assert_allclose(blocks["x' @ A @ x"]["x"], (A3 + A3.T) @ X3, rtol=1e-12)
    np.testing.assert_allclose(blocks["norm(x)"]["x"], X3 / np.linalg.norm(X3), rtol=1e-12)
    np.testing.assert_allclose(blocks["A @ x"]["x"], A3, rtol=1e-14)


def test_hessian_of_quadratic_form() -> None:
    answer = adcalc.hessian("x' @ A @ x", at=as_lists({"A": A3, "x": X3}), wrt=["x"])
    assert float(answer.value) == pytest.approx(X3 @ A3 @ X3, rel=1e-14)
    np.testing.assert_allclose(answer.gradient["x"], (A3 + A3.T) @ X3, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(answer.hessian["x"]["x"]), A3 + A3.T, rtol=1e-12)


def test_hessian_of_logsumexp() -> None:
    s = softmax(V4)
    answer = adcalc.hessian("logsumexp(v)", at={"v": V4.tolist()})
    np.testing.assert_allclose(np.asarray(answer.hessian["v"]["v"]), np.diag(s) - np.outer(s, s), atol=1e-12)


# --- one language: a .adl file and a one-liner mean the same --------------------------------------
A2 = [[4.0, 1.0], [2.0, 3.0]]
PROGRAM = "input A[2,2]\nf = logdet(A)\noutput f\n"


def test_file_and_one_liner_agree_through_the_api(tmp_path: Path) -> None:
    path = tmp_path / "f.adl"
    path.write_text(PROGRAM)
    from_file = adcalc.gradient(adcalc.parse(path.read_text(), str(path)), at={"A": A2})
    one_liner = adcalc.gradient("logdet(A)", at={"A": A2})
    assert float(from_file.value) == float(one_liner.value)
    np.testing.assert_array_equal(np.asarray(from_file.gradient["A"]), np.asarray(one_liner.gradient["A"]))
    np.testing.assert_allclose(one_liner.gradient["A"], inv_t(np.array(A2)), rtol=1e-14)


def test_file_and_one_liner_agree_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "f.adl"
    path.write_text(PROGRAM)
    at = ["--at", f"A={json.dumps(A2)}", "--json"]
    by_file = run_inprocess(["grad", str(path), *at], capsys)
    by_text = run_inprocess(["grad", "logdet(A)", *at], capsys)
    assert (by_file.code, by_text.code) == (0, 0), by_file.stderr + by_text.stderr
    file_json, text_json = json.loads(by_file.stdout), json.loads(by_text.stdout)
    assert file_json["value"] == text_json["value"] == pytest.approx(np.log(np.linalg.det(A2)), rel=1e-15)
    assert file_json["gradient"] == text_json["gradient"]  # the same floats, to the last bit
    np.testing.assert_allclose(text_json["gradient"]["A"], inv_t(np.array(A2)), rtol=1e-14)


def test_one_liner_through_the_installed_command() -> None:
    done = run_subprocess(["grad", "x' @ A @ x", "--at", f"A={json.dumps(A2)}", "--at", "x=[1,2]", "--json"])
    assert done.code == 0, done.stderr
    answer = json.loads(done.stdout)
    a, x = np.array(A2), np.array([1.0, 2.0])
    assert answer["value"] == pytest.approx(x @ a @ x)
    np.testing.assert_allclose(answer["gradient"]["x"], (a + a.T) @ x, rtol=1e-14)
    np.testing.assert_allclose(answer["gradient"]["A"], np.outer(x, x), rtol=1e-14)


# --- errors keep their quality in one-liners ------------------------------------------------------
A23 = [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]


A22 = [[1.0, 2.0], [3.0, 4.0]]


@pytest.mark.parametrize(
    ("text", "at", "shapes"),
    [
        ("A @ x", {"A": A23, "x": [1.0, 2.0]}, ("[2, 3]", "[2]")),
        ("1 + sum(A @ x)", {"A": A23, "x": [1.0, 2.0]}, ("[2, 3]", "[2]")),
        ("B = 2*A; trace(B @ x)", {"A": A22, "x": [1.0, 2.0, 3.0]}, ("[2, 2]", "[3]")),
    ],
)
def test_shape_mismatch_names_both_shapes_and_points_at_the_product(
    text: str, at: dict[str, Any], shapes: tuple[str, str]
) -> None:
    with pytest.raises(AdcalcError) as caught:
        adcalc.gradient(text, at=at)
    problem = caught.value
    assert isinstance(problem, ShapeError)
    assert all(shape in problem.message() for shape in shapes)
    product = text[text.rindex("@") - 2 : text.rindex("@") + 3]  # "A @ x" or "B @ x"
    start = text.index(product) + 1
    assert problem.span is not None
    assert (problem.span.line, problem.span.column) == (1, start)
    assert (problem.span.end_line, problem.span.end_column) == (1, start + len(product))


def test_shape_mismatch_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    text = "1 + sum(A @ x)"
    done = run_inprocess(["grad", text, "--at", f"A={json.dumps(A23)}", "--at", "x=[1,2]"], capsys)
    assert done.code == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    lines = done.stderr.splitlines()
    errors = [line for line in lines if line.startswith("error:")]
    assert len(errors) == 1
    assert "[2, 3]" in errors[0] and "[2]" in errors[0] and ":1:9:" in errors[0]
    carets = [line for line in lines if line.strip().startswith("^")]
    assert len(carets) == 1
    source = lines[lines.index(carets[0]) - 1]
    assert source.strip() == text
    assert carets[0].index("^") == source.index("A")  # the caret sits under A @ x
    assert carets[0].strip() == "^" + "~" * (len("A @ x") - 1)


def test_shape_mismatch_on_the_command_line_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(
        ["grad", "A @ x", "--at", f"A={json.dumps(A23)}", "--at", "x=[1,2]", "--json"], capsys
    )
    assert done.code == 2 and "Traceback" not in done.stderr
    error = json.loads(done.stderr.splitlines()[-1])["error"]
    assert error["kind"] == "ShapeError" and (error["line"], error["column"]) == (1, 1)
    assert "[2, 3]" in error["message"] and "[2]" in error["message"]


def test_gradient_of_a_vector_output_is_a_usage_error() -> None:
    with pytest.raises(UsageError) as caught:
        adcalc.gradient("A @ x", at={"A": A2, "x": [1.0, 2.0]})
    assert "adcalc jacobian" in caught.value.message()
    assert caught.value.exit_code == 2


def test_gradient_of_a_vector_output_on_the_command_line(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["grad", "A @ x", "--at", f"A={json.dumps(A2)}", "--at", "x=[1,2]"], capsys)
    assert done.code == 2
    assert "Traceback" not in done.stderr and done.stdout == ""
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "adcalc jacobian" in errors[0]
    # ... and the command it suggests answers: ∂(Ax)/∂x = A
    done = run_inprocess(
        ["jacobian", "A @ x", "--at", f"A={json.dumps(A2)}", "--at", "x=[1,2]", "--json"], capsys
    )
    assert done.code == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["value"]["A @ x"] == pytest.approx((np.array(A2) @ [1.0, 2.0]).tolist())
    assert answer["jacobian"]["A @ x"]["x"] == A2
