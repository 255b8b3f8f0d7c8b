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

from ..answers.derivatives import hessian_graphs
from ..api import Expression, as_expression, wrt_names
from ..codegen.vectorized import compile_outputs
from ..engine.reverse import gradient_graph


class _Compiled:
    variables: list[str]

    def point(self, x: Any) -> np.ndarray:
        """x as a float vector in the order of `variables` (x may be a mapping name -> value)."""
        if isinstance(x, Mapping):
            return np.array([float(x[name]) for name in self.variables])
        return np.asarray(x, dtype=float)


class HessianFunction(_Compiled):
    """H(x) as a dense, exactly symmetric numpy matrix, from code generated once.

    >>> h = adcalc.hessian_function("x^2*y")
    >>> h([1.0, 2.0])            # variables in order of appearance: x, y
    array([[4., 2.],
           [2., 0.]])
    """

    def __init__(
        self, expr: Expression | str, variables: Sequence[str] | None = None, vectorize: bool = True
    ) -> None:
        start = time.perf_counter()
        expression = as_expression(expr)
        self.variables = wrt_names(expression, variables, {})
        _, self.entries, graphs, self.colours = hessian_graphs(expression.root, self.variables)
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

    def __init__(
        self, expr: Expression | str, variables: Sequence[str] | None = None, vectorize: bool = True
    ) -> None:
        start = time.perf_counter()
        expression = as_expression(expr)
        self.variables = wrt_names(expression, variables, {})
        graphs = gradient_graph(expression.root, self.variables)
        outputs = [graphs[name] for name in self.variables]
        targets = [[k] for k in range(len(outputs))]
        self._fill = compile_outputs(outputs, self.variables, targets, 4 if vectorize else len(outputs) + 1)
        self.preparation_seconds = time.perf_counter() - start

    def __call__(self, x: Any) -> np.ndarray:
        out = np.empty(len(self.variables))
        return self._fill(self.point(x), out)
