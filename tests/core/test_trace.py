"""explain: the traces of Baydin et al. (2018), 'Automatic differentiation in machine learning:
a survey', JMLR 18(153), tables 2 (forward) and 3 (reverse), for f = ln(x1) + x1 x2 - sin(x2) at (2, 5).
The published values are rounded to 3 decimals; so are the comparisons."""

from __future__ import annotations

import adcalc
import pytest

F, AT = "ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}

# Table 2/3 primal trace: v_{-1} = x1 = 2, v0 = x2 = 5, v1 = ln v_{-1} = 0.693, v2 = v_{-1} x v0 = 10,
# v3 = sin v0 = -0.959, v4 = v1 + v2 = 10.693, v5 = v4 - v3 = 11.652
PRIMAL = [
    (-1, "var", 2.0),
    (0, "var", 5.0),
    (1, "log", 0.693),
    (2, "mul", 10.0),
    (3, "sin", -0.959),
    (4, "add", 10.693),
    (5, "sub", 11.652),
]
# Table 3 adjoint trace, in the published order of rows
ADJOINT = [(5, 1.0), (4, 1.0), (3, -1.0), (1, 1.0), (2, 1.0), (0, -0.284), (-1, 5.0), (0, 1.716), (-1, 5.5)]
# Table 2 tangent trace with x1' = 1, x2' = 0
TANGENT = [(-1, 1.0), (0, 0.0), (1, 0.5), (2, 5.0), (3, 0.0), (4, 5.5), (5, 5.5)]


def test_primal_trace_matches_table() -> None:
    trace = adcalc.explain(F, at=AT)
    rows = [(r["index"], r["op"], round(r["value"], 3)) for r in trace.primal]
    assert rows == PRIMAL
    expressions = [r["expression"] for r in trace.primal[2:]]
    assert expressions == ["log(v₋₁)", "v₋₁*v₀", "sin(v₀)", "v₁ + v₂", "v₄ - v₃"]


def test_adjoint_trace_matches_table_3() -> None:
    trace = adcalc.explain(F, at=AT)
    rows = [(r["index"], round(r["value"], 3)) for r in trace.derivative if r["name"].startswith("v")]
    assert rows == ADJOINT
    assert round(trace.result["x1"], 3) == 5.5 and round(trace.result["x2"], 3) == 1.716
    rules = [r["rule"] for r in trace.derivative]
    assert "v̄₅ ∂v₅/∂v₄ = v̄₅ × 1" in rules
    assert "v̄₃ ∂v₃/∂v₀ = v̄₃ × cos(v₀)" in rules
    assert "v̄₀ + v̄₂ ∂v₂/∂v₀ = v̄₀ + v̄₂ × v₋₁" in rules
    assert trace.result == adcalc.gradient(F, at=AT).gradient


def test_tangent_trace_matches_table_2() -> None:
    trace = adcalc.explain(F, at=AT, mode="forward", direction={"x1": 1.0})
    assert [(r["index"], round(r["value"], 3)) for r in trace.derivative] == TANGENT
    assert trace.result["derivative"] == 5.5
    assert [r["rule"] for r in trace.derivative][4:] == ["cos(v₀)*v̇₀", "v̇₁ + v̇₂", "v̇₄ - v̇₃"]


def test_json_shape() -> None:
    document = adcalc.explain(F, at=AT).to_dict()
    assert set(document) == {"expression", "at", "value", "mode", "primal", "adjoint", "gradient"}
    forward = adcalc.explain(F, at=AT, mode="forward", direction={"x2": 1.0}).to_dict()
    assert forward["directional"] == pytest.approx(2.0 - 0.28366218546322625)
    assert "tangent" in forward and forward["direction"] == {"x1": 0.0, "x2": 1.0}


def test_trace_at_a_singular_point_gives_ieee_values() -> None:
    # sqrt'(x) = 1/(2 sqrt x) is +inf at x = 0, in both traces, as in `adcalc grad`
    import math

    import adcalc

    assert adcalc.explain("sqrt(x)", at={"x": 0.0}).to_dict()["gradient"]["x"] == math.inf
    forward = adcalc.explain("sqrt(x)", at={"x": 0.0}, mode="forward", direction={"x": 1.0})
    assert forward.to_dict()["directional"] == math.inf
