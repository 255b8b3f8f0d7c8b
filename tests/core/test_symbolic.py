"""diff: printed derivatives parse back, evaluate to the AD gradient and stay linear in size."""

from __future__ import annotations

import math

import adcalc
import numpy as np
import pytest
from adcalc.answers.printer import expression_text, parse_bindings, to_text
from adcalc.engine.forward import values_of
from adcalc.engine.reverse import gradient_graph
from adcalc.ir.nodes import topological_order, var
from adcalc.ops.registry import sin
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import central_difference
from tests.core.test_random_expressions import VARIABLES, expressions


def evaluate_text(text: str, at: dict[str, float]) -> float:
    graph = parse_bindings(text)[0]
    return values_of(topological_order(graph), at)[graph]


def test_diff_of_sin_x_times_y() -> None:
    derivative = adcalc.diff("sin(x)*y", wrt=["x"])
    assert derivative.text["x"] in ("cos(x)*y", "y*cos(x)")
    assert evaluate_text(derivative.text["x"], {"x": 1.0, "y": 2.0}) == 2 * math.cos(1.0)


def test_simplification_leaves_no_identity_operations() -> None:
    text = adcalc.diff("3*x + x*1 + 0*y + y", wrt=["x", "y"]).text
    assert text == {"x": "4", "y": "1"}


@pytest.mark.parametrize(
    "source",
    [
        "x - (y - z)",
        "x + (y + z)",
        "x/(y*z)",
        "(x^y)^z",
        "x^y^z",
        "-x^2",
        "(-x)^2",
        "x*(-y)",
        "2^-1*x",
        "-(x + y)*z",
        "x < y",
        "where(x < y, x, y) + 1",
        "max(x, y) - min(x, -y)",
        "1e-20*x + 1.5e+300",
    ],
)
def test_printed_expression_parses_back_to_the_same_structure(source: str) -> None:
    root = adcalc.parse(source).root
    again = adcalc.parse(expression_text(root)).root
    assert _shape(again) == _shape(root)


def _shape(root: adcalc.Node) -> list[tuple[object, ...]]:
    index = {n: k for k, n in enumerate(topological_order(root))}
    return [(n.op, n.payload, *(index[i] for i in n.inputs)) for n in index]


def test_shared_subexpressions_are_bound_once() -> None:
    x = var("x")
    shared = sin(x) * x
    text = to_text(shared * shared + shared)
    assert text.splitlines() == ["t1 = sin(x)*x", "t1^2 + t1"]  # built by the rules: t1*t1 is t1^2


def test_binding_names_avoid_variable_names() -> None:
    t1 = var("t1")
    text = to_text(sin(t1) * sin(t1) + sin(t1))
    assert text.splitlines()[0].startswith("tt1 = ")
    assert evaluate_text(text, {"t1": 0.5}) == math.sin(0.5) ** 2 + math.sin(0.5)


@settings(max_examples=150, deadline=None)
@given(expressions(), st.tuples(*[st.floats(min_value=0.5, max_value=1.5) for _ in VARIABLES]))
def test_diff_round_trip_matches_reverse_mode(source: str, point: tuple[float, ...]) -> None:
    at = dict(zip(VARIABLES, point, strict=True))
    expected = adcalc.gradient(source, at=at, wrt=list(VARIABLES)).gradient
    used = [name for name in VARIABLES if name in adcalc.parse(source).variables]
    derivative = adcalc.diff(source, wrt=used)
    for name in used:
        got = evaluate_text(derivative.text[name], at)
        assert got == pytest.approx(expected[name], rel=1e-12, abs=1e-12), (
            source,
            name,
            derivative.text[name],
        )


def swell(k: int) -> adcalc.Node:
    """f0 = x, f_{k+1} = sin(f_k)*f_k + x: its expression tree doubles with each step."""
    x = f = var("x")
    for _ in range(k):
        f = sin(f) * f + x
    return f


def test_diff_size_grows_linearly_on_the_swell_family() -> None:
    sizes = {k: len(to_text(gradient_graph(swell(k), ["x"])["x"])) for k in (25, 50, 100, 200)}
    ratios = [sizes[2 * k] / sizes[k] for k in (25, 50, 100)]
    assert all(1.8 < r < 2.3 for r in ratios), sizes  # doubling k doubles the text, no more


def test_swell_derivative_text_evaluates_correctly() -> None:
    k, at = 6, {"x": 0.7}
    text = to_text(gradient_graph(swell(k), ["x"])["x"])

    def f(t: float) -> float:
        value = t
        for _ in range(k):
            value = math.sin(value) * value + t
        return value

    assert evaluate_text(text, at) == pytest.approx(central_difference(f, 0.7), rel=1e-9)


def test_second_derivative_by_differentiating_twice() -> None:
    derivative = adcalc.diff("x^3*y", wrt=["x"], order=2)
    assert evaluate_text(derivative.text["x"], {"x": 2.0, "y": 5.0}) == 6 * 2.0 * 5.0


ARRAY_SHAPES = {"A": (2, 2), "x": (2,), "x1": (), "x2": ()}
ARRAY_POINT = {"A": [[2.0, 1.0], [0.5, 3.0]], "x": [1.0, 2.0], "x1": 0.3, "x2": 0.7}


@pytest.mark.parametrize(
    "source",
    ["x' @ A @ x", "sum(A[:, 1])", "norm([x1, x2])", "A[1, 2]*sum(x[2:2])", "trace(A + eye(2))",
     "sum([[1, 2], [3, 4]] @ x)", "trace(reshape([x1, x2, x1, x2], 2, 2))", "-(x' @ x)"],
)  # fmt: skip
def test_array_graphs_print_as_text_that_reads_back(source: str) -> None:
    # @, ', indices (1-based again), literals, eye(n) and reshape sizes print as the language writes them
    graph = adcalc.parse(source, shapes=ARRAY_SHAPES)
    text = to_text([root for _, root in graph.outputs])
    again = adcalc.parse(text, shapes=ARRAY_SHAPES)
    expected = np.asarray(adcalc.evaluate(graph, at=ARRAY_POINT).value)
    assert np.asarray(adcalc.evaluate(again, at=ARRAY_POINT).value) == pytest.approx(expected, rel=1e-15)
    assert len(again.order) == len(graph.order)  # the same DAG, not just the same number


def test_a_deep_chain_prints_in_bounded_lines_that_read_back_to_the_derivative() -> None:
    # sin nested 2000 deep: d/dx = prod of cos(sin^k(x)). Inlined, the pieces grew one level per
    # line (k²/2 characters held: 1.2 GB at 10^4); bound once past 240 characters, lines stay short
    depth, x = 2000, 0.7
    text = "sin(" * depth + "x" + ")" * depth
    printed = to_text(gradient_graph(adcalc.parse(text).root, ["x"])["x"])
    assert max(len(line) for line in printed.splitlines()) < 600
    value, exact = x, 1.0
    for _ in range(depth):
        exact *= math.cos(value)
        value = math.sin(value)
    assert adcalc.evaluate(printed, {"x": x}).value == pytest.approx(exact, rel=1e-12)
