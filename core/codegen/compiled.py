"""`adcalc.compile`: an expression prepared once, then evaluated many times, at points or arrays.

    >>> f = adcalc.compile("sin(x)*y")
    >>> f.grad(x=1.0, y=2.0)                        # one point: generated straight-line Python
    (1.682941969615793, {'x': 1.0806046117362795, 'y': 0.8414709848078965})
    >>> value, gradient = f.grad(x=np.linspace(0, 1, 5), y=2.0)   # arrays broadcast: numpy blocks

Scalars go through codegen.compile_python (a few microseconds a call); arrays through
batch.py's generated numpy kernels. Where the function is undefined both give NaN, as numpy
does; `adcalc.evaluate` is the call that explains a domain error instead.
"""

from __future__ import annotations

import builtins
import keyword
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import BadValue, MissingVariables, UsageError
from ..ir.graph import Graph
from ..ir.nodes import Node

BUILTINS = frozenset(dir(builtins))

_SCALARS = (float, int)


_UNSET = object()


def _straight_line(source: str) -> tuple[list[str], list[str]]:
    """(body lines, output expressions) of codegen's `def compiled(v0, ...): ... return (a, b,)`."""
    lines = source.splitlines()
    returned = lines[-1].strip().removeprefix("return (").removesuffix(",)")
    return lines[1:-1], returned.split(", ")


def _given(arguments: dict[str, Any], more: dict[str, Any]) -> dict[str, Any]:
    return {**{k: v for k, v in arguments.items() if v is not _UNSET}, **more}


class Compiled:
    """Value, gradient and Hessian of one expression, compiled on first use of each."""

    def __init__(self, expression: Graph, wrt: Sequence[str] | None = None, engine: str = "numpy") -> None:
        self.expression = expression
        self.engine = engine  # how arrays are evaluated: numpy, c or auto (codegen.batch.plan)
        self.variables: tuple[str, ...] = tuple(expression.variables)
        self.wrt: tuple[str, ...] = tuple(expression.variables if wrt is None else dict.fromkeys(wrt))
        self.roots = [n for _, n in expression.outputs]
        self._graphs: dict[int, tuple[list[str], list[Node]]] = {}
        self._scalar: dict[int, Callable[..., tuple[float, ...]]] = {}
        self._plans: dict[int, Any] = {}
        if len(self.roots) == 1:
            self._point = self._scalar_function(1)  # the warm one-point path is ready at once
            self._install_fast_calls()

    def __repr__(self) -> str:
        return f"adcalc.compile({self.expression.source!r})"

    # --- preparation -------------------------------------------------------------------------
    def outputs(self, order: int) -> tuple[list[str], list[Node]]:
        """(column names, graphs) for the value (order 0), + gradient (1), + Hessian (2)."""
        if order not in self._graphs:
            from ..codegen.batch import derivative_outputs  # imports numpy only when arrays are used

            self._graphs[order] = derivative_outputs(self.expression.outputs, self.wrt, order)
        return self._graphs[order]

    def _scalar_function(self, order: int) -> Callable[..., tuple[float, ...]]:
        if order not in self._scalar:
            from ..codegen.python import compile_python

            if order <= 1:  # without numpy: the one-point path must stay light
                from ..engine.reverse import gradient_graph

                gradient = gradient_graph(self.expression.root, self.wrt) if order else {}
                nodes = [self.expression.root, *(gradient[v] for v in self.wrt if order)]
            else:
                nodes = self.outputs(order)[1]
            self._scalar[order] = compile_python(nodes, self.variables)
        return self._scalar[order]

    def plan(self, order: int) -> Any:
        """The batch.Plan computing `outputs(order)` over numpy columns."""
        if order not in self._plans:
            from ..codegen.batch import plan

            names, nodes = self.outputs(order)
            self._plans[order] = plan(nodes, names, self.variables, self.engine)
        return self._plans[order]

    def _install_fast_calls(self) -> None:
        # Generated `grad(x, y)` / `value(x, y)` with the variables as parameters: Python binds
        # the keywords itself, and floats go straight to the compiled code (no dict building
        # but the result's). They shadow the generic methods below, which they call otherwise.
        names = self.variables
        if any(keyword.iskeyword(name) or not name.isidentifier() or name.startswith("_") or name in BUILTINS
               for name in names):  # fmt: skip
            return  # the generated code calls builtins (`type`, `float`): a variable may not shadow one
        parameters = ", ".join(names)
        # unset parameters default to a marker, so a missing variable reaches the generic path
        # (MissingVariables, as for arrays) instead of a TypeError; extra keywords are ignored
        signature = ", ".join([*(f"{name}=_UNSET" for name in names), "**_more"])
        floats = " and ".join(f"type({name}) is float" for name in names) or "True"
        keywords = ", ".join(f"{name!r}: {name}" for name in names)
        arguments = ", ".join(f"v{k}" for k in range(len(names)))
        from ..codegen import python as codegen

        # the straight-line code inlined: no call, and the gradient dict built from its temporaries
        body, results = _straight_line(self._point.source)  # type: ignore[attr-defined]
        partials = ", ".join(
            f"{name!r}: {result}" for name, result in zip(self.wrt, results[1:], strict=True)
        )
        fallback = ", ".join(f"{name!r}: r[{k + 1}]" for k, name in enumerate(self.wrt))
        source = "\n".join(
            [
                f"def grad({signature}):",
                f"    if {floats}:",
                f"        {arguments} = {parameters}" if names else "        pass",
                "        try:",
                *("        " + line for line in body),
                f"            return {results[0]}, {{{partials}}}",
                "        except (ValueError, ZeroDivisionError, OverflowError):",
                f"            r = _point({arguments})  # the IEEE interpreter: inf and NaN, no exception",
                f"            return r[0], {{{fallback}}}",
                f"    return _grad(**_given({{{keywords}}}, _more))",
                f"def value({signature}):",
                f"    if {floats}:",
                f"        return _value({parameters})[0]",
                f"    return _generic_value(**_given({{{keywords}}}, _more))",
            ]
        )
        namespace = codegen.namespace()  # the math functions the straight-line code calls
        namespace.update(
            _point=self._point,
            _value=self._scalar_function(0),
            _grad=self._generic_grad,
            _generic_value=self._generic_value,
            _UNSET=_UNSET,
            _given=_given,
        )
        exec(builtins.compile(source, "<adcalc-calls>", "exec"), namespace)  # our own generated code
        self.grad, self.value = namespace["grad"], namespace["value"]  # type: ignore[method-assign]

    # --- evaluation --------------------------------------------------------------------------
    def grad_at(self, *point: float) -> tuple[float, ...]:
        """(value, ∂f/∂wrt[0], ...) at one point given positionally in `variables` order: the
        fastest call, for optimiser loops."""
        return self._point(*point)

    def value(self, /, **arrays: Any) -> Any:
        """f at a point (floats) or over arrays that broadcast together."""
        return self._generic_value(**arrays)

    def grad(self, /, **arrays: Any) -> tuple[Any, dict[str, Any]]:
        """(value, {variable: ∂f/∂variable}) at a point or over arrays."""
        return self._generic_grad(**arrays)

    def _generic_value(self, /, **arrays: Any) -> Any:
        return self._evaluate(0, arrays)[0]

    def _generic_grad(self, /, **arrays: Any) -> tuple[Any, dict[str, Any]]:
        results = self._evaluate(1, arrays)
        return results[0], dict(zip(self.wrt, results[1:], strict=True))

    def hessian(self, /, **arrays: Any) -> tuple[Any, dict[str, Any], dict[str, dict[str, Any]]]:
        """(value, gradient, {first: {second: ∂²f/∂first∂second}}), the Hessian in full."""
        results = self._evaluate(2, arrays)
        count = len(self.wrt)
        gradient = dict(zip(self.wrt, results[1 : 1 + count], strict=True))
        hessian: dict[str, dict[str, Any]] = {first: {} for first in self.wrt}
        upper = iter(results[1 + count :])
        for i, first in enumerate(self.wrt):
            for second in self.wrt[i:]:
                hessian[first][second] = hessian[second][first] = next(upper)
        return results[0], gradient, hessian

    def table(self, order: int, columns: Sequence[Any]) -> Any:
        """All outputs of `outputs(order)` as an array (outputs, rows), given one 1-D float64
        column per variable: what `adcalc batch` calls for each chunk."""
        return self.plan(order).run(columns)

    def _evaluate(self, order: int, arrays: dict[str, Any]) -> Sequence[Any]:
        if len(self.roots) > 1:
            names = ", ".join(name for name, _ in self.expression.outputs)
            raise UsageError(
                f"value/grad/hessian take one output, this graph has {names}: use .table() "
                "(every output, as adcalc batch does) or adcalc.jacobian"
            )
        try:
            point = [arrays[name] for name in self.variables]
        except KeyError:
            missing = [name for name in self.variables if name not in arrays]
            raise MissingVariables(", ".join(missing)) from None
        for value in point:
            if type(value) not in _SCALARS:
                return self._evaluate_arrays(order, arrays)
        point = [_number(name, value) for name, value in zip(self.variables, point, strict=True)]
        if order == 1:
            return self._point(*point)
        return self._scalar_function(order)(*point)

    def _evaluate_arrays(self, order: int, arrays: dict[str, Any]) -> list[Any]:
        from ..codegen.batch import broadcast_columns

        checked = {name: _numbers(name, arrays[name]) for name in self.variables}
        try:
            columns, shape = broadcast_columns(self.variables, checked)
        except ValueError:  # shapes that do not broadcast together
            shapes = ", ".join(f"{name}: {list(checked[name].shape)}" for name in self.variables)
            raise BadValue(f"the values' shapes do not broadcast together ({shapes})") from None
        if not columns:  # a constant: no variable fixes the shape
            columns, shape = [], ()
        results = self.plan(order).run(columns)
        if shape == ():
            return [float(r[0]) for r in results]
        return [r.reshape(shape) for r in results]


def _number(name: str, value: float | int) -> float:
    """An int as a float (10**400 is a BadValue here, not an OverflowError from generated code)."""
    try:
        return float(value)
    except OverflowError:
        raise BadValue(f"{name}: an integer of {value.bit_length()} bits is too large for a float") from None


def _numbers(name: str, value: Any) -> Any:
    """value as a float64 array; BadValue for what is no number (None, text, complex, objects),
    which numpy would turn into NaN, an exception, or silently drop the imaginary part of."""
    import numpy as np

    try:
        array = np.asarray(value)
    except (TypeError, ValueError, OverflowError):
        array = None
    if array is None or array.dtype.kind not in "biuf":
        raise BadValue(f"{name}: not a number or an array of numbers: {value!r}"[:200])
    return array.astype(np.float64, copy=False)


def compile_graph(graph: Graph, wrt: Sequence[str] | None = None, engine: str = "numpy") -> Any:
    """Compiled for a scalar graph (generated code; arrays of points through `engine`: numpy, c
    or auto); row by row through the engine when vector or matrix values occur inside (codegen/rows.py)."""
    if engine not in ("auto", "c", "numpy"):
        raise UsageError(f"unknown engine {engine} (one of auto, c, numpy)")
    if graph.uses_arrays:
        from .rows import Pointwise

        return Pointwise(graph, wrt)
    return Compiled(graph, wrt, engine)
