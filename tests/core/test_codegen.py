"""Generated straight-line code gives the interpreter's numbers, including IEEE special cases."""

from __future__ import annotations

import math

import adcalc
import pytest
from adcalc.codegen.python import compile_python
from adcalc.engine.reverse import gradient_graph


def compiled_gradient(text: str) -> tuple[adcalc.Expression, object]:
    expression = adcalc.parse(text)
    names = list(expression.variables)
    partials = gradient_graph(expression.root, names)
    return expression, compile_python([expression.root, *(partials[n] for n in names)], names)


@pytest.mark.parametrize(
    ("text", "point"),
    [
        ("sin(x)*y + exp(x*y) + log(1 + y*y)*x", (0.3, -0.7)),
        ("where(x > 0, sqrt(x), -x) * y", (-1.0, 2.0)),
        ("max(x, y) + abs(x - y) + sigmoid(x) + softplus(y)", (1.0, 1.0)),
        ("x^y + atan2(y, x) + hypot(x, y)", (1.5, 0.5)),
    ],
)
def test_compiled_matches_interpreter(text: str, point: tuple[float, float]) -> None:
    expression, function = compiled_gradient(text)
    at = dict(zip(expression.variables, point, strict=True))
    reference = adcalc.gradient(expression, at=at)
    got = function(*point)
    assert got[0] == pytest.approx(reference.value, rel=1e-15)
    assert list(got[1:]) == pytest.approx(list(reference.gradient.values()), rel=1e-14)


def test_compiled_falls_back_to_ieee_results() -> None:
    _, function = compiled_gradient("sqrt(x) + 1/y")
    value, d_x, d_y = function(0.0, 0.0)
    assert value == math.inf and d_x == math.inf and d_y == -math.inf


def test_shared_subexpressions_are_computed_once() -> None:
    expression = adcalc.parse("sin(x)*sin(x) + sin(x)")
    source = compile_python([expression.root], ["x"]).source
    assert source.count("_sin(") == 1
