"""diff --format latex, --simplify sympy, hessian and explain --format latex from the command line."""

from __future__ import annotations

import json
import sys

import pytest

from tests.cli.helpers import run_inprocess


def test_diff_latex(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["diff", "2*x^3", "--format", "latex"], capsys)
    assert done.code == 0 and done.stdout == "\\frac{\\partial f}{\\partial x} = 6 x^{2}\n"
    done = run_inprocess(["diff", "x^2*y", "-f", "latex", "--order", "2"], capsys)
    assert done.stdout.splitlines() == [
        r"\begin{aligned}",
        r"  \frac{\partial^{2} f}{\partial x^{2}} &= 2 y \\",
        r"  \frac{\partial^{2} f}{\partial y^{2}} &= 0",
        r"\end{aligned}",
    ]


def test_diff_latex_json_has_the_printed_latex(capsys: pytest.CaptureFixture[str]) -> None:
    printed = run_inprocess(["diff", "exp(-x)/(1+exp(-x))", "-f", "latex"], capsys).stdout
    document = json.loads(
        run_inprocess(["diff", "exp(-x)/(1+exp(-x))", "-f", "latex", "--json"], capsys).stdout
    )
    assert document["latex"] + "\n" == printed and list(document)[-1] == "warnings"
    assert "latex" not in json.loads(run_inprocess(["diff", "x^2", "--json"], capsys).stdout)


def test_diff_simplify_sympy(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("sympy")
    done = run_inprocess(["diff", "sin(x)^2 + cos(x)^2 + x*y", "--simplify", "sympy"], capsys)
    assert done.code == 0 and done.stdout == "∂f/∂x = y\n∂f/∂y = x\n"


def test_diff_simplify_sympy_without_sympy(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "sympy", None)
    done = run_inprocess(["diff", "x^2", "--simplify", "sympy"], capsys)
    assert done.code == 2 and done.stdout == ""
    assert done.stderr.strip().splitlines() == [
        "error: Bad usage: simplify sympy needs SymPy, which is not installed: pip install 'adcalc[sympy]'"
    ]


def test_hessian_latex(capsys: pytest.CaptureFixture[str]) -> None:
    # x^2*y at (1, 2): gradient (2xy, x^2) = (4, 1), Hessian [[2y, 2x], [2x, 0]] = [[4, 2], [2, 0]]
    done = run_inprocess(["hessian", "x^2*y", "--at", "x=1,y=2", "--format", "latex"], capsys)
    assert done.code == 0 and done.stdout.splitlines() == [
        "% f = x^2*y at x = 1.0, y = 2.0",
        "% rows and columns: x, y",
        r"\begin{aligned}",
        r"  f &= 2 \\",
        r"  \nabla f &= \begin{pmatrix} 4 \\ 1 \end{pmatrix} \\",
        r"  \nabla^{2} f &= \begin{pmatrix} 4 & 2 \\ 2 & 0 \end{pmatrix}",
        r"\end{aligned}",
    ]


def test_hessian_latex_raises_the_column_limit_for_wide_matrices(capsys: pytest.CaptureFixture[str]) -> None:
    # sum(x^2) over 12 elements: Hessian 2I, gradient 2x
    at = "x=[" + ",".join(str(k) for k in range(12)) + "]"
    lines = run_inprocess(["hessian", "sum(x^2)", "--at", at, "-f", "latex"], capsys).stdout.splitlines()
    assert lines[2] == r"\setcounter{MaxMatrixCols}{12}"
    assert lines[5].startswith(r"  \nabla f &= \begin{pmatrix} 0 \\ 2 \\ 4 \\ ")
    assert lines[6].count("&") == 11 * 12 + 1 and lines[6].count(" 2 ") == 12


def test_explain_latex_is_the_textbook_trace(capsys: pytest.CaptureFixture[str]) -> None:
    # Baydin et al. (2018), tables 2 and 3: f = ln(x1) + x1*x2 - sin(x2) at (2, 5)
    args = ["explain", "ln(x1) + x1*x2 - sin(x2)", "--at", "x1=2,x2=5", "--format", "latex"]
    lines = run_inprocess(args, capsys).stdout.splitlines()
    assert lines[:4] == [
        "% f = ln(x1) + x1*x2 - sin(x2) at x1 = 2.0, x2 = 5.0",
        r"\begin{array}{lll}",
        r"  \multicolumn{3}{l}{\text{Forward primal trace}} \\",
        r"  v_{-1} & = x_{1} & = 2 \\",
    ]
    assert r"  v_{1} & = \ln\left(v_{-1}\right) & = 0.6931471805599453 \\" in lines
    assert (
        r"  \bar{v}_{-1} & = \bar{v}_{-1} + \bar{v}_{1} \frac{\partial v_{1}}{\partial v_{-1}}"
        r" = \bar{v}_{-1} + \bar{v}_{1} \cdot \frac{1}{v_{-1}} & = 5.5 \\" in lines
    )
    assert lines[-3:] == [
        r"  \bar{x}_{1} & = \bar{v}_{-1} & = 5.5 \\",
        r"  \bar{x}_{2} & = \bar{v}_{0} & = 1.7163378145367738",
        r"\end{array}",
    ]
    forward = run_inprocess([*args, "--mode", "forward", "--dir", "x1=1"], capsys).stdout.splitlines()
    assert r"  \dot{v}_{2} & = v_{0} \dot{v}_{-1} + v_{-1} \dot{v}_{0} & = 5 \\" in forward
    assert forward[-2] == r"  \dot{v}_{5} & = \dot{v}_{4} - \dot{v}_{3} & = 5.5"  # ∂f/∂x1 = 1/x1 + x2


@pytest.mark.parametrize(
    "args",
    [
        ["diff", "x^2", "--format", "png"],
        ["explain", "x^2", "--at", "x=1", "--format", "latex", "--mode", "sideways"],
        ["diff", "x^2", "--simplify", "maxima"],
        ["hessian", "x^2", "--at", "x=1", "--format", "text"],
    ],
)
def test_bad_choices_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(args, capsys)
    assert done.code == 2 and done.stderr.startswith("error: ") and len(done.stderr.strip().splitlines()) == 1
