"""`adcalc minimize` and `adcalc solve` on the command line: JSON keys, exit codes, one-line errors,
the live table only on a terminal, and the 100-D extended Rosenbrock solved to ‖∇f‖ < 1e-8."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from .helpers import run_inprocess
from .test_output import run_pty

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROSENBROCK = "100*(y - x^2)^2 + (1 - x)^2"


def document(capsys: pytest.CaptureFixture[str], *args: str, code: int = 0) -> dict:
    done = run_inprocess([*args, "--json"], capsys)
    assert done.code == code, done.stderr
    return json.loads(done.stdout)


def test_extended_rosenbrock_100() -> None:
    # the one run of the 100-D problem: a .adl with a loop and `input x[100]`, started at the
    # classic point read from a JSON file, through the console script
    from .helpers import run_subprocess

    start = EXAMPLES / "rosenbrock100_start.json"
    done = run_subprocess(
        ["minimize", str(EXAMPLES / "rosenbrock100.adl"), "--from", f"x=@{start}", "--json"]
    )
    assert done.code == 0, done.stderr
    found = json.loads(done.stdout)
    x = np.array(found["x"]["x"])
    assert found["method"] == "L-BFGS-B" and found["success"] and x.shape == (100,)
    np.testing.assert_allclose(x, np.ones(100), atol=1e-8)
    a, b = x[0::2], x[1::2]  # the gradient written out by hand, pair by pair
    gradient = np.empty(100)
    gradient[0::2] = -400 * a * (b - a**2) - 2 * (1 - a)
    gradient[1::2] = 200 * (b - a**2)
    assert np.linalg.norm(gradient) < 1e-8 and found["optimality"] < 1e-8
    np.testing.assert_allclose(found["jac"]["x"], gradient, atol=1e-12)
    assert found["nhev"] == 0 and found["njev"] >= found["nit"] and found["x0"]["x"][:2] == [-1.2, 1.0]


def test_minimize_json_is_keyed_like_scipy(capsys: pytest.CaptureFixture[str]) -> None:
    found = document(capsys, "minimize", ROSENBROCK, "--from", "x=-1.2,y=1")
    assert found["command"] == "minimize" and found["expression"] == ROSENBROCK
    assert found["x"] == {"x": 1.0, "y": 1.0} and found["fun"] == 0.0 and found["success"] is True
    assert set(found["jac"]) == {"x", "y"} and found["method"] == "trust-exact" and found["status"] == 0
    for key in ("nit", "nfev", "njev", "nhev", "nhvp"):
        assert isinstance(found[key], int)
    assert found["warnings"] == [] and found["constraints"] == [] and found["bounds"] == {}


def test_minimize_with_bounds_and_constraints(capsys: pytest.CaptureFixture[str]) -> None:
    found = document(capsys, "minimize", "x + y", "--from", "x=0.5,y=0", "--subject-to", "x^2 + y^2 <= 1")
    assert found["method"] == "SLSQP"
    assert found["x"]["x"] == pytest.approx(-1 / math.sqrt(2), abs=1e-10)
    assert found["constraints"][0]["multiplier"] == pytest.approx(1 / math.sqrt(2), abs=1e-8)
    bounded = document(
        capsys, "minimize", "(x + 1)^2 + (y - 2)^2", "--from", "x=1,y=0", "--bounds", "x=0:inf,y=:1"
    )
    assert bounded["x"] == {"x": 0.0, "y": 1.0} and bounded["bounds"] == {
        "x": [0.0, "Infinity"],
        "y": ["-Infinity", 1.0],
    }


def test_fixed_inputs_and_method_choice(capsys: pytest.CaptureFixture[str]) -> None:
    found = document(capsys, "minimize", "(x - a)^2 + x^4", "--from", "x=0", "--at", "a=1", "-m", "newton-cg")
    # d/dx: 2(x - 1) + 4x³ = 0 has the one real root x³ + x/2 - 1/2 = 0
    roots = np.roots([4, 0, 2, -2])
    real = float(roots[np.abs(roots.imag) < 1e-12].real[0])
    assert found["method"] == "Newton-CG" and found["x"]["x"] == pytest.approx(real, abs=1e-9)
    assert found["nhvp"] > 0 and found["nhev"] == 0


def test_not_converged_exits_1_with_scipys_message(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(
        ["minimize", ROSENBROCK, "--from", "x=-1.2,y=1", "-m", "BFGS", "--maxiter", "2"], capsys
    )
    assert done.code == 1
    assert "NOT converged" in done.stdout
    assert (
        done.stderr == "error: minimize did not converge: Maximum number of iterations has been exceeded.\n"
    )
    found = document(
        capsys, "minimize", ROSENBROCK, "--from", "x=-1.2,y=1", "-m", "BFGS", "--maxiter", "2", code=1
    )
    assert found["success"] is False and found["nit"] == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["minimize", ROSENBROCK], "error: Bad usage: give a start point"),
        (["minimize", ROSENBROCK, "--from", "x=1"], "error: Missing value for variable(s): y"),
        (["minimize", ROSENBROCK, "--from", "x=1,y=1", "-m", "nelder"], "error: Bad value: unknown method"),
        (
            ["minimize", ROSENBROCK, "--from", "x=1,y=1", "--bounds", "x=1"],
            "expected lower:upper, such as x=0:inf",
        ),
        (
            ["minimize", ROSENBROCK, "--from", "x=1,y=1", "--subject-to", "x <= (y"],
            "error: --subject-to:1:8: Syntax",
        ),
        (["minimize", "sine(x)", "--from", "x=1"], "error: <expr>:1:1: Unknown function: 'sine'"),
        (["solve", "x - 1, y", "--from", "x=1"], "error: Missing value for variable(s): y"),
        (["solve", "x^2 + y^2 - 4", "--from", "x=1,y=1"], "needs as many equations as unknowns"),
        (["solve", "x^2 + 1", "--bracket", "0:1"], "f(a) and f(b) must have different signs"),
        (["solve", "x - 1", "--from", "x=1", "--order", "3"], "order must be 1 (Newton) or 2 (Halley)"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_inprocess(args, capsys)
    assert done.code == 2 and done.stderr.startswith("error: ") and message in done.stderr, done.stderr
    assert "Traceback" not in done.stderr


def test_undefined_at_the_start_is_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["minimize", "log(x)", "--from", "x=-1"], capsys)
    assert done.code == 1 and "log(-1) is undefined" in done.stderr


def test_tables_show_the_answer_and_the_costs(capsys: pytest.CaptureFixture[str], monkeypatch) -> None:
    monkeypatch.setenv("COLUMNS", "100")
    done = run_inprocess(["minimize", "(x - 1/3)^2 + y^2", "--from", "x=0,y=1", "--digits", "4"], capsys)
    assert done.code == 0, done.stderr
    assert "0.3333" in done.stdout and "0.3333333333333333" not in done.stdout  # --digits 4
    assert "evaluations: f " in done.stdout and "‖∇f‖ = " in done.stdout
    solved = run_inprocess(["solve", "x^2 + y^2 - 4, x - y", "--from", "x=1,y=0"], capsys)
    assert (
        solved.code == 0
        and "1.4142135623730951" in solved.stdout
        and "rank of J at x: 2 of 2" in solved.stdout
    )


def test_solve_json(capsys: pytest.CaptureFixture[str]) -> None:
    found = document(capsys, "solve", "x^2 + y^2 - 4, x - y", "--from", "x=1,y=0")
    assert found["x"]["x"] == pytest.approx(math.sqrt(2), rel=1e-15) and found["method"] == "hybr"
    assert set(found["fun"]) == {"x^2 + y^2 - 4", "x - y"} and found["residual_norm"] < 1e-14
    assert found["jacobian"]["x - y"] == {"x": 1.0, "y": -1.0} and found["rank"] == 2
    scalar = document(capsys, "solve", "cos(x) = x", "--from", "x=1", "--order", "2")
    assert scalar["method"] == "halley" and scalar["x"]["x"] == pytest.approx(0.7390851332151607, abs=2e-16)
    assert scalar["nhev"] > 0


def test_solve_failures_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    singular = run_inprocess(["solve", "x^2 - y, 2*x^2 - 2*y - 1", "--from", "x=1,y=0"], capsys)
    assert singular.code == 1
    assert "error: solve did not converge: the Jacobian is singular at the last iterate (rank 1 of 2)" in (
        singular.stderr
    )
    flat = run_inprocess(["solve", "x^2 - 2", "--from", "x=0"], capsys)
    assert flat.code == 1 and "the derivative is 0 at x = 0.0" in flat.stderr
    none = run_inprocess(["solve", "x^2 + 1", "--from", "x=0.5", "--json"], capsys)
    assert none.code == 1 and json.loads(none.stdout)["success"] is False
    assert '"kind": "NotConverged"' in none.stderr.splitlines()[-1]


def test_the_live_table_only_on_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["minimize", ROSENBROCK, "--from", "x=-1.2,y=1"]
    terminal = run_pty(args, 100)
    assert "iteration" in terminal and "‖∇f‖" in terminal and "step" in terminal
    assert "minimum: f = 0.0" in terminal
    piped = run_inprocess(args, capsys)  # stderr is no terminal here
    assert "iteration " not in piped.stdout + piped.stderr.replace("iterations;", "")
    as_json = run_pty([*args, "--json"], 100)
    assert as_json.lstrip().startswith("{") and "‖∇f‖" not in as_json
