"""The documented limits (README "Security and limits"): each is one error, exit code 2, raised
before the large thing is built or allocated, and none is lower than what a reasonable input needs."""

from __future__ import annotations

import json
import time

import adcalc
import numpy as np
import pytest
from adcalc.cli.values import MAX_ELEMENTS as AT_ELEMENTS
from adcalc.cli.values import parse_value
from adcalc.errors import AdcalcError, TooLarge
from adcalc.grammar import builder
from adcalc.ir.shapes import MAX_ELEMENTS

from tests.cli.helpers import run_inprocess


def refused(text: str, match: str, **shapes: tuple[int, ...]) -> float:
    """Seconds until adcalc.parse refuses the text with TooLarge (exit code 2)."""
    start = time.perf_counter()
    with pytest.raises(TooLarge, match=match) as raised:
        adcalc.parse(text, shapes=shapes or None)
    assert raised.value.exit_code == 2
    return time.perf_counter() - start


def test_nested_loops_of_10_to_the_12_fail_before_any_step_runs() -> None:
    text = "s = 0; for i in 1..10^6 { for j in 1..10^6 { s = s + i*j*x } }; s"
    seconds = refused(text, r"1,000,001,000,000 iterations \(nested: 1,000,000 × 1,000,000\)")
    assert seconds < 0.5  # 10^6 steps of the outer loop would take tens of seconds
    triple = "s = 0; for i in 1..100 { for j in 1..100 { for k in 1..1000 { s = s + x*k } } }; s"
    assert refused(triple, r"nested: 100 × 100 × 1,000") < 0.5


def test_the_projection_counts_the_iterations_loops_have_left() -> None:
    # a triangular nest runs n(n+1)/2 inner steps: projected from the iterations left, never refused
    n = 100
    graph = adcalc.parse(f"s = 0; for i in 1..{n} {{ for j in 1..i {{ s = s + x*j }} }}; s")
    # d/dx sum_i sum_{j<=i} j x = sum_i i(i+1)/2 = n(n+1)(n+2)/6
    assert adcalc.gradient(graph, at={"x": 2.0}).gradient["x"] == n * (n + 1) * (n + 2) / 6


def test_a_nest_of_exactly_the_limit_counts_outer_iterations_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "MAX_STEPS", 110)
    adcalc.parse("s = 0; for i in 1..10 { for j in 1..10 { s = s + x*j } }; s")  # 10 + 100 steps
    refused("s = 0; for i in 1..10 { for j in 1..11 { s = s + x*j } }; s", "120 iterations")


def test_a_def_called_again_with_the_same_arguments_is_inlined_once() -> None:
    doubling = "def f0(x) = x\n" + "".join(f"def f{k}(x) = f{k - 1}(x) + f{k - 1}(x)\n" for k in range(1, 31))
    start = time.perf_counter()
    graph = adcalc.parse(doubling + "f30(y)")  # 2^30 calls as written, 31 inlinings
    assert time.perf_counter() - start < 0.5
    assert graph.size == 31
    assert adcalc.gradient(graph, at={"y": 3.0}).gradient["y"] == 2.0**30  # f30(y) = 2^30 y


def test_the_node_limit_is_above_a_million() -> None:
    assert builder.MAX_NODES >= 4 * 10**6  # 10^6-node DAGs must work (bench/memory.py measures them)


def test_arrays_past_the_element_limit_fail_in_shape_inference() -> None:
    n = 5000  # 5000² = 2.5·10^7 elements > 2^24
    for text in ["sum(outer(x, x))", "sum(diag(x))", "sum(reshape(x, 5000, 1) + x)"]:
        assert refused(text, "more than the 16,777,216 of one array", x=(n,)) < 0.5
    with pytest.raises(TooLarge, match="outer: a \\[5000, 5000\\] result"):  # shapes only known at the point
        adcalc.gradient(adcalc.parse("sum(outer(x, x))"), at={"x": np.ones(n)})
    adcalc.parse("sum(outer(x, x))", shapes={"x": (4096,)})  # 4096² = 2^24: at the limit, allowed
    assert MAX_ELEMENTS == AT_ELEMENTS == 4096**2
    with pytest.raises(AdcalcError, match="eye\\(n\\) takes n from 1 to 4,096"):
        adcalc.parse("sum(eye(10^6))")


def test_at_literals_are_checked_before_they_are_split(monkeypatch) -> None:  # noqa: ANN001
    from adcalc.cli import values

    with pytest.raises(TooLarge, match="nest at most 32 deep"):
        parse_value("x", "[" * 10_000 + "1" + "]" * 10_000)  # would recurse 10^4 deep
    monkeypatch.setattr(values, "MAX_ELEMENTS", 10**5)  # the logic, without a 33 MB literal
    huge = "[" + ",".join(["1"] * (10**5 + 1)) + "]"
    start = time.perf_counter()
    with pytest.raises(TooLarge, match="more than 100,000 elements"):
        parse_value("x", huge)
    assert time.perf_counter() - start < 0.1  # counted, not split and parsed item by item
    assert AT_ELEMENTS == 1 << 24
    assert parse_value("x", "[[1, 2], [3, 4]]").tolist() == [[1, 2], [3, 4]]


def test_at_files_are_checked_before_their_data_is_read(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from adcalc.cli import values

    npy = tmp_path / "big.npy"
    with open(npy, "wb") as file:  # a header that asks for 8 GB, and no data
        header = {"descr": "<f8", "fortran_order": False, "shape": (10**9,)}
        np.lib.format.write_array_header_1_0(file, header)
    with pytest.raises(TooLarge, match="1,000,000,000 elements"):
        parse_value("x", f"@{npy}")
    small = tmp_path / "x.json"
    small.write_text(json.dumps([1.5, 2.5, 3.5]))
    assert parse_value("x", f"@{small}").tolist() == [1.5, 2.5, 3.5]
    monkeypatch.setattr(values, "MAX_JSON_BYTES", 8)
    with pytest.raises(TooLarge, match="larger than"):
        parse_value("x", f"@{small}")


def test_explain_refuses_a_trace_past_its_limit_before_evaluating(monkeypatch, capsys) -> None:  # noqa: ANN001
    from adcalc.answers import explain

    monkeypatch.setattr(explain, "MAX_STEPS", 10)
    assert adcalc.explain("sin(x)*x + x^2", at={"x": 1.0}).value == pytest.approx(np.sin(1) + 1)
    text = "+".join(f"x*{k}" for k in range(1, 12))  # 11 products and 10 sums: 22 steps with x
    with pytest.raises(TooLarge, match="has 22, more than 10"):
        adcalc.explain(text, at={"x": 1.0})
    outcome = run_inprocess(["explain", text, "--at", "x=1"], capsys)
    assert outcome.code == 2
    assert outcome.stderr.startswith("error: ") and "Traceback" not in outcome.stderr


def test_check_leaves_the_symbolic_column_out_of_large_graphs(monkeypatch) -> None:  # noqa: ANN001
    from adcalc.answers import check

    monkeypatch.setattr(check, "SYMBOLIC_NODES", 2)
    result = adcalc.check("sin(x)*x", at={"x": 0.5})
    notes = {m.name: m.note for m in result.methods}
    assert notes["symbolic (diff)"].startswith("not applicable: 3 nodes")
    assert result.passed  # the other methods still agree with reverse mode
    exact = np.cos(0.5) * 0.5 + np.sin(0.5)
    assert result.methods[0].values["x"] == pytest.approx(exact, rel=1e-15)


def test_the_cli_reports_each_limit_in_one_line(capsys) -> None:  # noqa: ANN001
    for args in [
        ["grad", "s = 0; for i in 1..10^6 { for j in 1..10^6 { s = s + x } }; s", "--at", "x=1"],
        ["grad", "sum(outer(x, x))", "--at", "x=[" + ",".join(["1"] * 5000) + "]"],
        ["grad", "x", "--at", "x=" + "[" * 40 + "1" + "]" * 40],
    ]:
        outcome = run_inprocess(args, capsys)
        assert outcome.code == 2, outcome.stderr
        assert outcome.stderr.startswith("error: ") and "Traceback" not in outcome.stderr


def test_dense_hessian_and_jacobian_are_refused_before_the_sweeps() -> None:
    x = np.linspace(0.5, 1.5, 5000)  # 5000² = 25·10^6 entries: over 2^24
    with pytest.raises(TooLarge, match="25,000,000 entries"):
        adcalc.hessian("sum(x^3)", {"x": x})
    with pytest.raises(TooLarge, match="Jacobian"):
        adcalc.jacobian("x^2", {"x": x})
    small = np.array([1.0, 2.0, 3.0])  # and a small one still works: H = diag(6x)
    found = adcalc.hessian("sum(x^3)", {"x": small}).hessian
    np.testing.assert_allclose(np.asarray(found["x"]["x"]).reshape(3, 3), np.diag(6 * small))


def test_diff_order_and_monte_carlo_draws_have_limits(capsys: pytest.CaptureFixture[str]) -> None:
    start = time.perf_counter()
    done = run_inprocess(["diff", "sin(x)*x", "--order", "100000"], capsys)
    assert done.code == 2 and "order 20" in done.stderr
    done = run_inprocess(["propagate", "m*g", "--at", "m=2±0.01,g=9.81±0.02", "--mc", "1000000000"], capsys)
    assert done.code == 2 and "--mc 1,000,000,000" in done.stderr
    assert time.perf_counter() - start < 30  # refused, not run (generous: shared machines)
    # order 20 itself is allowed: d^20/dx^20 of exp(2x) = 2^20 exp(2x)
    printed = adcalc.diff("exp(2*x)", order=20).text["x"]
    assert adcalc.evaluate(printed, {"x": 0.3}).value == pytest.approx(2**20 * np.exp(0.6), rel=1e-12)
