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


def test_documented_limits_stop_runaway_programs_at_once(monkeypatch) -> None:  # noqa: ANN001
    import pytest
    from adcalc.errors import AdcalcError
    from adcalc.grammar import builder

    monkeypatch.setattr(builder, "MAX_CALLS", 1000)  # the limit's logic, without a million calls

    with pytest.raises(AdcalcError, match="eye"):
        adcalc.parse("sum(eye(100000))")  # 75 GiB otherwise
    doubling = "def f0(x) = x\n" + "".join(
        f"def f{k}(x) = f{k - 1}(sin(x)) + f{k - 1}(cos(x))\n" for k in range(1, 31)
    )
    with pytest.raises(AdcalcError, match="inlines past"):
        adcalc.parse(doubling + "f30(y)")  # 2^30 calls otherwise


def test_files_that_are_not_utf8_are_a_usage_error(tmp_path) -> None:  # noqa: ANN001
    import pytest
    from adcalc.errors import UsageError

    path = tmp_path / "bad.adl"
    path.write_bytes(b"input x\ny = x\xff\noutput y\n")
    with pytest.raises(UsageError, match="not UTF-8"):
        adcalc.compile(str(path))


def test_a_fixed_exponent_from_where_leaks_no_nan_into_forward_mode_or_hessians() -> None:
    # the exponent is where(x > 7, x, 1) = 1 at x = 1 and its tangent an exact 0: the pow rule's
    # log(x - 2) term (NaN at x = 1) must carry nothing, as reverse mode already does
    text, at = "(x-2)^where(x>7, x, 1)", {"x": 1.0}
    assert adcalc.gradient_forward(text, at=at).gradient == {"x": 1.0}
    assert adcalc.hessian(text, at=at).hessian == {"x": {"x": 0.0}}
    assert float(adcalc.hessian_function(text)([1.0])[0][0]) == 0.0


def test_a_finite_result_through_an_overflow_is_not_silently_trusted() -> None:
    # 1/exp(800): exp overflows to inf, the value 0 and its derivative 0 look fine but are not
    result = adcalc.gradient("1/exp(x)", at={"x": 800.0})
    assert any("exp(x) overflowed to inf" in w for w in result.warnings)
    assert adcalc.gradient("1/exp(x)", at={"x": 1.0}).warnings == []


def test_compile_a_custom_op_after_other_compiles() -> None:
    # the generated code's names were taken once, at import: an op registered later was missing
    adcalc.compile("sin(x)*y").grad(x=1.0, y=2.0)
    f = adcalc.compile("op sq(u) = u*u grad 2*u\nsq(x) + 1")
    assert f.grad(x=3.0) == (10.0, {"x": 6.0})


def test_the_caret_points_at_the_column_whatever_control_characters_come_before() -> None:
    from adcalc.errors import ParseError

    for text in ["x\f+ ?", "a=1\r b = ?", "\tx + ?"]:
        try:
            adcalc.parse(text)
        except ParseError as error:
            shown = error.render(text).splitlines()
            assert shown[-1].index("^") == shown[-2].index("?")  # caret under the bad character
        else:
            raise AssertionError(text)


def test_check_refuses_an_infinite_tolerance() -> None:
    from tests.cli.helpers import run_subprocess

    done = run_subprocess(["check", "x^2", "--at", "x=1", "--tol", "inf"])
    assert done.code == 2 and "positive finite number" in done.stderr


def test_a_text_over_the_length_limit_is_refused_before_any_work() -> None:
    import time

    from adcalc.grammar.program import MAX_TEXT

    text = "x+" * (MAX_TEXT // 2) + "x"
    start = time.process_time()
    try:
        adcalc.parse(text)
    except adcalc.AdcalcError as error:
        assert "4,194,304" in str(error) and error.exit_code == 2
    else:
        raise AssertionError("a text over the limit was parsed")
    assert time.process_time() - start < 0.5  # refused, not parsed: parsing it would take ~20 s


def test_a_long_generated_sum_parses_and_differentiates_exactly() -> None:
    # sum of x*i for i = 1..n: df/dx = n(n+1)/2, exact in floating point at this size
    n = 20_000
    graph = adcalc.parse("+".join(f"x*{i}" for i in range(1, n + 1)))
    result = adcalc.gradient(graph, {"x": 0.5})
    assert result.gradient["x"] == n * (n + 1) / 2
    assert result.value == 0.5 * n * (n + 1) / 2


def test_a_multi_line_text_reports_lines_and_columns_from_offsets() -> None:
    try:
        adcalc.parse("a = 1\n\n  b = a +\n    * 2\nb")
    except adcalc.AdcalcError as error:
        assert error.span is not None and (error.span.line, error.span.column) == (4, 5)
    else:
        raise AssertionError("a syntax error was accepted")
