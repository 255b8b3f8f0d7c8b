"""Numpy value functions of the matrix ops in tensor.py (imported only when one is evaluated).

Singular matrices give inf and NaN, as scalar domain errors do, instead of raising. A matrix is
singular here when it is so to working precision: σ_min ≤ n·ε·σ_max (LAPACK's rank tolerance).
Below that, inv and solve would return numbers of size 1/ε made of rounding errors, a finite
answer that is silently wrong, so they give NaN instead (the inverse does not exist).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir.broadcast import fit_shape


def _key(key: Any) -> tuple[Any, ...]:
    # ints pick an element, (start, stop) pairs a range (0-based, stop exclusive, as numpy)
    return tuple(slice(*k) if isinstance(k, tuple) else k for k in key)


def singular(a: Any) -> bool:
    """True when square `a` is singular to working precision: σ_min ≤ n·ε·σ_max (or a NaN)."""
    s = np.linalg.svd(a, compute_uv=False)
    return not np.all(np.isfinite(s)) or s[-1] <= len(s) * np.finfo(np.float64).eps * s[0]


def _singular_safe(function: Callable[..., Any]) -> Callable[..., Any]:
    # inv(A), solve(A, b): NaN for a singular A (the result does not exist), never 1/ε noise
    def safe(*args: Any) -> Any:
        if singular(args[0]):
            return np.full(np.shape(args[-1]), np.nan)
        try:
            return function(*args)
        except np.linalg.LinAlgError:
            return np.full(np.shape(args[-1]), np.nan)

    return safe


def _logdet(a: Any) -> Any:
    # -inf at a singular A, the limit log 0 (as log(0) is for scalars); NaN when det A < 0
    if singular(a):
        return np.float64(-np.inf)
    sign, logabs = np.linalg.slogdet(a)
    return np.float64(logabs if sign > 0 else (-np.inf if sign == 0 else np.nan))


def _cofactor(a: Any) -> Any:
    """The cofactor matrix C = adj(A)ᵀ = ∂ det A/∂A, exact at singular A (no division by det A).

    1×1: [[1]]; 2×2: [[d, -c], [-b, a]] exactly; larger: from the SVD A = U Σ Vᵀ, since
    adj(XY) = adj(Y) adj(X) and adj(Q) = det(Q) Qᵀ for orthogonal Q give
    C = det(U) det(V) · U diag(Π_{j≠i} σⱼ) Vᵀ, a product with no quotient, backward stable.
    """
    n = np.shape(a)[0]
    if n == 1:
        return np.ones((1, 1))
    if n == 2:
        return np.array([[a[1, 1], -a[1, 0]], [-a[0, 1], a[0, 0]]], dtype=np.float64)
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    return sign * (u * prod_directions(s)) @ vt


def _cofactor_jvp(a: Any, e: Any) -> Any:
    """d C(A)[E], the second derivative of det as a matrix: ⟨d C(A)[E], X⟩ = d² det(A)[E, X].

    Linear in E, exact at singular A. 1×1: 0; 2×2: C(E) (C is linear there); larger: with
    A = U Σ Vᵀ and F = Uᵀ E V, d C = det(U) det(V) · U M Vᵀ, where for Qᵢₖ = Π_{j≠i,k} σⱼ
    Mᵢᵢ = Σ_{k≠i} Qᵢₖ Fₖₖ and Mᵢₖ = −Qᵢₖ Fₖᵢ (i ≠ k): the derivative of det(Σ + tF)'s cofactors.
    """
    n = np.shape(a)[0]
    if n == 1:
        return np.zeros((1, 1))
    if n == 2:
        return _cofactor(np.asarray(e, dtype=np.float64))
    u, s, vt = np.linalg.svd(a)
    sign = np.linalg.det(u) * np.linalg.det(vt)
    f = u.T @ e @ vt.T
    q = np.array([prod_directions(s, np.eye(n)[k]) for k in range(n)])  # Qᵢₖ, 0 on the diagonal
    m = -q * f.T
    m[np.diag_indices(n)] = q @ np.diag(f)
    return sign * u @ m @ vt


def _norm(x: Any) -> Any:
    # ‖x‖ = m ‖x/m‖ with m = max |xᵢ|: no underflow to 0 at 1e-200 (whose gradient x/‖x‖ is
    # a unit vector, not the convention 0 of x = 0) and no overflow to inf at 1e200
    top = np.max(np.abs(x))
    if top == 0 or not np.isfinite(top):
        return np.float64(top)
    return np.float64(top * np.sqrt(np.sum(np.square(x / top))))


def _logsumexp(x: Any) -> Any:
    top = np.max(x)
    if not np.isfinite(top):
        return np.float64(top)
    return np.float64(top + np.log(np.sum(np.exp(x - top))))


def _softmax(x: Any) -> Any:
    z = np.exp(x - np.max(x))
    return z / np.sum(z)


def _matmul_ga(g: Any, a: Any, b: Any) -> Any:
    # cotangent of A in A @ B for each combination of vector and matrix
    if np.ndim(a) == 2:
        return g @ np.transpose(b) if np.ndim(b) == 2 else np.outer(g, b)
    return b @ g if np.ndim(b) == 2 else g * b


def _matmul_gb(g: Any, a: Any, b: Any) -> Any:
    if np.ndim(b) == 2:
        return np.transpose(a) @ g if np.ndim(a) == 2 else np.outer(a, g)
    return np.transpose(a) @ g if np.ndim(a) == 2 else g * a


def _prod_others(x: Any) -> Any:
    # exclusive products from the left and from the right: no division, so zeros are fine
    flat = np.ravel(x)
    left = np.concatenate(([1.0], np.cumprod(flat[:-1])))
    right = np.concatenate((np.cumprod(flat[::-1][:-1])[::-1], [1.0]))
    return np.reshape(left * right, np.shape(x))


def prod_directions(x: Any, *directions: Any) -> Any:
    """yᵢ = D^(m+1) Π x [eᵢ, d₁, ..., dₘ] = Σ over distinct k₁..kₘ ≠ i of Π_r d_r[k_r] Π_{j∉{i,k}} xⱼ.

    The multilinear (t₁⋯tₘ) coefficient of Π_{j≠i} (xⱼ + Σ_r t_r d_r[j]): exclusive prefix and
    suffix products of polynomials truncated to multilinear terms (one coefficient per subset of
    the directions, a bit mask). No division, so zeros are fine. m = 0 is prod_others.
    """
    if not directions:
        return _prod_others(x)
    flat = np.ravel(x).astype(np.float64)
    d = [np.ravel(v).astype(np.float64) for v in directions]
    size, full = len(flat), (1 << len(d)) - 1

    def times(poly: Any, j: int) -> Any:
        # poly · (xⱼ + Σ_r t_r d_r[j]), dropping t_r²
        result = poly * flat[j]
        for r, dr in enumerate(d):
            bit = 1 << r
            for mask in range(full + 1):
                if mask & bit:
                    result[mask] += poly[mask ^ bit] * dr[j]
        return result

    unit = np.zeros(full + 1)
    unit[0] = 1.0
    left = [unit]
    for j in range(size - 1):
        left.append(times(left[-1], j))
    right = [unit]
    for j in range(size - 1, 0, -1):
        right.append(times(right[-1], j))
    right.reverse()
    out = np.array([sum(left[i][m] * right[i][full ^ m] for m in range(full + 1)) for i in range(size)])
    return np.reshape(out, np.shape(x))


def _undiag(g: Any, a: Any) -> Any:
    # cotangent of a in diag(a): for a vector, the diagonal of g; for an m×n matrix, an m×n
    # matrix with g on its diagonal (zeros elsewhere)
    if np.ndim(a) == 1:
        return np.diag(g).copy()
    out = np.zeros(np.shape(a))
    k = min(np.shape(a))
    out[np.arange(k), np.arange(k)] = g
    return out


def _unindex(g: Any, x: Any, key: Any) -> Any:
    out = np.zeros(np.shape(x))
    out[_key(key)] += g
    return out


def _put(d: Any, like: Any, i: float) -> Any:
    out = np.zeros(np.shape(like))
    out[int(i)] = d
    return out


def stack(shape: Any, *items: Any) -> Any:
    """The value of a literal [x1, ..., xk] (the value function of every stackk op)."""
    return np.array(items, dtype=np.float64).reshape(tuple(shape))


def values() -> dict[str, Callable[..., Any]]:
    """Op name -> numpy value function."""
    table: dict[str, Callable[..., Any]] = {
        "matmul": lambda a, b: a @ b,
        "matmul_ga": _matmul_ga,
        "matmul_gb": _matmul_gb,
        "dot": lambda a, b: np.float64(np.dot(a, b)),
        "outer": np.outer,
        "transpose": np.transpose,
        "sum": lambda x: np.float64(np.sum(x)),
        "mean": lambda x: np.float64(np.mean(x)),
        "prod": lambda x: np.float64(np.prod(x)),
        "norm": _norm,
        "logsumexp": _logsumexp,
        "softmax": _softmax,
        "trace": lambda a: np.float64(np.trace(a)),
        "det": lambda a: np.float64(np.linalg.det(a)),
        "cofactor": _cofactor,
        "cofactor_jvp": _cofactor_jvp,
        "logdet": _logdet,
        "inv": _singular_safe(np.linalg.inv),
        "solve": _singular_safe(np.linalg.solve),
        "diag": np.diag,
        "undiag": _undiag,
        "eye": lambda n: np.eye(n[0]),
        "array": lambda items: np.array(items, dtype=np.float64),
        "reshape": lambda x, shape: np.reshape(x, tuple(shape)),
        "index": lambda x, key: np.asarray(x)[_key(key)],
        "expand": lambda g, x: np.broadcast_to(g, np.shape(x)).copy(),
        "reshape_as": lambda g, x: np.reshape(g, np.shape(x)),
        "unindex": _unindex,
        "eye_like": lambda a: np.eye(np.shape(a)[0]),
        "count": lambda x: float(np.size(x)),
        "prod_others": _prod_others,
        "put": _put,
        "take": lambda g, i: g[int(i)],
        "unbroadcast": fit_shape,
    }
    return table
