"""Minimisation with exact derivatives: what scipy.optimize.minimize gets, and the answer it gives.

scipy gets the exact gradient (reverse mode), the exact Hessian (forward over reverse, coloured by
sparsity) or Hessian-vector products (one forward sweep over the gradient graph), and the exact
Jacobians (and Hessians) of constraints; see objective.py for what each call costs. The answer
is keyed like scipy's OptimizeResult (x, fun, jac, nit, nfev, njev, nhev, success, status,
message, method), x and jac by input name and shaped like the inputs, with the first-order
optimality checked afterwards with the exact gradient: ‖∇f‖, or with bounds and constraints the
KKT residual ‖∇f − Σ λᵢ ∇cᵢ‖ for least-squares multipliers λ of the active ones.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import BadValue, UsageError
from ..ir.graph import Graph
from .constraints import Relation
from .notes import Answer, at_point
from .objective import Layout, Objective, Residual
from .optimality import POLISHED, kkt, polish

# scipy's spelling -> (what it takes: "hess" | "hessp" | "grad", bounds?, constraints?)
METHODS: dict[str, tuple[str, bool, bool]] = {
    "trust-exact": ("hess", False, False),
    "trust-krylov": ("hessp", False, False),
    "trust-ncg": ("hessp", False, False),
    "dogleg": ("hess", False, False),
    "Newton-CG": ("hessp", False, False),
    "BFGS": ("grad", False, False),
    "CG": ("grad", False, False),
    "L-BFGS-B": ("grad", True, False),
    "SLSQP": ("grad", True, True),
    "trust-constr": ("hess", True, True),
}
SMALL = 20  # up to this many unknowns, a dense Hessian and trust-exact; more: L-BFGS-B

Progress = Callable[[int, np.ndarray, float, float, float], None]


def method_of(name: str | None, size: int, bounded: bool, constrained: bool) -> str:
    """scipy's name of the method: the one asked for (any case), or chosen by the problem."""
    if name is None:
        return "SLSQP" if constrained else "L-BFGS-B" if bounded or size > SMALL else "trust-exact"
    found = {key.lower(): key for key in METHODS}.get(name.lower())
    if found is None:
        raise BadValue(f"unknown method {name!r}; methods: {', '.join(METHODS)}")
    _, takes_bounds, takes_constraints = METHODS[found]
    if constrained and not takes_constraints:
        raise UsageError(f"{found} takes no constraints (--subject-to): use SLSQP or trust-constr")
    if bounded and not takes_bounds:
        raise UsageError(f"{found} takes no bounds: use L-BFGS-B, SLSQP or trust-constr")
    return found


def options_of(method: str, gtol: float, maxiter: int | None, size: int) -> dict[str, Any]:
    """scipy's options so that a success means ‖∇f‖₂ <= gtol (the KKT residual for trust-constr)."""
    chosen: dict[str, Any]
    if method in ("trust-exact", "trust-krylov", "trust-ncg", "dogleg"):
        chosen = {"gtol": gtol}  # these stop on the 2-norm of the gradient
        if method == "trust-krylov":  # solve each subproblem exactly: inexact ones stall near 1e-9
            chosen["inexact"] = False
    elif method in ("BFGS", "CG"):
        chosen = {"gtol": gtol, "norm": 2}
    elif method == "L-BFGS-B":  # the ∞-norm of the projected gradient; no stop on f's progress
        chosen = {"gtol": gtol / math.sqrt(max(size, 1)), "ftol": 0.0}
    elif method == "Newton-CG":  # it stops on the step only: a Newton step ~ H⁻¹∇f
        chosen = {"xtol": 1e-14}
    elif method == "SLSQP":
        chosen = {"ftol": 1e-15}
    else:  # trust-constr: the Lagrangian's gradient. Its interior point stays inside inequalities by
        # about the barrier parameter: started small, it ends within ~1e-8 of the active ones
        chosen = {
            "gtol": gtol,
            "xtol": 1e-15,
            "initial_barrier_parameter": 1e-8,
            "initial_barrier_tolerance": 1e-8,
        }
    if maxiter is not None:
        chosen["maxiter"] = maxiter
    elif method == "SLSQP":
        chosen["maxiter"] = 1000
    return chosen


@dataclass(frozen=True)
class ConstraintAnswer:
    """One relation at the answer: lhs - rhs there, whether it is active, and its multiplier."""

    constraint: str
    type: str  # "ineq" or "eq"
    value: Any  # lhs - rhs (a number, or shaped like the relation's sides)
    active: bool
    multiplier: Any  # λ of c(x) >= 0 (inequality) or of lhs - rhs = 0, from the KKT check
    nfev: int
    njev: int

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class Minimum(Answer):
    """The answer of a minimisation, keyed like scipy's OptimizeResult (x and jac by input name)."""

    expression: str
    method: str
    x0: dict[str, Any]
    x: dict[str, Any]
    fun: float
    jac: dict[str, Any]
    nit: int
    nfev: int
    njev: int
    nhev: int
    nhvp: int
    success: bool
    status: int
    message: str
    optimality: float
    gtol: float
    seconds: float
    bounds: dict[str, tuple[float, float]] = field(default_factory=dict)
    constraints: list[ConstraintAnswer] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # element names, for tables
    flat: tuple[list[float], list[float], list[float]] = ([], [], [])  # x0, x, ∇f over the elements

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "method": self.method,
            "x0": self.x0,
            "x": self.x,
            "fun": self.fun,
            "jac": self.jac,
            "nit": self.nit,
            "nfev": self.nfev,
            "njev": self.njev,
            "nhev": self.nhev,
            "nhvp": self.nhvp,
            "success": self.success,
            "status": self.status,
            "message": self.message,
            "optimality": self.optimality,
            "gtol": self.gtol,
            "bounds": {name: list(pair) for name, pair in self.bounds.items()},
            "constraints": [c.to_dict() for c in self.constraints],
            "seconds": self.seconds,
        }


class Monitor:
    """scipy's callback: each iterate's f, ‖∇f‖ and step, handed to `progress` (a live table)."""

    def __init__(self, objective: Objective, start: np.ndarray, progress: Progress) -> None:
        self.objective, self.previous, self.progress, self.iteration = objective, start, progress, 0

    def __call__(self, intermediate_result: Any) -> None:  # the name scipy looks for
        x = np.asarray(getattr(intermediate_result, "x", intermediate_result), dtype=float)
        self.iteration += 1
        value, gradient = self.objective.value_and_gradient(x)  # uncounted: only for the display
        step = float(np.linalg.norm(x - self.previous))
        self.previous = x.copy()
        self.progress(self.iteration, x, value, float(np.linalg.norm(gradient)), step)


def minimize(
    graph: Graph,
    start: Mapping[str, Any],
    layout: Layout,
    fixed: Mapping[str, Any],
    method: str | None = None,
    bounds: Mapping[str, tuple[float, float]] | None = None,
    relations: Sequence[Relation] = (),
    gtol: float = 1e-9,
    maxiter: int | None = None,
    progress: Progress | None = None,
) -> Minimum:
    """Minimise the graph's scalar output over the unknowns of `layout`, from `start`."""
    import scipy.optimize as so

    if not gtol > 0:
        raise BadValue(f"gtol must be a positive number, got {gtol}")
    if len(graph.outputs) > 1:
        names = ", ".join(name for name, _ in graph.outputs)
        raise UsageError(
            f"minimize takes one scalar output, {graph.label} has {len(graph.outputs)} ({names}): "
            "for a system of equations use `adcalc solve`"
        )
    bounds = dict(bounds or {})
    chosen = method_of(method, layout.size, bool(bounds), bool(relations))
    objective = Objective(graph, layout, fixed)
    x0 = layout.flat(start)
    _check_start(graph, layout, fixed, x0)
    parts = [_Constraint(r, Residual(r.graph, layout, fixed, x0), layout, fixed) for r in relations]
    takes = METHODS[chosen][0]
    keywords: dict[str, Any] = {"jac": objective.gradient}
    if takes == "hess":
        keywords["hess"] = objective.hessian
    elif takes == "hessp":
        keywords["hessp"] = objective.hvp
    if bounds:
        keywords["bounds"] = _scipy_bounds(so, layout, bounds)
    if parts:
        keywords["constraints"] = [c.for_scipy(chosen, so) for c in parts]
    if progress is not None:
        keywords["callback"] = Monitor(objective, x0, progress)
    began = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # overflow in a trial step: the result says it
        options = options_of(chosen, gtol, maxiter, layout.size)
        found = so.minimize(objective.value, x0, method=chosen, options=options, **keywords)
    if not found.success and not bounds and not parts and layout.size <= POLISHED:
        polish(objective, found, gtol)
    seconds = time.perf_counter() - began
    return _answer(graph, objective, layout, found, chosen, start, bounds, parts, gtol, seconds)


def _check_start(graph: Graph, layout: Layout, fixed: Mapping[str, Any], x0: np.ndarray) -> None:
    """DomainError (exit 1) naming the operation when f is undefined at the start point."""
    from ..engine import sweeps
    from ..engine.bind import bind

    sweeps.values(bind(graph, {**fixed, **layout.named(x0)}))


def _scipy_bounds(so: Any, layout: Layout, bounds: Mapping[str, tuple[float, float]]) -> Any:
    lower, upper = np.full(layout.size, -np.inf), np.full(layout.size, np.inf)
    for name, (low, high) in bounds.items():
        a, b = layout.spans[name]
        lower[a:b], upper[a:b] = low, high
    return so.Bounds(lower, upper)


class _Constraint:
    """One relation as scipy takes it: c(x) >= 0 or d(x) = 0 with its Jacobian (and Hessian)."""

    def __init__(
        self, relation: Relation, residual: Residual, layout: Layout, fixed: Mapping[str, Any]
    ) -> None:
        self.relation, self.residual = relation, residual
        scalar = residual.size == 1 and not any(residual.output_shapes.values())
        self.objective = Objective(relation.graph, layout, fixed, "a constraint") if scalar else None

    def value(self, x: Any) -> np.ndarray:
        return self.relation.sign * self.residual.value(x)

    def jacobian(self, x: Any) -> np.ndarray:
        if self.objective is not None:  # one reverse sweep beats the general Jacobian
            self.residual.counts.jacobian += 1
            return self.relation.sign * self.objective.value_and_gradient(x)[1].reshape(1, -1)
        return self.relation.sign * self.residual.jacobian(x)

    def hessian(self, x: Any, v: Any) -> np.ndarray:
        """Σ vₖ ∇²cₖ (trust-constr's Lagrangian term) for a scalar relation, c = sign · d."""
        assert self.objective is not None
        return self.relation.sign * float(np.ravel(v)[0]) * self.objective.hessian(x)

    def for_scipy(self, method: str, so: Any) -> Any:
        if method == "SLSQP":
            return {"type": self.relation.kind, "fun": self.value, "jac": self.jacobian}
        low, high = (0.0, 0.0) if self.relation.kind == "eq" else (0.0, np.inf)
        extra = {"hess": self.hessian} if self.objective is not None else {}
        return so.NonlinearConstraint(self.value, low, high, jac=self.jacobian, **extra)


def _answer(
    graph: Graph,
    objective: Objective,
    layout: Layout,
    found: Any,
    method: str,
    start: Mapping[str, Any],
    bounds: dict[str, tuple[float, float]],
    parts: list[_Constraint],
    gtol: float,
    seconds: float,
) -> Minimum:
    x = np.asarray(found.x, dtype=float)
    value, gradient = objective.value_and_gradient(x)
    counted = [(part.residual.counts.value, part.residual.counts.jacobian) for part in parts]
    multipliers, active, optimality, negative = kkt(x, gradient, layout, bounds, parts)
    answers = []
    for part, lam, on, (nfev, njev) in zip(parts, multipliers, active, counted, strict=True):
        residual = part.residual
        named = residual.evaluate(x, check=False)
        shown = next(iter(named.values()))
        relation = part.relation
        answers.append(ConstraintAnswer(relation.text, relation.kind, shown, on, lam, nfev, njev))
    counts = objective.counts
    notes = _notes(objective, x) + negative
    if found.success and optimality > max(gtol, 1e-8) * 10:
        notes.append(
            f"scipy reports success, but the first-order optimality is {optimality:.3g} "
            f"(--gtol {gtol:g}): the answer may not be a minimum"
        )
    return Minimum(
        graph.label,
        method,
        layout.named(layout.flat(start)),
        layout.named(x),
        value,
        layout.named(gradient),
        int(found.get("nit", found.get("niter", 0)) or 0),
        counts.value,
        counts.gradient,
        counts.hessian,
        counts.hvp,
        bool(found.success),
        int(found.status),
        str(found.message),
        optimality,
        gtol,
        seconds,
        dict(bounds),
        answers,
        layout.labels,
        (list(layout.flat(start)), list(x), list(gradient)),
        warnings=notes,
    )


def _notes(objective: Objective, x: np.ndarray) -> list[str]:
    """Warnings at the answer (kinks met there, an infinite value), as every command gives them."""
    from ..engine import sweeps

    order, found = sweeps.values(objective.point(x), check=False, order=objective.value_order)
    return at_point(order, found, found[objective.root])
