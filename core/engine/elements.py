"""Elements: a scalar is an array of shape (), so every answer is computed over elements.

An array is taken element by element in numpy's (row-major) order, each element named as the
language indexes it, 1-based: x[2], A[1,3]. A derivative block of an output y by an input x has
the shape y.shape + x.shape (numerator layout, JAX's convention): a number for two scalars, so
the answers for formulas keep their plain numbers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from itertools import product
from typing import Any

from ..ir.shapes import size

Shape = tuple[int, ...]


def shape_of(value: Any) -> Shape:
    """A value's shape (() for a number)."""
    return tuple(getattr(value, "shape", ()))


def labels(name: str, shape: Shape) -> list[str]:
    """x, or x[1] ... x[n], or A[1,1] ... A[m,n] (1-based, row-major, as the language indexes)."""
    if not shape:
        return [name]
    return [f"{name}[{','.join(str(i + 1) for i in index)}]" for index in product(*map(range, shape))]


def unit(shape: Shape, k: int) -> Any:
    """The k-th unit direction of a value of this shape (1.0 for a scalar)."""
    return units(shape, [k])


def units(shape: Shape, elements: Sequence[int]) -> Any:
    """The sum of the unit directions of these elements (1.0 for a scalar)."""
    if not shape:
        return 1.0
    import numpy as np

    direction = np.zeros(shape)
    direction.flat[list(elements)] = 1.0
    return direction


def flat(value: Any, shape: Shape) -> list[float]:
    """The elements of a value as floats (a missing tangent or a folded 0 spread over the shape)."""
    if not shape:
        return [_number(value)]
    import numpy as np

    return [float(v) for v in np.broadcast_to(np.asarray(value, dtype=float), shape).ravel()]


def _number(value: Any) -> Any:
    if isinstance(value, int | float):
        return float(value)
    if getattr(value, "shape", None) == ():
        return float(value)
    return value


def block(entries: Sequence[float], shape: Shape) -> Any:
    """Row-major entries as a number (shape ()) or a float array of this shape."""
    if not shape:
        return entries[0]
    import numpy as np

    return np.asarray(entries, dtype=float).reshape(shape)


def dense(value: Any, shape: Shape) -> Any:
    """A value as a float or a float array of `shape` (a missing or folded 0 spread out)."""
    return block(flat(value, shape), shape)


def offsets(shapes: Mapping[str, Shape]) -> dict[str, tuple[int, int]]:
    """Name -> (first, end) position of its elements in the flattened list of all elements."""
    found, start = {}, 0
    for name, shape in shapes.items():
        found[name] = (start, start + size(shape))
        start = found[name][1]
    return found


def split(flat: Sequence[float], shapes: Mapping[str, Shape]) -> dict[str, Any]:
    """A flat vector of every element (inputs in order, arrays row-major) as name -> value: a
    float, or a float array of the input's shape."""
    found: dict[str, Any] = {}
    for name, (a, b) in offsets(shapes).items():
        if shapes[name]:
            import numpy as np

            found[name] = np.asarray(flat[a:b], dtype=float).reshape(shapes[name])
        else:
            found[name] = float(flat[a])
    return found


def element_of(shapes: Mapping[str, Shape]) -> Iterator[tuple[str, int]]:
    """(name, flat index within it) for every element of every input, in order."""
    for name, shape in shapes.items():
        for k in range(size(shape)):
            yield name, k


def all_labels(shapes: Mapping[str, Shape]) -> list[str]:
    """Element labels of every input, in order."""
    return [label for name, shape in shapes.items() for label in labels(name, shape)]
