"""`adcalc batch --propagate`: each row's value and first-order u from its u_<variable> columns,
against the one-point `adcalc propagate` and against closed forms; rows stay one to one."""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path

import pytest

from tests.cli.helpers import run_inprocess

ENGINES = ["arrow", "python"]
ROWS = [  # x, y, u_x, u_y (u_y empty: y exact in that row)
    (1.0, 2.0, 0.1, 0.2),
    (0.3, -1.5, 0.01, None),
    (2.5, 0.7, 0.0, 0.05),
    (-1.2, 4.0, 0.3, 0.4),
]
FORMULA = "sin(x)*exp(y/3) + x^2/y"


def csv_table(path: Path) -> str:
    lines = ["id,x,y,u_x,u_y"] + [
        f"{k},{x},{y},{ux},{'' if uy is None else uy}" for k, (x, y, ux, uy) in enumerate(ROWS)
    ]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def one_point(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    done = run_inprocess(["propagate", *args, "--json"], capsys)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


@pytest.mark.parametrize("engine", ENGINES)
def test_each_row_is_the_one_point_command(
    tmp_path: Path, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    done = run_inprocess(
        ["batch", FORMULA, "-i", csv_table(tmp_path / "in.csv"), "--propagate", "--text-engine", engine],
        capsys,
    )
    assert done.code == 0, done.stderr
    rows = read_csv(done.stdout)
    assert list(rows[0]) == ["id", "u_x", "u_y", "value", "u", "error"]
    assert [row["id"] for row in rows] == ["0", "1", "2", "3"]  # one to one, in order
    for row, (x, y, ux, uy) in zip(rows, ROWS, strict=True):
        at = f"x={x}±{ux},y={y}" + ("" if uy is None else f"±{uy}")
        point = one_point([FORMULA, "--at", at], capsys)
        assert float(row["value"]) == pytest.approx(point["value"], rel=1e-14)
        assert float(row["u"]) == pytest.approx(point["u"], rel=1e-13, abs=1e-300)


def test_a_product_row_by_row_against_its_closed_form(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "in.jsonl"
    records = [{"x": x, "y": y, "u_x": ux, "u_y": uy} for x, y, ux, uy in ROWS]
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    done = run_inprocess(["batch", "x*y", "-i", str(path), "--propagate", "--keep", "none"], capsys)
    assert done.code == 0, done.stderr
    for line, (x, y, ux, uy) in zip(done.stdout.splitlines(), ROWS, strict=True):
        row = json.loads(line)
        assert row["value"] == x * y
        assert row["u"] == pytest.approx(math.hypot(y * ux, x * (uy or 0.0)), rel=1e-14)


def test_no_u_column_means_exact(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    path.write_text("x,y,u_y\n2,3,0.5\n")
    done = run_inprocess(["batch", "x*y", "-i", str(path), "--propagate"], capsys)
    assert read_csv(done.stdout)[0]["u"] == "1.0"  # ∂(xy)/∂y · u_y = 2 · 0.5; x exact


def test_several_outputs_and_the_gradient(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    path.write_text("a,b,u_a,u_b\n1,2,0.1,0.2\n")
    done = run_inprocess(
        ["batch", "a+b, a*b", "-i", str(path), "--propagate", "--grad", "--keep", "none"], capsys
    )
    row = read_csv(done.stdout)[0]
    assert list(row)[:4] == ["value_a+b", "value_a*b", "u_a+b", "u_a*b"]
    assert float(row["u_a+b"]) == pytest.approx(math.hypot(0.1, 0.2), rel=1e-14)
    assert float(row["u_a*b"]) == pytest.approx(math.hypot(2 * 0.1, 1 * 0.2), rel=1e-14)
    assert float(row["d_a*b_a"]) == 2.0 and float(row["d_a*b_b"]) == 1.0


def test_bad_u_cells_fail_their_row_only(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "in.csv"
    path.write_text("x,u_x\n1,0.1\n2,-0.1\n3,abc\n4,inf\n5,0.2\n")
    done = run_inprocess(["batch", "x^2", "-i", str(path), "--propagate"], capsys)
    assert done.code == 1  # some rows failed (batch's documented exit code)
    rows = read_csv(done.stdout)
    assert len(rows) == 5 and [row["u"] for row in rows] == ["0.2", "", "", "", "2.0"]
    assert "standard uncertainty is finite and ≥ 0" in rows[1]["error"]
    assert "non-numeric value 'abc' for u_x" in rows[2]["error"]
    assert rows[4]["error"] == ""


@pytest.mark.parametrize(
    ("expression", "text", "args", "message"),
    [
        ("x^2", "x,y\n1,2\n", [], "the input has none"),
        ("x^2", "x,u_x\n1,2\n", ["--hessian"], "--propagate differentiates by every variable"),
        ("x^2", "x,u_x\n1,2\n", ["--wrt", "x"], "--propagate differentiates by every variable"),
        ("x*u_x", "x,u_x\n1,2\n", [], "the variable u_x reads as the uncertainty column of x"),
    ],
)
def test_usage_errors(
    tmp_path: Path,
    expression: str,
    text: str,
    args: list[str],
    message: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    path = tmp_path / "in.csv"
    path.write_text(text)
    done = run_inprocess(["batch", expression, "-i", str(path), "--propagate", *args], capsys)
    assert done.code == 2 and done.stdout == ""
    assert message in done.stderr.splitlines()[0]
