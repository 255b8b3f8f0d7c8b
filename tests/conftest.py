"""Shared test helpers: independent numerical derivatives."""

from __future__ import annotations

import math
from collections.abc import Callable

import pytest


def central_difference(f: Callable[[float], float], x: float) -> float:
    """f'(x) by Richardson-extrapolated central differences (error ~h^6, independent of AD)."""
    h = 1e-3 * max(1.0, abs(x))

    def d(step: float) -> float:
        return (f(x + step) - f(x - step)) / (2 * step)

    d1, d2, d3 = d(h), d(h / 2), d(h / 4)
    r1, r2 = (4 * d2 - d1) / 3, (4 * d3 - d2) / 3
    return (16 * r2 - r1) / 15


def complex_step(f: Callable[[complex], complex], x: float, h: float = 1e-30) -> float:
    """f'(x) = Im f(x + ih) / h: no subtraction, so exact to rounding for analytic f."""
    return f(complex(x, h)).imag / h


@pytest.fixture
def close() -> Callable[[float, float, float], bool]:
    def check(a: float, b: float, rel: float = 1e-7) -> bool:
        return math.isclose(a, b, rel_tol=rel, abs_tol=rel)

    return check
