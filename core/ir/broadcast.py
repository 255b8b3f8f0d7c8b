"""Undoing a broadcast: a cotangent summed back to the shape of the input it belongs to.

Kept apart from shapes.py (the shape rules of every op), because every reverse sweep needs this
and a one-point command should not load the rest.
"""

from __future__ import annotations

from typing import Any


def fit_shape(cotangent: Any, like: Any) -> Any:
    """Sum a broadcast cotangent back down to the shape of the input it belongs to."""
    return fit_to(cotangent, getattr(like, "shape", ()))


def fit_to(cotangent: Any, target: tuple[int, ...]) -> Any:
    """Sum a broadcast cotangent back down to the shape `target`."""
    shape = getattr(cotangent, "shape", None)
    if shape is None or shape == target:
        return cotangent
    extra = len(shape) - len(target)
    axes = tuple(range(extra)) + tuple(
        extra + k for k, size in enumerate(target) if size == 1 and shape[extra + k] != 1
    )
    summed = cotangent.sum(axis=axes, keepdims=False) if axes else cotangent
    return summed.reshape(target) if target else summed
