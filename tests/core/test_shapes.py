"""Shape inference: each rule's result, and errors that name both shapes and the position."""

from __future__ import annotations

import adcalc  # noqa: F401  (fills the registry)
import pytest
from adcalc.errors import Span
from adcalc.ir.shapes import ShapeError, broadcast, index_shape, infer, nested_shape, show
from adcalc.ops import matrix  # noqa: F401  (registers the matrix ops and their shape rules)
from adcalc.ops.matrix import Static

SPAN = Span(3, 5, 3, 10, "m.adl")

CASES = [
    ("matmul", [(3, 4), (4, 2)], [None, None], (3, 2)),
    ("matmul", [(3, 4), (4,)], [None, None], (3,)),
    ("matmul", [(4,), (4, 2)], [None, None], (2,)),
    ("matmul", [(4,), (4,)], [None, None], ()),
    ("add", [(3, 1), (4,)], [None, None], (3, 4)),
    ("mul", [(), (2, 2)], [None, None], (2, 2)),
    ("where", [(3,), (), (3,)], [None, None, None], (3,)),
    ("sin", [(2, 5)], [None], (2, 5)),
    ("transpose", [(2, 5)], [None], (5, 2)),
    ("outer", [(2,), (3,)], [None, None], (2, 3)),
    ("sum", [(2, 5)], [None], ()),
    ("softmax", [(7,)], [None], (7,)),
    ("det", [(3, 3)], [None], ()),
    ("inv", [(3, 3)], [None], (3, 3)),
    ("solve", [(3, 3), (3, 2)], [None, None], (3, 2)),
    ("diag", [(4,)], [None], (4, 4)),
    ("diag", [(4, 4)], [None], (4,)),
    ("eye", [()], [Static((3,))], (3, 3)),
    ("reshape", [(2, 6), ()], [None, Static((3, 4))], (3, 4)),
    ("index", [(4, 5), ()], [None, Static((1, (0, 3)))], (3,)),
    ("array", [()], [Static(((1.0, 2.0), (3.0, 4.0), (5.0, 6.0)))], (3, 2)),
]


@pytest.mark.parametrize(("op", "shapes", "statics", "expected"), CASES)
def test_shape_rules(op: str, shapes: list, statics: list, expected: tuple) -> None:
    assert infer(op, shapes, statics, SPAN) == expected


ERRORS = [
    ("matmul", [(3, 4), (3, 4)], "@: shapes [3, 4] and [3, 4] do not match (inner sizes 4 and 3)"),
    ("add", [(3,), (4,)], "add: shapes [3] and [4] do not broadcast"),
    ("dot", [(3,), (4,)], "dot expects two vectors of one length, got [3] and [4]"),
    ("inv", [(2, 3)], "inv expects a square matrix, got [2, 3]"),
    ("solve", [(3, 3), (4,)], "solve: shapes [3, 3] and [4] do not match"),
    ("sum", [()], "this function expects a vector or matrix, got scalar"),
    ("transpose", [()], "transpose expects a vector or a matrix, got scalar"),
]


@pytest.mark.parametrize(("op", "shapes", "message"), ERRORS)
def test_shape_errors_name_both_shapes(op: str, shapes: list, message: str) -> None:
    with pytest.raises(ShapeError) as raised:
        infer(op, shapes, [None] * len(shapes), SPAN)
    assert raised.value.detail == message
    assert raised.value.render().startswith("error: m.adl:3:5: Shape mismatch: ")


def test_reshape_must_keep_the_size() -> None:
    with pytest.raises(ShapeError, match=r"cannot make \[5\] from \[2, 3\]"):
        infer("reshape", [(2, 3), ()], [None, Static((5,))], SPAN)


def test_helpers() -> None:
    assert show(()) == "scalar" and show((2, 3)) == "[2, 3]"
    assert broadcast("add", [(5, 1, 3), (4, 1)]) == (5, 4, 3)
    assert nested_shape(((1.0, 2.0),)) == (1, 2)
    assert index_shape((4, 5, 6), (2, (1, 3))) == (2, 6)
