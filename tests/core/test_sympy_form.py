"""diff --simplify sympy: SymPy's forms read back by adcalc give the derivative (mpmath's, or by
hand); what SymPy cannot take, or a missing SymPy, is one UsageError."""

from __future__ import annotations

import math
import sys

import adcalc
import mpmath
import pytest
from adcalc.answers.printer import parse_bindings
from adcalc.engine.forward import values_of
from adcalc.errors import UsageError
from adcalc.ir.nodes import topological_order

sympy = pytest.importorskip("sympy")


def evaluate(text: str, at: dict[str, float]) -> float:
    root = parse_bindings(text)[0]
    return values_of(topological_order(root), at)[root]


# adcalc text, the same function over mpmath (the independent truth), points away from kinks
CASES = [
    ("exp(-x)/(1+exp(-x))", lambda x, y: mpmath.exp(-x) / (1 + mpmath.exp(-x)), [(0.3, 0), (-2.0, 0)]),
    ("log(1+x^2)*atan2(y,x)", lambda x, y: mpmath.log(1 + x**2) * mpmath.atan2(y, x), [(1.5, 0.5)]),
    ("sin(x)^2 + cos(x)^2 + x*y", lambda x, y: x * y, [(0.4, 2.0)]),
    ("cbrt(x)*y", lambda x, y: mpmath.sign(x) * mpmath.cbrt(abs(x)) * y, [(-8.0, 1.5), (2.0, 1.0)]),
    ("log1p(x^2) + expm1(y)", lambda x, y: mpmath.log(1 + x**2) + mpmath.exp(y) - 1, [(0.5, -0.25)]),
    ("sigmoid(x*y) + softplus(x)", lambda x, y: 1 / (1 + mpmath.exp(-x * y)) + mpmath.log(1 + mpmath.exp(x)),
     [(0.7, -1.1)]),
    ("hypot(x, y) + abs(x - y)", lambda x, y: mpmath.sqrt(x**2 + y**2) + abs(x - y),
     [(0.5, 2.0), (3.0, -1.0)]),
    ("where(x > y, x^2, y^3) + max(x, y)", lambda x, y: (x**2 if x > y else y**3) + max(x, y),
     [(2.0, 1.0), (0.5, 1.5)]),
    ("log2(x) + log10(y) + x^y", lambda x, y: mpmath.log(x, 2) + mpmath.log(y, 10) + x**y, [(1.5, 2.5)]),
    ("tanh(x)/x^3", lambda x, y: mpmath.tanh(x) / x**3, [(0.8, 0)]),
]  # fmt: skip


@pytest.mark.parametrize(("source", "f", "points"), CASES, ids=[c[0] for c in CASES])
def test_sympy_forms_give_the_derivative(source: str, f: object, points: list[tuple[float, float]]) -> None:
    derivative = adcalc.diff(source, simplify="sympy")
    for x, y in points:
        for name in derivative.wrt:
            with mpmath.workdps(30):
                a, b = mpmath.mpf(x), mpmath.mpf(y)
                if name == "x":
                    want = mpmath.diff(lambda t, b=b: f(t, b), a)  # type: ignore[operator]
                else:
                    want = mpmath.diff(lambda t, a=a: f(a, t), b)  # type: ignore[operator]
            got = evaluate(derivative.text[name], {"x": x, "y": y})
            what = (source, name, derivative.text[name])
            assert got == pytest.approx(float(want), rel=1e-10, abs=1e-12), what


def test_sympy_shortens_what_local_rewrites_cannot() -> None:
    assert adcalc.diff("sin(x)^2 + cos(x)^2", simplify="sympy").text["x"] == "0"
    assert adcalc.diff("exp(-x)/(1+exp(-x))", simplify="sympy").text["x"] == "-1/(4*cosh(x/2)^2)"
    assert adcalc.diff("x^3/3 + x/3", simplify="sympy").text["x"] == "x^2 + 1/3"  # 1/3 as written


def test_sympy_result_has_latex_too() -> None:
    latex = adcalc.diff("sin(x)^2 + cos(x)^2 + x", simplify="sympy").latex()
    assert latex == r"\frac{\partial f}{\partial x} = 1"


def test_custom_op_is_a_usage_error() -> None:
    source = "op cube(x) = x * x * x grad 3 * g * x^2\ninput t\ny = cube(t)*t\noutput y"
    with pytest.raises(UsageError, match="simplify sympy cannot take 'cube'"):
        adcalc.diff(source, simplify="sympy")


def test_missing_sympy_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "sympy", None)  # import sympy raises ImportError
    missing = r"needs SymPy, which is not installed: pip install 'adcalc\[sympy\]'"
    with pytest.raises(UsageError, match=missing):
        adcalc.diff("x^2", simplify="sympy")
    assert adcalc.diff("x^2").text["x"] == "2*x"  # the local form never needs it


def test_unknown_simplifier() -> None:
    with pytest.raises(UsageError, match="simplify must be local or sympy"):
        adcalc.diff("x^2", simplify="maxima")


def test_round_trip_of_the_translation() -> None:
    from adcalc.answers.sympy_form import from_sympy, to_sympy

    x, y = sympy.symbols("x y", real=True)
    graph = adcalc.parse("sqrt(x)*exp(-y) + atan2(y, x) - abs(x)/3").root
    expression = to_sympy(graph)
    written = sympy.sqrt(x) * sympy.exp(-y) + sympy.atan2(y, x) - sympy.Abs(x) / 3
    assert sympy.simplify(expression - written) == 0
    back = from_sympy(expression)
    at = {"x": 0.8, "y": -0.3}
    want = math.sqrt(0.8) * math.exp(0.3) + math.atan2(-0.3, 0.8) - 0.8 / 3
    assert values_of(topological_order(back), at)[back] == pytest.approx(want, rel=1e-15)
