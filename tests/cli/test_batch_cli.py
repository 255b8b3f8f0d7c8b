"""`adcalc batch`: formats, the column contract, per-row errors, exit codes and streaming."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import run_inprocess, run_subprocess

ENGINES = ["arrow", "python"]  # pyarrow's CSV reader/writer, or the csv module


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def write(path: Path, text: str) -> str:
    path.write_text(text)
    return str(path)


@pytest.fixture
def table(tmp_path: Path) -> str:
    return write(tmp_path / "in.csv", "id,x,y,label\n7,1.0,2.0,a\n8,2,0.5,b\n9,-0.5,3,c\n")


@pytest.mark.parametrize("engine", ENGINES)
def test_csv_gradient_columns_and_pass_through(
    table: str, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    if engine == "arrow":
        pytest.importorskip("pyarrow")
    outcome = run_inprocess(["batch", "sin(x)*y", "-i", table, "--grad", "--text-engine", engine], capsys)
    assert outcome.code == 0, outcome.stderr
    rows = read_csv(outcome.stdout)
    assert list(rows[0]) == ["id", "label", "value", "d_x", "d_y", "error"]
    assert [r["id"] for r in rows] == ["7", "8", "9"] and [r["label"] for r in rows] == ["a", "b", "c"]
    for row, (x, y) in zip(rows, [(1.0, 2.0), (2.0, 0.5), (-0.5, 3.0)], strict=True):
        assert float(row["value"]) == math.sin(x) * y
        assert float(row["d_x"]) == math.cos(x) * y
        assert float(row["d_y"]) == math.sin(x)
        assert row["error"] == ""
    assert "3 rows read, 3 written, 0 failed" in outcome.stderr


def test_engines_agree_on_a_messy_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    text = 'id,x,y\n1,1,2\n2,abc,1\n3,,2\n4,0.5\n5,-1,1\n"6,q",4,1\n\n7,nan,1\n8,inf,1\n'
    path = write(tmp_path / "messy.csv", text)
    results, texts = [], []
    for engine in ENGINES:
        outcome = run_inprocess(["batch", "log(x)*y", "-i", path, "--grad", "--text-engine", engine], capsys)
        assert outcome.code == 1
        results.append(read_csv(outcome.stdout))
        texts.append(outcome.stdout)
    assert texts[0] == texts[1]  # the same bytes
    arrow, python = results
    assert [r["id"] for r in arrow] == ["1", "2", "3", "4", "5", "6,q", "7", "8"]
    assert [r["error"] for r in arrow] == [r["error"] for r in python]
    assert [r["error"] for r in arrow] == [
        "",
        "non-numeric value 'abc' for x",
        "missing or NaN value for x",
        "expected 3 fields but found 2",
        "log(-1) is undefined",
        "",
        "missing or NaN value for x",
        "",
    ]
    for a, p in zip(arrow, python, strict=True):
        assert [float(a[k] or "nan") for k in ("value", "d_x")] == pytest.approx(
            [float(p[k] or "nan") for k in ("value", "d_x")], nan_ok=True
        )
    assert arrow[7]["value"] == "inf" and arrow[7]["d_x"] == "0.0"  # computed, not failed
    assert arrow[1]["value"] == "" and arrow[5]["value"] == str(math.log(4))


def test_on_error_modes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "in.csv", "x\n4\n-1\n9\n-2\n")
    marked = run_inprocess(["batch", "sqrt(x)", "-i", path], capsys)
    assert marked.code == 1
    assert [r["error"] for r in read_csv(marked.stdout)] == [
        "",
        "sqrt(-1) is undefined",
        "",
        "sqrt(-2) is undefined",
    ]
    assert "4 rows read, 4 written, 2 failed" in marked.stderr
    assert "first failure: row 2: sqrt(-1) is undefined" in marked.stderr

    skipped = run_inprocess(["batch", "sqrt(x)", "-i", path, "--on-error", "skip", "--quiet"], capsys)
    assert skipped.code == 1
    assert read_csv(skipped.stdout) == [{"value": "2.0"}, {"value": "3.0"}]
    assert "4 rows read, 2 written, 2 failed" in skipped.stderr  # reported even with --quiet

    failed = run_inprocess(["batch", "sqrt(x)", "-i", path, "--on-error", "fail"], capsys)
    assert failed.code == 1
    assert [float(r["value"]) for r in read_csv(failed.stdout)] == [2.0]  # rows before the failure
    assert failed.stderr.strip().splitlines() == ["error: Row failed: row 2: sqrt(-1) is undefined"]


def test_quiet_and_clean_exit(table: str, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["batch", "x+y", "-i", table, "--quiet"], capsys)
    assert outcome.code == 0 and outcome.stderr == ""


def test_hessian_columns_wrt_and_keep(table: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["batch", "x^2*y^3", "-i", table, "--hessian", "--wrt", "y,x", "--keep", "label"]
    rows = read_csv(run_inprocess(args, capsys).stdout)
    assert list(rows[0]) == ["label", "value", "d_y", "d_x", "d2_y_y", "d2_y_x", "d2_x_x", "error"]
    x, y = 2.0, 0.5
    row = rows[1]
    assert float(row["d2_y_y"]) == 6 * x**2 * y
    assert float(row["d2_y_x"]) == 6 * x * y**2
    assert float(row["d2_x_x"]) == 2 * y**3
    none = read_csv(run_inprocess(["batch", "x", "-i", table, "--keep", "none"], capsys).stdout)
    assert list(none[0]) == ["value", "error"]


def test_jsonl_in_and_out(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = [
        '{"id": "a", "x": 1, "y": 2}',
        "not json",
        '{"id": "c", "x": "3", "y": true}',
        '{"id": "d", "x": 2}',
    ]
    path = write(tmp_path / "in.jsonl", "\n".join(lines) + "\n")
    outcome = run_inprocess(["batch", "x*y", "-i", path, "--grad"], capsys)
    records = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert records[0] == {"id": "a", "value": 2.0, "d_x": 2.0, "d_y": 1.0, "error": None}
    assert records[1]["error"].startswith("invalid JSON") and records[1]["value"] is None
    assert records[2]["error"] == "non-numeric value true for y"
    assert records[3]["error"] == "missing or NaN value for y"
    assert outcome.code == 1


def test_json_array_and_tsv(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "in.json", json.dumps([{"x": 0.0, "n": 1}, {"x": 1.0, "n": 2}]))
    outcome = run_inprocess(["batch", "exp(x)", "-i", path, "-f", "json", "--grad"], capsys)
    assert json.loads(outcome.stdout) == [
        {"n": 1, "value": 1.0, "d_x": 1.0, "error": None},
        {"n": 2, "value": math.e, "d_x": math.e, "error": None},
    ]
    tsv = write(tmp_path / "in.tsv", "x\tname\n2\tp q\n")
    out = tmp_path / "out.tsv"
    assert run_inprocess(["batch", "x*x", "-i", tsv, "-o", str(out)], capsys).code == 0
    assert out.read_text().splitlines() == ["name\tvalue\terror", "p q\t4.0\t"]


def test_empty_json_array_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path / "in.csv", "x\n")
    outcome = run_inprocess(["batch", "x", "-i", path, "-f", "json"], capsys)
    assert outcome.code == 0 and json.loads(outcome.stdout) == []


def test_numpy_inputs(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    x = np.linspace(0.5, 2, 5)
    structured = np.zeros(5, dtype=[("x", float), ("k", int)])
    structured["x"], structured["k"] = x, np.arange(5)
    np.save(tmp_path / "s.npy", structured)
    np.savez(tmp_path / "z.npz", x=x, k=np.arange(5))
    np.save(tmp_path / "plain.npy", x.reshape(-1, 1))
    for name in ("s.npy", "z.npz", "plain.npy"):
        outcome = run_inprocess(["batch", "log(x)", "-i", str(tmp_path / name), "--grad"], capsys)
        rows = read_csv(outcome.stdout)
        assert [float(r["d_x"]) for r in rows] == pytest.approx(1 / x, rel=1e-15), name
        assert [r.get("k") for r in rows] == (
            [None] * 5 if name == "plain.npy" else ["0", "1", "2", "3", "4"]
        )


def test_parquet_round_trip(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1.0, 4.0, -1.0], "tag": ["a", "b", "c"]}), tmp_path / "in.parquet")
    out = tmp_path / "out.parquet"
    outcome = run_inprocess(
        ["batch", "sqrt(x)", "-i", str(tmp_path / "in.parquet"), "-o", str(out), "--grad"], capsys
    )
    assert outcome.code == 1
    result = pq.read_table(out).to_pydict()
    assert result["tag"] == ["a", "b", "c"]
    assert result["value"] == [1.0, 2.0, None] and result["d_x"] == [0.5, 0.25, None]
    assert result["error"] == [None, None, "sqrt(-1) is undefined"]


def test_bad_usage_is_exit_2(table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = run_inprocess(["batch", "x*z", "-i", table], capsys)
    assert missing.code == 2
    assert missing.stderr.strip() == (
        "error: Bad usage: the input has no column for variable(s) z (columns: id, x, y, label)"
    )
    assert run_inprocess(["batch", "x", "-i", table, "--keep", "nope"], capsys).code == 2
    assert run_inprocess(["batch", "x", "-i", str(tmp_path / "absent.csv")], capsys).code == 2
    assert run_inprocess(["batch", "x", "-i", write(tmp_path / "a.dat", "x\n1\n")], capsys).code == 2
    assert run_inprocess(["batch", "x", "-i", write(tmp_path / "e.csv", "")], capsys).code == 2


def test_many_chunks_keep_order_and_count(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from adcalc.cli import formats

    monkeypatch.setattr(formats, "BLOCK_BYTES", 64)  # a chunk every few rows
    rows = 500
    x = np.random.default_rng(3).uniform(-1, 1, rows)
    x[[17, 250]] = -5.0  # log(1 + x) undefined
    text = "i,x\n" + "".join(f"{k},{v!r}\n" for k, v in enumerate(x.tolist()))
    path = write(tmp_path / "big.csv", text)
    for mode in ("mark", "skip"):
        outcome = run_inprocess(["batch", "log(1 + x)", "-i", path, "--grad", "--on-error", mode], capsys)
        out = read_csv(outcome.stdout)
        kept = [k for k in range(rows) if k not in (17, 250)] if mode == "skip" else list(range(rows))
        assert [int(r["i"]) for r in out] == kept
        good = [r for r in out if not r.get("error")]
        assert [float(r["d_x"]) for r in good] == pytest.approx(
            [1 / (1 + x[int(r["i"])]) for r in good], rel=1e-15
        )
        assert f"{rows} rows read, {len(kept)} written, 2 failed" in outcome.stderr


def test_adl_program(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = write(tmp_path / "m.adl", "input x, y\nz = x*x + y\nf = log(z)\noutput f\n")
    table = write(tmp_path / "in.csv", "x,y\n1,2\n")
    row = read_csv(run_inprocess(["batch", program, "-i", table, "--grad"], capsys).stdout)[0]
    assert float(row["value"]) == math.log(3) and float(row["d_x"]) == 2 / 3


def test_subprocess_stdin_to_stdout() -> None:
    outcome = run_subprocess(
        ["batch", "x*y", "-i", "-", "--grad", "--input-format", "csv"], stdin="x,y\n2,3\n"
    )
    assert outcome.code == 0
    assert read_csv(outcome.stdout)[0]["d_x"] == "3.0"
    assert outcome.stderr.startswith("adcalc batch: 1 rows read, 1 written, 0 failed")


def test_first_rows_arrive_before_the_input_ends() -> None:
    # a pipe that delivers two rows and then waits: their results must come out while it waits
    command = [sys.executable, "-m", "adcalc", "batch", "x*2", "-i", "-", "--input-format", "jsonl"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b'{"x": 1}\n{"x": 2}\n')
        process.stdin.flush()
        received = b""
        deadline = time.monotonic() + 30
        while received.count(b"\n") < 2 and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:
                received += os.read(process.stdout.fileno(), 4096)
        assert process.poll() is None, "the input is still open, the command must still run"
        assert [json.loads(line)["value"] for line in received.splitlines()] == [2.0, 4.0]
        process.stdin.write(b'{"x": 3}\n')
        process.stdin.close()
        rest = process.stdout.read()
        assert json.loads(rest.splitlines()[-1])["value"] == 6.0
        assert process.wait(30) == 0
    finally:
        process.kill()


@pytest.mark.parametrize("engine", ["python", "arrow"])
def test_csv_rows_arrive_before_the_input_ends(engine: str) -> None:
    # the same for CSV in and out, with either text engine: a chunk is written before the next
    # is read (an encode still running on its thread must not wait for more input)
    command = [sys.executable, "-m", "adcalc", "batch", "x*2", "-i", "-", "--text-engine", engine, "-q"]
    process = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        assert process.stdin is not None and process.stdout is not None
        process.stdin.write(b"x\n1\n2\n")
        process.stdin.flush()
        received = b""
        deadline = time.monotonic() + 30
        while received.count(b"\n") < 3 and time.monotonic() < deadline:
            ready, _, _ = select.select([process.stdout], [], [], 0.5)
            if ready:
                received += os.read(process.stdout.fileno(), 4096)
        assert process.poll() is None, "the input is still open, the command must still run"
        assert received.splitlines() == [b"value,error", b"2.0,", b"4.0,"]
        process.stdin.close()
        assert process.wait(30) == 0
    finally:
        process.kill()


def test_parquet_without_pyarrow_says_how_to_get_it(
    table: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    outcome = run_inprocess(["batch", "x", "-i", table, "-o", str(tmp_path / "out.parquet")], capsys)
    assert outcome.code == 2
    assert (
        outcome.stderr.strip()
        == "error: Bad usage: parquet output needs pyarrow: pip install 'adcalc[arrow]'"
    )
    outcome = run_inprocess(["batch", "x", "-i", table, "--grad"], capsys)  # CSV falls back to the csv module
    assert outcome.code == 0 and read_csv(outcome.stdout)[0]["d_x"] == "1.0"


def test_batch_program_with_custom_ops(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # y = smooth_relu(t) * t^3, smooth_relu = softplus: dy/dt = sigmoid(t) t^3 + 3 t^2 softplus(t)
    data = tmp_path / "t.csv"
    data.write_text("t\n0.7\n-2\n")
    example = Path(__file__).parents[2] / "examples" / "custom_op.adl"
    outcome = run_inprocess(["batch", str(example), "-i", str(data), "--grad", "-q"], capsys)
    assert outcome.code == 0, outcome.stderr
    rows = read_csv(outcome.stdout)
    for row, t in zip(rows, (0.7, -2.0), strict=True):
        softplus, sigmoid = math.log1p(math.exp(t)), 1 / (1 + math.exp(-t))
        assert float(row["value"]) == pytest.approx(softplus * t**3, rel=1e-14)
        assert float(row["d_t"]) == pytest.approx(sigmoid * t**3 + 3 * t**2 * softplus, rel=1e-14)
