"""`.adl` programs through the command line: array values, files, matrix tables, JSON, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import run_inprocess, run_subprocess

QUADRATIC = "# x'Ax\ninput x[2], A[2, 2]\nf = x' @ A @ x\noutput f\n"


@pytest.fixture
def quadratic(tmp_path: Path) -> Path:
    path = tmp_path / "quadratic.adl"
    path.write_text(QUADRATIC)
    return path


def test_array_literals_and_json_gradient(quadratic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["grad", str(quadratic), "--at", "x=[1, 2],A=[[1, 2], [3, 4]]", "--json"], capsys)
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["value"] == 27.0  # [1 2] [[1 2] [3 4]] [1 2]ᵀ = 1 + 4 + 6 + 16
    assert document["gradient"]["x"] == [12.0, 21.0]  # (A + Aᵀ) x = [[2, 5], [5, 8]] [1, 2]
    assert document["gradient"]["A"] == [[1.0, 2.0], [2.0, 4.0]]  # x xᵀ, nested lists
    assert document["at"]["A"] == [[1.0, 2.0], [3.0, 4.0]]


def test_values_from_json_and_npy_files(
    quadratic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "A.json").write_text("[[1, 2], [3, 4]]")
    np.save(tmp_path / "x.npy", np.array([1.0, 2.0]))
    at = f"x=@{tmp_path / 'x.npy'},A=@{tmp_path / 'A.json'}"
    done = run_inprocess(["grad", str(quadratic), "--at", at, "--json"], capsys)
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["gradient"]["A"] == [[1.0, 2.0], [2.0, 4.0]]


def test_matrix_gradient_prints_as_a_matrix(quadratic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["grad", str(quadratic), "--at", "x=[1, 2],A=[[1, 2], [3, 4]]"], capsys)
    assert done.code == 0
    lines = done.stdout.splitlines()
    title = lines.index(next(line for line in lines if line.startswith("∂f/∂A")))
    table = "\n".join(lines[title : title + 7])
    # header with column numbers, then one line per matrix row: row number, then the row
    assert "┃   ┃   1 ┃   2 ┃" in table
    assert "│ 1 │ 1.0 │ 2.0 │" in table
    assert "│ 2 │ 2.0 │ 4.0 │" in table
    assert "2×2 matrix" in done.stdout


def test_declared_shape_is_enforced(quadratic: Path, capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["grad", str(quadratic), "--at", "x=[1, 2, 3],A=[[1, 2], [3, 4]]"], capsys)
    assert done.code == 2
    assert "x is declared [2] but its value has shape [3]" in done.stderr


@pytest.mark.parametrize("value", ["[[1, 2], [3]]", "@missing.json", "[1, 2"])
def test_bad_array_values(quadratic: Path, value: str, capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["grad", str(quadratic), "--at", f"x={value},A=[[1,0],[0,1]]"], capsys)
    assert done.code == 2
    assert done.stderr.startswith("error: Bad value")
    assert "Traceback" not in done.stderr


def test_several_outputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "two.adl"
    path.write_text("input x\na = x^2\nb = 3*x\noutput a, b\n")
    done = run_inprocess(["eval", str(path), "--at", "x=2", "--json"], capsys)
    assert json.loads(done.stdout)["value"] == {"a": 4.0, "b": 6.0}
    done = run_inprocess(["grad", str(path), "--at", "x=2"], capsys)
    assert done.code == 2
    assert "use `adcalc jacobian`" in done.stderr


def test_program_error_names_file_line_and_column(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.adl"
    path.write_text("input A[2, 3], x[2]\ny = A @ x\noutput y\n")
    done = run_inprocess(["grad", str(path), "--at", "x=[1,2]"], capsys)
    assert done.code == 2
    first, source, caret = done.stderr.splitlines()
    detail = "Shape mismatch: @: shapes [2, 3] and [2] do not match (inner sizes 3 and 2)"
    assert first == f"error: {path}:2:5: {detail}"
    assert source.strip() == "y = A @ x" and caret.strip() == "^~~~~"


def test_program_on_stdin_and_real_subprocess(capsys: pytest.CaptureFixture[str]) -> None:
    program = "input x\nif x > 0 { y = sqrt(x) } else { y = 0 }\noutput y\n"
    done = run_inprocess(["grad", "-", "--at", "x=[-1, 4]", "--json"], capsys, stdin=program)
    assert done.code == 2 and "declared a scalar" in done.stderr and "batch" in done.stderr  # one point
    done = run_inprocess(["grad", "-", "--at", "x=-1", "--json"], capsys, stdin=program)
    assert json.loads(done.stdout)["gradient"]["x"] == 0.0
    done = run_subprocess(["grad", "-", "--at", "x=4", "--json"], stdin=program)
    assert done.code == 0 and json.loads(done.stdout)["gradient"]["x"] == 0.25
