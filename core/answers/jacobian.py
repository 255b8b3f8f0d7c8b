"""The Jacobian of every output by every input, in blocks shaped out.shape + in.shape.

Forward mode pushes one tangent per input element, reverse mode pulls one cotangent per output
element; the cheaper one is chosen unless a mode is given. A block of two scalars is a number,
so a formula's Jacobian is a table of numbers.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine import elements, sweeps
from ..engine.bind import bind
from ..errors import UsageError
from ..ir.graph import Graph
from .hessian import dense_limit
from .notes import Answer, at_point
from .point import by_name

Shape = tuple[int, ...]


@dataclass(frozen=True)
class Jacobian(Answer):
    """Values of the outputs and the Jacobian blocks ∂output/∂input."""

    expression: str
    at: dict[str, Any]
    values: dict[str, Any]  # output key -> value
    output_shapes: dict[str, Shape]
    input_shapes: dict[str, Shape]
    rows: list[list[float]]  # output elements × input elements
    mode: str

    @property
    def outputs(self) -> list[str]:
        """The output keys (a formula's text; a repeated text gets ' (k)')."""
        return list(self.values)

    @property
    def variables(self) -> list[str]:
        return list(self.input_shapes)

    @property
    def row_labels(self) -> list[str]:
        """Output element names: f[2] for a program's output, (x*y)[2] for a formula's."""
        return [
            label
            for key, shape in self.output_shapes.items()
            for label in elements.labels(key if key.isidentifier() or not shape else f"({key})", shape)
        ]

    @property
    def row_values(self) -> list[float]:
        return [
            v for key, value in self.values.items() for v in elements.flat(value, self.output_shapes[key])
        ]

    @property
    def column_labels(self) -> list[str]:
        return elements.all_labels(self.input_shapes)

    @property
    def blocks(self) -> dict[str, dict[str, Any]]:
        """Output key -> input name -> ∂output/∂input, shaped output.shape + input.shape."""
        result: dict[str, dict[str, Any]] = {}
        rows = elements.offsets(self.output_shapes)
        columns = elements.offsets(self.input_shapes)
        for out, (r0, r1) in rows.items():
            result[out] = {}
            for name, (c0, c1) in columns.items():
                entries = [v for row in self.rows[r0:r1] for v in row[c0:c1]]
                result[out][name] = elements.block(entries, self.output_shapes[out] + self.input_shapes[name])
        return result

    def to_dict(self) -> dict[str, Any]:
        return {
            "expression": self.expression,
            "at": self.at,
            "outputs": self.outputs,
            "value": self.values,  # by output, as eval gives a program's several outputs
            "mode": self.mode,
            "variables": self.variables,
            "jacobian": self.blocks,
        }


def output_keys(graph: Graph) -> list[str]:
    """Output names; a repeated one (the same formula twice) gets ' (k)' with its 1-based position."""
    seen: set[str] = set()
    keys = []
    for position, (name, _) in enumerate(graph.outputs, start=1):
        keys.append(name if name not in seen else f"{name} ({position})")
        seen.add(name)
    return keys


def jacobian(
    graph: Graph, at: Mapping[str, Any], wrt: Sequence[str] | None = None, mode: str | None = None
) -> Jacobian:
    """Jacobian of every output: forward mode when there are fewer input than output elements."""
    if mode not in (None, "forward", "reverse"):
        raise UsageError(f"mode must be forward or reverse, got {mode!r}")
    point = bind(graph, at, wrt or ())
    names = point.names(wrt)
    order, found = sweeps.values(point)
    outputs = dict(zip(output_keys(graph), (n for _, n in graph.outputs), strict=True))
    out_shapes = {key: elements.shape_of(found[n]) for key, n in outputs.items()}
    in_shapes = {name: point.shapes[name] for name in names}
    columns = sum(map(elements.size, in_shapes.values()))
    count = sum(map(elements.size, out_shapes.values()))
    dense_limit(columns * count, "the Jacobian", "adcalc jvp` or `adcalc grad")
    mode = mode or ("forward" if columns < count else "reverse")
    if mode == "forward":
        by_column = []
        for name, k in elements.element_of(in_shapes):
            tangents = sweeps.tangents(order, found, {name: elements.unit(in_shapes[name], k)})
            by_column.append(
                [
                    v
                    for key, n in outputs.items()
                    for v in elements.flat(tangents.get(n, 0.0), out_shapes[key])
                ]
            )
        rows = [list(r) for r in zip(*by_column, strict=True)] if by_column else [[] for _ in range(count)]
    else:
        rows = []
        for key, k in elements.element_of(out_shapes):
            seed = {outputs[key]: elements.unit(out_shapes[key], k)}
            partials = by_name(point, sweeps.cotangents(point, order, found, seed, names), names)
            rows.append([v for name in names for v in elements.flat(partials[name], in_shapes[name])])
    values = {key: found[n] for key, n in outputs.items()}
    notes = at_point(order, found, values, _nan_columns(rows, in_shapes))
    return Jacobian(graph.label, point.at, values, out_shapes, in_shapes, rows, mode, warnings=notes)


def _nan_columns(rows: list[list[float]], in_shapes: Mapping[str, Shape]) -> dict[str, list[float]]:
    """Input name -> its Jacobian entries (all outputs), for the NaN/infinity warnings."""
    spans = elements.offsets(in_shapes)
    return {name: [v for row in rows for v in row[c0:c1]] for name, (c0, c1) in spans.items()}
