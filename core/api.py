"""The Python API: parse text into a graph, then ask it questions at a point. The CLI is a thin
layer on it, and each function here is a thin layer on one module of `answers/`.

    >>> import adcalc
    >>> adcalc.gradient("sin(x)*y", at={"x": 1.0, "y": 2.0}).gradient["y"]
    0.8414709848078965

Inputs may be numbers, vectors or matrices (nested lists or numpy arrays): an array given for an
input is a vector or matrix input, and a derivative by it has its shape. Many points at once
are the job of `adcalc.compile` and `adcalc batch`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .answers.point import DirectionalDerivative, Evaluation, Gradient
from .errors import EvaluationError
from .ir.graph import Graph, combine

Expression = Graph  # the name earlier versions of the API used for a parsed text


def parse(text: str, name: str | None = None, shapes: Mapping[str, Any] | None = None) -> Graph:
    """Parse adcalc text (a formula or a .adl program: one language) into a graph; ParseError
    (with a span) on bad input. `shapes` (name -> shape) shapes the free names while the graph is
    built, so errors such as a bad index come with their place; without, they come at a point.

    >>> adcalc.parse("sin(x)*sin(x)").size   # x, sin, mul: sin is shared
    3
    """
    from .grammar.program import parse_program  # the grammar builds on core, not the reverse

    return parse_program(text, name, shapes)


class _GivenOrScalar(Mapping):
    """Shapes of free names: a given value's shape, else one number (a batch column's cell, a
    plotted input; a name still missing is reported as such when the graph is evaluated)."""

    def __init__(self, given: Mapping[str, tuple[int, ...] | None]) -> None:
        self.given = given

    def __getitem__(self, name: str) -> tuple[int, ...] | None:
        return self.given.get(name, ())

    def __iter__(self) -> Any:
        return iter(self.given)

    def __len__(self) -> int:
        return len(self.given)


SCALARS: Mapping[str, tuple[int, ...] | None] = _GivenOrScalar({})  # batch, compile, g(x): numbers


def shapes_of(at: Mapping[str, Any]) -> dict[str, tuple[int, ...] | None]:
    """The shape of each value (None where it is not a rectangular array), without numpy."""
    return {name: _shape(value) for name, value in at.items()}


def _shape(value: Any) -> tuple[int, ...] | None:
    if isinstance(value, float | int):
        return ()
    shape = getattr(value, "shape", None)
    if shape is not None:
        return tuple(shape)
    if isinstance(value, list | tuple) and value:
        inner = {_shape(item) for item in value}
        if len(inner) == 1 and None not in inner:
            return (len(value), *inner.pop())
    return None


def as_graph(expr: Graph | str | Sequence[Graph | str], at: Mapping[str, Any] | None = None) -> Graph:
    """A graph for a graph, a text (its free names shaped like their values in `at`), or several
    (their outputs side by side, as a Jacobian's rows)."""
    if isinstance(expr, Graph):
        return expr
    if isinstance(expr, str):
        return parse(expr, shapes=shapes_of(at) if at else None)
    graphs = [as_graph(e, at) for e in expr]
    if not graphs:
        from .errors import UsageError

        raise UsageError("give at least one output expression")
    return combine(graphs)


as_expression = as_graph


def evaluate(expr: Graph | str, at: Mapping[str, Any]) -> Evaluation:
    """The value at a point; DomainError names the node whose NaN reached the result.

    >>> adcalc.evaluate("x^2 + 1", at={"x": 3}).value
    10.0
    """
    from .answers import point

    return point.evaluate(as_graph(expr, at), at)


def gradient(expr: Graph | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Gradient:
    """Value and gradient by reverse mode: one forward sweep, one backward sweep.

    >>> adcalc.gradient("x*y", at={"x": 2, "y": 3}).gradient
    {'x': 3.0, 'y': 2.0}
    """
    from .answers import point

    return point.gradient(as_graph(expr, at), at, wrt)


def gradient_forward(expr: Graph | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Gradient:
    """Value and gradient by forward mode: one tangent sweep per input element."""
    from .answers import point

    return point.gradient_forward(as_graph(expr, at), at, wrt)


def jvp(expr: Graph | str, at: Mapping[str, Any], direction: Mapping[str, Any]) -> DirectionalDerivative:
    """J·v by one forward-mode sweep (inputs left out of the direction get 0).

    >>> adcalc.jvp("x*y", at={"x": 2, "y": 3}, direction={"x": 1, "y": 1}).derivative
    5.0
    """
    from .answers import point

    return point.jvp(as_graph(expr, at), at, direction)


def vjp(
    expr: Graph | str, at: Mapping[str, Any], cotangent: Any, wrt: Sequence[str] | None = None
) -> Gradient:
    """vᵀJ by one reverse-mode sweep; `cotangent` is shaped like the output (by name for several).

    >>> adcalc.vjp("x*y", at={"x": 2, "y": 3}, cotangent=2.0).gradient
    {'x': 6.0, 'y': 4.0}
    """
    from .answers import point

    return point.vjp(as_graph(expr, at), at, cotangent, wrt)


def jacobian(
    exprs: Graph | str | Sequence[Graph | str],
    at: Mapping[str, Any],
    wrt: Sequence[str] | None = None,
    mode: str | None = None,
) -> Any:
    """Jacobian blocks (out.shape + in.shape): forward mode when inputs are fewer, else reverse.

    >>> adcalc.jacobian(["x*y", "sin(x)+y"], at={"x": 1, "y": 2}).rows[0]
    [2.0, 1.0]
    """
    from .answers.jacobian import jacobian as compute

    return compute(as_graph(exprs, at), at, wrt, mode)


def hessian(expr: Graph | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Any:
    """Value, gradient and exactly symmetric Hessian by forward over reverse, sparsity-compressed.

    >>> adcalc.hessian("x^2*y", at={"x": 1, "y": 2}).hessian["x"]
    {'x': 4.0, 'y': 2.0}
    """
    from .answers.hessian import hessian as compute

    return compute(as_graph(expr, at), at, wrt)


def hvp(
    expr: Graph | str, at: Mapping[str, Any], direction: Mapping[str, Any], wrt: Sequence[str] | None = None
) -> DirectionalDerivative:
    """H·v without forming H: one forward sweep over the gradient graph (`derivative`: name -> (Hv))."""
    from .answers.hessian import hvp as compute

    return compute(as_graph(expr, at), at, direction, wrt)


def taylor(expr: Graph | str, at: Mapping[str, Any], order: int, wrt: str | None = None) -> Any:
    """Taylor coefficients up to `order` in one variable, by one sweep of series arithmetic.

    >>> adcalc.taylor("exp(x)", at={"x": 0}, order=3).coefficients
    [1.0, 1.0, 0.5, 0.16666666666666666]
    """
    from .answers.taylor import taylor as compute

    return compute(as_graph(expr, at), at, order, wrt)


def derivative(expr: Graph | str, at: Mapping[str, Any], order: int, wrt: str | None = None) -> Any:
    """d^k f / dx^k at a point (Taylor mode).

    >>> adcalc.derivative("x^5", at={"x": 1}, order=3).derivative
    60.0
    """
    from .answers.taylor import derivative as compute

    return compute(as_graph(expr, at), at, order, wrt)


def diff(expr: Graph | str, wrt: Sequence[str] | None = None, order: int = 1, simplify: str = "local") -> Any:
    """Partial derivatives as simplified graphs and text that parses back (`.latex()` as LaTeX).

    simplify="sympy" hands each derivative to SymPy's simplify (the optional `sympy` extra).

    >>> adcalc.diff("2*x^3").text["x"]
    '6*x^2'
    """
    from .answers.diff import diff as compute

    return compute(as_graph(expr), wrt, order, simplify)


def explain(
    expr: Graph | str,
    at: Mapping[str, Any],
    mode: str = "reverse",
    direction: Mapping[str, float] | None = None,
    latex: bool = False,
) -> Any:
    """The primal trace, then the adjoint (or tangent) trace, as the textbooks print them
    (`latex=True`: names, expressions and rules as LaTeX, for answers.latex.trace_latex).

    >>> adcalc.explain("ln(x1) + x1*x2 - sin(x2)", at={"x1": 2, "x2": 5}).result["x1"]
    5.5
    """
    from .answers.explain import explain as compute

    return compute(as_graph(expr, at), at, mode, direction, latex)


def check(
    expr: Graph | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None, tol: float = 1e-6
) -> Any:
    """The gradient by reverse and forward AD, central differences, complex step and symbolic,
    each held to its tolerance (`tol` for central differences, tol·1e-6 for the exact methods):
    `.passed` is the verdict, `.failures()` says which method and element disagreed.

    >>> [m.name for m in adcalc.check("x*y", at={"x": 1, "y": 2}).methods][:2]
    ['reverse AD', 'forward AD']
    """
    from .answers.check import check as compute

    return compute(as_graph(expr, at), at, wrt, tol)


def compile(expr: Graph | str, wrt: Sequence[str] | None = None, engine: str = "numpy") -> Any:  # noqa: A001
    """Prepare a graph (text, Graph or path of a .adl file) for repeated evaluation; arrays of
    points run through `engine`: numpy (generated numpy kernels), c (the generated C, compiled
    with the system compiler and cached) or auto (c when a compiler is found).

    >>> f = adcalc.compile("x^2 * y")
    >>> f.grad(x=3.0, y=2.0)
    (18.0, {'x': 12.0, 'y': 9.0})
    """
    from .codegen.compiled import compile_graph

    return compile_graph(_graph_or_file(expr), wrt, engine)


def hessian_function(
    expr: Graph | str, variables: Sequence[str] | None = None, vectorize: bool = True
) -> Any:
    """A compiled Hessian: prepare once, then h(x) -> n x n numpy array (x flattened, row-major).

    >>> h = adcalc.hessian_function("x^2*y")
    >>> h([1.0, 2.0])                      # [[4, 2], [2, 0]]
    """
    from .codegen.prepared import HessianFunction, element_hessian

    graph = _graph_or_file(expr)
    if graph.uses_arrays:  # compiled over the elements, or the engine's coloured Hessian per call
        return element_hessian(graph, variables, vectorize)
    return HessianFunction(graph, variables, vectorize)


def gradient_function(
    expr: Graph | str, variables: Sequence[str] | None = None, vectorize: bool = True
) -> Any:
    """A compiled gradient: g(x) -> numpy vector."""
    from .codegen.prepared import GradientFunction, element_gradient

    graph = _graph_or_file(expr)
    if graph.uses_arrays:  # compiled over the elements, or reverse mode by the engine per call
        return element_gradient(graph, variables, vectorize)
    return GradientFunction(graph, variables, vectorize)


# --- plot: f and its exact derivatives over a range -------------------------------------------
def plot_data(
    expr: Graph | str,
    variable: str | None,
    interval: tuple[float, float],
    at: Mapping[str, Any] | None = None,
    points: int = 201,
    order: int = 1,
    critical: bool = False,
) -> Any:
    """f and f′ (and f″ for order 2) at `points` evenly spaced values of one input, the others held
    at `at`; NaN where a gap is (undefined values, poles, jumps), `.segments` the pieces drawn as
    lines, `.critical` the roots of f′ (with `critical`). Values and derivatives are exact, evaluated
    over the whole grid at once by the compiled kernels.

    >>> adcalc.plot_data("x^3 - 3*x", "x", (-3, 3), critical=True).critical[0].x
    -1.0
    """
    from .answers import plot

    fixed = dict(at or {})
    if isinstance(expr, str) and expr.endswith(".adl"):
        graph = _graph_or_file(expr)
    else:
        graph = parse(expr, shapes=plot_shapes(fixed)) if isinstance(expr, str) else as_graph(expr)
    name = plot.check_plottable(graph, variable, fixed)
    from .codegen.samplers import plot_sampler

    sample = plot_sampler(graph, name, fixed, order)
    return plot.plot_data(graph.label, name, fixed, interval, points, order, sample, critical)


def plot_shapes(at: Mapping[str, Any]) -> Mapping[str, tuple[int, ...] | None]:
    """The shapes `plot_data` parses a text with: the values' in `at`, every other name a number."""
    return _GivenOrScalar(shapes_of(at))


# --- optimisation and root finding: scipy with exact derivatives (answers/optimize.py, roots.py) ---
def minimize(
    expr: Graph | str,
    x0: Mapping[str, Any],
    method: str | None = None,
    bounds: Mapping[str, tuple[float, float] | str] | None = None,
    subject_to: Sequence[str] = (),
    at: Mapping[str, Any] | None = None,
    gtol: float = 1e-9,
    maxiter: int | None = None,
    progress: Any = None,
) -> Any:
    """Minimise from x0 with the exact gradient, Hessian or H·v, and exact constraint Jacobians.

    `bounds`: name -> (lower, upper) or 'lower:upper'; `subject_to`: texts such as 'x^2 + y^2 <= 1'
    or 'x + y == 1'; `at`: inputs held fixed. Success means ‖∇f‖₂ <= gtol (see README).

    >>> adcalc.minimize("100*(y - x^2)^2 + (1 - x)^2", x0={"x": -1.2, "y": 1}).x
    {'x': 1.0, 'y': 1.0}
    """
    from .answers import constraints, optimize

    fixed, start, graph = _problem(expr, x0, at)
    shapes = shapes_of({**fixed, **start})
    relations = [r for text in subject_to for r in constraints.relations(text, shapes)]
    layout = _layout([graph, *(r.graph for r in relations)], start, fixed)
    texts = {name: b for name, b in (bounds or {}).items() if isinstance(b, str)}
    pairs = {name: b for name, b in (bounds or {}).items() if not isinstance(b, str)}
    pairs.update(constraints.bounds_of(texts, layout.names))
    return optimize.minimize(graph, start, layout, fixed, method, pairs, relations, gtol, maxiter, progress)


def solve(
    expr: Graph | str,
    x0: Mapping[str, Any],
    method: str | None = None,
    order: int = 1,
    bracket: tuple[float, float] | None = None,
    at: Mapping[str, Any] | None = None,
    xtol: float | None = None,
    maxiter: int | None = None,
) -> Any:
    """A root of F(x) = 0 (several outputs, or equations 'cos(x) = x') with the exact Jacobian;
    one equation in one unknown by Newton (order 1) or Halley (order 2), or brentq in a bracket.

    >>> adcalc.solve("x^2 + y^2 - 4, x - y", x0={"x": 1, "y": 0}).x["x"]    # √2
    1.4142135623730951
    """
    from .answers import constraints, roots

    if isinstance(expr, str) and not expr.endswith(".adl"):
        text, names = constraints.equations(expr)
        fixed, start, graph = _problem(text, x0, at, bracket is not None)
        if len(names) == len(graph.outputs) and text != expr:
            graph = _renamed(graph, names, expr)
    else:
        fixed, start, graph = _problem(expr, x0, at, bracket is not None)
    if not start and bracket is not None:  # the one input not held fixed, from the bracket's middle
        free = [name for name in graph.inputs if name not in fixed]
        start = {name: (bracket[0] + bracket[1]) / 2 for name in free[:1]} if len(free) == 1 else {}
        if not start:
            from .errors import UsageError

            raise UsageError(f"give the unknown with --from (inputs: {', '.join(graph.inputs) or 'none'})")
    layout = _layout([graph], start, fixed)
    return roots.solve(graph, start, layout, fixed, method, order, bracket, xtol, maxiter)


def _problem(
    expr: Graph | str, x0: Mapping[str, Any], at: Mapping[str, Any] | None, bracketed: bool = False
) -> tuple[dict[str, Any], dict[str, Any], Graph]:
    """(fixed inputs, start values, the graph with its free names shaped by them)."""
    from .errors import UsageError

    fixed, start = dict(at or {}), dict(x0)
    both = [name for name in start if name in fixed]
    if both:
        raise UsageError(f"{', '.join(both)} given both a start value and a fixed value (--from and --at)")
    if not start and not bracketed:
        raise UsageError("give a start point, such as --from x=1,y=0 (the unknowns and their start values)")
    if isinstance(expr, str) and expr.endswith(".adl"):
        return fixed, start, _graph_or_file(expr)
    return fixed, start, as_graph(expr, {**fixed, **start})


def _layout(graphs: list[Graph], start: Mapping[str, Any], fixed: Mapping[str, Any]) -> Any:
    from .answers.objective import layout_of
    from .errors import UsageError

    inputs = {name for graph in graphs for name in graph.inputs}
    unused = [name for name in start if name not in inputs]
    if unused:
        shown = ", ".join(dict.fromkeys(name for graph in graphs for name in graph.inputs)) or "none"
        raise UsageError(f"{', '.join(unused)}: not an input of the problem (its inputs: {shown})")
    return layout_of(graphs, start, fixed)


def _renamed(graph: Graph, names: Sequence[str], text: str) -> Graph:
    """The graph with its outputs named as the user wrote the equations ('cos(x) = x')."""
    outputs = tuple((name, node) for name, (_, node) in zip(names, graph.outputs, strict=True))
    renamed = Graph(outputs, graph.inputs, graph.order, graph.shapes, text, graph.name, graph.declared,
                    graph.definitions)  # fmt: skip
    return renamed


def read_program(path_text: str) -> str:
    """The text of a .adl file; UsageError when it is missing or not UTF-8."""
    from pathlib import Path  # here, not at the top: pathlib costs start-up time

    from .errors import UsageError

    path = Path(path_text)
    if not path.is_file():
        raise UsageError(f"no such file: {path_text}")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as problem:
        raise UsageError(f"{path_text} is not UTF-8 text (byte {problem.start})") from None


def _graph_or_file(expr: Graph | str) -> Graph:
    if isinstance(expr, str) and expr.endswith(".adl"):
        return parse(read_program(expr), expr)
    return parse(expr, shapes=SCALARS) if isinstance(expr, str) else as_graph(expr)


# --- uncertainty propagation (adcalc propagate) ---------------------------------------------------
def propagate(
    expr: Graph | str,
    at: Mapping[str, Any],
    uncertainty: Mapping[str, Any] | None = None,
    covariance: Mapping[Any, Any] | None = None,
    correlation: Mapping[tuple[str, str], float] | None = None,
    order: int = 1,
    samples: int = 0,
    seed: int = 0,
) -> Any:
    """Uncertainty propagation as in the GUM: each output's standard uncertainty from the exact
    Jacobian (u² = c Σ cᵀ, c = ∂f/∂x), with its budget; `order=2` adds the exact Hessian's terms
    for Gaussian inputs; `samples=N` a seeded Monte Carlo check (JCGM 101) on compiled code.

    `uncertainty`: name -> standard uncertainty (shaped like the input, or one number for all
    its elements); `covariance`: name or tuple of names -> covariance matrix of their elements;
    `correlation`: (element, element) -> r, e.g. ("m", "g") or ("x[1]", "x[2]").

    >>> adcalc.propagate("x*y", at={"x": 2, "y": 3}, uncertainty={"x": 0.1, "y": 0.2}).u
    0.5
    """
    from .answers.propagate import propagate as compute

    graph = as_graph(expr, at)
    from .codegen.samplers import draw_sampler

    sampler = draw_sampler(graph, at)
    return compute(graph, at, uncertainty, covariance, correlation, order, samples, seed, sampler)


__all__ = [
    "DirectionalDerivative",
    "Evaluation",
    "EvaluationError",
    "Expression",
    "Gradient",
    "Graph",
    "as_graph",
    "check",
    "compile",
    "derivative",
    "diff",
    "evaluate",
    "explain",
    "gradient",
    "gradient_forward",
    "hessian",
    "hessian_function",
    "gradient_function",
    "hvp",
    "jacobian",
    "jvp",
    "minimize",
    "parse",
    "propagate",
    "plot_data",
    "solve",
    "taylor",
    "vjp",
]
