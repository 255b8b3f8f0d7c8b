"""Hessians, JVPs and HVPs of .adl programs whose values are vectors and matrices (Jacobians:
program_jacobian.py), and the element helpers they share.

An array is taken element by element in numpy's (row-major) order, each element named as the
language indexes it, 1-based: x[2], A[1,3]. The Hessian is forward over reverse, as for
formulas, with one forward sweep per colour of the element-level column colouring of the Hessian's
sparsity pattern (sparsity.py; one per element when it is dense): the gradient graph is built by a reverse
sweep that knows each node's shape, so a cotangent that an element-wise op broadcast (b1 added
to every row of X W1ᵀ) is summed back to its input's shape (`unbroadcast`) inside the graph,
where formulas' reverse mode does it on numbers.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from . import reverse
from .api import Expression, _used, wrt_names
from .derivatives import DirectionalDerivative, Hessian
from .errors import UsageError
from .forward import raise_if_nan, tangents_of, values_of
from .nodes import Node, topological_order
from .ops import OPS, OpDef, apply, register
from .program import bind, check_scalar_output
from .reverse import fit_shape
from .scalar import SCALAR
from .shapes import show
from .sparsity import colour_columns, colour_groups, element_hessian_pattern, lower_entries
from .tensor import ARRAY, add_values, expand

Shape = tuple[int, ...]


# --- the one op this needs: a broadcast cotangent summed back to its input's shape ------------
def unbroadcast(g: Any, like: Any) -> Any:
    return apply("unbroadcast", g, like)


register(
    OpDef(
        "unbroadcast", 2,
        (lambda g, like, out, dg: unbroadcast(dg, like), None),
        # a sum over the broadcast axes: its transpose spreads h back over g's shape
        (lambda g, like, out, h: expand(h, g), None),
        doc="g summed over the axes along which it was broadcast from the shape of `like`",
        extra=ARRAY,
    )
)  # fmt: skip
add_values({"unbroadcast": fit_shape})
SCALAR.setdefault("unbroadcast", lambda g, like: g)  # two scalars: nothing was broadcast


# --- elements --------------------------------------------------------------------------------
def shape_of(value: Any) -> Shape:
    """A value's shape (() for a number)."""
    return tuple(getattr(value, "shape", ()))


def element_labels(name: str, shape: Shape) -> list[str]:
    """x, or x[1] ... x[n], or A[1,1] ... A[m,n] (1-based, row-major, as the language indexes)."""
    if not shape:
        return [name]
    return [f"{name}[{','.join(str(i + 1) for i in index)}]" for index in product(*map(range, shape))]


def _size(shape: Shape) -> int:
    size = 1
    for n in shape:
        size *= n
    return size


def basis(shape: Shape, k: int) -> Any:
    """The k-th unit direction of a value of this shape (1.0 for a scalar)."""
    if not shape:
        return 1.0
    import numpy as np

    unit = np.zeros(shape)
    unit.flat[k] = 1.0
    return unit


def flat(value: Any, shape: Shape) -> list[float]:
    """The elements of a value (a missing tangent or a folded 0 spread over the shape)."""
    if not shape:
        return [float(value)]
    import numpy as np

    return [float(v) for v in np.broadcast_to(np.asarray(value, dtype=float), shape).ravel()]


def _block(entries: Sequence[float], shape: Shape) -> Any:
    """Row-major entries as a number or nested lists of this shape."""
    return _array(entries, shape).tolist() if shape else entries[0]


def _sweeps(shapes: Mapping[str, Shape]) -> Iterator[tuple[str, Any]]:
    """(input name, unit direction) for every element of every input."""
    for name, shape in shapes.items():
        for k in range(_size(shape)):
            yield name, basis(shape, k)


def require_scalars(expression: Expression, at: Mapping[str, Any], command: str, hint: str) -> None:
    """UsageError (exit 2) for a program with several outputs or with vector/matrix values."""
    program = expression.program
    if program is None:
        return
    if len(program.outputs) > 1:
        names = ", ".join(name for name, _ in program.outputs)
        raise UsageError(f"{command} takes one output, {expression.label} has {names}: use `adcalc jacobian`")
    arrays = [f"{name} is {list(shape)}" for name, shape in program.inputs.items() if shape]
    arrays += [
        f"{name} is {list(shape_of(v))}" for name, v in at.items() if shape_of(v) and name in program.inputs
    ]
    if arrays or program.uses_arrays:
        what = f" ({', '.join(dict.fromkeys(arrays))})" if arrays else " inside"
        raise UsageError(
            f"{command} works on scalar programs; {expression.label} has vector/matrix values{what}: {hint}"
        )


# --- values ----------------------------------------------------------------------------------
def one_point(expression: Expression, at: Mapping[str, Any]) -> dict[str, Any]:
    """The point bound to the declared shapes; an array for a scalar input (rows) is a BadValue."""
    from .errors import BadValue

    point = bind(expression.program, at)
    for name, shape in expression.program.inputs.items():
        if not shape and shape_of(point.get(name, 0.0)):
            raise BadValue(
                f"{name} is declared a scalar but given {list(shape_of(point[name]))} values: this command "
                "takes one point (`adcalc grad` and `adcalc batch` take many)"
            )
    return point


def program_values(expression: Expression, at: Mapping[str, Any], roots: Sequence[Node] = ()) -> tuple:
    """(point bound to the declared shapes, topological order, every node's value); NaN outputs raise."""
    point = one_point(expression, at)
    outputs = [n for _, n in expression.program.outputs]
    order = topological_order([*outputs, *roots])
    values = values_of(order, point)
    raise_if_nan(outputs, values)
    return point, order, values


def _input_shapes(names: Sequence[str], point: Mapping[str, Any]) -> dict[str, Shape]:
    return {name: shape_of(point.get(name, 0.0)) for name in names}


# --- gradient graph with shapes, Hessian, HVP ----------------------------------------------------
def gradient_graph(expression: Expression, names: Collection[str]) -> dict[str, Node]:
    """The gradient of the program's (scalar) output as graphs, broadcasts summed back in the graph."""
    program = expression.program

    def fit(part: Node, child: Node, n: Node) -> Node:
        if not OPS[n.op].extra.get("array") and program.shape(child) != program.shape(n):
            return unbroadcast(part, child)  # Σ over the axes the op broadcast child along
        return part

    return reverse.gradient_graph(expression.root, names, fit)


@dataclass(frozen=True)
class ProgramHessian(Hessian):
    """A program's Hessian: `hessian` holds blocks per pair of inputs (shape a.shape + b.shape);
    `labels` and `matrix` are the same numbers over the flattened input elements."""

    labels: list[str] = field(default_factory=list)
    matrix: list[list[float]] = field(default_factory=list)
    flat_gradient: list[float] = field(default_factory=list)


def program_hessian(
    expression: Expression, at: Mapping[str, Any], wrt: Sequence[str] | None = None
) -> ProgramHessian:
    """Value, gradient and exactly symmetric Hessian over every input element (forward over reverse)."""
    check_scalar_output(expression.program)
    names = wrt_names(expression, wrt, at)
    graphs = gradient_graph(expression, names)
    point, order, values = program_values(expression, at, list(graphs.values()))
    shapes = _input_shapes(names, point)
    inputs = list(shapes.items())
    gradient_nodes = [graphs[name] for name in names]
    pattern = element_hessian_pattern(gradient_nodes, inputs, lambda n: shape_of(values[n]))
    colours = colour_columns(pattern)
    columns = []
    for group in colour_groups(colours):
        tangents = tangents_of(order, values, group_seeds(inputs, group))
        columns.append([v for i in names for v in flat(tangents.get(graphs[i], 0.0), shapes[i])])
    size = len(pattern)
    # sweep c holds H[i, j] in row i for the one column j of colour c that row i touches; the
    # lower triangle, mirrored: exactly symmetric whatever the rounding of each sweep
    matrix = [[0.0] * size for _ in range(size)]
    for i, j, colour in lower_entries(pattern, colours):
        matrix[i][j] = matrix[j][i] = columns[colour][i]
    gradient = [v for name in names for v in flat(values[graphs[name]], shapes[name])]
    blocks, offsets, start = {}, {}, 0
    for name in names:
        offsets[name] = (start, start + _size(shapes[name]))
        start = offsets[name][1]
    for a in names:
        blocks[a] = {}
        for b in names:
            (r0, r1), (c0, c1) = offsets[a], offsets[b]
            entries = [matrix[i][j] for i in range(r0, r1) for j in range(c0, c1)]
            blocks[a][b] = _block(entries, shapes[a] + shapes[b])
    partials = {name: _block(gradient[slice(*offsets[name])], shapes[name]) for name in names}
    labels = [label for name in names for label in element_labels(name, shapes[name])]
    return ProgramHessian(
        expression.label, _used(expression, point), values[expression.root], partials, blocks, len(columns),
        labels, matrix, gradient,
    )  # fmt: skip


def group_seeds(inputs: Sequence[tuple[str, Shape]], group: Collection[int]) -> dict[str, Any]:
    """The direction of one colour: per input, the sum of the unit arrays of its elements in group."""
    seeds, start = {}, 0
    for name, shape in inputs:
        mine = [k - start for k in group if start <= k < start + _size(shape)]
        start += _size(shape)
        if mine and not shape:
            seeds[name] = 1.0
        elif mine:
            seeds[name] = sum(basis(shape, k) for k in mine)  # ones at the group's elements
    return seeds


def _direction(expression: Expression, direction: Mapping[str, Any], point: Mapping[str, Any]) -> dict:
    """The direction bound like a point: arrays as float arrays of the inputs' shapes."""
    from .errors import BadValue

    try:
        seeds = bind(expression.program, direction)
    except BadValue as problem:
        raise BadValue(f"--dir {problem.detail}") from None
    for name, value in seeds.items():
        if name in point and shape_of(value) and shape_of(value) != shape_of(point[name]):
            raise BadValue(
                f"--dir {name} has shape {show(shape_of(value))} but {name} is {show(shape_of(point[name]))}"
            )
    return seeds


def program_hvp(
    expression: Expression,
    at: Mapping[str, Any],
    direction: Mapping[str, Any],
    wrt: Sequence[str] | None = None,
) -> DirectionalDerivative:
    """H·v for a program: one forward sweep over the shape-aware gradient graph."""
    check_scalar_output(expression.program)
    names = wrt_names(expression, wrt, at)
    wrt_names(expression, list(direction), at)
    graphs = gradient_graph(expression, names)
    point, order, values = program_values(expression, at, list(graphs.values()))
    seeds = _direction(expression, direction, point)
    tangents = tangents_of(order, values, seeds)
    product_ = {name: _zeros_like(tangents.get(graphs[name], 0.0), point[name]) for name in names}
    dense = {name: _zeros_like(seeds.get(name, 0.0), point[name]) for name in names} | seeds
    return DirectionalDerivative(
        expression.label, _used(expression, point), values[expression.root], dense, product_
    )


def program_jvp(
    expression: Expression, at: Mapping[str, Any], direction: Mapping[str, Any]
) -> DirectionalDerivative:
    """J·v for a program by one forward sweep: a number, or an array for an array output."""
    if len(expression.outputs) > 1:
        names = ", ".join(name for name, _ in expression.outputs)
        raise UsageError(
            f"jvp takes one output, this program has {names}: use `adcalc jacobian --mode forward`"
        )
    wrt_names(expression, list(direction), at)
    point, order, values = program_values(expression, at)
    seeds = _direction(expression, direction, point)
    tangents = tangents_of(order, values, seeds)
    root = expression.root
    dense = {
        name: _zeros_like(seeds.get(name, 0.0), point[name]) for name in expression.variables if name in point
    }
    dense |= seeds
    return DirectionalDerivative(
        expression.label,
        _used(expression, point),
        values[root],
        dense,
        _zeros_like(tangents.get(root, 0.0), values[root]),
    )


def program_gradient_forward(
    expression: Expression, at: Mapping[str, Any], wrt: Sequence[str] | None = None
) -> Any:
    """Value and gradient by forward mode: one tangent sweep per input element."""
    from .api import Gradient

    check_scalar_output(expression.program)
    names = wrt_names(expression, wrt, at)
    point, order, values = program_values(expression, at)
    shapes = _input_shapes(names, point)
    partials = {}
    for name in names:
        entries = []
        for k in range(_size(shapes[name])):
            tangents = tangents_of(order, values, {name: basis(shapes[name], k)})
            entries.append(float(tangents.get(expression.root, 0.0)))
        partials[name] = _array(entries, shapes[name])
    return Gradient(expression.label, _used(expression, point), values[expression.root], partials)


def _array(entries: Sequence[float], shape: Shape) -> Any:
    """Row-major entries as a number or a float array of this shape."""
    if not shape:
        return entries[0]
    import numpy as np

    return np.asarray(entries, dtype=float).reshape(shape)


def _zeros_like(value: Any, like: Any) -> Any:
    """A tangent as a float or an array of like's shape (a missing or folded 0 spread out)."""
    shape = shape_of(like)
    return _array(flat(value, shape), shape)
