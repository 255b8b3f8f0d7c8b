"""The covariance of a point's input elements, from what is known about them: standard
uncertainties, covariance matrices of groups of inputs, and correlation coefficients of pairs.

Checked as the GUM asks of a covariance: uncertainties ≥ 0, correlations in [-1, 1], and the
whole matrix symmetric and positive semi-definite (a set of correlations can each be in range
and still not hold together: r_xy = r_xz = 0.9 with r_yz = -0.9).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..engine import elements
from ..errors import BadValue

Shape = tuple[int, ...]


def input_covariance(
    shapes: Mapping[str, Shape],
    uncertainty: Mapping[str, Any],
    covariance: Mapping[Any, Any],
    correlation: Mapping[tuple[str, str], float],
) -> np.ndarray:
    """Σ over every input element: u² on the diagonal, the covariance blocks, r·u_i·u_j for the
    correlated pairs; BadValue for a negative u, |r| > 1, or a Σ that is not positive semi-definite."""
    labels = elements.all_labels(shapes)
    spans = elements.offsets(shapes)
    sigma = np.zeros((len(labels), len(labels)))
    given: dict[str, str] = {}  # name -> how its uncertainty was given
    for name, u in uncertainty.items():
        a, b = _span(name, spans, given, "uncertainty")
        values = _standard_uncertainties(name, u, shapes[name])
        sigma[range(a, b), range(a, b)] = values**2
    blocks = []
    for key, matrix in covariance.items():
        names = (key,) if isinstance(key, str) else tuple(key)
        where = np.concatenate([np.arange(*_span(n, spans, given, "covariance")) for n in names])
        sigma[np.ix_(where, where)] = _covariance_block(", ".join(names), matrix, len(where))
        blocks.append(set(where.tolist()))
    index = {label: k for k, label in enumerate(labels)}
    for pair, r in correlation.items():
        i, j = (_element(label, index) for label in pair)
        _check_pair(pair, i, j, r, blocks)
        sigma[i, j] = sigma[j, i] = r * math.sqrt(sigma[i, i] * sigma[j, j])
    _positive_semidefinite(sigma, "the input covariance (with the correlations given)" if correlation else
                           "the input covariance")  # fmt: skip
    return sigma


def _span(
    name: str, spans: Mapping[str, tuple[int, int]], given: dict[str, str], how: str
) -> tuple[int, int]:
    if name not in spans:
        known = ", ".join(spans) or "none"
        raise BadValue(f"{how} given for {name}, which has no value at the point (inputs: {known})")
    if name in given:
        raise BadValue(f"{name} has an uncertainty twice (as {given[name]} and as {how}): give it once")
    given[name] = how
    return spans[name]


def _standard_uncertainties(name: str, u: Any, shape: Shape) -> np.ndarray:
    try:
        array = np.asarray(u, dtype=float)
    except (ValueError, TypeError):
        array = None
    if array is None or array.shape not in ((), shape):
        raise BadValue(f"uncertainty of {name}: expected a number or an array shaped like {name}")
    values = np.broadcast_to(array, shape).ravel()
    bad = values[~np.isfinite(values) | (values < 0)]
    if bad.size:
        what = "negative" if np.all(np.isfinite(bad)) else "not finite"
        raise BadValue(f"uncertainty of {name} is {what} ({float(bad[0])!r}): a standard uncertainty is ≥ 0")
    return values


def _covariance_block(names: str, matrix: Any, size: int) -> np.ndarray:
    try:
        block = (
            np.asarray(matrix, dtype=float).reshape(size, size) if np.size(matrix) == size * size else None
        )
    except (ValueError, TypeError):
        block = None
    if block is None:
        raise BadValue(f"covariance of {names}: expected a {size}×{size} matrix (one row per element)")
    if not np.all(np.isfinite(block)):
        raise BadValue(f"covariance of {names} has a non-finite entry")
    scale = float(np.max(np.abs(block))) if block.size else 0.0
    if np.max(np.abs(block - block.T), initial=0.0) > 1e-12 * scale:
        raise BadValue(f"covariance of {names} is not symmetric")
    block = (block + block.T) / 2
    _positive_semidefinite(block, f"covariance of {names}")
    return block


def _element(label: str, index: Mapping[str, int]) -> int:
    found = index.get(label.replace(" ", ""))
    if found is None:
        raise BadValue(f"correlation names {label}, which is no input element at the point")
    return found


def _check_pair(pair: tuple[str, str], i: int, j: int, r: float, blocks: list[set[int]]) -> None:
    text = f"correlation of {pair[0]} and {pair[1]}"
    if isinstance(r, bool) or not isinstance(r, int | float) or not -1 <= r <= 1:
        raise BadValue(f"{text} is {r!r}: a correlation coefficient lies in [-1, 1]")
    if i == j:
        raise BadValue(f"{text}: an element's correlation with itself is 1")
    if any(i in block and j in block for block in blocks):
        raise BadValue(f"{text}: the pair is already in a covariance matrix given")


def _positive_semidefinite(matrix: np.ndarray, what: str) -> None:
    if not matrix.size:
        return
    eigenvalues = np.linalg.eigvalsh(matrix)
    if eigenvalues[0] < -1e-12 * max(eigenvalues[-1], 0.0) or (eigenvalues[-1] <= 0 < -eigenvalues[0]):
        raise BadValue(f"{what} is not positive semi-definite (smallest eigenvalue {eigenvalues[0]:.3g})")
