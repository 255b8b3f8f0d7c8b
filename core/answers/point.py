"""Answers at one point: the value, the gradient (reverse or forward mode), JVP and VJP.

Each binds the point (shapes from declarations or from the values), runs the sweeps it needs
and returns a result dataclass with `to_dict`. Inputs may be scalars, vectors or matrices; a
derivative by an input has that input's shape, and an input the graph does not use gets 0.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..engine import elements, sweeps
from ..engine.bind import Point, bind, scalar_output
from ..errors import BadValue, UsageError
from ..ir.graph import Graph
from .notes import Answer, at_point


@dataclass(frozen=True)
class Evaluation(Answer):
    """The value of a graph at a point (a dict output name -> value for several outputs)."""

    expression: str
    at: dict[str, Any]
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "at": self.at, "value": self.value}


@dataclass(frozen=True)
class Gradient(Evaluation):
    """Value and gradient (input name -> partial derivative, shaped like the input) at a point."""

    gradient: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "gradient": self.gradient}


@dataclass(frozen=True)
class DirectionalDerivative(Evaluation):
    """Value and the derivative along a direction: J·v, a number or an array shaped like the output."""

    direction: dict[str, Any] = field(default_factory=dict)
    derivative: Any = 0.0

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "direction": self.direction, "directional": self.derivative}


@dataclass(frozen=True)
class HessianVectorProduct(DirectionalDerivative):
    """Value and H·v along a direction: `derivative` is input name -> (H v), shaped like the input."""

    def to_dict(self) -> dict[str, Any]:
        return {**Evaluation.to_dict(self), "direction": self.direction, "hvp": self.derivative}


def output_value(point: Point, found: Mapping[Any, Any]) -> Any:
    """The value of the one output, or output name -> value for several."""
    outputs = point.graph.outputs
    if len(outputs) == 1:
        return found[outputs[0][1]]
    return {name: found[n] for name, n in outputs}


def evaluate(graph: Graph, at: Mapping[str, Any]) -> Evaluation:
    """The value at a point; DomainError names the node whose NaN reached an output."""
    point = bind(graph, at)
    order, found = sweeps.values(point)
    result = output_value(point, found)
    return Evaluation(graph.label, point.at, result, warnings=at_point(order, found, result))


def gradient(graph: Graph, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Gradient:
    """Value and gradient by reverse mode: one value sweep, one cotangent sweep."""
    point = bind(graph, at, wrt or ())
    root = scalar_output(point)
    names = point.names(wrt)
    if point.scalar:
        value, partials, found = sweeps.float_partials(point, root, names)
        notes = at_point(point.graph.order, found, value, partials)
        return Gradient(graph.label, point.at, value, partials, warnings=notes)
    order, found = sweeps.values(point)
    cotangents = sweeps.cotangents(point, order, found, {root: 1.0}, names)
    partials = by_name(point, cotangents, names)
    notes = at_point(order, found, found[root], partials)
    return Gradient(graph.label, point.at, found[root], partials, warnings=notes)


def by_name(point: Point, cotangents: Mapping[Any, Any], names: Sequence[str]) -> dict[str, Any]:
    """Input name -> its cotangent, dense in the input's shape (0 where nothing reached it)."""
    found: dict[str, Any] = {}
    for n, g in cotangents.items():  # graphs combined from several texts hold one x node per text
        if n.op == "var" and n.payload in point.shapes:
            found[n.payload] = g if n.payload not in found else found[n.payload] + g
    return {name: elements.dense(found.get(name, 0.0), point.shapes[name]) for name in names}


def gradient_forward(graph: Graph, at: Mapping[str, Any], wrt: Sequence[str] | None = None) -> Gradient:
    """Value and gradient by forward mode: one tangent sweep per input element."""
    point = bind(graph, at, wrt or ())
    root = scalar_output(point)
    order, found = sweeps.values(point)
    partials = {}
    for name in point.names(wrt):
        shape = point.shapes[name]
        entries = []
        for k in range(elements.size(shape)):
            tangents = sweeps.tangents(order, found, {name: elements.unit(shape, k)})
            entries.append(elements.flat(tangents.get(root, 0.0), ())[0])
        partials[name] = elements.block(entries, shape)
    notes = at_point(order, found, found[root], partials)
    return Gradient(graph.label, point.at, found[root], partials, warnings=notes)


def bind_direction(point: Point, direction: Mapping[str, Any], what: str = "direction") -> dict[str, Any]:
    """The direction as values shaped like the point's inputs (names it leaves out get 0)."""
    seeds = {}
    for name, value in direction.items():  # callers bind the direction's names with the point
        shape = point.shapes[name]
        seeds[name] = shaped_like(value, shape, f"{what} {name}", name)
    return seeds


def shaped_like(value: Any, shape: tuple[int, ...], what: str, owner: str) -> Any:
    """A real number (shape ()) or float array of exactly `shape` (the shape of `owner`); BadValue
    naming `what` otherwise."""
    if not _shaped(value):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadValue(f"{what}: not a real number: {value!r}")
        if shape:
            raise BadValue(f"{what} is a number but {owner} has shape {_show(shape)}")
        return float(value)
    import numpy as np

    try:
        array = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError):
        raise BadValue(f"{what}: not a rectangular array of numbers") from None
    if array.shape != shape:
        raise BadValue(f"{what} has shape {_show(array.shape)} but {owner} is {_show(shape)}")
    return array


def _shaped(value: Any) -> bool:
    return isinstance(value, list | tuple) or bool(getattr(value, "shape", ()))


def _show(shape: tuple[int, ...]) -> str:
    from ..ir.shapes import show

    return show(tuple(shape))


def dense_direction(point: Point, seeds: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    """The direction over `names` (0 where not given), as reported in results."""
    return {name: elements.dense(seeds.get(name, 0.0), point.shapes[name]) for name in names}


def jvp(graph: Graph, at: Mapping[str, Any], direction: Mapping[str, Any]) -> DirectionalDerivative:
    """J·v by one forward sweep: a number, or an array shaped like the (one) output."""
    if len(graph.outputs) > 1:
        names = ", ".join(name for name, _ in graph.outputs)
        raise UsageError(
            f"jvp takes one output, {graph.label} has {names}: use `adcalc jacobian --mode forward`"
        )
    point = bind(graph, at, list(direction))
    seeds = bind_direction(point, direction)
    order, found = sweeps.values(point)
    root = graph.root
    tangent = sweeps.tangents(order, found, seeds).get(root, 0.0)
    result = elements.dense(tangent, point.shape(root))
    notes = at_point(order, found, found[root], {"": result}, "directional derivative ∇f·v")
    return DirectionalDerivative(
        graph.label, point.at, found[root], dense_direction(point, seeds, list(point.at)), result,
        warnings=notes,
    )  # fmt: skip


def vjp(graph: Graph, at: Mapping[str, Any], cotangent: Any, wrt: Sequence[str] | None = None) -> Gradient:
    """vᵀJ by one cotangent sweep: `cotangent` is shaped like the output (a dict by name for several).

    The result's `gradient` holds, per input, the cotangent it receives.
    """
    point = bind(graph, at, wrt or ())
    outputs = graph.outputs
    given = cotangent if isinstance(cotangent, Mapping) else {outputs[0][0]: cotangent}
    unknown = [name for name in given if name not in dict(outputs)]
    if unknown or (len(outputs) > 1 and not isinstance(cotangent, Mapping)):
        known = ", ".join(name for name, _ in outputs)
        raise UsageError(f"cotangent: give one per output by name (outputs: {known})")
    order, found = sweeps.values(point)
    seeds = {}
    for name, n in outputs:
        if name in given:
            shape = elements.shape_of(found[n])
            seeds[n] = shaped_like(given[name], shape, f"cotangent of {name}", name)
    names = point.names(wrt)
    partials = by_name(point, sweeps.cotangents(point, order, found, seeds, names), names)
    value = output_value(point, found)
    return Gradient(graph.label, point.at, value, partials, warnings=at_point(order, found, value, partials))
