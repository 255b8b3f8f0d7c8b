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
from .registry import OPS, register_kind


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


# numpy functions that are not a ufunc of the same name: named by the ops' "numpy" values
SPECIAL: dict[str, Callable[..., Any]] = {
    "where": _where,
    "sigmoid": _sigmoid,
    "softplus": _softplus,
    "lt": _compare(np.less),
    "le": _compare(np.less_equal),
    "gt": _compare(np.greater),
    "ge": _compare(np.greater_equal),
    "eq": _compare(np.equal),
    "ne": _compare(np.not_equal),
}


def _resolve(name: str) -> Callable[..., Any]:
    return SPECIAL.get(name) or getattr(np, name)


# every op's numpy value, from its registration (OpDef.values["numpy"])
NUMPY: dict[str, Callable[..., Any]] = {
    op: _resolve(definition.values["numpy"]) for op, definition in OPS.items() if "numpy" in definition.values
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
