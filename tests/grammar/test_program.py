"""Programs: statements, defs, branches, loops and custom ops against hand-derived derivatives,
and bad programs against their error messages and positions."""

from __future__ import annotations

import math

import adcalc
import numpy as np
import pytest
from adcalc.errors import AdcalcError
from adcalc.grammar.builder import MAX_STEPS
from adcalc.grammar.program import parse_program
from adcalc.ops import custom

from tests.conftest import central_difference


def grad(source: str, **at: object) -> adcalc.Gradient:
    return adcalc.gradient(adcalc.parse(source, "p.adl"), at=at)


# --- language -----------------------------------------------------------------------------------
def test_assignments_defs_and_outputs() -> None:
    source = """
    # comments and blank lines are fine
    input x, y
    def sq(t) = t * t
    def norm2(a, b) {
        s = sq(a) + sq(b)
        return sqrt(s)
    }
    r = norm2(x, y); z = r * x
    output z
    """
    result = grad(source, x=3.0, y=4.0)
    # z = x sqrt(x² + y²): ∂z/∂x = r + x²/r, ∂z/∂y = xy/r
    assert result.value == 15.0
    assert result.gradient["x"] == pytest.approx(5 + 9 / 5)
    assert result.gradient["y"] == pytest.approx(12 / 5)


def test_signed_zero_constants_stay_distinct() -> None:
    # 0.0 == -0.0, but x/0 = inf and x/(-0) = -inf: folded constants keep the two zeros apart
    source = "input x\na = 0*1\nb = -(0*1)\ny = x/a - x/b\noutput y"
    assert adcalc.evaluate(adcalc.parse(source, "p.adl"), at={"x": 1.0}).value == math.inf


def test_defs_are_inlined_into_one_interned_dag() -> None:
    program = parse_program("input x\ndef sq(t) = t*t\ny = sq(sin(x)) + sq(sin(x))\noutput y")
    ops = [n.op for n in program.order]
    assert ops.count("sin") == 1 and ops.count("mul") == 1  # both calls share one subgraph


def test_branch_differentiates_the_branch_taken() -> None:
    source = """
    input x
    if x > 1 { y = x^3 } else if x > 0 { y = 2*x } else { y = -x^2 }
    output y
    """
    for x, slope in [(2.0, 12.0), (0.5, 2.0), (-3.0, 6.0)]:
        assert grad(source, x=x).gradient["x"] == slope


def test_branch_never_leaks_nan_from_the_branch_not_taken() -> None:
    source = "input x\nif x > 0 { y = sqrt(x) } else { y = 0 }\noutput y"
    assert grad(source, x=-1.0).gradient["x"] == 0.0
    value, gradient = adcalc.compile(adcalc.parse(source, "p.adl")).grad(x=np.array([-1.0, 4.0]))
    np.testing.assert_array_equal(value, [0.0, 2.0])  # many points: each row takes its own branch
    np.testing.assert_array_equal(gradient["x"], [0.0, 0.25])
    source = "input x\nif x > 0 { y = x * log(x) } else { y = x }\noutput y"
    _, log_branch = adcalc.compile(adcalc.parse(source, "p.adl")).grad(x=np.array([-2.0, 1.0]))
    np.testing.assert_array_equal(log_branch["x"], [1.0, 1.0])  # d(x log x) = log x + 1


def test_constant_condition_picks_one_branch_at_compile_time() -> None:
    source = "input x\ns = 0\nfor i in 1..4 { if i > 2 { s = s + x^i } else { s = s + i*x } }\noutput s"
    program = parse_program(source)
    assert not any(n.op == "where" for n in program.order)
    # s = x + 2x + x³ + x⁴: ds/dx = 3 + 3x² + 4x³
    assert grad(source, x=2.0).gradient["x"] == 3 + 12 + 32


def test_loop_against_closed_form() -> None:
    # p = Π_{i=1}^{5} (x + i): d log p/dx = Σ 1/(x + i)
    source = "param n = 5\ninput x\np = 1\nfor i in 1..n { p = p * (x + i) }\nf = log(p)\noutput f"
    x = 0.5
    assert grad(source, x=x).gradient["x"] == pytest.approx(sum(1 / (x + i) for i in range(1, 6)), rel=1e-14)


def test_loop_with_empty_range_runs_zero_times() -> None:
    assert grad("input x\ny = x\nfor i in 3..2 { y = y * y }\noutput y", x=2.0).value == 2.0


def test_swell_loop_builds_three_nodes_per_step() -> None:
    n = 10_000
    source = f"param n = {n}\ninput x\ny = x\nfor k in 1..n {{ y = sin(y)*y + x }}\noutput y"
    program = parse_program(source)
    assert len(program.order) == 3 * n + 1

    def swell(x: float) -> float:
        y = x
        for _ in range(n):
            y = math.sin(y) * y + x
        return y

    result = grad(source, x=0.5)
    assert result.value == swell(0.5)
    assert result.gradient["x"] == pytest.approx(central_difference(swell, 0.5), rel=1e-6)


def test_nodes_of_programs_are_ordinary_immutable_nodes() -> None:
    program = parse_program("input x\ny = sin(x) * x\noutput y", "n.adl")
    product = program.order[-1]
    assert (product.op, product.payload, product.span.source_name) == ("mul", None, "n.adl")
    assert product.inputs[0].op == "sin" and product.inputs[1] is program.order[0]
    with pytest.raises(AttributeError):
        product.op = "add"  # type: ignore[misc]


def test_vectors_in_loops() -> None:
    source = "param n = 3\ninput x[n]\ns = 0\nfor i in 1..n { s = s + i * x[i]^2 }\noutput s"
    x = np.array([1.0, -2.0, 0.5])
    np.testing.assert_allclose(grad(source, x=x).gradient["x"], 2 * np.arange(1, 4) * x)


def test_several_outputs_evaluate_to_a_dict_and_refuse_grad() -> None:
    expression = adcalc.parse("input x\na = x^2\nb = 3*x\noutput a, b", "two.adl")
    assert adcalc.evaluate(expression, at={"x": 2.0}).value == {"a": 4.0, "b": 6.0}
    with pytest.raises(AdcalcError, match="jacobian"):
        adcalc.gradient(expression, at={"x": 2.0})


def test_text_that_starts_like_a_statement_is_a_program() -> None:
    assert adcalc.parse("input x\ny = 2*x\noutput y").declared
    assert not adcalc.parse("x == 1").declared
    assert not adcalc.parse("sin(x)").declared


# --- custom ops ---------------------------------------------------------------------------------
def test_custom_op_uses_its_rule_and_is_one_node() -> None:
    source = "op sq(x) = x*x grad 2*x\ninput t\ny = sq(sin(t))\noutput y"
    program = parse_program(source)
    # one node, of this program's own registry entry, shown under the name the user wrote
    assert [custom.shown_name(n.op) for n in program.order if custom.is_custom(n.op)] == ["sq"]
    t = 0.3
    assert grad(source, t=t).gradient["t"] == pytest.approx(2 * math.sin(t) * math.cos(t), rel=1e-15)


def test_custom_op_rule_may_use_the_cotangent_and_the_output() -> None:
    source = """op ex(x) = exp(x) grad g * out
    op vsq(v) = dot(v, v) grad 2 * g * v
    input x[2]
    y = vsq(ex(x))
    output y"""
    x = np.array([0.1, -0.4])
    np.testing.assert_allclose(grad(source, x=x).gradient["x"], 2 * np.exp(2 * x), rtol=1e-14)


def test_wrong_custom_rule_disagrees_with_finite_differences() -> None:
    # the value is log(1 + eˣ), whose derivative is sigmoid(x); the rule claims eˣ
    source = "op wrong(x) = log(1 + exp(x)) grad exp(x)\ninput t\ny = wrong(t)\noutput y"
    expression = adcalc.parse(source, "wrong.adl")
    t = 0.7
    by_rule = adcalc.gradient(expression, at={"t": t}).gradient["t"]
    by_value = central_difference(lambda s: adcalc.evaluate(expression, at={"t": s}).value, t)
    assert by_value == pytest.approx(1 / (1 + math.exp(-t)), rel=1e-9)  # differences see the value
    assert by_rule == pytest.approx(math.exp(t))  # reverse mode sees the rule
    assert abs(by_rule - by_value) > 0.5


def test_custom_op_rule_count_must_match_parameters() -> None:
    with pytest.raises(AdcalcError, match="grad rule"):
        parse_program("op f(x, y) = x*y grad y\ninput t\nz = f(t, t)\noutput z")


# --- bad programs: one clear error with file:line:col ---------------------------------------------
BAD = [
    ("input x\ny = z + 1\noutput y", "p.adl:2:5: Undefined name: 'z'"),
    ("input A[2,3], x[2]\ny = A @ x\noutput y", "p.adl:2:5: Shape mismatch: @: shapes [2, 3] and [2]"),
    ("def f(t) = f(t) + 1\ninput x\ny = f(x)\noutput y", "p.adl:1:12: Program error: recursion: 'f'"),
    ("input x\nfor i in 1..x { y = x }\noutput y", "p.adl:2:13: Program error: a loop bound must be"),
    ("input x\ninput x\noutput x", "p.adl:2:7: Redefinition: 'x' is already defined"),
    ("input x\nx = 2\noutput x", "p.adl:2:1: Redefinition: 'x' is an input"),
    ("def f(t) = t\ndef f(t) = 2*t\ninput x\noutput x", "p.adl:2:5: Redefinition: 'f' is already defined"),
    ("def sin(t) = t\ninput x\noutput x", "p.adl:1:5: Redefinition: 'sin' is a built-in function"),
    ("input x\nfor i in 1..3 { i = x }\noutput x", "p.adl:2:17: Redefinition: 'i' is a loop variable"),
    ("input x\nif x > 0 { y = 1 }\nz = y\noutput z", "p.adl:3:5: Undefined name: 'y' is assigned in"),
    ("input x\ny = x +\noutput y", "p.adl:3:1: Syntax error: unexpected 'output'"),
    ("input x\ny = foo(x)\noutput y", "p.adl:2:5: Unknown function: 'foo'"),
    ("input x\ny = x", "p.adl:2:1: Program error: no output"),
    ("input v[3]\ny = v[4]\noutput y", "p.adl:2:7: Program error: index 4 is outside 1..3"),
    ("input A[2, 3]\ny = det(A)\noutput y", "p.adl:2:5: Shape mismatch: this function expects a square"),
    ("input x\ny = [x, [x, x]]\noutput y", "p.adl:2:5: Shape mismatch: items of a literal differ in shape"),
    ("input x\ny = sin(x, x)\noutput y", "p.adl:2:5: Wrong number of arguments: sin() takes 1 argument"),
    ("input x\nfor i in 1..2 { input z }\noutput x", "p.adl:2:23: Program error: declarations (input"),
    (
        f"input x\ny = x\nfor i in 1..{MAX_STEPS + 1} {{ y = y + x }}\noutput y",
        "p.adl:3:13: Program too large: loops would run 1,000,001 iterations, past 1,000,000",
    ),
]


@pytest.mark.parametrize(("source", "message"), BAD)
def test_bad_programs_name_file_line_and_column(source: str, message: str) -> None:
    with pytest.raises(AdcalcError) as raised:
        adcalc.parse(source, "p.adl")
    rendered = raised.value.render(source)
    assert rendered.startswith("error: " + message)
    assert "^" in rendered  # the offending text is underlined
    assert raised.value.exit_code == 2


def test_node_limit_stops_unrolling() -> None:
    from adcalc.grammar import builder as program

    saved = program.MAX_NODES
    program.MAX_NODES = 1000
    try:
        with pytest.raises(AdcalcError, match="unrolls past 1,000 nodes"):
            parse_program("input x\ny = x\nfor i in 1..1000 { y = sin(y) }\noutput y")
    finally:
        program.MAX_NODES = saved
