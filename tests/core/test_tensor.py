"""Matrix ops: rules against central differences and against closed forms from matrix calculus."""

from __future__ import annotations

from collections.abc import Callable

import adcalc
import numpy as np
import pytest
from adcalc.ops import matrix as tensor
from adcalc.ops import numpy_values  # noqa: E402,F401  (loads the numpy table)
from adcalc.ops.matrix import Static
from adcalc.ops.registry import OPS, apply

RNG = np.random.default_rng(20240611)


def well_conditioned(n: int) -> np.ndarray:
    """A random matrix with singular values in [1, 3] (condition number ≤ 3)."""
    q1, _ = np.linalg.qr(RNG.normal(size=(n, n)))
    q2, _ = np.linalg.qr(RNG.normal(size=(n, n)))
    return q1 @ np.diag(RNG.uniform(1.0, 3.0, n)) @ q2


def spd(n: int) -> np.ndarray:
    """A random symmetric positive definite matrix (eigenvalues in [1, 3])."""
    q, _ = np.linalg.qr(RNG.normal(size=(n, n)))
    return q @ np.diag(RNG.uniform(1.0, 3.0, n)) @ q.T


def gradient(source: str, **at: object) -> dict[str, np.ndarray]:
    return adcalc.gradient(adcalc.parse(source, "test.adl"), at=at).gradient


def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """∂f/∂x by central differences, one element at a time (independent of AD)."""
    result = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        result[index] = (f(x + step) - f(x - step)) / (2 * h)
    return result


# --- closed forms ------------------------------------------------------------------------------
def test_det_gradient_is_det_times_inverse_transpose() -> None:
    a = well_conditioned(4)
    found = gradient("input A[4,4]\nf = det(A)\noutput f", A=a)["A"]
    np.testing.assert_allclose(found, np.linalg.det(a) * np.linalg.inv(a).T, rtol=1e-10)


def test_logdet_gradient_is_inverse_transpose() -> None:
    a = spd(5)
    found = gradient("input A[5,5]\nf = logdet(A)\noutput f", A=a)["A"]
    np.testing.assert_allclose(found, np.linalg.inv(a).T, rtol=1e-10)


def test_inv_gradient_closed_form() -> None:
    # f = Σ W ⊙ A⁻¹: Ā = −A⁻ᵀ W A⁻ᵀ
    a, w = well_conditioned(3), RNG.normal(size=(3, 3))
    found = gradient("input A[3,3], W[3,3]\nf = sum(W * inv(A))\noutput f", A=a, W=w)["A"]
    inverse = np.linalg.inv(a)
    np.testing.assert_allclose(found, -inverse.T @ w @ inverse.T, rtol=1e-10)


def test_solve_gradients_closed_form() -> None:
    # f = c · A⁻¹b: b̄ = A⁻ᵀc, Ā = −b̄ (A⁻¹b)ᵀ
    a, b, c = well_conditioned(4), RNG.normal(size=4), RNG.normal(size=4)
    found = gradient("input A[4,4], b[4], c[4]\nf = dot(c, solve(A, b))\noutput f", A=a, b=b, c=c)
    b_bar = np.linalg.solve(a.T, c)
    np.testing.assert_allclose(found["b"], b_bar, rtol=1e-10)
    np.testing.assert_allclose(found["A"], -np.outer(b_bar, np.linalg.solve(a, b)), rtol=1e-10)


def test_trace_of_product() -> None:
    # ∂ tr(AB)/∂A = Bᵀ, ∂/∂B = Aᵀ
    a, b = RNG.normal(size=(3, 4)), RNG.normal(size=(4, 3))
    found = gradient("input A[3,4], B[4,3]\nf = trace(A @ B)\noutput f", A=a, B=b)
    np.testing.assert_allclose(found["A"], b.T, rtol=1e-12)
    np.testing.assert_allclose(found["B"], a.T, rtol=1e-12)


def test_quadratic_form() -> None:
    # ∂ xᵀAx/∂x = (A + Aᵀ)x, ∂/∂A = x xᵀ
    a, x = RNG.normal(size=(4, 4)), RNG.normal(size=4)
    found = gradient("input A[4,4], x[4]\nf = x' @ A @ x\noutput f", A=a, x=x)
    np.testing.assert_allclose(found["x"], (a + a.T) @ x, rtol=1e-12)
    np.testing.assert_allclose(found["A"], np.outer(x, x), rtol=1e-12)


def test_logsumexp_gradient_is_softmax() -> None:
    x = RNG.normal(size=6) * 3
    found = gradient("input x[6]\nf = logsumexp(x)\noutput f", x=x)["x"]
    np.testing.assert_allclose(found, np.exp(x) / np.exp(x).sum(), rtol=1e-12)


def test_softmax_jacobian_rows() -> None:
    # ∂ softmax(x)ᵢ/∂x = sᵢ (eᵢ − s)
    x = RNG.normal(size=5)
    s = np.exp(x) / np.exp(x).sum()
    for i in range(1, 6):
        found = gradient(f"input x[5]\nf = softmax(x)[{i}]\noutput f", x=x)["x"]
        expected = s[i - 1] * (np.eye(5)[i - 1] - s)
        np.testing.assert_allclose(found, expected, rtol=1e-10, atol=1e-15)


def test_logsumexp_does_not_overflow() -> None:
    x = np.array([1000.0, 1000.0])
    result = adcalc.gradient(adcalc.parse("input x[2]\nf = logsumexp(x)\noutput f", "t.adl"), at={"x": x})
    assert result.value == pytest.approx(1000 + np.log(2))
    np.testing.assert_allclose(result.gradient["x"], [0.5, 0.5])


# --- every matrix op against central differences -------------------------------------------------
A3, B3, V3, W3 = well_conditioned(3), well_conditioned(3), RNG.normal(size=3), RNG.normal(size=3)
CASES: dict[str, list[tuple[np.ndarray, ...]]] = {
    "matmul": [(A3, B3), (A3, V3), (V3, A3), (V3, W3), (RNG.normal(size=(2, 3)), RNG.normal(size=(3, 4)))],
    "dot": [(V3, W3)],
    "outer": [(V3, RNG.normal(size=2))],
    "transpose": [(RNG.normal(size=(2, 3)),)],
    "sum": [(A3,)],
    "mean": [(A3,)],
    "prod": [(V3,), (np.array([2.0, 0.0, 3.0]),)],
    "norm": [(V3,), (A3,)],
    "logsumexp": [(V3,)],
    "softmax": [(V3,)],
    "trace": [(A3,)],
    "det": [(A3,)],
    "logdet": [(spd(3),)],
    "inv": [(A3,)],
    "solve": [(A3, V3), (A3, B3)],
    "diag": [(V3,), (A3,)],
}


@pytest.mark.parametrize(("name", "args"), [(n, a) for n, cases in CASES.items() for a in cases])
def test_vjp_and_jvp_match_central_differences(name: str, args: tuple[np.ndarray, ...]) -> None:
    out = apply(name, *args)
    g = RNG.normal(size=np.shape(out))  # a random cotangent: checks ⟨g, J dx⟩ for every input
    definition = OPS[name]
    for position, arg in enumerate(args):

        def f(x: np.ndarray, position: int = position) -> float:
            moved = list(args)
            moved[position] = x
            return float(np.sum(g * apply(name, *moved)))

        expected = numeric_gradient(f, np.asarray(arg, dtype=float))
        vjp = definition.vjp[position](*args, out, g)
        np.testing.assert_allclose(vjp, expected, rtol=1e-6, atol=1e-8)
        direction = RNG.normal(size=np.shape(arg))
        jvp = definition.jvp[position](*args, out, direction)
        assert float(np.sum(g * jvp)) == pytest.approx(float(np.sum(expected * direction)), rel=1e-6)


def test_every_user_facing_matrix_op_is_checked() -> None:
    unchecked = set(tensor.FUNCTIONS) - set(CASES) - {"eye", "reshape"}
    assert not unchecked


def test_index_reshape_and_literals_route_cotangents() -> None:
    source = """input A[2,3]
    B = reshape(A, 3, 2)
    f = B[1, 2] * 10 + sum(A[2, 2:3]) + [A[1,1], 2] @ [3, 4]
    output f"""
    a = RNG.normal(size=(2, 3))
    found = gradient(source, A=a)["A"]
    expected = np.zeros((2, 3))
    expected[0, 1] += 10  # B[1,2] is A's element 2 in row-major order
    expected[1, 1:3] += 1
    expected[0, 0] += 3
    np.testing.assert_allclose(found, expected)


def test_eye_diag_and_broadcasting() -> None:
    # f = Σ (A + 2I) ⊙ (v broadcast over rows): ∂f/∂v = column sums of (A + 2I)
    a, v = RNG.normal(size=(3, 3)), RNG.normal(size=3)
    found = gradient("input A[3,3], v[3]\nf = sum((A + 2 * eye(3)) * v) + sum(diag(v))\noutput f", A=a, v=v)
    np.testing.assert_allclose(found["v"], (a + 2 * np.eye(3)).sum(axis=0) + 1, rtol=1e-12)
    np.testing.assert_allclose(found["A"], np.broadcast_to(v, (3, 3)))


def test_static_arguments_hash_and_dispatch_to_numpy() -> None:
    assert hash(Static((3,))) == hash((3,))
    np.testing.assert_array_equal(apply("eye", Static((2,))), np.eye(2))
