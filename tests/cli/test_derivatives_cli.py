"""The derivative commands: JSON contracts, tables, exit codes and one-line errors."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from tests.cli.helpers import run_inprocess, run_subprocess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def ok_json(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> dict:
    outcome = run_inprocess([*args, "--json"], capsys, stdin)
    assert outcome.code == 0, outcome.stderr
    assert outcome.stderr == ""
    return json.loads(outcome.stdout)


def test_jvp(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1,y=3"], capsys)
    assert document["directional"] == 2.0 + 3.0  # y dx + x dy
    assert document["direction"] == {"x": 1.0, "y": 3.0}


def test_jacobian_comma_list_and_bracketed_vector(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["jacobian", "x*y, sin(x)+y", "--at", "x=1,y=2"], capsys)
    assert document["jacobian"] == {"x*y": {"x": 2.0, "y": 1.0}, "sin(x)+y": {"x": math.cos(1.0), "y": 1.0}}
    assert document["value"] == {"x*y": 2.0, "sin(x)+y": math.sin(1.0) + 2.0}
    assert document["outputs"] == ["x*y", "sin(x)+y"] and document["variables"] == ["x", "y"]
    # one language: brackets make a vector, so this is one output of two elements, same numbers
    bracketed = ok_json(["jacobian", "[x*y, sin(x)+y]", "--at", "x=1,y=2", "--mode", "forward"], capsys)
    rows = bracketed["jacobian"]["[x*y, sin(x)+y]"]
    assert rows == {"x": [2.0, math.cos(1.0)], "y": [1.0, 1.0]} and bracketed["mode"] == "forward"


def test_jacobian_of_polar_map_with_atan2_inside_an_output(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["jacobian", "r*cos(t), r*sin(t), atan2(r, t)", "--at", "r=2,t=0.5"], capsys)
    assert document["mode"] == "forward"  # 2 inputs < 3 outputs
    assert document["jacobian"]["r*sin(t)"]["t"] == 2 * math.cos(0.5)


def test_hessian(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["hessian", "x^2*y + exp(x*y)", "--at", "x=1,y=2"], capsys)
    e2 = math.exp(2.0)
    assert document["value"] == pytest.approx(2 + e2)
    assert document["gradient"] == pytest.approx({"x": 4 + 2 * e2, "y": 1 + e2})
    h = document["hessian"]
    assert h["x"]["x"] == pytest.approx(2 * 2 + 4 * e2)  # 2y + y² e^(xy)
    assert h["x"]["y"] == h["y"]["x"] == pytest.approx(2 + e2 + 2 * e2)  # 2x + e^(xy) + xy e^(xy)
    assert h["y"]["y"] == pytest.approx(e2)


def test_hvp(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["hvp", "x^2*y", "--at", "x=1,y=2", "--dir", "x=1"], capsys)
    assert document["hvp"] == {"x": 4.0, "y": 2.0}


def test_taylor_and_grad_order(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["taylor", "1/(1-x)", "--at", "x=0", "--order", "5"], capsys)
    assert document["coefficients"] == [1.0] * 6
    assert document["derivatives"] == [float(math.factorial(k)) for k in range(6)]
    third = ok_json(["grad", "x^5", "--at", "x=2", "--order", "3"], capsys)
    assert third["derivative"] == 60 * 4.0 and third["order"] == 3 and third["variable"] == "x"


def test_grad_forward_mode(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["grad", "sin(x)*y", "--at", "x=1,y=2", "--mode", "forward"], capsys)
    assert document["gradient"] == {"x": 2 * math.cos(1.0), "y": math.sin(1.0)}


def test_diff_prints_parseable_text(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["diff", "sin(x)*y", "--wrt", "x"], capsys)
    assert outcome.code == 0
    text = outcome.stdout.strip()
    value = ok_json(["eval", text, "--at", "x=1,y=2"], capsys)["value"]
    assert value == 2 * math.cos(1.0)
    document = ok_json(["diff", "exp(-x)/(1+exp(-x))"], capsys)
    assert document["symbolic"]["x"].splitlines()[0] == "t1 = exp(-x)"


def test_explain_json(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["explain", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2,x2=5"], capsys)
    assert [round(r["value"], 3) for r in document["primal"]] == [2, 5, 0.693, 10, -0.959, 10.693, 11.652]
    assert document["gradient"]["x1"] == 5.5
    forward = ok_json(
        ["explain", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2,x2=5", "--mode", "forward", "--dir", "x1=1"], capsys
    )
    assert forward["directional"] == 5.5 and forward["tangent"][-1]["value"] == 5.5


def test_explain_table(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["explain", "ln(x1)+x1*x2-sin(x2)", "--at", "x1=2,x2=5"], capsys)
    assert outcome.code == 0
    assert "Forward primal trace" in outcome.stdout and "Reverse adjoint trace" in outcome.stdout
    assert "v̄₃ × cos(v₀)" in outcome.stdout


def test_check_on_the_rosenbrock_example(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "100")  # wide enough for the boxed table (narrower ones fold)
    text = (EXAMPLES / "extended_rosenbrock_100.txt").read_text()
    point = (EXAMPLES / "extended_rosenbrock_100_point.txt").read_text().strip()
    document = ok_json(["check", "-", "--at", point], capsys, stdin=text)
    methods = {m["method"]: m for m in document["methods"]}
    assert methods["central differences"]["evaluations"] == 200
    assert methods["central differences"]["max_error"] > 1e-12
    assert methods["reverse AD"]["gradient"]["x1"] == pytest.approx(-215.6, rel=1e-14)
    outcome = run_inprocess(["check", "-", "--at", point], capsys, stdin=text)
    row = next(line for line in outcome.stdout.splitlines() if line.startswith("│ central"))
    assert re.search(r"│ +200 │", row)


def test_check_says_when_complex_step_does_not_apply(capsys: pytest.CaptureFixture[str]) -> None:
    document = ok_json(["check", "abs(x)*y", "--at", "x=1,y=2"], capsys)
    complex_step = document["methods"][3]
    assert complex_step["gradient"] is None and "not applicable" in complex_step["note"]


def test_graph_tree_dot_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["graph", "sin(x*y)*sin(x*y) + x*y"], capsys)
    assert outcome.code == 0
    assert outcome.stdout.count("↑ v2 (shared)") == 1 and outcome.stdout.count("↑ v1 (shared)") == 1
    assert "6 nodes, 2 shared" in outcome.stdout
    dot = run_inprocess(["graph", "sin(x)*sin(x)", "--format", "dot"], capsys).stdout
    assert dot.startswith("digraph adcalc {") and dot.count("n2 -> n1;") == 2
    document = ok_json(["graph", "sin(x)*sin(x)"], capsys)
    assert document["count"] == 3 and document["shared"] == 1


def test_graph_of_a_deep_expression_does_not_recurse(capsys: pytest.CaptureFixture[str]) -> None:
    text = "x" + " + x*x" * 3000
    document = ok_json(["graph", "sin(" * 2000 + "x" + ")" * 2000], capsys)
    assert document["count"] == 2001
    assert run_inprocess(["graph", text, "--format", "dot"], capsys).code == 0


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["jvp", "x*y", "--at", "x=1,y=2"], 2, "give a direction with --dir"),
        (["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=[1,2]"], 2, "--dir x"),
        (["jacobian", "x*y, sin(x", "--at", "x=1,y=2"], 2, "Syntax error"),
        (
            ["jacobian", "x*y", "--at", "x=1,y=2", "--mode", "sideways"],
            2,
            "--mode must be forward or reverse",
        ),
        (["hessian", "log(x)*y", "--at", "x=-1,y=2"], 1, "Outside the function's domain"),
        (["taylor", "x*y", "--at", "x=0,y=1"], 2, "one variable"),
        (["grad", "x^2", "--at", "x=1", "--order", "0"], 2, "--order must be 1 or more"),
        (["graph", "x", "--format", "png"], 2, "--format must be tree, dot or json"),
        (["hessian", "x*y", "--at", "x=1"], 2, "Missing value for variable(s): y"),
    ],
)
def test_errors_are_one_line_with_exit_code(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_inprocess(args, capsys)
    assert outcome.code == code, outcome.stderr
    assert message in outcome.stderr.splitlines()[0]
    assert "Traceback" not in outcome.stderr and outcome.stdout == ""


def test_real_subprocess() -> None:
    outcome = run_subprocess(["hessian", "x^2*y", "--at", "x=1,y=2", "--json"])
    assert outcome.code == 0
    assert json.loads(outcome.stdout)["hessian"] == {"x": {"x": 4.0, "y": 2.0}, "y": {"x": 2.0, "y": 0.0}}
    failing = run_subprocess(["diff", "sin(x", "--wrt", "x"])
    assert failing.code == 2 and failing.stderr.startswith("error: ")
