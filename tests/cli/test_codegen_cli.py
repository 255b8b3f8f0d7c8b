"""`adcalc codegen` from the command line: files written, --check, exit codes, and `batch --engine`."""

from __future__ import annotations

import ctypes
import json
import subprocess
from pathlib import Path

import pytest
from adcalc.codegen.source.run import compiler

from tests.cli.helpers import run_inprocess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
needs_cc = pytest.mark.skipif(compiler() is None, reason="no C compiler on PATH")


@needs_cc
def test_c_file_and_header_compile_and_give_the_closed_form(tmp_path: Path, capsys) -> None:
    done = run_inprocess(
        ["codegen", "x^2*y + exp(x)", "--lang", "c", "--hessian", "-o", str(tmp_path / "m.c")], capsys
    )
    assert done.code == 0, done.stderr
    assert (tmp_path / "m.h").exists() and '#include "m.h"' in (tmp_path / "m.c").read_text()
    library = tmp_path / "m.so"
    subprocess.run(
        [compiler(), "-O2", "-shared", "-fPIC", "-o", library, tmp_path / "m.c", "-lm"], check=True
    )
    f = ctypes.CDLL(str(library)).f_hessian
    x, value, grad, hess = (
        (ctypes.c_double * 2)(0.5, 3.0),
        ctypes.c_double(),
        (ctypes.c_double * 2)(),
        (ctypes.c_double * 4)(),
    )
    f(x, ctypes.byref(value), grad, hess)
    e = 1.6487212707001282  # exp(0.5)
    assert value.value == pytest.approx(0.75 + e, rel=1e-15)
    assert list(grad) == pytest.approx([2 * 0.5 * 3 + e, 0.25], rel=1e-15)
    assert list(hess) == pytest.approx([6 + e, 1.0, 1.0, 0.0], rel=1e-15)


def test_check_passes_and_json_has_the_result(capsys) -> None:
    done = run_inprocess(["codegen", "max(x, y) * sin(x)", "--lang", "numpy", "--check", "--json"], capsys)
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["check"]["passed"] and document["check"]["points"] == 20
    assert document["variables"] == ["x", "y"] and document["function"] == "f_grad"
    assert "import numpy as np" in document["files"]["f.py"]


def test_usage_errors_exit_2(capsys, monkeypatch) -> None:
    array = run_inprocess(["codegen", str(EXAMPLES / "mlp.adl")], capsys)
    assert array.code == 2 and "only elements x[i] of array inputs are supported" in array.stderr
    several = run_inprocess(["codegen", "x*y, x+y"], capsys)
    assert several.code == 2 and "use --jacobian" in several.stderr
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CC", raising=False)
    missing = run_inprocess(["codegen", "x*y", "--lang", "c", "--check"], capsys)
    assert missing.code == 2 and "no cc, gcc or clang" in missing.stderr
    assert missing.stderr.count("\n") == 1  # one line, no traceback


def test_check_that_compares_nothing_fails(capsys) -> None:
    done = run_inprocess(["codegen", "log(x - 5)", "--check"], capsys)  # undefined on (-2, 2)
    assert done.code == 1 and "nothing compared" in done.stderr


def test_batch_engines_agree_and_c_without_compiler_is_exit_2(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    table = tmp_path / "t.csv"
    table.write_text("x,y\n1,2\n0,3\n-1,0.5\n2,2\n")
    outputs = {}
    for engine in ["numpy", "auto"] + (["c"] if compiler() else []):
        done = run_inprocess(
            ["batch", "log(x)*y + max(x, y)", "-i", str(table), "--grad", "-q", "--engine", engine], capsys
        )
        assert done.code == 1  # the row x = -1 fails, the same way
        outputs[engine] = done.stdout
    assert len(set(outputs.values())) == 1, outputs
    value, d_x, d_y, _ = outputs["numpy"].splitlines()[-1].split(",")  # x = y = 2: a tie of max
    assert float(d_x) == 1.5 and float(d_y) == pytest.approx(0.5 + 0.6931471805599453, rel=1e-15)
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CC", raising=False)
    done = run_inprocess(["batch", "x*y", "-i", str(table), "--engine", "c"], capsys)
    assert done.code == 2 and "no cc, gcc or clang" in done.stderr
    done = run_inprocess(["batch", "x*y", "-i", str(table), "--engine", "auto", "-q"], capsys)
    assert done.code == 0 and done.stdout.splitlines()[1] == "2.0,"
