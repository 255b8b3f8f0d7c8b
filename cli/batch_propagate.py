"""`adcalc batch --propagate`: each row's first-order standard uncertainty, from input columns
u_<variable> (the variable's standard uncertainty in that row; no such column: the variable is
exact). The output has columns value and u (several outputs: value_f, u_f), row for row.

An empty u cell (a JSON record without the key, or null) is exact too. A row whose u cell is
not a number, NaN, negative or infinite fails like a row with a bad variable cell: marked (or
skipped, or fatal, as --on-error says).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from adcalc.errors import UsageError

from .chunks import ABSENT, shown_names, to_floats


def u_column(variable: str) -> str:
    """The input column holding a variable's standard uncertainty."""
    return f"u_{variable}"


class RowUncertainties:
    """What --propagate adds to a batch run: reading the u columns, and the value and u columns."""

    def __init__(self, compiled: Any, grad: bool) -> None:
        from adcalc.codegen.batch import uncertainty_name, value_name

        self.wrt = list(compiled.wrt)
        outputs = [name for name, _ in compiled.expression.outputs]
        several = len(outputs) > 1
        self.values = [value_name(name if several else None) for name in outputs]
        self.u = [uncertainty_name(name if several else None) for name in outputs]
        self.gradient = compiled.outputs(1)[0][len(outputs) :] if grad else []
        clash = [
            name for name in compiled.variables if name.startswith("u_") and name[2:] in compiled.variables
        ]
        if clash:
            raise UsageError(
                f"the variable {clash[0]} reads as the uncertainty column of {clash[0][2:]}: rename it"
            )

    @property
    def names(self) -> list[str]:
        """The output columns: the values, their u, then (--grad) the gradient columns."""
        return [*self.values, *self.u, *self.gradient]

    def check_header(self, columns: list[str]) -> None:
        """UsageError when a table with a header has no u_<variable> column at all."""
        wanted = [u_column(name) for name in self.wrt]
        if columns and not any(name in columns for name in wanted):
            raise UsageError(
                f"--propagate reads standard uncertainties from columns {', '.join(wanted)}, "
                f"and the input has none (columns: {shown_names(columns)})"
            )

    def read(self, chunk: Any) -> tuple[dict[str, np.ndarray], dict[int, str]]:
        """(variable -> its u per row, the chunk's problems with the bad u cells added). An empty
        cell (a JSON record without the key, or null) is exact, as a missing column is: so a row's
        result never depends on the other rows of its chunk."""
        problems = dict(chunk.problems)
        found = {}
        for name in self.wrt:
            column = chunk.others.get(u_column(name))
            if column is None:
                continue
            blank, u = _arrow_floats(column) if hasattr(column, "to_pylist") else (None, None)
            if u is None:  # text or JSON values, or Arrow text with a bad cell (to_floats says which)
                cells = column.to_pylist() if hasattr(column, "to_pylist") else list(column)
                blank = np.array(
                    [
                        cell is None or cell is ABSENT or (isinstance(cell, str) and not cell.strip())
                        for cell in cells
                    ]
                )
                u = to_floats(cells, u_column(name), problems)
            bad = ~blank & ~(np.isfinite(u) & (u >= 0))  # NaN fails `u >= 0` too
            for k in np.flatnonzero(bad):
                problems.setdefault(
                    int(k), f"{u_column(name)} = {float(u[k])!r}: a standard uncertainty is finite and ≥ 0"
                )
            found[name] = np.where(blank | bad, 0.0, u)
        return found, problems

    def columns(
        self, table: np.ndarray, failed: np.ndarray, uncertainties: dict[str, np.ndarray]
    ) -> list[Any]:
        """The output columns of a chunk from its order-1 table (failed rows are written empty)."""
        from adcalc.codegen.batch import propagated_u

        from .writers import Column

        count = len(self.values)
        u = propagated_u(table, count, self.wrt, uncertainties)
        u[:, failed] = np.nan
        out = [Column(name, table[k], failed) for k, name in enumerate(self.values)]
        out += [Column(name, u[k], failed) for k, name in enumerate(self.u)]
        out += [Column(name, table[count + k], failed) for k, name in enumerate(self.gradient)]
        return out


def _arrow_floats(column: Any) -> tuple[Any, Any]:
    """(blank mask, floats) of a pyarrow column without a Python loop; (None, None) when some
    cell is not a number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_string(column.type) or pa.types.is_large_string(column.type):
        column = pc.utf8_trim_whitespace(column)
        blank = pc.fill_null(pc.equal(column, ""), True)
        column = pc.if_else(blank, pa.scalar(None, column.type), column)
    try:
        numbers = pc.cast(column, pa.float64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None, None
    mask = pc.is_null(numbers).to_numpy(zero_copy_only=False)
    return mask, pc.fill_null(numbers, 0.0).to_numpy(zero_copy_only=False)
