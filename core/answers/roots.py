"""Roots with exact derivatives: scipy.optimize.root on F(x) = 0 with the exact Jacobian, and
root_scalar on f(x) = 0 in one unknown with f' (Newton) and f'' (Halley), both by AD.

The answer gives the residual at the root, ‖F(x)‖₂ and per output, the Jacobian there (blocks
output → input, as `adcalc jacobian` prints them) and its rank: a singular Jacobian at the last
iterate is the usual reason Newton-type methods stop, and the message says so.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import elements
from ..errors import BadValue, UsageError
from ..ir.graph import Graph
from .notes import Answer
from .objective import Layout, Objective, Residual

WITH_JACOBIAN = ("hybr", "lm")
WITHOUT_JACOBIAN = (
    "broyden1",
    "broyden2",
    "anderson",
    "linearmixing",
    "diagbroyden",
    "excitingmixing",
    "krylov",
    "df-sane",
)
SCALAR = {1: "newton", 2: "halley"}  # --order -> method
BRACKETED = ("brentq", "brenth", "bisect", "ridder", "toms748")
XTOL = 1e-12  # relative change of x between iterates at which hybr and lm stop (scipy's: 1.5e-8)


@dataclass(frozen=True)
class Root(Answer):
    """A root of F (or f), keyed like scipy's OptimizeResult, x by input name, F by output."""

    expression: str
    method: str
    x0: dict[str, Any]
    x: dict[str, Any]
    fun: dict[str, Any]  # output key -> F there (shaped like the output)
    residual_norm: float
    jacobian: dict[str, dict[str, Any]]  # output -> input -> block out.shape + in.shape, at x
    rank: int
    nit: int | None
    nfev: int
    njev: int
    nhev: int
    success: bool
    status: int
    message: str
    seconds: float
    labels: list[str] = field(default_factory=list)
    flat: tuple[list[float], list[float]] = ([], [])  # x0, x over the elements

    @property
    def singular(self) -> bool:
        return self.rank < len(self.labels)

    def failure(self) -> str:
        """Why it stopped, in one line: scipy's message, after a singular Jacobian when there is one."""
        message = " ".join(self.message.split())
        if not self.singular:
            return message
        if len(self.labels) == 1:
            ((name, value),) = self.x.items()
            return f"the derivative is 0 at {name} = {value!r}, where Newton's step is undefined: {message}"
        rank = f"rank {self.rank} of {len(self.labels)}"
        return f"the Jacobian is singular at the last iterate ({rank}): {message}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "method": self.method,
            "x0": self.x0,
            "x": self.x,
            "fun": self.fun,
            "residual_norm": self.residual_norm,
            "jacobian": self.jacobian,
            "rank": self.rank,
            "nit": self.nit,
            "nfev": self.nfev,
            "njev": self.njev,
            "nhev": self.nhev,
            "success": self.success,
            "status": self.status,
            "message": self.message,
            "seconds": self.seconds,
        }


def solve(
    graph: Graph,
    start: Mapping[str, Any],
    layout: Layout,
    fixed: Mapping[str, Any],
    method: str | None = None,
    order: int = 1,
    bracket: tuple[float, float] | None = None,
    xtol: float | None = None,
    maxiter: int | None = None,
) -> Root:
    """A root of the graph's outputs in the unknowns of `layout`, from `start` (or in `bracket`)."""
    if order not in SCALAR:
        raise BadValue(f"order must be 1 (Newton) or 2 (Halley), got {order}")
    x0 = layout.flat(start)
    residual = Residual(graph, layout, fixed, x0)
    residual.evaluate(x0)  # DomainError (exit 1) naming the operation when F is undefined at the start
    equations, unknowns = residual.size, layout.size
    scalar = equations == 1 and unknowns == 1 and not any(residual.output_shapes.values())
    chosen = (method or "").lower() or None
    if scalar and (chosen is None or chosen in (*SCALAR.values(), "secant", *BRACKETED)):
        return _scalar(graph, residual, layout, fixed, start, chosen, order, bracket, xtol, maxiter)
    if bracket is not None:
        raise UsageError("--bracket is for one equation in one unknown")
    chosen = chosen or "hybr"
    if chosen not in (*WITH_JACOBIAN, *WITHOUT_JACOBIAN):
        known = ", ".join((*WITH_JACOBIAN, *WITHOUT_JACOBIAN))
        raise BadValue(f"unknown method {method!r} for a system; methods: {known}")
    if chosen != "lm" and equations != unknowns or chosen == "lm" and equations < unknowns:
        raise UsageError(
            f"{equations} equation(s) in {unknowns} unknown(s): {chosen} needs as many equations as "
            "unknowns; for more equations use --method lm (least squares), otherwise `adcalc minimize` "
            "the sum of squares"
        )
    return _system(graph, residual, layout, start, chosen, xtol, maxiter)


def _system(
    graph: Graph,
    residual: Residual,
    layout: Layout,
    start: Mapping[str, Any],
    method: str,
    xtol: float | None,
    maxiter: int | None,
) -> Root:
    import scipy.optimize as so

    options: dict[str, Any] = {}
    notes = []
    if method in WITH_JACOBIAN:
        options["xtol"] = XTOL if xtol is None else xtol
        if maxiter is not None:
            options["maxfev" if method == "hybr" else "maxiter"] = maxiter
        jac: Any = residual.jacobian
    else:
        notes.append(f"{method} does not use the Jacobian (hybr and lm use the exact one)")
        if maxiter is not None:
            options["maxiter"] = maxiter
        jac = None
    x0 = layout.flat(start)
    rank0 = _rank(residual.jacobian(x0))
    residual.counts.jacobian -= 1  # the rank at the start is ours, not the method's
    if rank0 < layout.size:
        notes.append(f"the Jacobian is singular at the start point (rank {rank0} of {layout.size})")
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy's RuntimeWarnings say what the status says
        found = so.root(residual.value, x0, jac=jac, method=method, options=options)
    seconds = time.perf_counter() - began
    counts = residual.counts
    nit = found.get("nit")
    return _root(
        graph,
        residual,
        layout,
        start,
        method,
        np.asarray(found.x, dtype=float),
        int(nit) if nit is not None else None,
        counts.value,
        counts.jacobian,
        0,
        bool(found.success),
        int(found.get("status", 0)),
        str(found.message),
        seconds,
        notes,
    )


def _scalar(
    graph: Graph,
    residual: Residual,
    layout: Layout,
    fixed: Mapping[str, Any],
    start: Mapping[str, Any],
    method: str | None,
    order: int,
    bracket: tuple[float, float] | None,
    xtol: float | None,
    maxiter: int | None,
) -> Root:
    import scipy.optimize as so

    f = Objective(graph, layout, fixed, "solve")
    method = method or ("brentq" if bracket is not None else SCALAR[order])
    keywords: dict[str, Any] = {"method": method}
    if method in BRACKETED:
        if bracket is None:
            raise UsageError(
                f"{method} needs a bracket: give --bracket a:b with f(a), f(b) of opposite signs"
            )
        keywords["bracket"] = bracket
        keywords["xtol"] = 1e-15 if xtol is None else xtol
    else:
        keywords.update(x0=float(layout.flat(start)[0]), xtol=1e-15 if xtol is None else xtol)
        keywords["fprime"] = lambda x: float(f.gradient(np.array([x]))[0])
        if method == "halley":
            keywords["fprime2"] = lambda x: float(f.hessian(np.array([x]))[0, 0])
        if method == "secant":
            del keywords["fprime"]
    if maxiter is not None:
        keywords["maxiter"] = maxiter

    def value(x: float) -> float:
        out = f.value(np.array([x]))
        return math.nan if out == math.inf else out  # f may be +inf only where it is undefined: NaN

    began = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "Derivative was zero" is in the flag too
            found = so.root_scalar(value, **keywords)
    except ValueError as problem:  # brentq's "f(a) and f(b) must have different signs"
        raise BadValue(f"--bracket {bracket[0]!r}:{bracket[1]!r}: {problem}") from None
    seconds = time.perf_counter() - began
    x = np.array([found.root], dtype=float)
    message = found.flag if found.converged else f"{found.flag} after {found.iterations} iteration(s)"
    counts = f.counts
    return _root(
        graph,
        residual,
        layout,
        start,
        method,
        x,
        int(found.iterations),
        counts.value,
        counts.gradient,
        counts.hessian,
        bool(found.converged),
        0 if found.converged else 1,
        message,
        seconds,
        [],
    )


def _rank(matrix: np.ndarray) -> int:
    if not np.all(np.isfinite(matrix)):
        return 0
    if matrix.size == 0:
        return 0
    return int(np.linalg.matrix_rank(matrix))


def _root(
    graph: Graph,
    residual: Residual,
    layout: Layout,
    start: Mapping[str, Any],
    method: str,
    x: np.ndarray,
    nit: int | None,
    nfev: int,
    njev: int,
    nhev: int,
    success: bool,
    status: int,
    message: str,
    seconds: float,
    notes: list[str],
) -> Root:
    from .jacobian import jacobian

    at = {**residual.fixed, **layout.named(x)}
    values = residual.evaluate(x, check=False)
    flat_values = [
        v for key, value in values.items() for v in elements.flat(value, residual.output_shapes[key])
    ]
    norm = float(np.linalg.norm(flat_values))
    try:
        answer = jacobian(graph, at, layout.names)
        blocks, rows = answer.blocks, np.array(answer.rows, dtype=float).reshape(residual.size, -1)
        notes = notes + [n for n in answer.warnings if n not in notes]
    except Exception as problem:  # undefined at the last iterate: no Jacobian to show
        from ..errors import EvaluationError

        if not isinstance(problem, EvaluationError):
            raise
        blocks, rows = {}, np.full((residual.size, layout.size), np.nan)
    rank = _rank(rows)
    if success and method == "lm" and norm > 1e-8 * max(1.0, float(np.linalg.norm(rows))):
        notes.append(f"lm found a least-squares point, not a root: ‖F(x)‖ = {norm:.3g}")
    if rank < layout.size and success:
        notes.append(
            f"the Jacobian is singular at the root (rank {rank} of {layout.size}): a multiple "
            "root, where Newton-type methods converge slowly and x is less accurate"
        )
    return Root(
        graph.label,
        method,
        layout.named(layout.flat(start)),
        layout.named(x),
        values,
        norm,
        blocks,
        rank,
        nit,
        nfev,
        njev,
        nhev,
        success,
        status,
        message,
        seconds,
        layout.labels,
        (list(layout.flat(start)), list(x)),
        warnings=notes,
    )
