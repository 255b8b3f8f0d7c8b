"""Structural sparsity of Hessians and the column colouring that compresses them.

Which variables can gradient component i depend on? Propagate dependency sets (Python ints used
as bit sets) through the gradient graph, along exactly the edges a tangent can travel: an input
with no jvp rule (the condition of `where`) or a piecewise-constant op (`floor`, comparisons)
passes nothing on. Row i's set is the pattern of Hessian row i.

Columns that never share a row (distance-2 colouring of the pattern, as in CasADi and
Curtis-Powell-Reid) can be seeded together: one forward sweep over the gradient graph with the
direction d = sum of their unit vectors gives H d, whose row i holds H[i, j] for the one column j
of that colour that row i touches. The extended Rosenbrock needs 2 directions for any n.

For programs the sets are kept per array ELEMENT (element_dependencies): ops that move elements
move their bits, so the chained Rosenbrock over x[n] is tridiagonal and needs 3 directions.
"""

from __future__ import annotations

import functools
import operator
import re
from collections.abc import Callable, Sequence
from typing import Any

from ..ir.nodes import Node, topological_order
from ..ir.shapes import size
from ..ops.registry import OPS, rules_of


def dependencies(roots: Sequence[Node], variables: Sequence[str]) -> list[int]:
    """For each root, a bit set of the variables (by index) a tangent can reach it from."""
    index = {name: k for k, name in enumerate(variables)}
    bits: dict[Node, int] = {}
    for n in topological_order(roots):
        if n.op == "var":
            bits[n] = 1 << index[n.payload] if n.payload in index else 0
        elif not n.inputs or OPS[n.op].zero_derivative:
            bits[n] = 0
        else:
            total = 0
            for child, rule in zip(n.inputs, rules_of(n.op, "jvp", n.span), strict=True):
                if rule is not None:
                    total |= bits[child]
            bits[n] = total
    return [bits[r] for r in roots]


def hessian_pattern(gradient: Sequence[Node], variables: Sequence[str]) -> list[list[int]]:
    """Row i: the sorted column indices j where H[i, j] may be non-zero (made symmetric)."""
    return symmetric_pattern(dependencies(gradient, variables))


def symmetric_pattern(rows: Sequence[int]) -> list[list[int]]:
    """Row i: the sorted columns of bit set rows[i], mirrored (H is symmetric, the sets need not be)."""
    symmetric = [set(_indices(bits)) for bits in rows]
    for i in range(len(rows)):
        for j in list(symmetric[i]):
            symmetric[j].add(i)
    return [sorted(row) for row in symmetric]


def _indices(bits: int) -> list[int]:
    found = []
    while bits:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return found


def colour_columns(pattern: Sequence[Sequence[int]]) -> list[int]:
    """A colour per column such that no two columns of one colour share a row (greedy, distance 2).

    Columns are coloured densest first (Welsh-Powell order); the pattern is symmetric, so the
    rows of column j are pattern[j].
    """
    colours = [-1] * len(pattern)
    for j in sorted(range(len(pattern)), key=lambda k: -len(pattern[k])):
        forbidden = {colours[k] for i in pattern[j] for k in pattern[i] if colours[k] >= 0}
        colour = 0
        while colour in forbidden:
            colour += 1
        colours[j] = colour
    return colours


def colour_groups(colours: Sequence[int]) -> list[list[int]]:
    """Columns grouped by colour: one forward sweep (one direction) per group."""
    groups: list[list[int]] = [[] for _ in range(max(colours, default=-1) + 1)]
    for column, colour in enumerate(colours):
        groups[colour].append(column)
    return groups


def lower_entries(pattern: Sequence[Sequence[int]], colours: Sequence[int]) -> list[tuple[int, int, int]]:
    """(i, j, colour of j) for each structurally non-zero entry with i >= j: the triangle to compute."""
    return [(i, j, colours[j]) for i, row in enumerate(pattern) for j in row if j <= i]


# --- element level: bit sets per array element -------------------------------------------------
# A node's bits are a Python int (scalar node) or a numpy object array of Python ints of the node's
# shape; bit offset(name) + k stands for element k (row-major) of input `name`. Object arrays keep
# the ints exact however many elements there are, and `|` on them is Python's `|` per element.

Shape = tuple[int, ...]
Bits = Any  # int | numpy object array of int


def element_dependencies(
    roots: Sequence[Node], inputs: Sequence[tuple[str, Shape]], shape_of: Callable[[Node], Shape]
) -> list[Bits]:
    """For each root, per element, the bit set of the input elements a tangent can reach it from.

    Element-wise ops OR their inputs' bits with numpy broadcasting; ops that move elements
    (index, reshape, transpose, literals, ...) move the bits the same way; reductions OR them;
    other matrix ops (inv, solve, det, ...) give every output element the union of all elements
    of every input a tangent passes through.
    """
    import numpy as np

    offsets, start = {}, 0
    for name, shape in inputs:
        offsets[name], start = (start, shape), start + size(shape)
    bits: dict[Node, Bits] = {}  # each already in its node's shape (see _spread)
    for n in topological_order(roots):
        shape = shape_of(n)
        if n.op == "var":
            offset, declared = offsets.get(n.payload, (0, None))
            if declared is None:
                found: Bits = 0
            elif declared:
                found = np.array([1 << (offset + k) for k in range(size(declared))], dtype=object)
                found = found.reshape(declared)
            else:
                found = 1 << offset
        elif not n.inputs or OPS[n.op].zero_derivative:
            found = 0
        else:
            rules = rules_of(n.op, "jvp", n.span)
            passing = [c for c, r in zip(n.inputs, rules, strict=True) if r is not None]
            if not OPS[n.op].extra.get("array"):
                found = 0
                for child in passing:
                    found = found | bits[child]  # broadcasts as the op does
            elif n.op in MOVES or _STACK.fullmatch(n.op):
                found = MOVES.get(n.op, _stack)(n, bits.__getitem__, shape_of)
            else:  # conservative: each output element may depend on every passing input element
                found = 0
                for child in passing:
                    found |= _union(bits[child])
        bits[n] = _spread(found, shape)
    return [bits[r] for r in roots]


def element_hessian_pattern(
    gradient: Sequence[Node], inputs: Sequence[tuple[str, Shape]], shape_of: Callable[[Node], Shape]
) -> list[list[int]]:
    """Row i: sorted columns j where H[i, j] may be non-zero, i and j over every input element.

    gradient[m] is the gradient graph of inputs[m] (of its shape): its element k is row
    offset(m) + k. For scalar inputs and scalar graphs this is hessian_pattern.
    """
    rows: list[int] = []
    found = element_dependencies(gradient, inputs, shape_of)
    for bits, (_, shape) in zip(found, inputs, strict=True):
        spread = _spread(bits, shape)
        rows.extend(spread.ravel().tolist() if shape else [spread])
    return symmetric_pattern(rows)


def _union(bits: Bits) -> int:
    """OR of every element."""
    return bits if isinstance(bits, int) else functools.reduce(operator.or_, bits.flat, 0)


def _spread(bits: Bits, shape: Shape) -> Bits:
    """Bits in this shape: an int for (), else a (read-only) object array broadcast from `bits`."""
    import numpy as np

    if not shape:
        return _union(bits)  # a 0-d array holds one element; a scalar node has one set
    return np.broadcast_to(np.asarray(bits, dtype=object), shape)


def _zeros(shape: Shape) -> Any:
    import numpy as np

    return np.full(shape, 0, dtype=object)  # int 0s: np.zeros(shape) would be float


def _or_axes(bits: Any, axes: tuple[int, ...], keepdims: bool = False) -> Bits:
    """OR over the given axes (the bit-set form of sum over them)."""
    import numpy as np

    if not axes:
        return bits
    found = np.bitwise_or.reduce(bits, axis=axes, keepdims=keepdims)
    return found if getattr(found, "ndim", 0) else _union(found)


# --- rules of the ops that move elements: (node, bits of an input, shape_of) -> bits ----------
Get = Callable[[Node], Bits]
Move = Callable[[Node, Get, Callable[[Node], Shape]], Bits]


def _matmul_bits(a: Bits, b: Bits) -> Bits:
    # (A B)[i, j] = Σ_k A[i, k] B[k, j]: row i of A and column j of B (vectors: all of it)
    rows = _or_axes(a, (a.ndim - 1,))
    columns = _or_axes(b, (0,))
    if isinstance(rows, int) or isinstance(columns, int):
        return rows | columns
    return rows.reshape(rows.shape + (1,) * columns.ndim) | columns


def _outer_bits(a: Bits, b: Bits) -> Bits:
    return a[:, None] | b[None, :]  # (a bᵀ)[i, j] = a[i] b[j]


def _ga(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    # the cotangent of A in A @ B (tensor_values._matmul_ga); A's own value passes nothing
    g, a, b = n.inputs
    if len(shape_of(a)) == 2:
        return _matmul_bits(get(g), get(b).T) if len(shape_of(b)) == 2 else _outer_bits(get(g), get(b))
    return _matmul_bits(get(b), get(g)) if len(shape_of(b)) == 2 else get(g) | get(b)


def _gb(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    g, a, b = n.inputs  # the cotangent of B in A @ B (tensor_values._matmul_gb); B passes nothing
    if len(shape_of(a)) == 2:
        return _matmul_bits(get(a).T, get(g))
    return _outer_bits(get(a), get(g)) if len(shape_of(b)) == 2 else get(g) | get(a)


def _unindex(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    from ..ops.matrix_values import _key

    out = _zeros(shape_of(n))
    out[_key(n.inputs[2].payload)] = get(n.inputs[0])  # zeros of x's shape, g at key
    return out


def _put(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    out = _zeros(shape_of(n))
    out[int(n.inputs[2].payload)] = get(n.inputs[0])  # zeros of like's shape, d in slot i
    return out


def _stack(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    out = _zeros(shape_of(n))
    for k, item in enumerate(n.inputs[1:]):  # [x1, ..., xk]: slot k holds item k
        out[k] = get(item)
    return out


def _diag(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    import numpy as np

    a = get(n.inputs[0])
    if a.ndim == 2:
        return np.diagonal(a)  # diag(A): the diagonal
    out = _zeros(shape_of(n))
    np.fill_diagonal(out, a)  # diag(v): v on the diagonal, structural zeros elsewhere
    return out


def _undiag(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    import numpy as np

    g = get(n.inputs[0])
    if len(shape_of(n.inputs[1])) == 1:
        return np.diagonal(g)  # the cotangent of a vector v in diag(v): the diagonal of g
    out = _zeros(shape_of(n))
    np.fill_diagonal(out, g)  # of a matrix A in diag(A): g on the diagonal of A's shape
    return out


def _unbroadcast(n: Node, get: Get, shape_of: Callable[[Node], Shape]) -> Bits:
    # Σ over the axes g was broadcast along (reverse.fit_shape): OR over the same axes
    g, target = get(n.inputs[0]), shape_of(n)
    if not target:
        return _union(g)
    extra = g.ndim - len(target)
    g = _or_axes(g, tuple(range(extra)))
    kept = tuple(k for k, m in enumerate(target) if m == 1 and g.shape[k] != 1)
    return _or_axes(g, kept, keepdims=True)


def _key_of(n: Node) -> Any:
    from ..ops.matrix_values import _key

    return _key(n.inputs[1].payload)


MOVES: dict[str, Move] = {
    "index": lambda n, get, s: get(n.inputs[0])[_key_of(n)],
    "take": lambda n, get, s: get(n.inputs[0])[int(n.inputs[1].payload)],
    "unindex": _unindex,
    "put": _put,
    "transpose": lambda n, get, s: get(n.inputs[0]).T,
    "reshape": lambda n, get, s: get(n.inputs[0]).reshape(s(n)),
    "reshape_as": lambda n, get, s: get(n.inputs[0]).reshape(s(n)),
    "expand": lambda n, get, s: get(n.inputs[0]),  # spread over x's shape by _spread
    "sum": lambda n, get, s: _union(get(n.inputs[0])),
    "mean": lambda n, get, s: _union(get(n.inputs[0])),
    "trace": lambda n, get, s: _union(get(n.inputs[0]).diagonal()),
    "diag": _diag,
    "undiag": _undiag,
    "unbroadcast": _unbroadcast,
    "matmul": lambda n, get, s: _matmul_bits(get(n.inputs[0]), get(n.inputs[1])),
    "matmul_ga": _ga,
    "matmul_gb": _gb,
    "outer": lambda n, get, s: _outer_bits(get(n.inputs[0]), get(n.inputs[1])),
}
_STACK = re.compile(r"stack\d+")  # the literal ops tensor.stack_op makes
