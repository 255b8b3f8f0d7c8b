"""check: the five methods agree where they should, and differ the way numerical analysis says."""

from __future__ import annotations

import math

import adcalc
from adcalc.answers.check import Check, Method

from tests.core.test_derivatives import rosenbrock_text


def by_name(check: Check) -> dict[str, Method]:
    return {m.name: m for m in check.methods}


def test_exact_methods_agree_on_the_textbook_function() -> None:
    methods = by_name(adcalc.check("ln(x1) + x1*x2 - sin(x2)", at={"x1": 2.0, "x2": 5.0}))
    assert methods["reverse AD"].values == {"x1": 5.5, "x2": 2.0 - math.cos(5.0)}
    for name in ("forward AD", "complex step", "symbolic (diff)"):
        assert methods[name].max_error <= 1e-15, name
    fd = methods["central differences"]
    assert 1e-13 < fd.max_error < 1e-8  # ~eps^(2/3): about 10 of 16 digits
    assert fd.evaluations == 4


def test_many_inputs_make_finite_differences_expensive_and_inexact() -> None:
    n = 100
    at = {f"x{k}": (-1.2 if k % 2 else 1.0) for k in range(1, n + 1)}
    methods = by_name(adcalc.check(rosenbrock_text(n), at=at))
    assert methods["reverse AD"].evaluations == 2
    assert methods["central differences"].evaluations == 2 * n
    assert methods["forward AD"].evaluations == n
    assert methods["central differences"].max_error > 1e-12  # digits lost
    assert methods["central differences"].digits < 12
    # complex step through x^2 at x < 0 stays exact (z^2 by products, not exp(2 log z))
    assert methods["complex step"].max_error < 1e-14


def test_complex_step_is_not_applicable_through_abs() -> None:
    methods = by_name(adcalc.check("abs(x)*y", at={"x": 1.0, "y": 2.0}))
    complex_step = methods["complex step"]
    assert complex_step.values is None
    assert complex_step.note.startswith("not applicable") and "abs" in complex_step.note
    assert methods["forward AD"].values == {"x": 2.0, "y": 1.0}


def test_json_document() -> None:
    document = adcalc.check("x*y", at={"x": 1.0, "y": 2.0}).to_dict()
    assert [m["method"] for m in document["methods"]] == [
        "reverse AD",
        "forward AD",
        "central differences",
        "complex step",
        "symbolic (diff)",
    ]
    assert document["methods"][0]["gradient"] == {"x": 2.0, "y": 1.0}
