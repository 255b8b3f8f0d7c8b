"""Matrix ops at their hard points: singular and near-singular matrices, zeros, 1×1 and non-square
shapes, vectors of length 1. Every op in reverse mode, forward mode and (where second derivatives
exist) Hessian and HVP, against an independent truth: closed forms, or central differences of
the function written again in mpmath at 60 digits (h = 1e-25 for gradients, 1e-15 for Hessians,
so the differences are exact to far below float64 rounding).

Where a derivative does not exist the convention is asserted, never a finite number by accident:
norm at 0 has gradient 0 and Hessian 0; inv, solve and logdet's derivatives at a singular A are
NaN (A⁻¹ does not exist), logdet there is −inf, and an output that is NaN raises DomainError.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from typing import Any

import adcalc
import mpmath
import numpy as np
import pytest
from adcalc.errors import MissingRule
from adcalc.ops import numpy_values  # noqa: E402,F401  (loads the numpy table)
from adcalc.ops.registry import OPS, apply

RNG = np.random.default_rng(20240612)
mp = mpmath.mp
mp.dps = 60

MpFunction = Callable[[list[Any]], Any]  # flat list of mpf (the inputs in order, row-major) -> mpf


# --- adcalc side -----------------------------------------------------------------------------------
def parse(source: str) -> adcalc.Expression:
    return adcalc.parse(source, "test.adl")


def flat_of(blocks: dict[str, Any], names: Sequence[str]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(blocks[n], dtype=float)) for n in names])


def derivatives(source: str, at: dict[str, Any], wrt: Sequence[str]) -> dict[str, np.ndarray]:
    """Gradient by reverse and by forward mode, Hessian, and H v and ∇f·v for a random v."""
    expression = parse(source)
    at = {k: np.asarray(v, dtype=float) for k, v in at.items()}
    direction = {n: RNG.normal(size=np.shape(at[n])) for n in wrt}
    return {
        "reverse": flat_of(adcalc.gradient(expression, at=at, wrt=wrt).gradient, wrt),
        "forward": flat_of(adcalc.gradient_forward(expression, at=at, wrt=wrt).gradient, wrt),
        "hessian": np.array(adcalc.hessian(expression, at=at, wrt=wrt).matrix, dtype=float),
        "hvp": flat_of(adcalc.hvp(expression, at=at, direction=direction, wrt=wrt).derivative, wrt),
        "jvp": np.float64(adcalc.jvp(expression, at=at, direction=direction).derivative),
        "v": flat_of(direction, wrt),
    }


# --- independent truth -------------------------------------------------------------------------
def mp_gradient(f: MpFunction, x: np.ndarray, h: str = "1e-25") -> np.ndarray:
    point = [mp.mpf(float(v)) for v in x]
    step = mp.mpf(h)
    result = []
    for i in range(len(point)):
        up, down = list(point), list(point)
        up[i] += step
        down[i] -= step
        result.append((f(up) - f(down)) / (2 * step))
    return np.array([float(v) for v in result])


def mp_hessian(f: MpFunction, x: np.ndarray, h: str = "1e-15") -> np.ndarray:
    point = [mp.mpf(float(v)) for v in x]
    step = mp.mpf(h)
    n = len(point)
    result = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            total = mp.mpf(0)
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                moved = list(point)
                moved[i] += si * step
                moved[j] += sj * step
                total += si * sj * f(moved)
            result[i, j] = result[j, i] = float(total / (4 * step * step))
    return result


def close(found: Any, truth: Any, tol: float) -> None:
    """max |found − truth| ≤ tol · max |truth| (or tol when the truth is 0)."""
    found, truth = np.asarray(found, dtype=float), np.asarray(truth, dtype=float)
    assert found.shape == truth.shape
    assert np.all(np.isfinite(found)), found
    scale = float(np.max(np.abs(truth))) if truth.size and np.any(truth) else 1.0
    error = float(np.max(np.abs(found - truth))) if truth.size else 0.0
    assert error <= tol * scale, (
        f"error {error:.3g} > {tol:.1g} * {scale:.3g}\nfound\n{found}\ntruth\n{truth}"
    )


def check(
    source: str,
    at: dict[str, Any],
    wrt: Sequence[str],
    gradient: np.ndarray,
    hessian: np.ndarray,
    tol: float = 1e-12,
) -> None:
    """Every way adcalc differentiates `source` against the true gradient and Hessian (flat)."""
    found = derivatives(source, at, wrt)
    close(found["reverse"], gradient, tol)
    close(found["forward"], gradient, tol)
    close(found["hessian"], hessian, tol)
    # H v and ∇f·v against products formed here: a different order of summation, so ±rounding
    close(found["hvp"], hessian @ found["v"], max(tol, 1e-14))
    close(found["jvp"], gradient @ found["v"], max(tol, 1e-14))


def check_mp(source: str, at: dict[str, Any], wrt: Sequence[str], f: MpFunction, tol: float = 1e-12) -> None:
    """check() with the truth from mpmath central differences of f over the flat inputs `wrt`."""
    x = flat_of(at, wrt)
    check(source, at, wrt, mp_gradient(f, x), mp_hessian(f, x), tol)


def mp_matrix(flat: list[Any], rows: int, columns: int) -> Any:
    return mp.matrix([[flat[i * columns + j] for j in range(columns)] for i in range(rows)])


def mp_det(flat: list[Any], n: int) -> Any:
    """det by Gaussian elimination in mpmath's precision, written out here: mp.det of mpmath 1.3
    (the version SymPy pins) fails on singular matrices, and a singular pivot simply gives 0."""
    rows = [[mp.mpf(flat[i * n + j]) for j in range(n)] for i in range(n)]
    det = mp.mpf(1)
    for k in range(n):
        pivot = max(range(k, n), key=lambda i: abs(rows[i][k]))
        if rows[pivot][k] == 0:
            return mp.mpf(0)
        if pivot != k:
            rows[k], rows[pivot] = rows[pivot], rows[k]
            det = -det
        det *= rows[k][k]
        for i in range(k + 1, n):
            factor = rows[i][k] / rows[k][k]
            rows[i] = [a - factor * b for a, b in zip(rows[i], rows[k], strict=True)]
    return det


def conditioned(n: int, smallest: float) -> np.ndarray:
    """A random n×n matrix with singular values 1, ..., 1, `smallest` (condition number 1/smallest)."""
    q1, _ = np.linalg.qr(RNG.normal(size=(n, n)))
    q2, _ = np.linalg.qr(RNG.normal(size=(n, n)))
    return q1 @ np.diag([1.0] * (n - 1) + [smallest]) @ q2


def spd_conditioned(n: int, smallest: float) -> np.ndarray:
    q, _ = np.linalg.qr(RNG.normal(size=(n, n)))
    a = q @ np.diag([1.0 + k for k in range(n - 1)] + [smallest]) @ q.T
    return (a + a.T) / 2


SINGULAR_2 = np.array([[1.0, 2.0], [2.0, 4.0]])
RANK_2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
RANK_1 = np.outer([1.0, 2.0, 3.0], [1.0, -1.0, 2.0])
NEAR_SINGULAR_4 = conditioned(4, 1e-8)


# --- det -------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "a",
    [SINGULAR_2, np.zeros((2, 2)), np.array([[0.0, 1.0], [0.0, 0.0]]), np.array([[2.0, -1.0], [3.0, 5.0]])],
)
def test_det_2x2_closed_form(a: np.ndarray) -> None:
    # det = ad − bc: gradient [[d, −c], [−b, a]] = adj(A)ᵀ, Hessian constant (1 at (a,d), −1 at (b,c))
    (p, q), (r, s) = a
    hessian = np.array([[0, 0, 0, 1], [0, 0, -1, 0], [0, -1, 0, 0], [1, 0, 0, 0]], dtype=float)
    check("input A[2,2]\nf = det(A)\noutput f", {"A": a}, ["A"], np.array([s, -r, -q, p]), hessian, 0.0)


@pytest.mark.parametrize("a", [[[0.0]], [[-3.0]]])
def test_det_1x1(a: list[list[float]]) -> None:
    # det [[a]] = a: adjugate [[1]] (also at a = 0), second derivative 0
    check("input A[1,1]\nf = det(A)\noutput f", {"A": a}, ["A"], np.array([1.0]), np.zeros((1, 1)), 0.0)


@pytest.mark.parametrize(
    "a",
    [RANK_2, RANK_1, np.zeros((3, 3)), NEAR_SINGULAR_4, conditioned(4, 0.5), conditioned(5, 0.0)],
    ids=["rank-2", "rank-1", "zero", "cond-1e8", "regular", "rank-4-of-5"],
)
def test_det_at_singular_points_against_mpmath(a: np.ndarray) -> None:
    n = len(a)
    check_mp(f"input A[{n},{n}]\nf = det(A)\noutput f", {"A": a}, ["A"], lambda v: mp_det(v, n))


def test_det_gradient_is_the_adjugate_transpose_at_rank_one() -> None:
    # every 2×2 minor of a rank-1 matrix vanishes: adj(A) = 0, yet the Hessian is not 0
    found = adcalc.gradient(parse("input A[3,3]\nf = det(A)\noutput f"), at={"A": RANK_1}).gradient["A"]
    np.testing.assert_allclose(found, np.zeros((3, 3)), atol=1e-13)


def test_det_composed_hessian_at_singular_point() -> None:
    # f = det(A)² at singular A: ∇f = 2 det(A) adj(A)ᵀ = 0, H = 2 vec(adj Aᵀ) vec(adj Aᵀ)ᵀ
    cof = np.array([[4.0, -2.0], [-2.0, 1.0]])
    check(
        "input A[2,2]\nf = det(A)^2\noutput f", {"A": SINGULAR_2}, ["A"], np.zeros(4), 2 * np.outer(cof, cof)
    )


def test_det_third_derivative_is_a_missing_rule_not_a_wrong_number() -> None:
    a, e = RANK_2, RNG.normal(size=(3, 3))
    with pytest.raises(MissingRule):
        OPS["cofactor_jvp"].jvp[0](a, e, apply("cofactor_jvp", a, e), e)


# --- logdet ----------------------------------------------------------------------------------------
def test_logdet_near_singular_against_mpmath() -> None:
    # ∂ log det A/∂A = A⁻ᵀ, entries ~1e8 at condition 1e8; float64 keeps ~cond·ε of them
    a = spd_conditioned(3, 1e-8)
    check_mp(
        "input A[3,3]\nf = logdet(A)\noutput f",
        {"A": a},
        ["A"],
        lambda v: mp.log(mp.det(mp_matrix(v, 3, 3))),
        1e-6,
    )


def test_logdet_1x1() -> None:
    # log a: 1/a, −1/a²
    check(
        "input A[1,1]\nf = logdet(A)\noutput f", {"A": [[2.0]]}, ["A"], np.array([0.5]), np.array([[-0.25]])
    )


@pytest.mark.parametrize("a", [SINGULAR_2, RANK_2, np.zeros((2, 2))])
def test_logdet_of_singular_is_minus_infinity_with_nan_derivatives(a: np.ndarray) -> None:
    # log det → −inf as A → singular; A⁻ᵀ does not exist, so the gradient is NaN (not 1/ε noise)
    n = len(a)
    expression = parse(f"input A[{n},{n}]\nf = logdet(A)\noutput f")
    assert adcalc.evaluate(expression, at={"A": a}).value == -math.inf
    assert np.isnan(adcalc.gradient(expression, at={"A": a}).gradient["A"]).all()
    assert np.isnan(adcalc.gradient_forward(expression, at={"A": a}).gradient["A"]).all()


def test_logdet_of_negative_determinant_is_a_domain_error() -> None:
    with pytest.raises(adcalc.DomainError):
        adcalc.gradient(parse("input A[1,1]\nf = logdet(A)\noutput f"), at={"A": [[-2.0]]})


# --- inv and solve ---------------------------------------------------------------------------------
def test_inv_near_singular_against_mpmath() -> None:
    # f = Σ W ⊙ A⁻¹: gradient −A⁻ᵀ W A⁻ᵀ (~1e16 here), Hessian from mpmath
    a, w = conditioned(3, 1e-8), RNG.normal(size=(3, 3))

    def f(v: list[Any]) -> Any:
        inverse = mp_matrix(v, 3, 3) ** -1
        return mp.fsum(w[i, j] * inverse[i, j] for i in range(3) for j in range(3))

    source = "input A[3,3], W[3,3]\nf = sum(W * inv(A))\noutput f"
    found = derivatives(source, {"A": a, "W": w}, ["A"])
    inverse = mp_matrix([mp.mpf(float(v)) for v in a.ravel()], 3, 3) ** -1
    closed = -(inverse.T * mp.matrix(w.tolist()) * inverse.T)
    closed = np.array([[float(closed[i, j]) for j in range(3)] for i in range(3)]).ravel()
    close(found["reverse"], closed, 1e-6)
    close(found["forward"], closed, 1e-6)
    close(found["hessian"], mp_hessian(f, a.ravel()), 1e-6)


def test_inv_1x1() -> None:
    # w/a: −w/a², 2w/a³
    check("input A[1,1], W[1,1]\nf = sum(W * inv(A))\noutput f", {"A": [[4.0]], "W": [[3.0]]}, ["A"],
          np.array([-3 / 16]), np.array([[6 / 64]]))  # fmt: skip


@pytest.mark.parametrize("a", [SINGULAR_2, RANK_2, np.zeros((2, 2)), np.zeros((1, 1))])
@pytest.mark.parametrize("body", ["sum(inv(A))", "sum(solve(A, b))", "logdet(A) + sum(inv(A))"])
def test_inverse_of_singular_matrix_is_a_domain_error(a: np.ndarray, body: str) -> None:
    # A⁻¹ does not exist: NaN, reported as DomainError at the output, never a 1e16 made of rounding
    n = len(a)
    expression = parse(f"input A[{n},{n}], b[{n}]\nf = {body}\noutput f")
    for run in (adcalc.evaluate, adcalc.gradient):
        with pytest.raises(adcalc.DomainError):
            run(expression, at={"A": a, "b": np.ones(n)})


def test_solve_near_singular_against_mpmath() -> None:
    # f = c · A⁻¹ b over A and b: gradient and Hessian from mpmath at condition 1e8
    a, b, c = conditioned(3, 1e-8), RNG.normal(size=3), RNG.normal(size=3)

    def f(v: list[Any]) -> Any:
        x = mp.lu_solve(mp_matrix(v[:9], 3, 3), mp.matrix(v[9:]))
        return mp.fsum(c[i] * x[i] for i in range(3))

    source = "input A[3,3], b[3], c[3]\nf = dot(c, solve(A, b))\noutput f"
    check_mp(source, {"A": a, "b": b, "c": c}, ["A", "b"], f, 1e-6)


def test_solve_1x1_with_matrix_right_hand_side() -> None:
    # Σ W ⊙ (B / a) over a: −Σ W⊙B / a², 2 Σ W⊙B / a³
    w, b = RNG.normal(size=(1, 3)), RNG.normal(size=(1, 3))
    s = float(np.sum(w * b))
    check("input A[1,1], B[1,3], W[1,3]\nf = sum(W * solve(A, B))\noutput f", {"A": [[2.0]], "B": b, "W": w},
          ["A"], np.array([-s / 4]), np.array([[2 * s / 8]]))  # fmt: skip


# --- prod ------------------------------------------------------------------------------------------
def prod_truth(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """∂ Π x/∂xᵢ = Π_{k≠i} xₖ and H[i, j] = Π_{k≠i,j} xₖ (i ≠ j), 0 on the diagonal, by enumeration."""
    flat = list(np.ravel(x))
    n = len(flat)
    gradient = np.array([math.prod(flat[k] for k in range(n) if k != i) for i in range(n)])
    hessian = np.array(
        [
            [0.0 if i == j else math.prod(flat[k] for k in range(n) if k not in (i, j)) for j in range(n)]
            for i in range(n)
        ]
    )
    return gradient, hessian


PRODUCTS = {
    "no-zero": [2.0, 3.0, 5.0, 7.0],
    "one-zero": [2.0, 0.0, 5.0, 7.0],
    "two-zeros": [0.0, 3.0, 0.0, 7.0],
    "three-zeros": [0.0, 0.0, 0.0, 7.0],
    "all-zero": [0.0, 0.0, 0.0, 0.0],
    "length-2": [0.0, -2.0],
    "zero-length-1": [0.0],
    "length-1": [3.0],
}


@pytest.mark.parametrize("x", list(PRODUCTS.values()), ids=list(PRODUCTS))
def test_prod_gradient_and_hessian_with_zeros(x: list[float]) -> None:
    gradient, hessian = prod_truth(np.array(x))
    check(f"input x[{len(x)}]\nf = prod(x)\noutput f", {"x": x}, ["x"], gradient, hessian, 0.0)


def test_prod_of_a_matrix_with_zeros() -> None:
    a = np.array([[0.0, 2.0], [3.0, 0.0]])
    gradient, hessian = prod_truth(a)
    check("input A[2,2]\nf = prod(A)\noutput f", {"A": a}, ["A"], gradient, hessian, 0.0)


def test_prod_composed_hessian_with_zero() -> None:
    # f = prod(x)² at x with one zero: ∇f = 0, H = 2 ∇prod ∇prodᵀ
    x = np.array([0.0, 2.0, 3.0])
    gradient, _ = prod_truth(x)
    check(
        "input x[3]\nf = prod(x)^2\noutput f",
        {"x": x},
        ["x"],
        np.zeros(3),
        2 * np.outer(gradient, gradient),
        0.0,
    )


@pytest.mark.parametrize("m", [0, 1, 2, 3])
def test_prod_directions_against_enumeration(m: int) -> None:
    # yᵢ = Σ over distinct k₁..kₘ ≠ i of Π_r d_r[k_r] Π_{j∉{i,k}} xⱼ, at a point with zeros
    from adcalc.ops.matrix_values import prod_directions

    x = np.array([0.0, 2.0, 0.0, -1.5, 3.0])
    d = [RNG.normal(size=5) for _ in range(m)]
    expected = np.zeros(5)
    for i in range(5):
        for ks in itertools.permutations([k for k in range(5) if k != i], m):
            rest = [x[j] for j in range(5) if j != i and j not in ks]
            expected[i] += math.prod(d[r][k] for r, k in enumerate(ks)) * math.prod(rest)
    np.testing.assert_allclose(prod_directions(x, *d), expected, rtol=1e-13, atol=1e-13)


# --- norm ------------------------------------------------------------------------------------------
SQUARED_NORMS = [
    (declare, x, body)
    for declare, x in [("x[3]", np.zeros(3)), ("x[1]", np.zeros(1)), ("x[2,2]", np.zeros((2, 2))),
                       ("x[3]", np.array([3.0, -4.0, 12.0]))]
    for body in ["norm(x)^2", "norm(x) * norm(x)", "dot(x, x)", "sum(x^2)", "sin(norm(x)^2)"]
    if not ("dot" in body and x.ndim == 2) and not ("sin" in body and np.any(x))  # dot takes vectors
]  # fmt: skip


@pytest.mark.parametrize(("declare", "x", "body"), SQUARED_NORMS)
def test_squared_norm_hessian_is_2i(declare: str, x: np.ndarray, body: str) -> None:
    # ‖x‖² = Σ xᵢ²: gradient 2x, Hessian 2I everywhere, x = 0 included (sin(‖x‖²) ≈ ‖x‖² at 0)
    n = x.size
    check(f"input {declare}\nf = {body}\noutput f", {"x": x}, ["x"], 2 * x.ravel(), 2 * np.eye(n))


@pytest.mark.parametrize("power", [3, 4])
def test_higher_powers_of_norm_at_zero(power: int) -> None:
    # ‖x‖³, ‖x‖⁴ are twice differentiable at 0 with gradient 0 and Hessian 0
    check(
        f"input x[3]\nf = norm(x)^{power}\noutput f",
        {"x": np.zeros(3)},
        ["x"],
        np.zeros(3),
        np.zeros((3, 3)),
        0.0,
    )


def test_norm_at_zero_conventions() -> None:
    # ‖x‖ has no derivative at 0: gradient 0 (a subgradient, as JAX/PyTorch's 0 for |x|), and
    # Hessian 0 (‖tv‖ is linear along every ray): finite conventions, never NaN
    found = derivatives("input x[3]\nf = norm(x)\noutput f", {"x": np.zeros(3)}, ["x"])
    for key in ("reverse", "forward", "hvp"):
        assert np.array_equal(found[key], np.zeros(3)), key
    assert np.array_equal(found["hessian"], np.zeros((3, 3)))


@pytest.mark.parametrize("x", [[3.0, 4.0], [1e-200, -1e-200], [1e200, 1e200], [-2.0]])
def test_norm_closed_form_including_extreme_scales(x: list[float]) -> None:
    # ∇‖x‖ = x/‖x‖, H = (I − x̂ x̂ᵀ)/‖x‖ (no underflow to the x = 0 convention at 1e-200)
    v = np.array(x)
    r = math.hypot(*x) if len(x) > 1 else abs(x[0])
    unit = v / r
    expression = parse(f"input x[{len(x)}]\nf = norm(x)\noutput f")
    for run in (adcalc.gradient, adcalc.gradient_forward):
        close(run(expression, at={"x": v}).gradient["x"], unit, 1e-15)
    if abs(math.log10(r)) < 100:  # the Hessian itself over- or underflows at 1e±200
        hessian = np.array(adcalc.hessian(expression, at={"x": v}).matrix)
        close(hessian, (np.eye(len(x)) - np.outer(unit, unit)) / r, 1e-15)


# --- logsumexp and softmax ---------------------------------------------------------------------------
def softmax_truth(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    values = [mp.exp(mp.mpf(float(v))) for v in x]
    total = mp.fsum(values)
    s = np.array([float(v / total) for v in values])
    return s, np.diag(s) - np.outer(s, s)


@pytest.mark.parametrize(
    "x", [[0.0, 0.0, 0.0, 0.0], [1000.0, 1000.0, -1000.0, 999.0], [-1000.0, -1000.0], [5.0], [0.0]]
)
def test_logsumexp_gradient_softmax_hessian_diag_minus_outer(x: list[float]) -> None:
    # ∇ = s = softmax(x), H = diag(s) − s sᵀ (0 for length 1); no overflow at ±1000. s = e^(x − lse)
    # with lse rounded at |x| = 1000 keeps ~|x|·ε = 1e-13 of s: that is the tolerance
    gradient, hessian = softmax_truth(np.array(x))
    check(f"input x[{len(x)}]\nf = logsumexp(x)\noutput f", {"x": x}, ["x"], gradient, hessian, 1e-12)


@pytest.mark.parametrize("x", [[0.0, 0.0, 0.0], [1000.0, -1000.0, 999.0], [7.0]])
def test_softmax_against_mpmath(x: list[float]) -> None:
    n = len(x)
    w = RNG.normal(size=n)

    def f(v: list[Any]) -> Any:
        e = [mp.exp(t) for t in v]
        return mp.fsum(w[i] * e[i] for i in range(n)) / mp.fsum(e)

    check_mp(f"input x[{n}], w[{n}]\nf = dot(w, softmax(x))\noutput f", {"x": x, "w": w}, ["x"], f, 1e-13)


# --- products, transpose, reductions, trace at zeros and degenerate shapes ---------------------------
def poly(source: str, at: dict[str, Any], wrt: Sequence[str], f: MpFunction) -> None:
    check_mp(source, at, wrt, f, 1e-13)


@pytest.mark.parametrize("n", [1, 3])
def test_quadratic_form_at_zero(n: int) -> None:
    # xᵀ A x over (A, x) at x = 0: ∇ = 0, H_xx = A + Aᵀ, H_Ax = 0, H_AA = 0
    a = RNG.normal(size=(n, n))

    def f(v: list[Any]) -> Any:
        return mp.fsum(v[i * n + j] * v[n * n + i] * v[n * n + j] for i in range(n) for j in range(n))

    poly(f"input A[{n},{n}], x[{n}]\nf = x' @ A @ x\noutput f", {"A": a, "x": np.zeros(n)}, ["A", "x"], f)


def test_matmul_non_square_and_length_one() -> None:
    # sum((A B) ⊙ W) for A 2×3, B 3×1 at zeros; then a 1×1 matrix times a length-1 vector
    w = RNG.normal(size=(2, 1))

    def f(v: list[Any]) -> Any:
        return mp.fsum(w[i, 0] * v[i * 3 + k] * v[6 + k] for i in range(2) for k in range(3))

    at = {"A": np.zeros((2, 3)), "B": np.zeros((3, 1)), "W": w}
    poly("input A[2,3], B[3,1], W[2,1]\nf = sum((A @ B) * W)\noutput f", at, ["A", "B"], f)
    poly("input A[1,1], v[1]\nf = sum(A @ v) + sum(v @ A)\noutput f", {"A": [[0.0]], "v": [0.0]}, ["A", "v"],
         lambda v: 2 * v[0] * v[1])  # fmt: skip


def test_dot_outer_transpose_of_length_one_and_non_square() -> None:
    w = RNG.normal(size=(1, 3))
    poly(
        "input a[1], b[1]\nf = dot(a, b)\noutput f",
        {"a": [0.0], "b": [0.0]},
        ["a", "b"],
        lambda v: v[0] * v[1],
    )
    at = {"a": [0.0], "b": np.zeros(3), "W": w}
    poly("input a[1], b[3], W[1,3]\nf = sum(W * outer(a, b))\noutput f", at,
         ["a", "b"], lambda v: mp.fsum(w[0, j] * v[0] * v[1 + j] for j in range(3)))  # fmt: skip
    poly("input A[3,1], W[1,3]\nf = sum(W * A') * sum(A)\noutput f", {"A": np.zeros((3, 1)), "W": w}, ["A"],
         lambda v: mp.fsum(w[0, j] * v[j] for j in range(3)) * mp.fsum(v))  # fmt: skip


def test_sum_mean_trace_at_one_by_one_and_zeros() -> None:
    poly(
        "input A[1,1]\nf = sum(A) * mean(A) + trace(A)\noutput f",
        {"A": [[0.0]]},
        ["A"],
        lambda v: v[0] ** 2 + v[0],
    )
    poly(
        "input A[2,3]\nf = mean(A)^2\noutput f",
        {"A": np.zeros((2, 3))},
        ["A"],
        lambda v: (mp.fsum(v) / 6) ** 2,
    )
    # tr(A²) = Σᵢⱼ Aᵢⱼ Aⱼᵢ at A = 0: H[(i,j),(k,l)] = 2 δⱼₖ δᵢₗ
    poly("input A[2,2]\nf = trace(A @ A)\noutput f", {"A": np.zeros((2, 2))}, ["A"],
         lambda v: v[0] ** 2 + 2 * v[1] * v[2] + v[3] ** 2)  # fmt: skip


# --- diag, eye, reshape, indexing, literals ------------------------------------------------------------
@pytest.mark.parametrize("shape", [(2, 3), (3, 2), (1, 4), (1, 1)])
def test_diag_of_non_square_matrix(shape: tuple[int, int]) -> None:
    # f = Σ wᵢ Aᵢᵢ² over i ≤ min(m, n): gradient 2 wᵢ Aᵢᵢ on the diagonal, in A's shape
    m, n = shape
    k = min(shape)
    a, w = RNG.normal(size=shape), RNG.normal(size=k)
    expression = parse(f"input A[{m},{n}], w[{k}]\nf = dot(w, diag(A)^2)\noutput f")
    assert expression.shape(expression.root) == ()
    diagonal = parse(f"input A[{m},{n}]\nd = diag(A)\noutput d")
    assert diagonal.shape(diagonal.root) == (k,)

    def f(v: list[Any]) -> Any:
        return mp.fsum(w[i] * v[i * n + i] ** 2 for i in range(k))

    poly(f"input A[{m},{n}], w[{k}]\nf = dot(w, diag(A)^2)\noutput f", {"A": a, "w": w}, ["A"], f)


def test_diag_of_length_one_vector_and_eye() -> None:
    poly("input v[1], W[1,1]\nf = sum(W * diag(v)) * v[1]\noutput f", {"v": [0.0], "W": [[3.0]]}, ["v"],
         lambda v: 3 * v[0] ** 2)  # fmt: skip
    poly("input A[2,2]\nf = sum((A - eye(2))^2) + trace(eye(2) @ A)\noutput f", {"A": np.eye(2)}, ["A"],
         lambda v: (v[0] - 1) ** 2 + v[1] ** 2 + v[2] ** 2 + (v[3] - 1) ** 2 + v[0] + v[3])  # fmt: skip


def test_reshape_index_slices_and_literals() -> None:
    # A is 2×3, row-major: A[r,c] is v[3(r−1) + c − 1]
    source = """input A[2,3], x[3]
    B = reshape(A, 3, 2)
    C = reshape(A, 1, 6)
    f = B[3, 1] * A[1, 2] + sum(A[:, 3]^2) + C[1, 6] * x[2:2] @ x[3:3] + [x[1] * A[2, 1], 0, x[1]] @ x
    output f"""

    def f(v: list[Any]) -> Any:
        a, x = v[:6], v[6:]
        return a[4] * a[1] + a[2] ** 2 + a[5] ** 2 + a[5] * x[1] * x[2] + x[0] * a[3] * x[0] + x[0] * x[2]

    at = {"A": np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]]), "x": np.array([0.0, 0.0, 1.0])}
    poly(source, at, ["A", "x"], f)


# --- every helper op's own rules against central differences of its value, at singular points ----------
def numeric_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    result = np.zeros_like(x)
    for index in np.ndindex(x.shape):
        step = np.zeros_like(x)
        step[index] = h
        result[index] = (f(x + step) - f(x - step)) / (2 * h)
    return result


HELPERS: list[tuple[str, tuple[Any, ...], tuple[int, ...]]] = [
    # (op, arguments, the positions whose rules are checked)
    ("cofactor", (RANK_2,), (0,)),
    ("cofactor", (RANK_1,), (0,)),
    ("cofactor", (np.zeros((3, 3)),), (0,)),
    ("cofactor", (SINGULAR_2,), (0,)),
    ("cofactor_jvp", (RANK_2, RNG.normal(size=(3, 3))), (1,)),
    ("cofactor_jvp", (SINGULAR_2, RNG.normal(size=(2, 2))), (1,)),
    ("prod_others", (np.array([0.0, 2.0, 0.0, 3.0]),), (0,)),
    ("prod_others1", (np.array([0.0, 2.0, 0.0, 3.0]), RNG.normal(size=4)), (0, 1)),
    ("prod_others2", (np.array([0.0, 2.0, 0.0, 3.0]), RNG.normal(size=4), RNG.normal(size=4)), (0, 1, 2)),
    ("undiag", (RNG.normal(size=2), np.zeros((2, 3))), (0,)),
    ("undiag", (RNG.normal(size=(3, 3)), np.zeros(3)), (0,)),
    ("diag", (RNG.normal(size=(3, 2)),), (0,)),
]


@pytest.mark.parametrize(("name", "args", "positions"), HELPERS)
def test_helper_rules_match_central_differences(
    name: str, args: tuple[Any, ...], positions: tuple[int, ...]
) -> None:
    out = apply(name, *args)
    g = RNG.normal(size=np.shape(out))
    for position in positions:

        def f(x: np.ndarray, position: int = position) -> float:
            moved = list(args)
            moved[position] = x
            return float(np.sum(g * apply(name, *moved)))

        expected = numeric_gradient(f, np.asarray(args[position], dtype=float))
        vjp = OPS[name].vjp[position](*args, out, g)
        np.testing.assert_allclose(vjp, expected, rtol=1e-8, atol=1e-8)
        direction = RNG.normal(size=np.shape(args[position]))
        jvp = OPS[name].jvp[position](*args, out, direction)
        assert float(np.sum(g * jvp)) == pytest.approx(
            float(np.sum(expected * direction)), rel=1e-8, abs=1e-8
        )


def test_cofactor_is_the_adjugate_transpose() -> None:
    # C(A) A ᵀ = det(A) I (Laplace expansion), checked where det A = 0 and against minors
    for a in (RANK_2, RANK_1, NEAR_SINGULAR_4, conditioned(5, 1e-3)):
        n = len(a)
        minors = np.array(
            [
                [(-1) ** (i + j) * np.linalg.det(np.delete(np.delete(a, i, 0), j, 1)) for j in range(n)]
                for i in range(n)
            ]
        )
        np.testing.assert_allclose(
            apply("cofactor", a), minors, atol=1e-13 * max(1.0, np.max(np.abs(minors)))
        )
