"""Binding a point to a graph: values checked and converted, every node's shape known.

Shapes of declared inputs come from the program; shapes of undeclared ones (a formula's) from
the values given. An array given for an input *is* a vector or matrix input. One shape pass runs
per input signature (cached on the graph) and none at all when everything is scalar, so the
scalar path pays nothing. A name given that the graph does not use is bound too: its derivative
is reported as 0. A value given for a constant (`e`, `pi`) is an error, not silently ignored.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from ..errors import BadValue, MissingVariables, UsageError
from ..ir.graph import Graph, Shape
from ..ir.nodes import Node

CONSTANTS = ("pi", "e")  # names the grammar reads as numbers (ops.elementary.CONSTANTS)


class Point:
    """A graph at a point: input name -> float or float array, and every non-scalar node's shape."""

    __slots__ = ("graph", "at", "shapes", "node_shapes")  # a plain class: cheaper to import than a dataclass

    def __init__(
        self, graph: Graph, at: dict[str, Any], shapes: dict[str, Shape], node_shapes: Mapping[Node, Shape]
    ) -> None:
        self.graph = graph
        self.at = at  # the graph's inputs first, then names it does not use
        self.shapes = shapes  # of every name in `at`
        self.node_shapes = node_shapes  # non-scalar nodes only

    @property
    def scalar(self) -> bool:
        """True when every node and every given value is a scalar: the float fast path applies."""
        return not self.node_shapes and not any(self.shapes.values())

    def shape(self, n: Node) -> Shape:
        return self.node_shapes.get(n, ())

    def names(self, wrt: Sequence[str] | None = None) -> list[str]:
        """The names to differentiate by: `wrt` (in its order, duplicates dropped) or every input."""
        return list(self.at) if wrt is None else list(dict.fromkeys(wrt))


def bind(graph: Graph, at: Mapping[str, Any], wrt: Collection[str] = ()) -> Point:
    """The point checked against the graph: MissingVariables, BadValue or ShapeError otherwise.

    Names in `wrt` without a value (and not used by the graph) are bound to 0.0.
    """
    constants = [name for name in at if name in CONSTANTS and name not in graph.inputs]
    if constants:
        raise BadValue(f"{constants[0]} is a constant, not a variable: it cannot be given a value")
    missing = [name for name in graph.inputs if name not in at]
    if missing:
        raise MissingVariables(", ".join(missing) + " (give them with --at)")
    point: dict[str, Any] = {}
    shapes: dict[str, Shape] = {}
    for name in [*graph.inputs, *(k for k in at if k not in graph.inputs)]:
        point[name], shapes[name] = _value(name, at[name], graph.inputs.get(name))
    for name in wrt:
        if name not in point:
            point[name], shapes[name] = 0.0, ()
    signature = tuple(shapes[name] for name in graph.inputs)
    if not graph.uses_arrays and not any(shapes.values()):
        return Point(graph, point, shapes, {})
    _numpy_kind()
    return Point(graph, point, shapes, node_shapes(graph, signature))


def _value(name: str, value: Any, declared: Shape | None) -> tuple[Any, Shape]:
    """(value as a float or float64 array, its shape), checked against a declared shape."""
    if type(value) is float:
        shape: Shape = ()
    elif isinstance(value, bool | int | float) and not isinstance(value, complex):
        try:
            value, shape = float(value), ()
        except OverflowError:  # an int beyond the float range (10**400)
            bits = value.bit_length()
            raise BadValue(f"{name}: an integer of {bits} bits is too large for a float") from None
    elif isinstance(value, list | tuple) or hasattr(value, "shape"):
        import numpy as np

        if getattr(value, "dtype", None) is not None and value.dtype.kind == "c":
            raise BadValue(f"{name}: complex values (this takes real numbers; `check` does complex step)")
        try:
            array = np.asarray(value, dtype=np.float64)
        except (ValueError, TypeError, OverflowError):
            raise BadValue(f"{name}: not a rectangular array of real numbers") from None
        value, shape = (array if array.ndim else float(array)), tuple(array.shape)
    else:
        raise BadValue(f"{name}: not a number or an array of numbers: {value!r}")
    if declared is not None and shape != declared:
        from ..ir.shapes import show

        if not declared:
            raise BadValue(
                f"{name} is declared a scalar but given {show(shape)} values: this takes one point "
                "(`adcalc batch` and adcalc.compile take many)"
            )
        raise BadValue(f"{name} is declared {show(declared)} but its value has shape {show(shape)}")
    return value, shape


def node_shapes(graph: Graph, signature: tuple[Shape, ...]) -> Mapping[Node, Shape]:
    """Every non-scalar node's shape for inputs of these shapes (one pass, cached per signature)."""
    found = graph.cache.get(("shapes", signature))
    if found is not None:
        return found
    if None not in graph.inputs.values():  # every shape was known, and inferred, while it was built
        shapes: dict[Node, Shape] = dict(graph.shapes)
    else:
        shapes = _infer(graph, dict(zip(graph.inputs, signature, strict=True)))
    graph.cache[("shapes", signature)] = shapes
    return shapes


def _infer(graph: Graph, inputs: Mapping[str, Shape]) -> dict[Node, Shape]:
    from ..ir.shapes import infer
    from ..ops.matrix import Static

    shapes: dict[Node, Shape] = {}
    for n in graph.order:
        if n.op == "var":
            shape = inputs.get(n.payload, ())
        elif n.op == "const":
            continue
        else:
            statics = [i.payload if isinstance(i.payload, Static) else None for i in n.inputs]
            shape = infer(n.op, [shapes.get(i, ()) for i in n.inputs], statics, n.span)
        if shape:
            shapes[n] = shape
    return shapes


def _numpy_kind() -> None:
    from ..ops import numpy_values  # noqa: F401  (numpy arrays become a kind of value)


def scalar_output(point: Point, command: str = "a gradient") -> Node:
    """The graph's one scalar output, or UsageError saying what to use instead."""
    graph = point.graph
    if len(graph.outputs) > 1:
        names = ", ".join(name for name, _ in graph.outputs)
        where = graph.label if graph.declared else "the text"  # a one-liner's label is its text
        raise UsageError(
            f"{command} needs one output; {where} has {len(graph.outputs)} ({names}): use `adcalc jacobian`"
        )
    name, root = graph.outputs[0]
    if point.shape(root):
        from ..ir.shapes import show

        what = f"'{name}'" if graph.declared else graph.label
        raise UsageError(
            f"{command} needs a scalar output, {what} is {show(point.shape(root))} at this point: "
            "use `adcalc jacobian`"
        )
    return root
