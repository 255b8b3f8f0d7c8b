"""Jacobians of .adl programs whose values are vectors and matrices.

A block ∂y/∂x of a Jacobian has the shape y.shape + x.shape (numerator layout, JAX's `jacobian`
convention), so a scalar output by a matrix input is the gradient's shape and a vector by a
vector is a matrix. Rows and columns run over the elements in numpy's (row-major) order, named
as the language indexes them (see program_derivatives.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..answers.derivatives import Jacobian
from ..answers.program_derivatives import (
    Shape,
    _block,
    _input_shapes,
    _size,
    _sweeps,
    element_labels,
    flat,
    program_values,
    shape_of,
)
from ..api import Expression, _used, wrt_names
from ..engine.forward import tangents_of
from ..engine.reverse import cotangents_of, partials_by_name
from ..errors import UsageError


@dataclass(frozen=True)
class ProgramJacobian(Jacobian):
    """A program's Jacobian: `rows` over output elements × input elements, and blocks per pair.

    `outputs`, `value` and `variables` label the flattened rows and columns (what the table
    shows); `names`, `output_shapes` and `input_shapes` say how they group into blocks.
    """

    names: list[str] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    output_shapes: dict[str, Shape] = field(default_factory=dict)
    input_shapes: dict[str, Shape] = field(default_factory=dict)

    @property
    def blocks(self) -> dict[str, dict[str, Any]]:
        """Output name -> input name -> ∂output/∂input, shaped output.shape + input.shape."""
        result: dict[str, dict[str, Any]] = {}
        row = 0
        for out, out_shape in self.output_shapes.items():
            rows = self.rows[row : row + _size(out_shape)]
            row += _size(out_shape)
            result[out] = {}
            column = 0
            for name, shape in self.input_shapes.items():
                entries = [v for r in rows for v in r[column : column + _size(shape)]]
                column += _size(shape)
                result[out][name] = _block(entries, out_shape + shape)
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "outputs": self.names,
            "at": self.at,
            "value": [self.values[name] for name in self.names],
            "mode": self.mode,
            "variables": list(self.input_shapes),
            "jacobian": self.blocks,
        }


def program_jacobian(
    expression: Expression, at: Mapping[str, Any], wrt: Sequence[str] | None = None, mode: str | None = None
) -> ProgramJacobian:
    """Jacobian of a program's outputs: forward mode when it has fewer input than output elements."""
    names = wrt_names(expression, wrt, at)
    point, order, values = program_values(expression, at)
    outputs = dict(expression.program.outputs)
    out_shapes = {name: shape_of(values[n]) for name, n in outputs.items()}
    in_shapes = _input_shapes(names, point)
    columns, rows_count = sum(map(_size, in_shapes.values())), sum(map(_size, out_shapes.values()))
    mode = mode or ("forward" if columns < rows_count else "reverse")
    if mode == "forward":
        by_column = []
        for name, unit in _sweeps(in_shapes):
            tangents = tangents_of(order, values, {name: unit})
            by_column.append(
                [v for o, n in outputs.items() for v in flat(tangents.get(n, 0.0), out_shapes[o])]
            )
        rows = (
            [list(r) for r in zip(*by_column, strict=True)] if by_column else [[] for _ in range(rows_count)]
        )
    elif mode == "reverse":
        rows = []
        for out, unit in _sweeps(out_shapes):
            cotangents = cotangents_of(order, values, {outputs[out]: unit}, set(names))
            partials = partials_by_name(cotangents, names)
            rows.append([v for name in names for v in flat(partials[name], in_shapes[name])])
    else:
        raise UsageError(f"--mode must be forward or reverse, got {mode!r}")
    row_labels = [label for o, s in out_shapes.items() for label in element_labels(o, s)]
    row_values = [v for o, n in outputs.items() for v in flat(values[n], out_shapes[o])]
    column_labels = [label for name, s in in_shapes.items() for label in element_labels(name, s)]
    return ProgramJacobian(
        row_labels, _used(expression, point), row_values, column_labels, rows, mode,
        list(outputs), {o: values[n] for o, n in outputs.items()}, out_shapes, in_shapes,
    )  # fmt: skip
