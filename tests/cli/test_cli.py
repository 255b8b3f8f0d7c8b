"""The eval and grad commands: tables, the JSON contract, exit codes and one-line errors."""

from __future__ import annotations

import json
import math

import pytest

from tests.cli.helpers import run_inprocess, run_subprocess


def test_grad_json_contract(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["grad", "sin(x)*y", "--at", "x=1,y=2", "--json"], capsys)
    assert outcome.code == 0 and outcome.stderr == ""
    document = json.loads(outcome.stdout)
    assert document["expression"] == "sin(x)*y"
    assert document["at"] == {"x": 1.0, "y": 2.0}
    assert document["value"] == math.sin(1) * 2
    assert document["gradient"] == {"x": math.cos(1) * 2, "y": math.sin(1)}


def test_grad_table(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["grad", "x^2*y", "--at", "x=3", "--at", "y=2"], capsys)
    assert outcome.code == 0
    assert "f = 18.0" in outcome.stdout
    rows = [line for line in outcome.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[1].strip() for row in rows] == ["x", "y"]
    assert "12.0" in rows[0] and "9.0" in rows[1]


def test_eval_with_constant_expression_value(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["eval", "sin(x)", "--at", "x=-pi/4", "--json"], capsys)
    assert json.loads(outcome.stdout)["value"] == pytest.approx(-math.sqrt(0.5), rel=1e-15)
    outcome = run_inprocess(["eval", "x+y", "--at", "x=atan2(1, 1),y=-2", "--json"], capsys)
    assert json.loads(outcome.stdout)["value"] == pytest.approx(math.pi / 4 - 2, rel=1e-15)


def test_wrt_selects_variables(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["grad", "x*y*z", "--at", "x=1,y=2,z=3", "--wrt", "z,x", "--json"], capsys)
    assert json.loads(outcome.stdout)["gradient"] == {"z": 2.0, "x": 6.0}


def test_expression_from_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["grad", "-", "--at", "x=3", "--json"], capsys, stdin="x^2\n")
    assert json.loads(outcome.stdout)["gradient"] == {"x": 6.0}


def test_non_finite_numbers_are_valid_json(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["grad", "sqrt(x)", "--at", "x=0", "--json"], capsys)
    document = json.loads(outcome.stdout, parse_constant=lambda name: pytest.fail(f"bare {name}"))
    assert document["gradient"]["x"] == "Infinity"
    outcome = run_inprocess(["eval", "--at", "x=0", "--json", "--", "-1/x"], capsys)
    assert json.loads(outcome.stdout)["value"] == "-Infinity"


def test_full_round_trip_precision(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["eval", "1/3", "--json"], capsys)
    assert json.loads(outcome.stdout)["value"] == 1 / 3


@pytest.mark.parametrize(
    ("args", "code", "words"),
    [
        (["grad", "sine(x)", "--at", "x=1"], 2, "did you mean 'sin'?"),
        (["grad", "sin(x", "--at", "x=1"], 2, "1:6: Syntax error"),
        (["grad", "x*y+z", "--at", "x=1"], 2, "Missing value for variable(s): y, z"),
        (["grad", "x", "--at", "x=abc"], 2, "--at x='abc' is not a number"),
        (["grad", "x", "--at", "x=1+"], 2, "--at x='1+' is not a number"),
        (["grad", "x", "--at", "x"], 2, "expected name=value"),
        (["grad", "x", "--at", "x=1,x=2"], 2, "gives 'x' twice"),
        (["eval", "x+e", "--at", "x=1,e=2"], 2, "e is a constant"),
        (["eval", "log(x)", "--at", "x=-1"], 1, "log(-1) is undefined"),
        (["grad", "x", "--at", "x=1", "--bogus"], 2, "No such option"),
        (["grad", "-", "--at", "x=1"], 2, "no expression on standard input"),
        (["grad", "missing.adl", "--at", "x=1"], 2, "no such file"),
        (["eval", "-x^", "--at", "x=1"], 2, "goes after '--'"),  # not an expression: click's error
    ],
)
def test_errors_are_one_line_with_exit_code(
    args: list[str], code: int, words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_inprocess(args, capsys)
    assert outcome.code == code
    assert words in outcome.stderr
    assert "Traceback" not in outcome.stderr
    assert outcome.stdout == ""


def test_parse_error_shows_caret(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["eval", "2 * (x + ", "--at", "x=1"], capsys)
    first, source, caret = outcome.stderr.splitlines()[:3]
    assert first.startswith("error: <expr>:1:")
    assert source.rstrip() == "  2 * (x +"
    assert caret.index("^") == len("  2 * (x + ")  # just past the end: the input stops early


def test_nan_gradient_warns(capsys: pytest.CaptureFixture[str]) -> None:
    # d/dx sqrt(x^2) = |x|' has no value at 0, and AD meets sqrt'(0)·2x = inf·0 (the value 0 is fine)
    outcome = run_inprocess(["grad", "sqrt(x^2)*y", "--at", "x=0,y=2"], capsys)
    assert outcome.code == 0
    assert "derivative undefined (NaN) for x" in outcome.stderr


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["--help"], capsys)
    assert outcome.code == 0
    assert "grad" in outcome.stdout and "eval" in outcome.stdout


def test_real_subprocess_json_and_python_m() -> None:
    outcome = run_subprocess(["grad", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2,x2=5", "--json"])
    assert outcome.code == 0, outcome.stderr
    gradient = json.loads(outcome.stdout)["gradient"]
    assert gradient["x1"] == 5.5
    assert gradient["x2"] == pytest.approx(2 - math.cos(5), rel=1e-15)


def test_real_subprocess_error_has_no_traceback() -> None:
    outcome = run_subprocess(["eval", "sqrt(x", "--at", "x=1"])
    assert outcome.code == 2
    assert outcome.stderr.startswith("error: <expr>:1:")
    assert "Traceback" not in outcome.stderr


def test_version() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "adcalc", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("adcalc ")


def test_array_values_on_a_plain_expression(capsys: pytest.CaptureFixture[str]) -> None:
    # an array given for an input is a vector input: sin(x)*y is then a vector, whose gradient
    # does not exist; its Jacobian is diag(y cos x) by x and sin x by y
    outcome = run_inprocess(["grad", "sin(x)*y", "--at", "x=[1, 2],y=3", "--json"], capsys)
    assert outcome.code == 2 and "jacobian" in outcome.stderr and "[2]" in outcome.stderr
    outcome = run_inprocess(["jacobian", "sin(x)*y", "--at", "x=[1, 2],y=3", "--json"], capsys)
    blocks = json.loads(outcome.stdout)["jacobian"]["sin(x)*y"]
    assert blocks["x"][0] == pytest.approx([3 * math.cos(1), 0.0], rel=1e-15)
    assert blocks["x"][1] == pytest.approx([0.0, 3 * math.cos(2)], rel=1e-15)
    assert blocks["y"] == pytest.approx([math.sin(1), math.sin(2)], rel=1e-15)
    outcome = run_inprocess(["grad", "sum(x)", "--at", "x=[1, 2]", "--json"], capsys)
    assert outcome.code == 2 or json.loads(outcome.stdout)["gradient"]["x"] == [1.0, 1.0]


def test_constant_outside_its_domain_in_at_is_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["eval", "x", "--at", "x=log(-1)"], capsys)
    assert outcome.code == 2
    assert "--at x='log(-1)' is not a number" in outcome.stderr


def test_jacobian_outputs_from_stdin(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["jacobian", "-", "--at", "x=1,y=2", "--json"], capsys, stdin="x*y, x+y\n")
    assert outcome.code == 0, outcome.stderr
    expected = {"x*y": {"x": 2.0, "y": 1.0}, "x+y": {"x": 1.0, "y": 1.0}}  # [[y, x], [1, 1]]
    assert json.loads(outcome.stdout)["jacobian"] == expected
