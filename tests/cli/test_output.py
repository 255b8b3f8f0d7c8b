"""Output for people and for programs: tables that never cut a number at any width, one JSON
schema (cli/schemas/<command>.json) checked against every command's real --json output,
warnings on stderr and in "warnings", and `check` as a gate (--tol, exit 1)."""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Any

import adcalc
import jsonschema
import numpy as np
import pytest
from adcalc.cli.actions import State

from .helpers import run_inprocess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROSENBROCK = str(EXAMPLES / "rosenbrock.adl")
R_AT = "x=[-1.2,1,-1.2,1]"
POLAR = "input p[2]\nr = p[1]\nt = p[2]\ny = [r*cos(t), r*sin(t)]\narea = r^2 * t / 2\noutput y, area\n"
F, F_AT = "ln(x1) + x1*x2 - sin(x2)", "x1=2,x2=5"
COMMANDS = [
    "eval",
    "grad",
    "jvp",
    "hvp",
    "jacobian",
    "hessian",
    "taylor",
    "diff",
    "explain",
    "check",
    "graph",
    "propagate",
    "plot",
    "minimize",
    "solve",
    "codegen",
]


def polar(tmp_path: Path) -> str:
    path = tmp_path / "polar.adl"
    path.write_text(POLAR)
    return str(path)


def cases(tmp_path: Path) -> list[list[str]]:
    """Every command on a formula, and every command that takes arrays on array programs."""
    p = polar(tmp_path)
    return [
        ["eval", F, "--at", F_AT],
        ["eval", p, "--at", "p=[2,0.5]"],
        ["grad", F, "--at", F_AT],
        ["grad", F, "--at", F_AT, "--mode", "forward"],
        ["grad", "x^5*sin(x)", "--at", "x=0.7", "--order", "3"],
        ["grad", ROSENBROCK, "--at", R_AT],
        ["jvp", F, "--at", F_AT, "--dir", "x1=1,x2=3"],
        ["jvp", ROSENBROCK, "--at", R_AT, "--dir", "x=[1,0,0.5,0]"],
        ["hvp", F, "--at", F_AT, "--dir", "x1=1"],
        ["hvp", ROSENBROCK, "--at", R_AT, "--dir", "x=[1,0,0,0]"],
        ["jacobian", "x1*sin(x2), ln(x1)*x2", "--at", F_AT],
        ["jacobian", p, "--at", "p=[2,0.5]"],
        ["hessian", F, "--at", F_AT],
        ["hessian", ROSENBROCK, "--at", R_AT],
        ["hessian", F, "--at", F_AT, "--format", "latex"],
        ["taylor", "exp(sin(x))", "--at", "x=0.3", "--order", "5"],
        ["diff", F],
        ["diff", F, "--format", "latex", "--order", "2"],
        ["diff", F, "--simplify", "sympy"],
        ["explain", F, "--at", F_AT],
        ["explain", F, "--at", F_AT, "--mode", "forward", "--dir", "x1=1"],
        ["explain", F, "--at", F_AT, "--format", "latex"],
        ["check", F, "--at", F_AT],
        ["check", ROSENBROCK, "--at", R_AT],
        ["graph", F],
        ["graph", p],
        ["propagate", F, "--at", "x1=2±0.1,x2=5±0.2", "--corr", "x1,x2=0.3", "--mc", "200"],
        ["propagate", "x*y, x/y", "--at", "x=1±0.1,y=2±0.1", "--order", "2", "--mc", "100"],
        ["propagate", p, "--at", "p=[2,0.5]±[0.1,0.01]", "--mc", "50"],
        ["plot", "x^3 - 3*x", "--x", "-3:3", "--critical", "--order", "2"],
        ["plot", "tan(x)*y", "--x", "x=-3:3", "--at", "y=2", "--points", "50"],
        ["minimize", "(x - 1)^2 + (y + 2)^2", "--from", "x=0,y=0"],
        ["minimize", "x + y", "--from", "x=0,y=0", "--subject-to", "x^2 + y^2 <= 1", "--bounds", "x=-1:1"],
        ["minimize", ROSENBROCK, "--from", R_AT],
        ["solve", "x^2 + y^2 - 4, x - y", "--from", "x=1,y=0"],
        ["solve", "cos(x) = x", "--from", "x=1"],
        ["codegen", F, "--lang", "numpy", "--check"],
        ["codegen", "x*y, sin(x)", "--lang", "python", "--jacobian", "-o", str(tmp_path / "jac.py")],
    ]


def schema(command: str) -> dict[str, Any]:
    """The schema shipped as package data of adcalc.cli."""
    return json.loads(resources.files("adcalc.cli").joinpath(f"schemas/{command}.json").read_text())


# --- one JSON schema --------------------------------------------------------------------------
def test_a_schema_file_per_command_with_one_schema_per_key() -> None:
    """The same key has the same schema in every command (a concept has one key and one type)."""
    seen: dict[str, tuple[str, Any]] = {}
    for command in COMMANDS:
        document = schema(command)
        jsonschema.Draft202012Validator.check_schema(document)
        for key, rule in document["properties"].items():
            if key == "command":
                assert rule == {"const": command}
                continue
            first = seen.setdefault(key, (command, rule))
            assert rule == first[1], f"'{key}' differs between {first[0]} and {command}"
        assert {"command", "expression", "warnings"} <= set(document["required"])


def test_every_command_json_matches_its_schema(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for args in cases(tmp_path):
        done = run_inprocess([*args, "--json"], capsys)
        assert done.code == 0, (args, done.stderr)
        document = json.loads(done.stdout)
        assert document["command"] == args[0]
        jsonschema.validate(document, schema(args[0]))


def test_documents_with_warnings_match_too(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (
        ["grad", "sqrt(x^2)*y", "--at", "x=0,y=2"],
        ["hessian", "abs(x)*y", "--at", "x=0,y=2"],
        ["jacobian", "max(x, y), x", "--at", "x=1,y=1"],
        ["eval", "log(x)", "--at", "x=0"],
        ["plot", "sqrt(x)", "--x", "-1:1"],
    ):
        done = run_inprocess([*args, "--json"], capsys)
        assert done.code == 0, done.stderr
        document = json.loads(done.stdout)
        jsonschema.validate(document, schema(args[0]))
        assert document["warnings"], args
        for text in document["warnings"]:  # and each on standard error as well
            assert f"warning: {text}" in done.stderr


def test_consistent_keys_across_commands(capsys: pytest.CaptureFixture[str]) -> None:
    def doc(*args: str) -> dict[str, Any]:
        done = run_inprocess([*args, "--json"], capsys)
        assert done.code == 0, done.stderr
        return json.loads(done.stdout)

    jvp = doc("jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1,y=3")
    assert jvp["directional"] == 5.0 and jvp["direction"] == {"x": 1.0, "y": 3.0}
    explained = doc("explain", "x*y", "--at", "x=1,y=2", "--mode", "forward", "--dir", "x=1,y=3")
    assert explained["directional"] == jvp["directional"] and explained["direction"] == jvp["direction"]
    assert doc("hvp", "x^2*y", "--at", "x=1,y=2", "--dir", "x=1")["hvp"] == {"x": 4.0, "y": 2.0}
    assert doc("diff", "sin(x)*y", "--wrt", "x")["symbolic"] == {"x": "cos(x)*y"}
    assert doc("jacobian", "x*y, x+y", "--at", "x=1,y=2")["value"] == {"x*y": 2.0, "x+y": 3.0}
    assert doc("taylor", "exp(x)", "--at", "x=0", "--order", "2")["variable"] == "x"
    assert doc("grad", "x^3", "--at", "x=2", "--order", "2")["variable"] == "x"
    for command in ("grad", "hessian", "check", "explain"):
        assert doc(command, "x*y", "--at", "x=1,y=2")["gradient"] == {"x": 2.0, "y": 1.0}, command
    assert doc("graph", "x*y")["command"] == "graph"


# --- warnings -----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["grad", "sqrt(x^2)*y", "--at", "x=0,y=2"], "derivative undefined (NaN) for x"),
        (["grad", "abs(x)*y", "--at", "x=0,y=2"], "abs(x) at 0: derivative 0 used"),
        (["hessian", "max(x, y)^2", "--at", "x=1,y=1"], "max(x, y) with tied arguments"),
        (["jvp", "max(x, y, z)", "--at", "x=1,y=1,z=1", "--dir", "x=1"], "tied arguments"),
        (["explain", "abs(x)", "--at", "x=0"], "abs(x) at 0"),
        (["taylor", "floor(x)*x", "--at", "x=2"], "floor(x) at an integer"),
        (["check", "abs(x)*y", "--at", "x=0,y=2"], "abs(x) at 0"),
        (["grad", "sqrt(x)", "--at", "x=0"], "derivative infinite for x"),
        (["hvp", "abs(x)*y", "--at", "x=0,y=1", "--dir", "x=1"], "abs(x) at 0"),
        (["eval", "log(x)", "--at", "x=0"], "value is infinite"),
        (["grad", ROSENBROCK, "--at", "x=[0,1,0,1]"], None),  # nothing to warn about: no warning
    ],
)
def test_warnings_in_every_mode(
    args: list[str], needle: str | None, capsys: pytest.CaptureFixture[str]
) -> None:
    table = run_inprocess(args, capsys)
    document = json.loads(run_inprocess([*args, "--json"], capsys).stdout)
    if needle is None:
        assert document["warnings"] == [] and "warning" not in table.stderr
        return
    assert table.code == 0 and any(needle in text for text in document["warnings"]), document["warnings"]
    assert needle in table.stderr and table.stderr.startswith("warning: ")


def test_kink_warning_counts_elements_of_arrays(tmp_path: Path) -> None:
    program = adcalc.parse("input x[3]\nf = sum(abs(x))\noutput f\n", "abs.adl")
    result = adcalc.gradient(program, at={"x": np.array([0.0, 1.0, 0.0])})
    assert result.warnings == ["abs(x) at 0: derivative 0 used (abs has a kink there) in 2 of 3 elements"]
    assert adcalc.gradient("sin(x)*y", at={"x": 1.0, "y": 2.0}).warnings == []


# --- check is a gate ----------------------------------------------------------------------------
WRONG_RULE = "op softplus2(x) = log(1 + exp(x)) grad exp(x)\ninput t\ny = softplus2(t)\noutput y\n"


def test_check_passes_and_prints_its_tolerance(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["check", F, "--at", F_AT], capsys)
    assert done.code == 0, done.stderr
    assert "tolerance (--tol): 1e-06 for central differences, 1e-12 for the others" in done.stdout
    assert "check passed" in done.stdout
    document = json.loads(run_inprocess(["check", F, "--at", F_AT, "--json"], capsys).stdout)
    assert document["passed"] is True and document["tolerance"] == 1e-6
    tolerances = {m["method"]: m["tolerance"] for m in document["methods"]}
    assert tolerances["central differences"] == 1e-6 and tolerances["forward AD"] == 1e-12
    assert all(m["passed"] for m in document["methods"])


def test_check_fails_naming_the_method_and_the_element(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["check", "-", "--at", "t=0.7"], capsys, stdin=WRONG_RULE)
    assert done.code == 1
    assert "check failed: central differences disagrees with reverse AD at t:" in done.stderr
    assert "check failed: complex step disagrees with reverse AD at t:" in done.stderr
    assert "forward AD" not in done.stderr  # it uses the same (wrong) rule: it agrees
    assert "check FAILED" in done.stdout
    document = json.loads(run_inprocess(["check", "-", "--at", "t=0.7", "--json"], capsys, WRONG_RULE).stdout)
    assert document["passed"] is False
    verdicts = {m["method"]: (m["passed"], m["failed"]) for m in document["methods"]}
    assert verdicts["central differences"] == (False, ["t"]) and verdicts["forward AD"] == (True, [])


def test_check_tolerance_is_settable(capsys: pytest.CaptureFixture[str]) -> None:
    # central differences lose ~5 digits here: a tolerance below their error fails, above passes
    strict = run_inprocess(["check", F, "--at", F_AT, "--tol", "1e-13", "--json"], capsys)
    assert strict.code == 1 and "central differences disagrees with reverse AD at x2" in strict.stderr
    assert json.loads(strict.stdout)["tolerance"] == 1e-13
    loose = run_inprocess(["check", "-", "--at", "t=0.7", "--tol", "1e6"], capsys, stdin=WRONG_RULE)
    assert loose.code == 0, loose.stderr  # 0.67 is within 1e6 · 1e-6 for the exact methods too
    assert run_inprocess(["check", F, "--at", F_AT, "--tol", "0"], capsys).code == 2


def test_a_method_that_does_not_apply_does_not_fail_the_gate(capsys: pytest.CaptureFixture[str]) -> None:
    document = json.loads(run_inprocess(["check", "abs(x)*y", "--at", "x=1,y=2", "--json"], capsys).stdout)
    methods = {m["method"]: m for m in document["methods"]}
    assert methods["complex step"]["passed"] is None and document["passed"] is True


# --- tables never cut a number -----------------------------------------------------------------
NUMBER = re.compile(r"(?<![\w.])-?(?:[0-9]+\.[0-9]+(?:e[-+][0-9]+)?|[0-9]+e[-+][0-9]+|NaN|Infinity)(?![\w.])")


def numbers_of(value: Any) -> set[float]:
    """Every float in a result's to_dict(), arrays and nested dicts included."""
    if isinstance(value, dict):
        return set().union(*map(numbers_of, value.values())) if value else set()
    if isinstance(value, list | tuple):
        return set().union(*map(numbers_of, value)) if value else set()
    if hasattr(value, "tolist"):
        return numbers_of(value.tolist())
    if isinstance(value, float):
        return {value}
    return set()


def expected(args: list[str]) -> set[float]:
    """The numbers of the answer computed by the Python API, beside the CLI's rendering."""
    command, expr, *rest = args
    options = dict(zip(rest[::2], rest[1::2], strict=True))
    from adcalc.cli.values import parse_at

    point = parse_at([options.get("--at", "")]) if "--at" in options else {}
    graph = adcalc.parse(Path(expr).read_text(), expr) if expr.endswith(".adl") else None
    if command == "jacobian" and graph is None:
        graph = [adcalc.parse(part) for part in expr.split(", ")]
    graph = graph or adcalc.parse(expr)
    direction = parse_at([options["--dir"]]) if "--dir" in options else None
    if command == "eval":
        result = adcalc.evaluate(graph, at=point)
    elif command == "grad" and "--order" in options:
        result = adcalc.derivative(graph, at=point, order=int(options["--order"]))
    elif command == "grad":
        result = (adcalc.gradient_forward if options.get("--mode") == "forward" else adcalc.gradient)(
            graph, point
        )
    elif command == "jvp":
        result = adcalc.jvp(graph, at=point, direction=direction)
    elif command == "hvp":
        result = adcalc.hvp(graph, at=point, direction=direction)
    elif command == "jacobian":
        result = adcalc.jacobian(graph, at=point)
    elif command == "hessian":
        result = adcalc.hessian(graph, at=point)
    elif command == "taylor":
        result = adcalc.taylor(graph, at=point, order=int(options["--order"]))
    elif command == "explain":
        result = adcalc.explain(graph, at=point, mode=options.get("--mode", "reverse"), direction=direction)
    else:
        raise AssertionError(command)
    found = numbers_of(result.to_dict())
    if command == "jacobian":
        found |= {v for row in result.rows for v in row}
    if command == "hessian" and result.elementwise:
        found |= set(result.flat_gradient)
    return found


TABLE_CASES = [
    ["eval", F, "--at", F_AT],
    ["grad", F, "--at", F_AT],
    ["grad", "x^5*sin(x)", "--at", "x=0.7", "--order", "3"],
    ["grad", ROSENBROCK, "--at", R_AT],
    ["jvp", F, "--at", F_AT, "--dir", "x1=1,x2=3"],
    ["jvp", ROSENBROCK, "--at", R_AT, "--dir", "x=[1,0,0.5,0]"],
    ["hvp", F, "--at", F_AT, "--dir", "x1=1"],
    ["hvp", ROSENBROCK, "--at", R_AT, "--dir", "x=[1,0,0,0]"],
    ["jacobian", "x1*sin(x2), ln(x1)*x2", "--at", F_AT],
    ["hessian", F, "--at", F_AT],
    ["hessian", ROSENBROCK, "--at", R_AT],
    ["taylor", "exp(sin(x))", "--at", "x=0.3", "--order", "5"],
    ["explain", F, "--at", F_AT],
    ["explain", F, "--at", F_AT, "--mode", "forward", "--dir", "x1=1"],
]


def widest(text: str) -> int:
    """The widest line in terminal cells (a combining mark, as in v̄, takes none)."""
    from rich.cells import cell_len

    return max(map(cell_len, text.splitlines()))


def assert_full_numbers(text: str, truth: set[float], args: list[str]) -> None:
    """Every number the output shows is one of the answer's numbers, exactly (float(text) == value),
    and no number is cut off with '…'."""
    assert not re.search(r"[0-9]…|…[0-9]", text), f"a number is cut in {args}:\n{text}"
    tokens = NUMBER.findall(text)
    assert tokens, text
    shown = {float(token.replace("Infinity", "inf")) for token in tokens}
    unknown = {x for x in shown if x not in truth and not any(math.isnan(t) for t in truth if math.isnan(x))}
    assert not unknown, f"{args}: shown but not in the answer: {sorted(unknown)}\n{text}"
    primary = {x for x in truth if abs(x) not in (0.0, 1.0)}
    assert len(shown & primary) >= min(3, len(primary)), f"{args}: few of the answer's numbers shown\n{text}"


@pytest.mark.parametrize("columns", [60, 200])
@pytest.mark.parametrize("args", TABLE_CASES, ids=lambda a: " ".join(a[:2]).replace(str(EXAMPLES) + "/", ""))
def test_tables_show_every_number_in_full(
    args: list[str], columns: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    done = run_inprocess(args, capsys)
    assert done.code == 0, done.stderr
    assert widest(done.stdout) <= columns or "─" not in done.stdout
    assert_full_numbers(done.stdout, expected(args), args)


@pytest.mark.parametrize("columns", [60, 200])
@pytest.mark.parametrize("expr", [F, ROSENBROCK])
def test_check_values_in_full(
    expr: str, columns: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    point = F_AT if expr == F else R_AT
    from adcalc.cli.values import parse_at

    graph = adcalc.parse(Path(expr).read_text(), expr) if expr.endswith(".adl") else expr
    truth = adcalc.check(graph, at=parse_at([point]))
    done = run_inprocess(["check", expr, "--at", point], capsys)
    assert done.code == 0, done.stderr
    assert not re.search(r"[0-9]…|…[0-9]", done.stdout), done.stdout
    tokens = set(NUMBER.findall(done.stdout))
    for method in truth.methods:  # every method's every partial, in full
        for value in (method.values or {}).values():
            assert repr(value) in tokens, (method.name, value, done.stdout)


def test_a_table_too_wide_folds_into_blocks(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "30")
    done = run_inprocess(["check", F, "--at", F_AT], capsys)
    assert "  central differences: 1.7163378145712787" in done.stdout or "1.7163378145712787" in done.stdout
    assert not re.search(r"[0-9]…|…[0-9]", done.stdout)
    assert "x2\n  reverse AD: 1.7163378145367738\n" in done.stdout  # one variable per block


def test_digits_is_an_explicit_precision(capsys: pytest.CaptureFixture[str]) -> None:
    State.digits = 4  # what --digits 4 sets (parsed in cli/options by its own change)
    try:
        from adcalc.cli import render

        assert render.number(1.7163378145367738) == "1.716" and render.number(math.inf) == "Infinity"
    finally:
        State.digits = None
    assert render.number(1.7163378145367738) == "1.7163378145367738"


def test_long_graph_says_how_much_is_drawn(tmp_path: Path, capsys, monkeypatch) -> None:
    lines = ["input x", "y0 = x", *(f"y{i} = sin(y{i - 1}) + x" for i in range(1, 2500)), "output y2499"]
    program = tmp_path / "long.adl"
    program.write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("COLUMNS", "80")
    done = run_inprocess(["graph", str(program)], capsys)
    assert done.code == 0, done.stderr
    notice = re.search(r"… ([0-9,]+) more nodes; --format dot for all", done.stdout)
    assert notice, done.stdout[-400:]
    drawn = int(notice.group(1).replace(",", ""))
    assert 4900 < drawn < 4999 and widest(done.stdout) <= 80
    assert "more nodes" not in run_inprocess(["graph", "sin(x*y)*sin(x*y) + x*y"], capsys).stdout


# --- a real pseudo-terminal ---------------------------------------------------------------------
def run_pty(args: list[str], columns: int) -> str:
    """adcalc ARGS as a process whose standard output is a terminal `columns` wide."""
    import fcntl
    import pty
    import struct
    import termios

    command = shutil.which("adcalc", path=str(Path(sys.executable).parent))
    argv = [command] if command else [sys.executable, "-m", "adcalc"]
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    env = {**os.environ, "COLUMNS": str(columns), "LINES": "40"}
    process = subprocess.Popen([*argv, *args], stdin=subprocess.DEVNULL, stdout=slave, stderr=slave, env=env)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 1 << 16)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert process.wait(timeout=60) == 0
    text = b"".join(chunks).decode().replace("\r\n", "\n")
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07", "", text)  # colours and styles


@pytest.mark.parametrize("columns", [60, 200])
@pytest.mark.parametrize(
    "args", [TABLE_CASES[1], TABLE_CASES[3], TABLE_CASES[8], TABLE_CASES[10], TABLE_CASES[12]]
)
def test_under_a_pseudo_terminal(args: list[str], columns: int) -> None:
    text = run_pty(args, columns)
    assert widest(text) <= columns or "─" not in text
    assert_full_numbers(text, expected(args), args)


def test_check_gate_at_the_edge_of_the_domain(capsys: pytest.CaptureFixture[str]) -> None:
    # log at x = 1e-9: the difference step (6e-6) leaves the domain, so central differences do
    # not apply there; every other method agrees with the exact 1/x = 1e9, and the gate passes
    done = run_inprocess(["check", "log(x)", "--at", "x=1e-9", "--json"], capsys)
    document = json.loads(done.stdout)
    assert done.code == 0 and document["passed"] is True
    methods = {m["method"]: m for m in document["methods"]}
    assert methods["central differences"]["passed"] is None
    assert "leaves the domain" in methods["central differences"]["note"]
    assert methods["complex step"]["gradient"]["x"] == pytest.approx(1e9, rel=1e-12)
    # sqrt at 0: the derivative is infinite; no approximation is held to it
    done = run_inprocess(["check", "sqrt(x)", "--at", "x=0", "--json"], capsys)
    assert done.code == 0 and json.loads(done.stdout)["gradient"]["x"] == "Infinity"
