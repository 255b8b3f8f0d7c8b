"""`adcalc batch --engine dask` on Dask's local scheduler equals the single-process batch row for row."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import run_inprocess

pytest.importorskip("dask.dataframe")
pytest.importorskip("pyarrow")


def test_dask_equals_local_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import pandas as pd

    folder = tmp_path / "parts"
    folder.mkdir()
    rng = np.random.default_rng(5)
    lines = []
    for part in range(3):
        x, y = rng.uniform(-0.5, 2, 40), rng.uniform(-1, 1, 40)
        rows = [
            f"{part}-{k},{a!r},{b!r}" for k, (a, b) in enumerate(zip(x.tolist(), y.tolist(), strict=True))
        ]
        rows[3] = f"{part}-3,,1.0"  # a missing value in every file
        (folder / f"part{part}.csv").write_text("id,x,y\n" + "\n".join(rows) + "\n")
        lines += rows
    whole = tmp_path / "whole.csv"
    whole.write_text("id,x,y\n" + "\n".join(lines) + "\n")

    expression = "log(x) * exp(y)"  # x < 0 is a domain error
    out = tmp_path / "out.parquet"
    outcome = run_inprocess(
        ["batch", expression, "-i", str(folder), "--engine", "dask", "-o", str(out), "--grad"], capsys
    )
    assert outcome.code == 1  # some rows failed
    assert "120 rows read, 120 written" in outcome.stderr
    distributed = pd.read_parquet(out)

    # Dask partitions run the numpy kernels: compared with the local numpy engine, bit for bit
    # (the default local engine, auto, is the C kernel when a compiler is found: its vectorized
    # libm agrees to an ulp, not to the bit)
    local = run_inprocess(["batch", expression, "-i", str(whole), "--grad", "--engine", "numpy"], capsys)
    single = list(csv.DictReader(io.StringIO(local.stdout)))
    assert list(distributed.columns) == ["id", "value", "d_x", "d_y", "error"] == list(single[0])
    assert distributed["id"].tolist() == [r["id"] for r in single]
    for name in ("value", "d_x", "d_y"):
        expected = [float(r[name]) if r[name] else math.nan for r in single]
        np.testing.assert_array_equal(distributed[name].to_numpy(), np.array(expected))
    errors = [None if e is pd.NA else e for e in distributed["error"].tolist()]
    assert errors == [r["error"] or None for r in single]
    assert errors.count("missing or NaN value for x") == 3
    assert any(e and e.startswith("log(-") and e.endswith(") is undefined") for e in errors)


def test_dask_missing_variable_is_usage_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "parts"
    folder.mkdir()
    (folder / "a.csv").write_text("x\n1\n")
    outcome = run_inprocess(
        ["batch", "x*z", "-i", str(folder), "--engine", "dask", "-o", str(tmp_path / "o")], capsys
    )
    assert outcome.code == 2 and "no column for variable(s) z" in outcome.stderr
