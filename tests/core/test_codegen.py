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


# --- one road: a formula and the same function as a program compile to the same code ---------
WORKLOAD = (  # bench/batch.py's 69-operation, 10-variable workload
    "sin(x0)*x1 + exp(x0*x2) + log(1 + x1*x1)*x2 + tanh(x1*x3) + sin(x2)*x3 + exp(x2*x4) + "
    "log(1 + x3*x3)*x4 + tanh(x3*x5) + sin(x4)*x5 + exp(x4*x6) + log(1 + x5*x5)*x6 + "
    "tanh(x5*x7) + sin(x6)*x7 + exp(x6*x8) + log(1 + x7*x7)*x8 + tanh(x7*x9) + sin(x8)*x9 + "
    "exp(x8*x0) + log(1 + x9*x9)*x0 + tanh(x9*x1)"
)


def test_formula_and_program_generate_identical_kernels() -> None:
    from adcalc.codegen.batch import derivative_outputs
    from adcalc.codegen.numpy_kernels import compile_numpy
    from adcalc.codegen.python import python_source

    names = [f"x{i}" for i in range(10)]
    formula = adcalc.parse(WORKLOAD)
    program = adcalc.parse(f"input {', '.join(names)}\nf = {WORKLOAD}\noutput f\n", "w.adl")
    sources = []
    for graph in (formula, program):
        outputs = derivative_outputs(graph.outputs, names, 2)[1]  # value, gradient, Hessian
        sources.append((python_source(outputs, names), compile_numpy(outputs, names).source))
    assert sources[0] == sources[1]
    assert sources[0][0].count("\n") > 69  # the code is the whole computation, not a stub
