"""Numpy value functions of the matrix ops in tensor.py (imported only when one is evaluated).

Singular matrices give inf and NaN, as scalar domain errors do, instead of raising.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from ..ir.shapes import fit_shape


def _key(key: Any) -> tuple[Any, ...]:
    # ints pick an element, (start, stop) pairs a range (0-based, stop exclusive, as numpy)
    return tuple(slice(*k) if isinstance(k, tuple) else k for k in key)


def _singular_safe(function: Callable[..., Any]) -> Callable[..., Any]:
    def safe(*args: Any) -> Any:
        try:
            return function(*args)
        except np.linalg.LinAlgError:
            return np.full(np.shape(args[-1]), np.nan)

    return safe


def _logdet(a: Any) -> Any:
    sign, logabs = np.linalg.slogdet(a)
    return np.float64(logabs if sign > 0 else (-np.inf if sign == 0 else np.nan))


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
        "norm": lambda x: np.float64(np.linalg.norm(x)),
        "logsumexp": _logsumexp,
        "softmax": _softmax,
        "trace": lambda a: np.float64(np.trace(a)),
        "det": lambda a: np.float64(np.linalg.det(a)),
        "logdet": _logdet,
        "inv": _singular_safe(np.linalg.inv),
        "solve": _singular_safe(np.linalg.solve),
        "diag": np.diag,
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

