"""Shape inference for programs: every node's array shape, known before anything is evaluated.

A shape is a tuple of sizes, `()` for a scalar. Element-wise ops broadcast as numpy does; each
matrix op has its own rule below. A mismatch raises ShapeError at the span of the offending
expression, naming both shapes, so a program fails at compile time rather than deep in numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import AdcalcError, Span, TooLarge

Shape = tuple[int, ...]

# The most elements one array of a program may have: 2^24 float64 are 128 MiB (eye(4096),
# a 4096×4096 matrix). Every shape is inferred before anything is evaluated, so outer(x, x) or
# diag(x) of a 10^5-vector stops here, before numpy asks for 75 GiB.
MAX_ELEMENTS = 1 << 24
MAX_RANK = 32  # dimensions of an array: a literal's levels of [...] (numpy's own limit is 64)


class ShapeError(AdcalcError):
    """Shape mismatch."""


def show(shape: Shape) -> str:
    """'scalar' or '[3, 2]'."""
    return "scalar" if not shape else "[" + ", ".join(map(str, shape)) + "]"


def broadcast(name: str, shapes: Sequence[Shape], span: Span | None = None) -> Shape:
    """The numpy broadcast of the shapes, or ShapeError naming them."""
    if len(shapes) == 2 and shapes[0] == shapes[1]:
        return shapes[0]
    rank = max(len(s) for s in shapes)
    result = []
    for axis in range(rank):
        sizes = {s[axis - rank + len(s)] for s in shapes if axis - rank + len(s) >= 0} - {1}
        if len(sizes) > 1:
            both = " and ".join(show(s) for s in shapes if s)
            raise ShapeError(f"{name}: shapes {both} do not broadcast", span)
        result.append(sizes.pop() if sizes else 1)
    return tuple(result)


Rule = Callable[[list[Shape], list[Any], Span | None], Shape]
RULES: dict[str, Rule] = {}


def rule(*names: str) -> Callable[[Rule], Rule]:
    """Register a shape rule for the ops `names`."""

    def register(function: Rule) -> Rule:
        for name in names:
            RULES[name] = function
        return function

    return register


def infer(op: str, shapes: list[Shape], statics: list[Any], span: Span | None = None) -> Shape:
    """The output shape of `op` on inputs of these shapes (element-wise ops broadcast)."""
    function = RULES.get(op)
    if function is not None:
        shape = function(shapes, statics, span)
        if len(shape) > 1 and size(shape) > MAX_ELEMENTS:  # a rank-1 result is no larger than an input
            raise TooLarge(f"{op}: a {show(shape)} result has {size(shape):,} elements, {limit_text()}", span)
        return shape
    if len(shapes) == 1:
        return shapes[0]
    if not any(shapes):
        return ()
    shape = broadcast(op, shapes, span)
    if size(shape) > MAX_ELEMENTS:  # x + y' of two long vectors
        raise TooLarge(f"{op}: a {show(shape)} result has {size(shape):,} elements, {limit_text()}", span)
    return shape


def limit_text() -> str:
    """How errors name the array limit."""
    return f"more than the {MAX_ELEMENTS:,} of one array (the documented limit)"


def _need(name: str, shape: Shape, ranks: tuple[int, ...], span: Span | None, what: str = "") -> None:
    if len(shape) not in ranks:
        wanted = " or ".join({0: "a scalar", 1: "a vector", 2: "a matrix"}[r] for r in ranks)
        raise ShapeError(f"{name} expects {what or wanted}, got {show(shape)}", span)


def _square(name: str, shape: Shape, span: Span | None) -> int:
    if len(shape) != 2 or shape[0] != shape[1]:
        raise ShapeError(f"{name} expects a square matrix, got {show(shape)}", span)
    return shape[0]


# --- matrix products ---------------------------------------------------------------------------
@rule("matmul")
def _matmul(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    a, b = shapes
    _need("@", a, (1, 2), span)
    _need("@", b, (1, 2), span)
    if a[-1] != b[0]:
        raise ShapeError(
            f"@: shapes {show(a)} and {show(b)} do not match (inner sizes {a[-1]} and {b[0]})", span
        )
    return a[:-1] + b[1:]


@rule("dot")
def _dot(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    a, b = shapes
    if len(a) != 1 or a != b:
        raise ShapeError(f"dot expects two vectors of one length, got {show(a)} and {show(b)}", span)
    return ()


@rule("outer")
def _outer(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    for shape in shapes:
        _need("outer", shape, (1,), span)
    return (shapes[0][0], shapes[1][0])


@rule("transpose")
def _transpose(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    _need("transpose", shapes[0], (1, 2), span)
    return shapes[0][::-1]


# --- reductions and square-matrix functions ----------------------------------------------------
@rule("sum", "mean", "prod", "logsumexp", "norm")
def _reduce(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    _need("this function", shapes[0], (1, 2), span, "a vector or matrix")
    return ()


@rule("softmax")
def _softmax(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    _need("softmax", shapes[0], (1,), span)
    return shapes[0]


@rule("trace", "det", "logdet")
def _square_to_scalar(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    _square("this function", shapes[0], span)
    return ()


@rule("inv")
def _inv(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    _square("inv", shapes[0], span)
    return shapes[0]


@rule("solve")
def _solve(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    a, b = shapes
    n = _square("solve", a, span)
    _need("solve", b, (1, 2), span, "a vector or matrix right-hand side")
    if b[0] != n:
        raise ShapeError(f"solve: shapes {show(a)} and {show(b)} do not match", span)
    return b


@rule("diag")
def _diag(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    (a,) = shapes
    _need("diag", a, (1, 2), span)
    if len(a) == 1:
        return (a[0], a[0])
    return (min(a),)


# --- construction and indexing (static arguments come as payloads) ------------------------------
@rule("eye")
def _eye(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    (n,) = statics[0]
    return (n, n)


@rule("array")
def _array(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    return nested_shape(statics[0])


@rule("reshape")
def _reshape(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    target = tuple(statics[1])
    if size(shapes[0]) != size(target):
        raise ShapeError(f"reshape: cannot make {show(target)} from {show(shapes[0])}", span)
    return target


@rule("index")
def _index(shapes: list[Shape], statics: list[Any], span: Span | None) -> Shape:
    return index_shape(shapes[0], statics[1])


def stack_shape(shapes: list[Shape], span: Span | None) -> Shape:
    """Shape of a literal [a, b, ...] whose items have equal shapes."""
    for shape in shapes[1:]:
        if shape != shapes[0]:
            raise ShapeError(f"items of a literal differ in shape: {show(shapes[0])} and {show(shape)}", span)
    return (len(shapes), *shapes[0])


def nested_shape(items: Any) -> Shape:
    """Shape of nested tuples of numbers."""
    shape: list[int] = []
    while isinstance(items, tuple):
        shape.append(len(items))
        items = items[0] if items else None
    return tuple(shape)


def index_shape(shape: Shape, key: tuple[Any, ...]) -> Shape:
    """Shape after indexing with a key of ints (dropped axes) and (start, stop) pairs (kept)."""
    kept = [stop - start for (start, stop) in (k for k in key if isinstance(k, tuple))]
    return tuple(kept) + shape[len(key) :]


def size(shape: Shape) -> int:
    """Number of elements."""
    total = 1
    for n in shape:
        total *= n
    return total
