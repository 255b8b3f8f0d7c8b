"""Compiled Hessians and gradients: prepare once, then call many times at numpy speed.

Preparation is symbolic: the gradient as a graph (reverse mode on nodes), then one forward sweep
ON NODES over that graph per colour of the Hessian's column colouring (forward over reverse), which
yields a graph for every structurally non-zero entry of the lower triangle and nothing else. These
graphs compile into code that fills a fresh zero matrix at precomputed flat indices, each entry
written to (i, j) and (j, i), so the result is exactly symmetric. Same-shaped entries share one
vectorized computation (see vectorized.py).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from ..codegen.vectorized import compile_outputs
from ..engine import elements
from ..engine.reverse import gradient_graph
from ..engine.transforms import ManyColours, hessian_graphs
from ..errors import BadValue, MissingVariables, UsageError
from ..ir.graph import Graph


def checked_variables(graph: Graph, variables: Sequence[str] | None) -> list[str]:
    """The variables a compiled function takes: every input of the graph (in `variables` order
    when given), for a graph with one output; UsageError otherwise."""
    if len(graph.outputs) > 1:
        names = ", ".join(name for name, _ in graph.outputs)
        raise UsageError(f"a compiled gradient or Hessian takes one output, {graph.label} has {names}")
    if variables is None:
        return list(graph.variables)
    chosen = list(dict.fromkeys(variables))
    unknown = [name for name in chosen if name not in graph.inputs]
    missing = [name for name in graph.variables if name not in chosen]
    if unknown or missing:
        problem = f"unknown variable(s) {', '.join(unknown)}" if unknown else f"no {', '.join(missing)}"
        raise UsageError(
            f"variables must list the inputs of {graph.label} ({', '.join(graph.variables)}): {problem}"
        )
    return chosen


class _Compiled:
    variables: list[str]

    def point(self, x: Any) -> np.ndarray:
        """x as a float vector in the order of `variables` (x may be a mapping name -> value)."""
        try:
            if isinstance(x, Mapping):
                return np.array([float(x[name]) for name in self.variables])
            flat = np.asarray(x, dtype=float)
        except KeyError as missing:
            raise MissingVariables(str(missing.args[0])) from None
        except (TypeError, ValueError, OverflowError) as problem:  # text, None, complex, ragged lists
            raise BadValue(f"x is not a vector of numbers ({problem})") from None
        if flat.shape != (len(self.variables),):
            raise BadValue(
                f"x has shape {list(flat.shape)}, the function takes {len(self.variables)} numbers"
            )
        return flat


class HessianFunction(_Compiled):
    """H(x) as a dense, exactly symmetric numpy matrix, from code generated once.

    >>> h = adcalc.hessian_function("x^2*y")
    >>> h([1.0, 2.0])            # variables in order of appearance: x, y
    array([[4., 2.],
           [2., 0.]])
    """

    def __init__(
        self, graph: Graph, variables: Sequence[str] | None = None, vectorize: bool = True,
        max_colours: int | None = None,
    ) -> None:
        start = time.perf_counter()
        expression = graph
        self.variables = checked_variables(graph, variables)
        _, self.entries, graphs, self.colours = hessian_graphs(expression.root, self.variables, max_colours)
        n = len(self.variables)
        targets = [[i * n + j] if i == j else [i * n + j, j * n + i] for i, j in self.entries]
        # vectorize=False: every entry in straight-line scalar code (for comparison)
        self._fill = compile_outputs(graphs, self.variables, targets, 4 if vectorize else len(graphs) + 1)
        self._fill_triangle = compile_outputs(graphs, self.variables, [[k] for k in range(len(graphs))])
        self.rows = np.array([i for i, _ in self.entries], dtype=np.intp)
        self.columns = np.array([j for _, j in self.entries], dtype=np.intp)
        self.nonzeros = sum(len(t) for t in targets)
        self.templates = self._fill.templates  # type: ignore[attr-defined]
        self.preparation_seconds = time.perf_counter() - start

    def __call__(self, x: Any) -> np.ndarray:
        n = len(self.variables)
        out = np.zeros(n * n)
        self._fill(self.point(x), out)
        return out.reshape(n, n)

    def triangle(self, x: Any) -> np.ndarray:
        """The structurally non-zero entries H[rows[k], columns[k]] of the lower triangle (sparse form)."""
        return self._fill_triangle(self.point(x), np.empty(len(self.entries)))


class GradientFunction(_Compiled):
    """∇f(x) as a numpy vector, from code generated once (reverse mode run on nodes)."""

    def __init__(self, graph: Graph, variables: Sequence[str] | None = None, vectorize: bool = True) -> None:
        start = time.perf_counter()
        expression = graph
        self.variables = checked_variables(graph, variables)
        graphs = gradient_graph(expression.root, self.variables)
        outputs = [graphs[name] for name in self.variables]
        targets = [[k] for k in range(len(outputs))]
        self._fill = compile_outputs(outputs, self.variables, targets, 4 if vectorize else len(outputs) + 1)
        self.preparation_seconds = time.perf_counter() - start

    def __call__(self, x: Any) -> np.ndarray:
        out = np.empty(len(self.variables))
        return self._fill(self.point(x), out)


class ElementHessian:
    """H(x) of a graph with vector or matrix inputs, over the flattened input elements (row-major,
    inputs in order), computed at each call by the engine (forward over reverse, coloured)."""

    def __init__(self, graph: Graph, variables: Sequence[str] | None = None) -> None:
        self.graph = graph
        self.names = checked_variables(graph, variables)
        self.shapes = {name: graph.inputs.get(name) or () for name in self.names}
        self.variables = elements.all_labels(self.shapes)

    def at(self, x: Any) -> dict[str, Any]:
        """The point for x: a mapping name -> value, or one flat vector of every element."""
        if isinstance(x, Mapping):
            return dict(x)
        flat = np.asarray(x, dtype=float).ravel()
        if flat.size != len(self.variables):
            raise BadValue(f"x has {flat.size} elements, the inputs have {len(self.variables)}")
        return elements.split(flat, self.shapes)

    def __call__(self, x: Any) -> np.ndarray:
        from ..answers.hessian import hessian

        return np.array(hessian(self.graph, self.at(x), self.names).matrix)


class ElementGradient(ElementHessian):
    """∇f(x) over the flattened input elements, by reverse mode at each call."""

    def __call__(self, x: Any) -> np.ndarray:
        from ..answers.point import gradient

        partials = gradient(self.graph, self.at(x), self.names).gradient
        return np.array([v for name in self.names for v in elements.flat(partials[name], self.shapes[name])])


class _ByElement(ElementHessian):
    """A program that reads its array inputs only element by element (x[i], A[i, j]: rosenbrock.adl),
    compiled as a scalar program is: each element a variable of its own (codegen's scalarized),
    so a call runs generated numpy code instead of the engine's sweeps."""

    compiled: Any

    def scalar_graph(self) -> Graph:
        """The program over its elements: one output, every element an input."""
        from ..ir.nodes import topological_order
        from .source.outputs import scalarized

        (root,), labels = scalarized(self.graph)
        return Graph((("f", root),), dict.fromkeys(labels, ()), tuple(topological_order([root])))

    def flat(self, x: Any) -> np.ndarray:
        """x (one flat vector of every element, or a mapping name -> value) as the element vector."""
        if isinstance(x, Mapping):  # each value checked against its input, as the engine's calls do
            from ..engine.bind import bind

            at = bind(self.graph, x).at
            return np.concatenate([np.ravel(at[name]) for name in self.names])
        try:
            return np.asarray(x, dtype=float).ravel()
        except (TypeError, ValueError, OverflowError) as problem:  # text, complex, ragged lists
            raise BadValue(f"x is not a vector of numbers ({problem})") from None

    def __call__(self, x: Any) -> np.ndarray:
        return self.compiled(self.flat(x))  # the compiled function checks the count


# Preparing a Hessian symbolically runs one forward sweep on nodes per colour, and the engine's call
# runs the same sweeps on numbers, so preparing costs as much as some calls. Past this many colours
# (a dense Hessian of n = 150 elements: 25 s to prepare) an array program stays with the engine.
MAX_COMPILED_COLOURS = 64


def element_hessian(graph: Graph, variables: Sequence[str] | None = None, vectorize: bool = True) -> Any:
    """hessian_function of an array program: compiled over its elements where it reads its arrays
    element by element and its Hessian has at most MAX_COMPILED_COLOURS colours; else the engine."""
    from .source.outputs import element_wise

    if element_wise(graph):
        try:
            return CompiledElementHessian(graph, variables, vectorize, MAX_COMPILED_COLOURS)
        except ManyColours:  # found from the pattern, before any sweep
            pass
    return ElementHessian(graph, variables)


def element_gradient(graph: Graph, variables: Sequence[str] | None = None, vectorize: bool = True) -> Any:
    """gradient_function of an array program: compiled over its elements where it reads its arrays
    element by element (a gradient's preparation is one reverse sweep on nodes); else the engine."""
    from .source.outputs import element_wise

    if element_wise(graph):
        return CompiledElementGradient(graph, variables, vectorize)
    return ElementGradient(graph, variables)


class CompiledElementHessian(_ByElement):
    """H(x) of an element-wise array program, from generated code (see HessianFunction)."""

    def __init__(
        self, graph: Graph, variables: Sequence[str] | None = None, vectorize: bool = True,
        max_colours: int | None = None,
    ) -> None:
        super().__init__(graph, variables)
        self.compiled = HessianFunction(self.scalar_graph(), self.variables, vectorize, max_colours)

    def triangle(self, x: Any) -> np.ndarray:
        """The structurally non-zero entries of the lower triangle (see HessianFunction.triangle)."""
        return self.compiled.triangle(self.flat(x))

    @property
    def rows(self) -> np.ndarray:
        return self.compiled.rows

    @property
    def columns(self) -> np.ndarray:
        return self.compiled.columns

    @property
    def colours(self) -> int:
        return self.compiled.colours


class CompiledElementGradient(_ByElement):
    """∇f(x) of an element-wise array program, from generated code (see GradientFunction)."""

    def __init__(self, graph: Graph, variables: Sequence[str] | None = None, vectorize: bool = True) -> None:
        super().__init__(graph, variables)
        self.compiled = GradientFunction(self.scalar_graph(), self.variables, vectorize)
