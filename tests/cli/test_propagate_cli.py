"""`adcalc propagate`: the ± syntax and its errors (one line, a caret, exit 2), --sigma, --corr,
--cov, --order 2, --mc, tables and JSON, each against a closed form computed here."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from .helpers import run_inprocess

MGH = ["m*g*h", "--at", "m=2±0.01,g=9.81±0.02,h=10±0.1"]
U_MGH = 2 * 9.81 * 10 * math.sqrt((0.01 / 2) ** 2 + (0.02 / 9.81) ** 2 + (0.1 / 10) ** 2)


def document(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    done = run_inprocess(["propagate", *args, "--json"], capsys)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


def test_the_issue_example_as_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["propagate", *MGH], capsys)
    assert done.code == 0 and done.stderr == ""
    found = re.search(r"m\*g\*h = (\S+), u = (\S+) \(first order\)", done.stdout)
    assert found is not None, done.stdout
    assert float(found[1]) == pytest.approx(196.2, rel=1e-15) and float(found[2]) == pytest.approx(
        U_MGH, rel=1e-14
    )
    assert "share of u² (%)" in done.stdout and "98.10000000000001" in done.stdout  # c_m = g·h


def test_plus_minus_spellings_and_sigma_give_one_answer(capsys: pytest.CaptureFixture[str]) -> None:
    unicode = document(MGH, capsys)
    ascii_ = document(["m*g*h", "--at", "m=2+-0.01,g=9.81 +- 0.02", "--at", "h=10+-0.1"], capsys)
    sigma = document(["m*g*h", "--at", "m=2,g=9.81,h=10", "--sigma", "m=0.01,g=0.02", "-s", "h=0.1"], capsys)
    assert unicode["u"] == pytest.approx(U_MGH, rel=1e-14)
    for other in (ascii_, sigma):
        assert other["u"] == unicode["u"] and other["budget"] == unicode["budget"]
    assert unicode["uncertainty"] == {"m": 0.01, "g": 0.02, "h": 0.1}
    assert [row["input"] for row in unicode["budget"]["m*g*h"]] == ["m", "g", "h"]


def test_correlations_repeat_and_pair_up(capsys: pytest.CaptureFixture[str]) -> None:
    doc = document(
        ["a+b+c", "--at", "a=1±0.1,b=2±0.2,c=3±0.3", "--corr", "a,b=0.5,b,c=-0.2", "-r", "a,c=0.1"], capsys
    )
    variance = 0.01 + 0.04 + 0.09 + 2 * (0.5 * 0.02 - 0.2 * 0.06 + 0.1 * 0.03)
    assert doc["u"] == pytest.approx(math.sqrt(variance), rel=1e-14)
    assert doc["input_covariance"]["inputs"] == ["a", "b", "c"]
    assert doc["input_covariance"]["matrix"][0][1] == pytest.approx(0.5 * 0.02, rel=1e-14)


def test_a_covariance_from_a_literal_or_a_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cov = [[0.04, 0.01], [0.01, 0.09]]
    (tmp_path / "cov.json").write_text(json.dumps(cov))
    literal = document(["x - y", "--at", "x=1,y=2", "--cov", f"x,y={json.dumps(cov)}"], capsys)
    from_file = document(["x - y", "--at", "x=1,y=2", "--cov", f"x,y=@{tmp_path / 'cov.json'}"], capsys)
    assert literal["u"] == from_file["u"] == pytest.approx(math.sqrt(0.04 + 0.09 - 0.02), rel=1e-14)
    vector = document(["v[1] - v[2]", "--at", "v=[1,2]", "--cov", f"v={json.dumps(cov)}"], capsys)
    assert vector["u"] == literal["u"]


def test_vector_inputs_with_a_vector_of_uncertainties(capsys: pytest.CaptureFixture[str]) -> None:
    doc = document(["A @ x", "--at", "A=[[1,2],[3,4]],x=[1,2]±[0.1,0.2]"], capsys)
    # J = A for the x elements: cov = A diag(u²) Aᵀ
    assert doc["u"] == pytest.approx([math.hypot(0.1, 0.4), math.hypot(0.3, 0.8)], rel=1e-14)
    assert doc["covariance"]["outputs"] == ["(A @ x)[1]", "(A @ x)[2]"]
    assert doc["covariance"]["matrix"][0][1] == pytest.approx(0.01 * 3 + 0.04 * 8, rel=1e-14)
    assert doc["uncertainty"] == {"A": [[0.0, 0.0], [0.0, 0.0]], "x": [0.1, 0.2]}


def test_several_outputs_by_output_with_their_covariance(capsys: pytest.CaptureFixture[str]) -> None:
    doc = document(["a+b, a*b", "--at", "a=1±0.1,b=2±0.2"], capsys)
    assert doc["outputs"] == ["a+b", "a*b"]
    assert doc["value"] == {"a+b": 3.0, "a*b": 2.0}
    assert doc["u"]["a*b"] == pytest.approx(math.hypot(2 * 0.1, 1 * 0.2), rel=1e-14)
    assert doc["covariance"]["matrix"][0][1] == pytest.approx(2 * 0.01 + 1 * 0.04, rel=1e-14)
    table = run_inprocess(["propagate", "a+b, a*b", "--at", "a=1±0.1,b=2±0.2"], capsys).stdout
    assert "correlation of the outputs" in table


def test_second_order_of_x_squared(capsys: pytest.CaptureFixture[str]) -> None:
    first = run_inprocess(["propagate", "x^2", "--at", "x=0±10"], capsys)
    assert first.code == 0 and "warning: u = 0 at first order" in first.stderr
    doc = document(["x^2", "--at", "x=0±10", "--order", "2"], capsys)
    assert doc["order"] == 2 and doc["value"] == 0.0
    assert doc["mean"] == pytest.approx(100.0, rel=1e-14) and doc["u"] == pytest.approx(
        100 * math.sqrt(2), rel=1e-14
    )
    assert doc["terms"]["x^2"]["second_order"] == pytest.approx(2e4, rel=1e-14)


def test_monte_carlo_side_by_side_and_reproducible(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["x^2", "--at", "x=0±10", "-k", "2", "--mc", "20000"]
    first, again = (run_inprocess(["propagate", *args], capsys) for _ in range(2))
    assert first.code == 0 and first.stdout == again.stdout
    assert "Monte Carlo check: 20000 samples, seed 0" in first.stdout and "95% high" in first.stdout
    mc = document(args, capsys)["mc"]
    assert abs(mc["mean"] - 100) < 5 * 100 * math.sqrt(2 / 20000)
    assert mc["samples"] == 20000 and mc["seed"] == 0 and mc["coverage"] == 0.95 and mc["undefined"] == 0
    assert document([*args, "--seed", "7"], capsys)["mc"]["mean"] != mc["mean"]


# --- errors: one line (and a caret into the option's text), exit 2 -----------------------------
@pytest.mark.parametrize(
    ("at", "message", "caret"),
    [
        ("m=2±", "a standard uncertainty must follow ±", "      ^"),
        ("m=±0.1", "a value is missing before ±", "    ^"),
        ("g=1,m=2±-0.1", "negative uncertainty -0.1", "          ^~~~"),
        ("m=2+-0.1+-3", "one ± per value", "          ^~~"),
        ("m=2±abc", "uncertainty of m: 'abc' is not a number", "      ^~~"),
    ],
)
def test_bad_plus_minus_points_at_the_mistake(
    at: str, message: str, caret: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_inprocess(["propagate", "m*g", "--at", at], capsys)
    assert done.code == 2 and done.stdout == ""
    lines = done.stderr.splitlines()
    assert lines[0].startswith("error: --at:1:") and message in lines[0], lines
    assert lines[1] == f"  {at}" and lines[2].startswith(caret), lines


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "a=1±0.1,b=2±0.1", "--corr", "a,b=1.5"], "a correlation coefficient lies in [-1, 1]"),
        (["--at", "a=1±0.1,b=2±0.1", "--corr", "a;b=0.5"], "expected a,b=r"),
        (["--at", "a=1,b=2", "--cov", "a,b=[[1,2],[2,1]]"], "not positive semi-definite"),
        (["--at", "a=1,b=2", "--cov", "a,b=[[1,0]]"], "2×2 matrix"),
        (["--at", "a=1±1,b=2±1", "--corr", "a,b=0.9", "--corr", "a,b=0.1"], "twice"),
        (["--at", "a=1±0.1,b=2", "--sigma", "a=0.1"], "give it once"),
        (["--at", "a=1±0.1,b=2", "--sigma", "c=0.1"], "no value at the point"),
        (["--at", "a=1±0.1,b=2", "--mc", "1"], "--mc takes a number of samples N ≥ 2"),
        (["--at", "a=1±0.1,b=2", "--order", "3"], "'--order'"),
        (["--at", "a=1±0.1"], "Missing value for variable(s): b"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_inprocess(["propagate", "a+b", *args], capsys)
    assert done.code == 2 and done.stdout == ""
    assert done.stderr.startswith("error: ") and message in done.stderr.splitlines()[0], done.stderr


def test_correlations_that_cannot_hold_together(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["a+b+c", "--at", "a=1±1,b=2±1,c=3±1", "--corr", "a,b=0.9,a,c=0.9,b,c=-0.9", "--json"]
    done = run_inprocess(["propagate", *args], capsys)
    assert done.code == 2 and "not positive semi-definite" in done.stderr
    error = json.loads(done.stderr.splitlines()[-1])["error"]
    assert error["kind"] == "BadValue" and error["exit_code"] == 2


def test_undefined_at_the_point_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["propagate", "log(x)", "--at", "x=-1±0.1"], capsys)
    assert done.code == 1 and "log(-1) is undefined" in done.stderr


def test_help_names_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    text = " ".join(run_inprocess(["propagate", "-h"], capsys).stdout.split())
    assert "adcalc propagate 'm*g*h'" in text and "not positive semi-definite" in text
