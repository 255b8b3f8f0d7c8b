"""Random expressions: reverse-mode gradients against an independent numerical derivative."""

from __future__ import annotations

import math

import adcalc
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import central_difference

VARIABLES = ("x", "y", "z")
# Smooth functions that are defined and tame on the box [0.5, 1.5]^3 for any argument that the
# generator can produce after squashing through tanh (range (-1, 1)) or exp (positive).
UNARY = ["sin", "cos", "tanh", "exp(-abs", "sigmoid", "softplus", "atan", "sqrt(1.5 + tanh"]


@st.composite
def expressions(draw: st.DrawFn, depth: int = 4) -> str:
    if depth == 0 or draw(st.booleans()):
        if draw(st.booleans()):
            return draw(st.sampled_from(VARIABLES))
        return repr(draw(st.floats(min_value=-3, max_value=3, allow_nan=False)).__round__(3))
    kind = draw(st.sampled_from(["unary", "add", "sub", "mul", "div", "pow"]))
    left = draw(expressions(depth=depth - 1))
    if kind == "unary":
        function = draw(st.sampled_from(UNARY))
        closing = ")" * (1 + function.count("("))
        return f"{function}({left}{closing}"
    right = draw(expressions(depth=depth - 1))
    if kind == "div":
        return f"({left}) / (2 + tanh({right}))"  # the divisor stays in (1, 3)
    if kind == "pow":
        return f"(1.5 + tanh({left}))^({right})"  # positive base
    symbol = {"add": "+", "sub": "-", "mul": "*"}[kind]
    return f"({left}) {symbol} ({right})"


@settings(max_examples=150, deadline=None)
@given(
    expressions(),
    st.tuples(*[st.floats(min_value=0.5, max_value=1.5) for _ in VARIABLES]),
)
def test_gradient_matches_central_differences(source: str, point: tuple[float, ...]) -> None:
    expression = adcalc.parse(source)
    at = dict(zip(VARIABLES, point, strict=True))
    result = adcalc.gradient(expression, at=at, wrt=list(VARIABLES))
    for name in VARIABLES:
        def along(t: float, name: str = name) -> float:
            return adcalc.evaluate(expression, at={**at, name: t}).value

        expected = central_difference(along, at[name])
        got = result.gradient[name]
        assert math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-7), (source, name, got, expected)
