"""Many points at once: value, gradient and Hessian graphs evaluated over numpy arrays.

The derivatives are built once as graphs (reverse mode run on nodes; for the Hessian, forward
mode on nodes over the gradient graphs, as in engine/transforms.hessian_graphs), so every row goes
through the same op rules as the scalar path, and then evaluated as generated numpy code over
blocks of rows (see numpy_kernels.py) on two threads. Nothing here loops over rows in Python.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..codegen.numpy_kernels import Kernel, compile_numpy
from ..codegen.threads import THREADS, pool
from ..engine.forward import nan_origin, values_of
from ..engine.reverse import gradient_graph
from ..engine.transforms import hessian_graphs
from ..errors import EvaluationError, MissingVariables, UsageError
from ..ir.nodes import Node, const, topological_order
from ..ops import numpy_values as _numpy_values  # noqa: F401  (numpy arrays become a kind of value)

ZERO = const(0.0)
BLOCK = 16384  # rows per block: ~20 live buffers of 128 kB stay in a core's L2 cache


def gradient_name(variable: str, output: str | None = None) -> str:
    """Output column of ∂f/∂variable: d_x (several outputs: d_f_x)."""
    return f"d_{variable}" if output is None else f"d_{output}_{variable}"


def hessian_name(first: str, second: str, output: str | None = None) -> str:
    """Output column of ∂²f/∂first∂second: d2_x_y (upper triangle, wrt order; several outputs: d2_f_x_y)."""
    return f"d2_{first}_{second}" if output is None else f"d2_{output}_{first}_{second}"


def value_name(output: str | None = None) -> str:
    """Output column of the value: value (several outputs: value_f)."""
    return "value" if output is None else f"value_{output}"


def uncertainty_name(output: str | None = None) -> str:
    """Output column of the value's standard uncertainty (batch --propagate): u (several outputs: u_f)."""
    return "u" if output is None else f"u_{output}"


def propagated_u(
    table: np.ndarray, outputs: int, wrt: Sequence[str], uncertainties: Mapping[str, np.ndarray]
) -> np.ndarray:
    """(outputs, rows) first-order standard uncertainties u = √Σ (∂f/∂x · u_x)² of independent
    inputs, from an order-1 table (every output's value, then each one's gradient in `wrt` order)
    and per-row standard uncertainties; a variable without one is exact."""
    u2 = np.zeros((outputs, table.shape[1]))
    for o in range(outputs):
        for i, name in enumerate(wrt):
            if name in uncertainties:
                u = uncertainties[name]
                part = np.where(u == 0, 0.0, table[outputs + o * len(wrt) + i] * u)  # exact: no 0·inf
                u2[o] += part * part
    return np.sqrt(u2)


def column_names(outputs: Sequence[str], wrt: Sequence[str], order: int = 1) -> list[str]:
    """Every output's value column, then per output its gradient (order >= 1) and Hessian upper
    triangle (order 2) columns: value, d_x, d2_x_y for one output; value_f, d_f_x, d2_f_x_y for several."""
    several = len(outputs) > 1
    names = [value_name(name if several else None) for name in outputs]
    for name in outputs:
        label = name if several else None
        if order >= 1:
            names += [gradient_name(v, label) for v in wrt]
        if order >= 2:
            names += [hessian_name(a, b, label) for i, a in enumerate(wrt) for b in wrt[i:]]
    return names


def derivative_outputs(
    outputs: Sequence[tuple[str, Node]], wrt: Sequence[str], order: int = 1
) -> tuple[list[str], list[Node]]:
    """(column names, graphs) in column_names' order; Hessian entry (i, j), i <= j, is the graph of
    H[j, i] from engine/transforms.hessian_graphs (the lower triangle it computes)."""
    nodes = [root for _, root in outputs]
    for _, root in outputs:
        if order >= 2:
            gradient, entries, graphs, _ = hessian_graphs(root, wrt)
            lower = dict(zip(entries, graphs, strict=True))
            nodes += gradient
            nodes += [lower.get((j, i), ZERO) for i in range(len(wrt)) for j in range(i, len(wrt))]
        elif order >= 1:
            gradient = gradient_graph(root, wrt)
            nodes += [gradient[v] for v in wrt]
    return column_names([name for name, _ in outputs], wrt, order), nodes


@dataclass
class Plan:
    """Compiled outputs over named variables: `run(columns)` -> array (outputs, rows)."""

    variables: tuple[str, ...]
    names: tuple[str, ...]
    outputs: tuple[Node, ...]
    kernel: Kernel = field(repr=False)
    block: int = BLOCK

    def reasons(self, roots: Sequence[Node], columns: Sequence[np.ndarray]) -> list[str]:
        """Why each of these rows has a NaN value."""
        return nan_reasons(roots, self.variables, columns)

    def run(self, columns: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
        """All outputs for 1-D float64 columns of equal length (one per variable, in order)."""
        rows = len(columns[0]) if columns else 1
        if out is None:
            out = np.empty((len(self.outputs), rows))
        blocks = -(-rows // self.block)
        threads = min(THREADS, blocks)
        # Threads take the next block from a shared counter (next() on it is atomic under the
        # GIL), so a thread slowed by other load on the machine does not hold the others up.
        counter = itertools.count()
        work = [pool().submit(self._blocks, columns, out, counter, blocks) for _ in range(threads - 1)]
        self._blocks(columns, out, counter, blocks)  # the calling thread works too
        for done in work:
            done.result()
        return out

    def _blocks(
        self, columns: Sequence[np.ndarray], out: np.ndarray, counter: Iterator[int], blocks: int
    ) -> None:
        rows, block = out.shape[1], self.block
        buffers = [np.empty(min(block, rows)) for _ in range(self.kernel.buffers)]
        with np.errstate(all="ignore"):  # domain errors give NaN, reported per row by callers
            for k in counter:
                if k >= blocks:
                    return
                self.kernel.run(columns, out, k * block, min((k + 1) * block, rows), buffers)


ENGINES = ("auto", "c", "numpy")


def plan(
    outputs: Sequence[Node], names: Sequence[str], variables: Sequence[str], engine: str = "numpy"
) -> Any:
    """A plan evaluating the output graphs over blocks of rows: generated numpy code (engine
    "numpy"), the generated C compiled with the system compiler ("c", see native.py), or C when a
    compiler is found and numpy otherwise ("auto")."""
    if engine not in ENGINES:
        raise UsageError(f"unknown engine {engine} (one of {', '.join(ENGINES)})")
    if engine != "numpy":
        from .native import native_plan

        try:
            return native_plan(outputs, names, variables, nan_reasons)
        except (UsageError, EvaluationError, OSError):
            if engine == "c":
                raise
    return Plan(tuple(variables), tuple(names), tuple(outputs), compile_numpy(outputs, variables))


def broadcast_columns(variables: Sequence[str], arrays: Mapping[str, Any]) -> tuple[list[np.ndarray], tuple]:
    """(flat float64 columns, common shape): every variable broadcast to one shape, so that each
    row's derivatives are its own (a shared scalar is not summed over the rows)."""
    missing = [name for name in variables if name not in arrays]
    if missing:
        raise MissingVariables(", ".join(missing))
    values = [np.asarray(arrays[name], dtype=np.float64) for name in variables]
    shape = np.broadcast_shapes(*(v.shape for v in values)) if values else ()
    columns = [np.ascontiguousarray(np.broadcast_to(v, shape)).reshape(-1) for v in values]
    return columns, shape


def nan_reasons(roots: Sequence[Node], variables: Sequence[str], columns: Sequence[np.ndarray]) -> list[str]:
    """For rows whose value is NaN: which operation first made it so (one message per row)."""
    order = topological_order(roots)
    values = values_of(order, dict(zip(variables, columns, strict=True)))
    messages = []
    for row in range(len(columns[0]) if columns else 1):
        found = _Row(values, row)
        problems = [p for p in (nan_origin(root, found) for root in roots) if p is not None]
        messages.append(problems[0].detail if problems else f"{roots[0].op} is undefined")
    return messages


class _Row(Mapping[Node, float]):
    """One row of the values as floats, read lazily (nan_origin looks at one path only)."""

    def __init__(self, values: Mapping[Node, Any], row: int) -> None:
        self.values, self.row = values, row

    def __getitem__(self, n: Node) -> float:
        value = self.values[n]
        return float(value[self.row]) if isinstance(value, np.ndarray) and value.ndim else float(value)

    def __iter__(self) -> Iterator[Node]:
        return iter(self.values)

    def __len__(self) -> int:
        return len(self.values)


@dataclass
class Rows:
    """Results for a table of rows: outputs (outputs, rows) with NaN in failed rows, and why each failed."""

    values: np.ndarray
    failed: np.ndarray  # bool per row
    errors: dict[int, str]  # row -> message, for the failed rows


def evaluate_rows(
    run: Any,
    roots: Sequence[Node],
    columns: Mapping[str, np.ndarray],
    problems: Mapping[int, str] | None = None,
    count: int = 0,
) -> Rows:
    """All outputs for each row; a row fails when an input is missing (NaN) or not a number
    (`problems`, from the reader), or when its value is NaN (a domain error, named by the node).
    `count` is the number of rows where the outputs read no column (a constant)."""
    data = [np.ascontiguousarray(columns[name], dtype=np.float64) for name in run.variables]
    rows = len(data[0]) if data else count
    errors = dict(problems or {})
    for name, column in zip(run.variables, data, strict=True):
        for k in np.flatnonzero(np.isnan(column)):
            errors.setdefault(int(k), f"missing or NaN value for {name}")  # the readers make both NaN
    values = run.run(data, np.empty((len(run.outputs), rows))) if data else _constant_rows(run, rows)
    undefined = np.isnan(values[: len(roots)]).any(axis=0)  # any output's value
    if errors:
        undefined[list(errors)] = False
    if undefined.any():
        where = np.flatnonzero(undefined)
        reasons = run.reasons(roots, [column[where] for column in data])
        errors.update(zip(where.tolist(), reasons, strict=True))
    failed = np.zeros(rows, dtype=bool)
    if errors:
        failed[list(errors)] = True
        values[:, failed] = np.nan
    return Rows(values, failed, errors)


def _constant_rows(run: Plan, rows: int) -> np.ndarray:
    # no variables: the one value (and zero derivatives) for every row
    return np.repeat(run.run([]), rows, axis=1)
