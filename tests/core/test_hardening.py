"""Inputs that used to end in an exception other than AdcalcError (found by a fuzz campaign)."""

from __future__ import annotations

import math

import adcalc


def test_explain_of_a_constant_has_no_steps_and_zero_derivatives() -> None:
    trace = adcalc.explain("2 + 3", at={"x": 1.0})
    assert trace.value == 5.0 and trace.result == {"x": 0.0}


def test_compile_with_a_variable_named_like_a_builtin() -> None:
    # the fast generated call uses type() and float: a variable `type` must not shadow them
    f = adcalc.compile("type*2 + sin(float)")
    value, gradient = f.grad(type=1.5, float=0.5)
    assert value == 3.0 + math.sin(0.5) and gradient == {"type": 2.0, "float": math.cos(0.5)}


def test_check_where_complex_arithmetic_overflows() -> None:
    # z^(9^99) overflows complex exponentiation: the complex step does not apply, the rest still run
    result = adcalc.check("z^9^99", at={"z": 1.5})
    notes = {m.name: m.note for m in result.methods}
    assert notes["complex step"].startswith("not applicable")
