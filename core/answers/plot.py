"""What `adcalc plot` draws: f, f′ (and f″) sampled over a range, the index ranges drawn as lines,
and the critical points where the exact f′ vanishes.

The samples come from a `sample(xs)` callable (api.plot_data compiles the graph for it: this layer
does not import the code generator). Each series is paired with its exact derivative, the one
above it: f with f′, f′ with f″, f″ with f‴. That pairing is the gap rule, `discontinuous`:

- a point where the value is NaN or ±inf is a gap;
- a jump: neighbours are not joined when their change is more than 3 times what the larger of the
  two exact slopes allows over the step (|Δy| > 3·h·max(|y′ᵢ|, |y′ᵢ₊₁|) plus rounding noise), by
  the mean value theorem (floor, sign, the jump of f′ at a kink of f);
- a pole: not joined when from both ends the exact derivative says |y| blows up before the other
  end, i.e. a Newton step on 1/y (x + y/y′) lands inside the step from each side, and |y| is more
  than 3 times its median size at both (tan, 1/x, 1/x²; a sine sampled coarsely is not one);
- a reversal: not joined when the change goes against the exact slope at both ends by more than
  1% of the plot's height (a pole hidden under a large smooth part, such as 1/x + 1000).

A feature narrower than the grid step (a rise steeper than one step can resolve) looks like a jump
or a pole and is also split; more points resolve it. A series is also split wherever the series it
is the derivative of is (f′ does not exist where f jumps), and has gaps where that one has.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.reverse import gradient_graph
from ..errors import BadValue, EvaluationError, MissingVariables, UsageError
from ..ir.graph import Graph
from ..ir.nodes import topological_order
from ..ir.shapes import show
from .notes import Answer

NAMES = ("f", "df", "d2f", "d3f")  # the series' keys: f and its derivatives by the plotted variable
LABELS = {"f": "f", "df": "f′", "d2f": "f″"}
JUMP = 3.0  # a change more than 3x what the endpoint slopes allow is a jump
POLE = 3.0  # a pole's neighbours are both larger than 3x the series' median size
REVERSAL = 0.01  # a change against both slopes by more than 1% of the plot's height is a pole
ROUNDING = 1e3 * np.finfo(float).eps  # a derivative's rounding, relative to its function's scale
MOST_POINTS = 1_000_000

Sampler = Callable[[np.ndarray], Sequence[np.ndarray | None]]


@dataclass(frozen=True)
class CriticalPoint:
    """Where f′ = 0: the refined root, f and f″ there, and what kind of point it is."""

    x: float
    f: float
    df: float
    d2f: float
    kind: str  # minimum, maximum, inflection (f′ touches 0 without changing sign), stationary

    def to_dict(self) -> dict[str, Any]:
        return {"x": self.x, "f": self.f, "df": self.df, "d2f": self.d2f, "kind": self.kind}


@dataclass(frozen=True)
class PlotData(Answer):
    """f and its derivatives on a grid: values (NaN at gaps) and the pieces drawn as lines."""

    expression: str
    variable: str
    at: dict[str, Any]  # the inputs held fixed
    interval: tuple[float, float]
    order: int
    x: np.ndarray = field(repr=False)
    series: dict[str, np.ndarray] = field(repr=False)  # "f", "df" (, "d2f"): NaN where a gap is
    segments: dict[str, list[tuple[int, int]]] = field(repr=False)  # first, last index (inclusive)
    critical: list[CriticalPoint] | None = None  # None: not asked for

    def to_dict(self) -> dict[str, Any]:
        document: dict[str, Any] = {
            "expression": self.expression,
            "at": self.at,
            "variable": self.variable,
            "range": list(self.interval),
            "points": len(self.x),
            "order": self.order,
            "grid": self.x.tolist(),
        }
        for name, values in self.series.items():  # a gap is null: NaN is not JSON
            document[name] = [v if v == v else None for v in values.tolist()]
        document["segments"] = {name: [list(p) for p in pieces] for name, pieces in self.segments.items()}
        if self.critical is not None:
            document["critical"] = [point.to_dict() for point in self.critical]
        return document

    def view(self, names: Sequence[str] | None = None) -> tuple[float, float]:
        """The y range to show the series (all by default): every value, unless a few (near a
        pole) would squash the rest; then that series' middle 90%, widened by half of it each way."""
        lows, highs = [], []
        for values in (self.series[name] for name in names or self.series):
            finite = values[np.isfinite(values)]
            if not finite.size:
                continue
            low, high = float(finite.min()), float(finite.max())
            inner_low, inner_high = (float(v) for v in np.percentile(finite, [5, 95]))
            inner = inner_high - inner_low
            if high - low > 4 * inner > 0:
                low, high = max(low, inner_low - inner / 2), min(high, inner_high + inner / 2)
            lows.append(low)
            highs.append(high)
        if not lows:
            return -1.0, 1.0
        low, high = min(lows), max(highs)
        return (low - 1.0, high + 1.0) if low == high else (low, high)


# --- the graphs of f, f′, f″, ... -----------------------------------------------------------------
def check_plottable(graph: Graph, variable: str | None, at: dict[str, Any]) -> str:
    """The variable that varies; UsageError when the graph cannot be drawn as one curve."""
    if len(graph.outputs) > 1:
        names = ", ".join(name for name, _ in graph.outputs)
        raise UsageError(f"plot draws one output, {graph.label} has {len(graph.outputs)}: {names}")
    inputs = list(graph.variables)
    listed = ", ".join(inputs)
    if variable is None:
        free = [name for name in inputs if name not in at]
        if not inputs:
            raise UsageError(f"{graph.label} has no inputs: nothing to vary")
        if not free:
            raise UsageError(
                f"--at fixes every input of {graph.label} ({listed}): leave out the one that varies"
            )
        if len(free) > 1:
            raise UsageError(
                f"{graph.label} has inputs {listed}: name the one that varies with --x NAME=a:b "
                "and fix the others with --at"
            )
        variable = free[0]
    if variable not in inputs:
        raise BadValue(
            f"--x {variable}: {graph.label} has no input {variable!r} (inputs: {listed or 'none'})"
        )
    if variable in at:
        raise BadValue(f"--x {variable}: {variable} varies over the range, so --at cannot fix it")
    shape = graph.inputs.get(variable)
    if shape:
        raise BadValue(f"--x {variable}: {variable} has shape {show(shape)}; plot varies one number")
    missing = [name for name in inputs if name != variable and name not in at]
    if missing:
        raise MissingVariables(", ".join(missing) + " (fix them with --at)")
    if graph.shape(graph.root):
        raise UsageError(
            f"plot draws a scalar function; {graph.label} has shape {show(graph.shape(graph.root))}: "
            "index one element, or try `adcalc jacobian`"
        )
    return variable


def derivative_graph(graph: Graph, variable: str, order: int) -> Graph:
    """One graph whose outputs are f, f′, ..., f⁽ᵒʳᵈᵉʳ⁾ by `variable` (reverse mode on nodes, repeated),
    so one compiled plan evaluates them all over the grid (scalar graphs only)."""
    nodes = [graph.root]
    for _ in range(order):
        nodes.append(gradient_graph(nodes[-1], [variable])[variable])
    outputs = tuple(zip(NAMES, nodes, strict=False))
    same = (graph.shapes, graph.source, graph.name, graph.declared, graph.definitions)
    return Graph(outputs, graph.inputs, tuple(topological_order(nodes)), *same)


# --- sampling and gaps ------------------------------------------------------------------------
def plot_data(
    label: str,
    variable: str,
    at: dict[str, Any],
    interval: tuple[float, float],
    points: int,
    order: int,
    sample: Sampler,
    critical: bool = False,
) -> PlotData:
    """f (and its derivatives up to `order`) at `points` evenly spaced x, with gaps and pieces."""
    low, high = check_range(interval, points, order)
    x = np.linspace(low, high, points)
    with np.errstate(all="ignore"):
        found = [np.asarray(s, dtype=np.float64) if s is not None else None for s in sample(x)]
    names = NAMES[: order + 1]
    series: dict[str, np.ndarray] = {}
    segments: dict[str, list[tuple[int, int]]] = {}
    joined: np.ndarray = np.ones(points - 1, dtype=bool)
    defined = np.ones(points, dtype=bool)
    scale, tiny = 0.0, {}
    for k, name in enumerate(names):
        y = np.where(defined & np.isfinite(found[k]), found[k], np.nan)
        slope = found[k + 1] if k + 1 < len(found) else None
        # rounding in a derivative is relative to the function's scale over the range, not its own:
        # f″ of sin(x)^2 + cos(x)^2 is rounding only, and must not read as jumps (nor f′ as roots)
        inherited = scale / (high - low)
        scale = max(magnitude(y), inherited)
        tiny[name] = 1e-9 * magnitude(y) + ROUNDING * inherited
        joined = joined & ~discontinuous(x, y, slope, tiny[name])
        defined = np.isfinite(y)
        series[name], segments[name] = y, pieces(defined, joined)
    if not segments["f"]:
        raise EvaluationError(f"{label} is undefined (NaN or infinite) on the whole range {low!r}:{high!r}")
    warnings = gap_warnings(series["f"], label)
    roots = None
    if critical:
        roots, more = critical_points(x, series["df"], segments["df"], tiny["df"], sample)
        warnings += more
    interval = (low, high)
    return PlotData(label, variable, dict(at), interval, order, x, series, segments, roots, warnings=warnings)


def check_range(interval: tuple[float, float], points: int, order: int) -> tuple[float, float]:
    low, high = (float(v) for v in interval)
    if not (np.isfinite(low) and np.isfinite(high)):
        raise BadValue(f"--x {low!r}:{high!r}: the range must be finite")
    if not low < high:
        raise BadValue(f"--x {low!r}:{high!r}: the range must go up (a < b in a:b)")
    if not 2 <= points <= MOST_POINTS:
        raise BadValue(f"--points {points}: give 2 to {MOST_POINTS:,} points")
    if order not in (1, 2):
        raise BadValue(f"--order {order}: plot draws f′ (1) or f′ and f″ (2)")
    return low, high


def magnitude(y: np.ndarray) -> float:
    """How large a series is: the height of its middle 90%, or its median size if larger."""
    finite = y[np.isfinite(y)]
    if not finite.size:
        return 0.0
    low, high = np.percentile(finite, [5, 95])
    return float(max(high - low, np.median(np.abs(finite))))


def discontinuous(x: np.ndarray, y: np.ndarray, slope: np.ndarray | None, tiny: float) -> np.ndarray:
    """For each step between neighbours: True where y jumps, has a pole or turns back (the rules
    of the module docstring); `slope` is y's exact derivative, or None (then estimated from the
    neighbouring steps); changes below `tiny` (plus rounding of y itself) are no jumps."""
    h = np.diff(x)
    y0, y1 = y[:-1], y[1:]
    change = y1 - y0
    with np.errstate(all="ignore"):
        if slope is None:  # outside the step: the step before it, and the step after it
            steps = change / h
            s0 = np.concatenate([[np.nan], steps[:-1]])
            s1 = np.concatenate([steps[1:], [np.nan]])
        else:
            s0, s1 = slope[:-1], slope[1:]
        finite = y[np.isfinite(y)]
        height = float(np.subtract(*np.percentile(finite, [95, 5]))) if finite.size else 0.0
        noise = tiny + 64 * np.finfo(float).eps * (np.abs(y0) + np.abs(y1))
        allowed = h * np.fmax(np.abs(s0), np.abs(s1))  # NaN when neither slope is known
        jump = np.abs(change) > JUMP * allowed + noise
        ahead, behind = y0 / s0, -y1 / s1  # how far 1/y is from 0, by Newton's step, from each end
        pole = (ahead > 0) & (ahead < h * (1 + 1e-9)) & (behind > 0) & (behind < h * (1 + 1e-9))
        typical = float(np.median(np.abs(finite))) if finite.size else 0.0
        pole &= np.fmin(np.abs(y0), np.abs(y1)) > POLE * typical + noise  # large at both ends
        against = (change * s0 < 0) & (change * s1 < 0)
        reversal = against & (np.abs(change) > REVERSAL * height + noise)
    return jump | pole | reversal


def pieces(defined: np.ndarray, joined: np.ndarray) -> list[tuple[int, int]]:
    """(first, last) index of each run of defined points joined to the next (a lone point is one)."""
    link = defined[:-1] & defined[1:] & joined
    starts = np.flatnonzero(defined & ~np.concatenate([[False], link]))
    ends = np.flatnonzero(defined & ~np.concatenate([link, [False]]))
    return [(int(a), int(b)) for a, b in zip(starts, ends, strict=True)]


def gap_warnings(f: np.ndarray, label: str) -> list[str]:
    missing = int(np.count_nonzero(~np.isfinite(f)))
    if not missing:
        return []
    return [f"{label} is undefined or infinite at {missing} of {f.size} points: drawn as gaps"]


# --- critical points --------------------------------------------------------------------------
def critical_points(
    x: np.ndarray, df: np.ndarray, df_pieces: list[tuple[int, int]], tiny: float, sample: Sampler
) -> tuple[list[CriticalPoint], list[str]]:
    """Roots of the exact f′: sign changes inside each piece of f′ refined by Newton's method
    on f′ with the exact f″ (scipy; brentq inside the bracket if Newton strays), and grid points
    where f′ is 0 but its neighbours are not (a run of zeros, as in floor, is no point). |f′| up to
    `tiny` counts as 0: rounding, as in f′ of exp(log(x))/x, has no roots to find."""
    sign = np.where(np.abs(df) <= tiny, 0.0, np.sign(df))
    roots: list[CriticalPoint] = []
    warnings: list[str] = []
    for first, last in df_pieces:
        for i in range(first, last + 1):
            left = sign[i - 1] if i > first else None
            right = sign[i + 1] if i < last else None
            if sign[i] == 0 and left != 0 and right != 0 and (left is not None or right is not None):
                f, zero, d2f = _derivatives(sample, float(x[i]))
                roots.append(CriticalPoint(float(x[i]), f, zero, d2f, _kind(left, right, d2f)))
            elif right is not None and sign[i] * right < 0:
                root = _refine(float(x[i]), float(x[i + 1]), float(df[i]), float(df[i + 1]), sample)
                if root is None:
                    warnings.append(f"f′ changes sign between x = {x[i]!r} and {x[i + 1]!r} without a root")
                else:
                    roots.append(_at(root, sample, "minimum" if sign[i] < 0 else "maximum"))
    return roots, warnings


def _kind(left: float | None, right: float | None, d2f: float) -> str:
    """By the signs of f′ either side; at the end of a piece (one side only) by f″."""
    if left is None or right is None:
        return "minimum" if d2f > 0 else "maximum" if d2f < 0 else "stationary"
    if left < 0 < right:
        return "minimum"
    if left > 0 > right:
        return "maximum"
    return "inflection"


def _derivatives(sample: Sampler, t: float) -> tuple[float, float, float]:
    """(f, f′, f″) at one point."""
    with np.errstate(all="ignore"):
        values = sample(np.array([t]))
    f, df, d2f = (float(np.asarray(v).reshape(-1)[0]) for v in values[:3])
    return f, df, d2f


def _refine(a: float, b: float, da: float, db: float, sample: Sampler) -> float | None:
    """The root of f′ in [a, b] (f′(a) and f′(b) of opposite signs), or None if f′ jumps over 0."""
    from scipy.optimize import brentq, root_scalar  # imported only for --critical

    start = a - da * (b - a) / (db - da)  # regula falsi: the secant's root inside the bracket
    scale = max(abs(a), abs(b), b - a)
    try:
        found = root_scalar(
            lambda t: _derivatives(sample, t)[1:], x0=start, fprime=True, method="newton",
            xtol=1e-15 * scale, rtol=4 * np.finfo(float).eps, maxiter=50,
        )  # fmt: skip
        root = float(found.root) if found.converged and a <= found.root <= b else None
    except (ArithmeticError, ValueError, RuntimeError):
        root = None
    if root is None:  # Newton left the bracket: brentq on f′ alone cannot
        try:
            root = float(brentq(lambda t: _derivatives(sample, t)[1], a, b, xtol=1e-15 * scale, maxiter=200))
        except (ValueError, RuntimeError):
            return None
    residual = abs(_derivatives(sample, root)[1])
    return root if residual <= 1e-6 * max(abs(da), abs(db)) else None


def _at(t: float, sample: Sampler, kind: str) -> CriticalPoint:
    f, df, d2f = _derivatives(sample, t)
    return CriticalPoint(t, f, df, d2f, kind)
