"""Value functions for numpy arrays: the batch and matrix kind of value, for every op.

Importing this module makes numpy arrays flow through every op rule (a kind of value). The
scalar path never imports it, so a one-point command does not pay numpy's start-up time.
Domain errors give NaN and inf quietly, as in scalar.py; evaluators report a NaN only if it reaches an output.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from . import late_values
from .matrix_values import values
from .registry import register_kind


def _sigmoid(x: Any) -> Any:
    # exp(-|x|) never overflows; the two halves are the two stable forms
    z = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + z), z / (1.0 + z))


def _softplus(x: Any) -> Any:
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def _where(c: Any, a: Any, b: Any) -> Any:
    return np.where(np.asarray(c) != 0, a, b)


def _compare(function: np.ufunc) -> Callable[[Any, Any], Any]:
    def compare(x: Any, y: Any) -> Any:
        return function(x, y).astype(np.float64)

    compare.ufunc = function  # type: ignore[attr-defined]  (codegen_numpy writes 0/1 into float buffers)
    return compare


NUMPY: dict[str, Callable[..., Any]] = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.divide,
    "neg": np.negative,
    "pow": np.power,
    "lt": _compare(np.less),
    "le": _compare(np.less_equal),
    "gt": _compare(np.greater),
    "ge": _compare(np.greater_equal),
    "eq": _compare(np.equal),
    "ne": _compare(np.not_equal),
    "where": _where,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "exp": np.exp,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "cbrt": np.cbrt,
    "abs": np.abs,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "atan2": np.arctan2,
    "hypot": np.hypot,
    "min": np.minimum,  # propagates NaN, like scalar min
    "max": np.maximum,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
}


def apply_numpy(name: str, *args: Any) -> Any:
    """Op `name` on arrays (and numbers), with floating-point warnings silenced."""
    function = NUMPY.get(name)
    if function is None:
        from ..errors import MissingRule

        raise MissingRule(f"'{name}' has no numpy value function")
    with np.errstate(all="ignore"):
        return function(*args)


register_kind(np.ndarray, 10, apply_numpy)


# the matrix ops' value functions, and those of ops made later (literals, custom ops)
NUMPY.update(values())
late_values.attach(NUMPY)
