"""First-order optimality at an answer, with exact derivatives: the KKT check (least-squares
multipliers of the active bounds and constraints, the residual ‖∇f − Σ λᵢ∇cᵢ‖₂), and Newton
steps on ∇f = 0 that finish a run scipy gave up for want of a measurable decrease of f.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .objective import Layout, Objective

POLISHED = 500  # unknowns up to which a stalled unconstrained run is polished by Newton steps (dense)
ACTIVE = 1e-6  # a constraint or bound within this of its limit counts as active in the KKT check
NEGATIVE = 1e-6  # an inequality's multiplier below -NEGATIVE·max(1, ‖∇f‖) says x is no KKT point


def polish(objective: Objective, found: Any, gtol: float, steps: int = 5) -> None:
    """After scipy gave up for want of a measurable decrease of f (its rounding: "precision loss",
    "bad approximation"), Newton steps on ∇f = 0 with the exact Hessian, which need no decrease of
    f: each is kept while it lowers ‖∇f‖ (and f rises by no more than its rounding) and the Hessian
    is positive definite. A success then says so in `found.message`; `found` is updated in place."""
    if any(word in found.message.lower() for word in ("iteration", "evaluations")):
        return  # stopped by a limit the user may have set, not by rounding
    x = np.asarray(found.x, dtype=float)
    value, gradient = objective.value_and_gradient(x)
    norm, taken = float(np.linalg.norm(gradient)), 0
    while norm > gtol and taken < steps and norm <= 1e-4 * max(1.0, abs(value)):
        try:
            factor = np.linalg.cholesky(objective.hessian(x))
        except np.linalg.LinAlgError:  # not positive definite: no minimum nearby for Newton's step
            break
        step = -np.linalg.solve(factor.T, np.linalg.solve(factor, gradient))
        objective.counts.gradient += 1
        new_value, new_gradient = objective.value_and_gradient(x + step)
        new_norm = float(np.linalg.norm(new_gradient))
        if not new_norm < norm or new_value > value + 8 * np.finfo(float).eps * max(1.0, abs(value)):
            break
        x, value, gradient, norm, taken = x + step, new_value, new_gradient, new_norm, taken + 1
    if taken and norm <= gtol:
        found.message = (f"{' '.join(found.message.split())} Then {taken} Newton step(s) on ∇f = 0 with the "
                         f"exact Hessian reached ‖∇f‖ <= gtol.")  # fmt: skip
        found.x, found.success, found.status = x, True, 0


def kkt(
    x: np.ndarray,
    gradient: np.ndarray,
    layout: Layout,
    bounds: Mapping[str, tuple[float, float]],
    parts: Sequence[Any],
) -> tuple[list[Any], list[bool], float, list[str]]:
    """(multiplier and activity per relation, the KKT residual ‖∇f − Σ λᵢ ∇cᵢ‖₂, warnings) at x.

    The multipliers of the active relations and bounds solve ∇f = Σ λᵢ ∇cᵢ in least squares;
    inactive ones get λ = 0, and an inequality's λ must be >= 0. Without bounds and constraints
    the residual is ‖∇f‖₂.
    """
    rows, owners = [], []
    lower, upper = np.full(layout.size, -np.inf), np.full(layout.size, np.inf)
    for name, (low, high) in bounds.items():
        a, b = layout.spans[name]
        lower[a:b], upper[a:b] = low, high
    for k in range(layout.size):  # an active bound: c = x - lower or upper - x
        for limit, sign in ((lower[k], 1.0), (upper[k], -1.0)):
            if math.isfinite(limit) and abs(x[k] - limit) <= ACTIVE * max(1.0, abs(limit)):
                row = np.zeros(layout.size)
                row[k] = sign
                rows.append(row)
                owners.append(("bound", layout.labels[k]))
    actives = []
    for index, part in enumerate(parts):
        c = np.atleast_1d(part.value(x))
        jacobian = np.atleast_2d(part.jacobian(x))
        on = [part.relation.kind == "eq" or abs(v) <= ACTIVE for v in c]
        actives.append(any(on))
        for k, is_on in enumerate(on):
            if is_on:
                rows.append(jacobian[k])
                owners.append((index, k))
    multipliers: list[Any] = [np.zeros(np.atleast_1d(p.value(x)).size) for p in parts]
    if not rows:
        shaped = [_shaped(m, p) for m, p in zip(multipliers, parts, strict=True)]
        return shaped, actives, float(np.linalg.norm(gradient)), []
    matrix = np.array(rows).T  # columns: the active ∇cᵢ
    lam = np.linalg.lstsq(matrix, gradient, rcond=None)[0]
    negative = []
    for owner, value in zip(owners, lam, strict=True):
        if owner[0] == "bound":
            what = f"the bound on {owner[1]}"
        else:
            multipliers[owner[0]][owner[1]] = value
            what = f"'{parts[owner[0]].relation.text}'"
            if parts[owner[0]].relation.kind == "eq":
                continue
        if value < -NEGATIVE * max(1.0, float(np.linalg.norm(gradient))):
            negative.append(
                f"{what} has a negative multiplier ({value:.3g}): f decreases into the "
                "feasible side, so x is no KKT point (not a local minimum)"
            )
    residual = float(np.linalg.norm(gradient - matrix @ lam))
    shaped = [_shaped(m, p) for m, p in zip(multipliers, parts, strict=True)]
    return shaped, actives, residual, negative


def _shaped(multipliers: np.ndarray, part: Any) -> Any:
    shapes = list(part.residual.output_shapes.values())
    shape = shapes[0] if len(shapes) == 1 else (multipliers.size,)
    return float(multipliers[0]) if not shape else multipliers.reshape(shape)
