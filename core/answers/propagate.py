"""Uncertainty propagation as in the GUM (JCGM 100): the law of propagation of uncertainty from
the exact Jacobian, second-order terms from the exact Hessian, and a Monte Carlo check (GUM
Supplement 1, JCGM 101).

Everything is computed over input and output *elements* (x[1], A[1,2]), so vector and matrix
inputs are no special case: with J the Jacobian (output elements × input elements) and Σ the
covariance of the input elements, the outputs' covariance is J Σ Jᵀ at first order. At second
order (Gaussian inputs) the mean moves by ½ tr(H Σ) and the covariance of outputs a, b gains
½ tr(H_a Σ H_b Σ); for independent inputs these are ½ Σ H_ii u_i² and ½ Σ_ij H_ij² u_i² u_j²,
the terms of GUM 5.1.2's note without its third-derivative term (exact for quadratic functions).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine import elements
from ..errors import EvaluationError, TooLarge, UsageError
from ..ir.graph import Graph
from .covariance import input_covariance
from .jacobian import jacobian
from .notes import Answer

Shape = tuple[int, ...]
Sampler = Callable[[np.ndarray], np.ndarray]  # samples (N, input elements) -> (N, output elements)
COVERAGE = 0.95  # of the Monte Carlo interval: the probabilistically symmetric one (JCGM 101 7.7)


@dataclass(frozen=True)
class MonteCarlo:
    """A Monte Carlo check (JCGM 101): per output element, the mean, standard deviation and the
    interval holding the central `coverage` of the defined samples; `undefined`: samples left out."""

    samples: int
    seed: int
    undefined: int
    means: list[float]
    stds: list[float]
    lows: list[float]
    highs: list[float]
    covariance: list[list[float]]
    coverage: float = COVERAGE


@dataclass(frozen=True)
class Propagation(Answer):
    """Value, standard uncertainty and budget of each output at a point with uncertain inputs."""

    expression: str
    at: dict[str, Any]
    order: int
    input_shapes: dict[str, Shape]
    output_shapes: dict[str, Shape]  # output key -> shape
    inputs: list[str]  # input element labels
    input_values: list[float]
    input_covariance: list[list[float]]
    labels: list[str]  # output element labels
    values: list[float]  # f at the point, per output element
    means: list[float]  # the estimate of E[f]: f, plus ½ tr(HΣ) at second order
    sensitivities: list[list[float]]  # c = ∂output/∂input (output elements × input elements)
    covariance: list[list[float]]  # of the output elements
    terms: list[dict[str, float]] = field(default_factory=list)  # per output element: parts of u²
    monte_carlo: MonteCarlo | None = None

    def _shaped(self, entries: list[float]) -> Any:
        """Per output element -> one output's value shape, or output key -> shaped, for several."""
        spans = elements.offsets(self.output_shapes)
        shaped = {k: elements.block(entries[a:b], self.output_shapes[k]) for k, (a, b) in spans.items()}
        return next(iter(shaped.values())) if len(shaped) == 1 else shaped

    @property
    def uncertainties(self) -> list[float]:
        """The standard uncertainty of each output element."""
        return [math.sqrt(max(self.covariance[k][k], 0.0)) for k in range(len(self.labels))]

    @property
    def input_uncertainties(self) -> list[float]:
        return [math.sqrt(self.input_covariance[i][i]) for i in range(len(self.inputs))]

    @property
    def value(self) -> Any:
        return self._shaped(self.values)

    @property
    def mean(self) -> Any:
        return self._shaped(self.means)

    @property
    def u(self) -> Any:
        """The standard uncertainty, shaped like the value."""
        return self._shaped(self.uncertainties)

    @property
    def uncertainty(self) -> dict[str, Any]:
        """Input name -> its standard uncertainty, shaped like the input."""
        spans = elements.offsets(self.input_shapes)
        u = self.input_uncertainties
        return {name: elements.block(u[a:b], self.input_shapes[name]) for name, (a, b) in spans.items()}

    def budget(self, k: int) -> list[dict[str, Any]]:
        """The budget of output element k: per uncertain input element its value, u, sensitivity c,
        c·u and share of the variance u² in percent (correlations and second order: `terms`)."""
        total = self.covariance[k][k]
        rows = []
        for i, label in enumerate(self.inputs):
            u, c = self.input_uncertainties[i], self.sensitivities[k][i]
            if not u:
                continue  # an exact input adds nothing, even where c is infinite
            part = c * u
            share = 100.0 * part * part / total if total > 0 else 0.0
            rows.append({"input": label, "value": self.input_values[i], "u": u, "sensitivity": c,
                         "contribution": part, "percent": share})  # fmt: skip
        return rows

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "expression": self.expression,
            "at": self.at,
            "uncertainty": self.uncertainty,
            "order": self.order,
            "outputs": list(self.output_shapes),
            "value": self.value,
            "mean": self.mean,
            "u": self.u,
            "budget": {label: self.budget(k) for k, label in enumerate(self.labels)},
            "terms": dict(zip(self.labels, self.terms, strict=True)),
            "covariance": {"outputs": self.labels, "matrix": self.covariance},
        }
        if any(self.input_covariance[i][j] for i in range(len(self.inputs)) for j in range(i)):
            document["input_covariance"] = {"inputs": self.inputs, "matrix": self.input_covariance}
        if self.monte_carlo is not None:
            document["mc"] = _mc_dict(self, self.monte_carlo)
        return document


MAX_DRAWN = 1 << 26  # Monte Carlo draws × (inputs + outputs): 512 MiB of float64

def _mc_dict(result: Propagation, mc: MonteCarlo) -> dict[str, Any]:
    return {
        "samples": mc.samples, "seed": mc.seed, "coverage": mc.coverage, "undefined": mc.undefined,
        "mean": result._shaped(mc.means), "u": result._shaped(mc.stds),
        "low": result._shaped(mc.lows), "high": result._shaped(mc.highs), "covariance": mc.covariance,
    }  # fmt: skip


def propagate(
    graph: Graph,
    at: Mapping[str, Any],
    uncertainty: Mapping[str, Any] | None = None,
    covariance: Mapping[Any, Any] | None = None,
    correlation: Mapping[tuple[str, str], float] | None = None,
    order: int = 1,
    samples: int = 0,
    seed: int = 0,
    sampler: Sampler | None = None,
) -> Propagation:
    """Propagate the inputs' uncertainties through every output (see the module's docstring).

    `uncertainty`: name -> standard uncertainty (a number, or an array shaped like the input; a
    number for an array input is every element's); `covariance`: a name or a tuple of names ->
    the covariance matrix of their elements (row-major, in the order named); `correlation`:
    (element, element) -> correlation coefficient, e.g. ("m", "g") or ("x[1]", "x[2]").
    `samples` > 0 adds a Monte Carlo check with that many draws from N(at, Σ), evaluated by
    `sampler` (by default one engine evaluation per sample).
    """
    if order not in (1, 2):
        raise UsageError(f"order must be 1 or 2, got {order}")
    if samples < 0 or samples == 1:
        raise UsageError(f"a Monte Carlo check needs at least 2 samples, got {samples}")
    first = jacobian(graph, at)
    shapes = first.input_shapes
    sigma = input_covariance(shapes, uncertainty or {}, covariance or {}, correlation or {})
    J = np.array(first.rows, dtype=float).reshape(len(first.row_labels), len(sigma))
    drawn = samples * (len(sigma) + len(J))  # numbers held: the draws and their outputs
    if drawn > MAX_DRAWN:
        raise TooLarge(
            f"--mc {samples:,} would hold {drawn:,} numbers ({drawn * 8 >> 20:,} MiB), more than "
            f"{MAX_DRAWN:,} (the documented limit): take fewer samples"
        )
    # an exact input adds nothing even where its sensitivity is infinite or NaN (0·inf would be NaN)
    Ju = np.where(np.diag(sigma) > 0, J, 0.0)
    means, second = list(first.row_values), np.zeros((len(J), len(J)))
    if order == 2:
        means, second = second_order_terms(second_order(graph, at, first), means, sigma)
    cov = Ju @ sigma @ Ju.T + second
    terms = [_terms(Ju[k], sigma, second[k, k]) for k in range(len(J))]
    notes = [*first.warnings, *_stationary(cov, first.row_labels, sigma, order)]
    mc = None
    if samples:
        sampler = sampler or engine_sampler(graph, shapes, len(J))
        mc = monte_carlo(np.array(first_values(first)), sigma, samples, seed, sampler)
        if mc.undefined:
            notes.append(f"{mc.undefined} of {samples} Monte Carlo samples had no finite value: left out")
    return Propagation(
        graph.label, first.at, order, dict(shapes), dict(first.output_shapes), first.column_labels,
        first_values(first), sigma.tolist(), first.row_labels, first.row_values, means, J.tolist(),
        cov.tolist(), terms, mc, warnings=notes,
    )  # fmt: skip


def second_order_terms(
    hessians: list[np.ndarray], values: list[float], sigma: np.ndarray
) -> tuple[list[float], np.ndarray]:
    """(means, second-order covariance) for Gaussian inputs: E f_a ≈ f_a + ½ tr(H_a Σ) and
    cov(f_a, f_b) gains ½ tr(H_a Σ H_b Σ) (exact for quadratic functions)."""
    means = [v + 0.5 * float(np.sum(H * sigma)) for v, H in zip(values, hessians, strict=True)]  # Σ symmetric
    products = [H @ sigma for H in hessians]
    second = np.array([[0.5 * float(np.sum(P * Q.T)) for Q in products] for P in products])  # tr(PQ)
    return means, second.reshape(len(values), len(values))


def first_values(first: Any) -> list[float]:
    """The point's input elements, flattened in the Jacobian's column order."""
    return [v for name, shape in first.input_shapes.items() for v in elements.flat(first.at[name], shape)]


def _terms(c: np.ndarray, sigma: np.ndarray, second: float) -> dict[str, float]:
    """u² split into its parts: Σ c_i² u_i², the correlation terms, the second-order terms."""
    independent = float(np.sum(c * c * np.diag(sigma)))
    off_diagonal = sigma - np.diag(np.diag(sigma))
    correlated = float(c @ off_diagonal @ c)  # exactly 0 without correlations
    return {"inputs": independent, "correlations": correlated, "second_order": float(second)}


def _stationary(cov: np.ndarray, labels: list[str], sigma: np.ndarray, order: int) -> list[str]:
    """A warning where u is 0 though some input is uncertain: first order misses what is there."""
    if not np.any(np.diag(sigma) > 0):
        return ["no input has an uncertainty: every u is 0"]
    flat = [label for k, label in enumerate(labels) if cov[k, k] == 0]
    if order == 2 or not flat:
        return []
    return [
        f"u = 0 at first order for {', '.join(flat)}: no uncertain input moves it to first order here "
        "(a stationary point?); order 2 or a Monte Carlo check shows what first order misses"
    ]


def second_order(graph: Graph, at: Mapping[str, Any], first: Any) -> list[np.ndarray]:
    """The Hessian of each output element over every input element (scalar outputs only)."""
    from .hessian import hessian

    arrays = [key for key, shape in first.output_shapes.items() if shape]
    if arrays:
        raise UsageError(
            f"order 2 needs scalar outputs, {arrays[0]} is an array: use order 1 or a Monte Carlo check"
        )
    matrices = []
    for name, root in graph.outputs:
        one = graph if len(graph.outputs) == 1 else graph.with_outputs(((name, root),))
        matrices.append(np.array(hessian(one, at, list(first.input_shapes)).matrix, dtype=float))
    return matrices


# --- Monte Carlo (JCGM 101) ---------------------------------------------------------------------
def monte_carlo(mean: np.ndarray, sigma: np.ndarray, samples: int, seed: int, sampler: Sampler) -> MonteCarlo:
    """N draws from N(mean, Σ), seeded (reproducible), through `sampler`; the statistics of the
    draws whose outputs are all finite. Exact inputs (variance 0) keep their value in every draw."""
    rng = np.random.default_rng(seed)
    active = np.flatnonzero(np.diag(sigma) > 0)
    draws = np.broadcast_to(mean, (samples, len(mean))).copy()
    if active.size:
        w, v = np.linalg.eigh(sigma[np.ix_(active, active)])  # Σ = V W Vᵀ: a semi-definite Σ too
        root = v * np.sqrt(np.clip(w, 0.0, None))
        draws[:, active] += rng.standard_normal((samples, active.size)) @ root.T
    outputs = np.asarray(sampler(draws), dtype=float).reshape(samples, -1)
    finite = np.all(np.isfinite(outputs), axis=1)
    kept = outputs[finite]
    if len(kept) < 2:
        raise EvaluationError(f"{samples - len(kept)} of {samples} Monte Carlo samples had no finite value")
    tail = (1 - COVERAGE) / 2
    low, high = np.quantile(kept, [tail, 1 - tail], axis=0)
    covariance = np.atleast_2d(np.cov(kept, rowvar=False))
    means, stds = kept.mean(axis=0).tolist(), kept.std(axis=0, ddof=1).tolist()
    undefined = samples - len(kept)
    return MonteCarlo(samples, seed, undefined, means, stds, low.tolist(), high.tolist(), covariance.tolist())


def engine_sampler(graph: Graph, shapes: Mapping[str, Shape], width: int) -> Sampler:
    """One engine evaluation per sample (any graph, arrays included); NaN where undefined."""
    from .point import evaluate

    spans = elements.offsets(shapes)

    def run(draws: np.ndarray) -> np.ndarray:
        rows = []
        for draw in draws:
            point = {
                n: draw[a:b].reshape(shapes[n]) if shapes[n] else float(draw[a])
                for n, (a, b) in spans.items()
            }
            try:
                value = evaluate(graph, point).value
            except EvaluationError:
                rows.append(None)
                continue
            found = value.values() if isinstance(value, dict) else [value]
            rows.append([x for v in found for x in np.ravel(np.asarray(v, dtype=float))])
        return np.array([r if r is not None else [math.nan] * width for r in rows], dtype=float)

    return run
