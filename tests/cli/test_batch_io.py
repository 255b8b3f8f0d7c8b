"""`adcalc batch` I/O: the same bytes with or without pyarrow, repeated column names, and inputs
that are directories, globs and fsspec URLs (local and in-memory filesystems), for both engines."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import Outcome, run_inprocess

ENGINES = ["arrow", "python", "arrow/python", "python/arrow"]  # --text-engine READER/WRITER

TRICKY = (
    "id,x,note\n"
    'zero,0,"plain"\n'
    'neg,-0.0,"with, comma"\n'
    'tiny,1e-300,"say ""hi"""\n'
    "huge,1e300,\n"
    "inf,inf,x\n"
    "ninf,-inf,y\n"
    "nan,nan,z\n"
    'int,3,"  spaced  "\n'
    "big,12345678901234567890,q\n"
    "tenth,0.1,007\n"
    'small,0.00001,"two\nlines"\n'
    "mid,12345678901.5,tab\there\n"
    "exp,1.5e-7,'single'\n"
    'text,"2.5",\n'
)
# Every convention of the README's column contract, spelled out: repr for every float (0.0, -0.0,
# 1e-05, 12345678901.5), inf/-inf, an empty cell for a failed result, text as it was read and
# quoted only when it holds a quote, the delimiter or a line break.
TRICKY_OUT = (
    "id,note,value,d_x,error\n"
    "zero,plain,0.0,0.0,\n"
    'neg,"with, comma",0.0,-0.0,\n'
    'tiny,"say ""hi""",0.0,2e-300,\n'
    "huge,,inf,2e+300,\n"
    "inf,x,inf,inf,\n"
    "ninf,y,inf,-inf,\n"
    "nan,z,,,missing or NaN value for x\n"
    "int,  spaced  ,9.0,6.0,\n"
    "big,q,1.5241578753238834e+38,2.4691357802469134e+19,\n"
    "tenth,007,0.010000000000000002,0.2,\n"
    'small,"two\nlines",1.0000000000000002e-10,2e-05,\n'
    "mid,tab\there,1.5241578753894223e+20,24691357803.0,\n"
    "exp,'single',2.25e-14,3e-07,\n"
    "text,,6.25,5.0,\n"
)


def run(args: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    return run_inprocess(args, capsys)


@pytest.fixture
def tricky(tmp_path: Path) -> str:
    path = tmp_path / "tricky.csv"
    path.write_text(TRICKY)
    return str(path)


# --- the same output text with or without pyarrow -------------------------------------------------
@pytest.mark.parametrize("engine", ENGINES)
def test_tricky_values_give_the_documented_text(
    tricky: str, engine: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    outcome = run(["batch", "x^2", "-i", tricky, "--grad", "--text-engine", engine], capsys)
    assert outcome.code == 1  # the nan row
    assert outcome.stdout == TRICKY_OUT
    for row in list(csv.DictReader(io.StringIO(outcome.stdout))):  # the text is the numbers, exactly
        if not row["error"]:
            x = {"zero": 0.0, "neg": -0.0, "big": 12345678901234567890.0, "mid": 12345678901.5}.get(row["id"])
            if x is not None:
                assert float(row["value"]) == x * x and float(row["d_x"]) == 2 * x


@pytest.mark.parametrize("fmt", ["tsv", "jsonl", "json"])
def test_readers_and_writers_agree_in_every_format(
    tricky: str, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("pyarrow")
    texts = {
        engine: run(
            ["batch", "x^2", "-i", tricky, "--grad", "-f", fmt, "--text-engine", engine], capsys
        ).stdout
        for engine in ENGINES
    }
    assert len(set(texts.values())) == 1, texts
    if fmt == "tsv":
        lines = texts["arrow"].splitlines()
        assert lines[1] == "zero\tplain\t0.0\t0.0\t"
        assert lines[2] == "neg\twith, comma\t0.0\t-0.0\t"  # a comma needs no quotes in TSV
        assert '"tab\there"\t' in texts["arrow"]  # a tab does


def test_without_pyarrow_the_text_is_the_same(
    tricky: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # import pyarrow now fails
    outcome = run(["batch", "x^2", "-i", tricky, "--grad"], capsys)
    assert outcome.stdout == TRICKY_OUT


def test_messy_rows_are_the_same_bytes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pyarrow")
    text = 'id,x,y\n1,1,2\n2,abc,1\n3,,2\n4,0.5\n5,-1,1\n"6,q",4,1\n\n7,nan(1),1\n8,1_000,1\n9,1,2,3\n'
    path = tmp_path / "messy.csv"
    path.write_text(text)
    outputs = {
        run(["batch", "log(x)*y", "-i", str(path), "--text-engine", e], capsys).stdout for e in ENGINES
    }
    assert len(outputs) == 1
    rows = list(csv.DictReader(io.StringIO(outputs.pop())))
    assert [r["id"] for r in rows] == ["1", "2", "3", "4", "5", "6,q", "7", "8", "9"]
    assert rows[6]["error"] == "missing or NaN value for x"  # nan(1) reads as NaN in both readers


def float_samples() -> np.ndarray:
    """Floats from every binade: random bit patterns, powers of ten, integers, boundaries."""
    rng = np.random.default_rng(12)
    bits = rng.integers(0, 2**64, 100_000, dtype=np.uint64, endpoint=False).view(np.float64)
    decades = 10.0 ** np.arange(-323, 309)
    spread = rng.uniform(-1, 1, 20_000) * 10.0 ** rng.integers(-12, 20, 20_000)
    integers = np.concatenate([np.arange(-1000, 1000), rng.integers(-(2**53), 2**53, 5000)]).astype(float)
    edges = np.array([1e-4, 1e-9, 1e10, 1e16, 9.999999999999999e-5, 9999999999.999998, 2**53, 2**53 + 2.0])
    edges = np.concatenate([edges, np.nextafter(edges, 0), np.nextafter(edges, np.inf), [5e-324, -0.0]])
    everything = np.concatenate([bits, decades, spread, integers, edges, [math.inf, -math.inf, math.nan]])
    return np.concatenate([everything, -everything])


def test_fast_float_text_is_repr() -> None:
    pytest.importorskip("pyarrow")
    from adcalc.cli import writers

    values = float_samples()
    assert writers._cast_matches_repr()  # the fast path is the one under test
    assert writers.float_texts(values).to_pylist() == [repr(v) for v in values.tolist()]


def test_passed_through_values_of_every_type_are_written_alike() -> None:
    pa = pytest.importorskip("pyarrow")
    from adcalc.cli.writers import ArrowCsvWriter, Column, PythonCsvWriter

    n = 4
    columns = [
        Column("f32", pa.array([0.1, None, 2.0, -0.0], pa.float32())),
        Column("i64", pa.array([1, None, -3, 2**62])),
        Column("flag", pa.array([True, False, None, True])),
        Column("when", pa.array([0, 1, None, 86_400_000_000], pa.timestamp("us"))),
        Column("items", pa.array([[1, 2], None, [], [3]])),
        Column("text", pa.chunked_array([pa.array(['a"b', "c,d"]), pa.array([None, "e\rf"])])),
        Column("json", [1, 2.5, True, {"k": [1, None]}]),
        Column("numpy", np.array([1, 2, 3, 4])),
        Column("value", np.array([1.0, 1e-5, math.inf, 0.5]), np.array([False, False, False, True])),
        Column("error", [None, None, None, 'why, "this"'], text=True),
    ]
    texts = []
    for make in (lambda s: ArrowCsvWriter(s, ",", pa), lambda s: PythonCsvWriter(s, ",")):
        texts.append(bytes(make(io.BytesIO()).encode(columns)))
    assert texts[0] == texts[1]
    rows = list(csv.reader(io.StringIO(texts[0].decode())))
    assert len(rows) == n
    assert rows[0][:6] == ["0.10000000149011612", "1", "true", "1970-01-01 00:00:00.000000", "[1, 2]", 'a"b']
    assert rows[0][6:] == ["1", "1", "1.0", ""]
    assert rows[3][4:8] == ["[3]", "e\rf", '{"k": [1, null]}', "4"]
    assert rows[3][-2:] == ["", 'why, "this"']  # the failed result is empty
    assert rows[2][3] == ""  # a null is empty


def test_one_column_of_empty_cells_is_not_a_blank_line() -> None:
    pa = pytest.importorskip("pyarrow")
    from adcalc.cli.writers import ArrowCsvWriter, Column, PythonCsvWriter

    column = [Column("note", ["", "a", None])]
    fast = bytes(ArrowCsvWriter(io.BytesIO(), ",", pa).encode(column))
    assert fast == PythonCsvWriter(io.BytesIO(), ",").encode(column) == b'""\na\n""\n'


# --- a column name twice ----------------------------------------------------------------------------
@pytest.mark.parametrize("engine", ["arrow", "python"])
@pytest.mark.parametrize("header", ["x,id,x", "x,id, x", "id,x,id"])
def test_a_repeated_header_name_is_exit_2(
    tmp_path: Path, engine: str, header: str, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "dup.csv"
    path.write_text(header + "\n1,2,3\n")
    outcome = run(["batch", "x", "-i", str(path), "--text-engine", engine], capsys)
    assert outcome.code == 2 and outcome.stdout == ""
    name, first, second = ("id", 1, 3) if header.startswith("id") else ("x", 1, 3)
    assert outcome.stderr.splitlines() == [
        f"error: Bad usage: the input has two columns named '{name}' (columns {first} and {second}): "
        "every column needs its own name"
    ]


def test_a_repeated_column_in_parquet_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays([pa.array([1.0]), pa.array([2.0])], names=["x", "x"])
    pq.write_table(table, tmp_path / "dup.parquet")
    outcome = run(["batch", "x", "-i", str(tmp_path / "dup.parquet")], capsys)
    assert outcome.code == 2 and "two columns named 'x'" in outcome.stderr


@pytest.mark.parametrize("fmt", ["jsonl", "json"])
def test_a_repeated_json_key_fails_its_row(
    tmp_path: Path, fmt: str, capsys: pytest.CaptureFixture[str]
) -> None:
    objects = ['{"x": 1, "x": 2, "id": "a"}', '{"x": 3, "id": "b"}', '{"id": "c", "id": "d", "x": 4}']
    text = "\n".join(objects) + "\n" if fmt == "jsonl" else "[" + ",\n".join(objects) + "]"
    path = tmp_path / f"in.{fmt}"
    path.write_text(text)
    outcome = run(["batch", "x*2", "-i", str(path), "-f", "jsonl"], capsys)
    assert outcome.code == 1
    rows = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [r["error"] for r in rows] == [
        "the key 'x' appears twice in the object",
        None,
        "the key 'id' appears twice in the object",
    ]
    assert [r["value"] for r in rows] == [None, 6.0, None]  # one row out per row in, in order


# --- directories, globs and fsspec URLs ----------------------------------------------------------------
def write_parts(folder: Path) -> str:
    """Parts 1, 2 and 10 of a table (natural order: 2 before 10), and files that are not parts."""
    folder.mkdir(parents=True, exist_ok=True)
    for k in (10, 2, 1):
        (folder / f"part{k}.csv").write_text(f"id,x\n{k}a,{k}\n{k}b,{k + 0.5}\n")
    (folder / "_SUCCESS").write_text("")
    (folder / ".hidden.csv").write_text("id,x\nno,0\n")
    (folder / "README.txt").write_text("not a table\n")
    return str(folder)


WHOLE = ["1a", "1b", "2a", "2b", "10a", "10b"]


def ids(text: str) -> list[str]:
    return [row["id"] for row in csv.DictReader(io.StringIO(text))]


@pytest.fixture
def memory_fs() -> Iterator[object]:
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    yield fs
    for path in fs.ls("/", detail=False):
        fs.rm(path, recursive=True)


def test_directory_glob_and_file_url(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = write_parts(tmp_path / "parts")
    for source in (folder, f"{folder}/part*.csv", f"file://{folder}", f"file://{folder}/part*.csv"):
        outcome = run(["batch", "x*2", "-i", source, "--grad", "-q"], capsys)
        assert outcome.code == 0, (source, outcome.stderr)
        assert ids(outcome.stdout) == WHOLE, source
        assert outcome.stdout.splitlines()[0] == "id,value,d_x,error"  # one header for all files
    single = run(["batch", "x", "-i", f"file://{folder}/part2.csv", "-q"], capsys)
    assert ids(single.stdout) == ["2a", "2b"]


def test_memory_urls_in_every_format(memory_fs: object, capsys: pytest.CaptureFixture[str]) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    fs = memory_fs
    fs.pipe("/t/a.csv", b"id,x\na,1\nb,2\n")  # type: ignore[attr-defined]
    fs.pipe("/t/b.csv", b"id,x\nc,3\n")  # type: ignore[attr-defined]
    fs.pipe("/j/a.jsonl", b'{"id": "a", "x": 1}\n{"id": "b", "x": 2}\n')  # type: ignore[attr-defined]
    table = pa.table({"id": ["a", "b"], "x": [1.0, 2.0]})
    for name, write in (("p.parquet", pq.write_table), ("p.arrow", _write_ipc)):
        sink = io.BytesIO()
        write(table, sink)
        fs.pipe(f"/b/{name}", sink.getvalue())  # type: ignore[attr-defined]
    expected = {"memory://t": ["a", "b", "c"], "memory://t/*.csv": ["a", "b", "c"], "memory://t/b.csv": ["c"]}
    expected |= {"memory://j/a.jsonl": ["a", "b"], "memory://b/p.parquet": ["a", "b"]}
    expected |= {"memory://b/p.arrow": ["a", "b"]}
    for engine in ("arrow", "python"):
        for source, rows in expected.items():
            outcome = run(["batch", "x*2", "-i", source, "-f", "csv", "-q", "--text-engine", engine], capsys)
            assert outcome.code == 0, (source, outcome.stderr)
            assert ids(outcome.stdout) == rows, source
            assert [float(r["value"]) for r in csv.DictReader(io.StringIO(outcome.stdout))] == [
                2.0 * (ord(r) - ord("a") + 1) for r in rows
            ]


def _write_ipc(table: object, sink: io.BytesIO) -> None:
    import pyarrow as pa

    with pa.ipc.new_file(sink, table.schema) as writer:  # type: ignore[attr-defined]
        writer.write_table(table)


def test_input_errors_are_exit_2(
    tmp_path: Path, memory_fs: object, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_parts(tmp_path / "parts")
    (tmp_path / "parts" / "part3.csv").write_text("id,x,extra\nz,1,2\n")
    (tmp_path / "mixed").mkdir()
    (tmp_path / "mixed" / "a.csv").write_text("x\n1\n")
    (tmp_path / "mixed" / "b.jsonl").write_text('{"x": 1}\n')
    cases = {
        str(tmp_path / "nothing" / "*.csv"): "no input files match",
        "memory://nothing/*.csv": "no input files match",
        "memory://absent.csv": "cannot read memory://absent.csv: no such file",
        "nosuchprotocol://bucket/a.csv": "Protocol not known: nosuchprotocol",
        str(tmp_path / "mixed"): "holds files of several formats (csv, jsonl): give --input-format",
        str(tmp_path / "absent.csv"): "no such file",
    }
    for source, message in cases.items():
        outcome = run(["batch", "x", "-i", source], capsys)
        assert outcome.code == 2 and message in outcome.stderr, (source, outcome.stderr)
        assert len(outcome.stderr.splitlines()) == 1
    # a file with other columns than the first: rows before it are written, then exit 2
    for engine in ("arrow", "python"):
        outcome = run(["batch", "x", "-i", folder, "-q", "--text-engine", engine], capsys)
        assert outcome.code == 2 and ids(outcome.stdout) == ["1a", "1b", "2a", "2b"]
        pattern = r"part3\.csv has the columns id, x, extra but .*part1\.csv has id, x"
        assert re.search(pattern, outcome.stderr)
    # --input-format picks that format's files from a directory
    only = run(["batch", "x", "-i", str(tmp_path / "mixed"), "--input-format", "jsonl", "-q"], capsys)
    assert only.code == 0 and only.stdout == '{"value": 1.0, "error": null}\n'
    monkeypatch.setitem(sys.modules, "fsspec", None)  # fsspec not installed
    outcome = run(["batch", "x", "-i", "memory://t/a.csv"], capsys)
    assert outcome.code == 2
    assert "reading memory://t/a.csv needs fsspec: pip install 'adcalc[remote]'" in outcome.stderr


def test_local_inputs_do_not_import_fsspec(tmp_path: Path) -> None:
    import subprocess

    folder = write_parts(tmp_path / "parts")
    code = (
        "import sys\nfrom adcalc.cli import main\n"
        f"sys.argv = ['adcalc', 'batch', 'x', '-i', {folder!r}, '-q']\n"
        "try:\n    main.run()\nexcept SystemExit:\n    pass\n"
        "assert 'fsspec' not in sys.modules, 'fsspec imported'\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert ids(done.stdout) == WHOLE


# --- the Dask engine finds the same files (local scheduler) ---------------------------------------------
def dask_rows(
    args: list[str], capsys: pytest.CaptureFixture[str], out: Path | str
) -> list[dict[str, object]]:
    import pandas as pd

    outcome = run([*args, "--engine", "dask", "-o", str(out), "-q"], capsys)
    assert outcome.code == 0, outcome.stderr
    return pd.read_parquet(out).to_dict("records")


def test_dask_reads_directories_globs_and_urls(
    tmp_path: Path, memory_fs: object, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("dask.dataframe")
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    folder = write_parts(tmp_path / "parts")
    fs = memory_fs
    for k in (10, 2, 1):
        fs.pipe(f"/parts/part{k}.csv", (Path(folder) / f"part{k}.csv").read_bytes())  # type: ignore[attr-defined]
        sink = io.BytesIO()
        pq.write_table(pa.table({"id": [f"{k}a", f"{k}b"], "x": [float(k), k + 0.5]}), sink)
        fs.pipe(f"/pq/part.{k}.parquet", sink.getvalue())  # type: ignore[attr-defined]
    sources = [folder, f"{folder}/*.csv", f"file://{folder}", "memory://parts", "memory://parts/part*.csv"]
    sources += ["memory://pq", "memory://pq/*.parquet"]
    for k, source in enumerate(sources):
        rows = dask_rows(["batch", "x*2", "-i", source, "--grad"], capsys, tmp_path / f"out{k}")
        if k == 0:  # the output may be a URL too
            assert dask_rows(["batch", "x*2", "-i", source, "--grad"], capsys, "memory://out") == rows
        assert [r["id"] for r in rows] == WHOLE, source
        local = run(["batch", "x*2", "-i", source, "--grad", "-q"], capsys)
        expected = list(csv.DictReader(io.StringIO(local.stdout)))
        assert [(r["value"], r["d_x"]) for r in rows] == [
            (float(e["value"]), float(e["d_x"])) for e in expected
        ], source


def test_dask_errors_are_exit_2(
    tmp_path: Path, memory_fs: object, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("dask.dataframe")
    fs = memory_fs
    fs.pipe("/dup/a.csv", b"x,id,x\n1,2,3\n")  # type: ignore[attr-defined]
    cases = {
        "memory://dup": "two columns named 'x' (columns 1 and 3)",
        "memory://none/*.csv": "no input files match",
        str(tmp_path / "nothing" / "*.parquet"): "no input files match",
    }
    for source, message in cases.items():
        outcome = run(["batch", "x", "-i", source, "--engine", "dask", "-o", str(tmp_path / "o")], capsys)
        assert outcome.code == 2 and message in outcome.stderr, (source, outcome.stderr)


# --- the README's example of inputs, run as a shell runs it ------------------------------------------
def test_readme_inputs_example(tmp_path: Path) -> None:
    import os
    import subprocess

    readme = (Path(__file__).parents[2] / "README.md").read_text()
    blocks = re.findall(r"```console\n(.*?)```", readme, re.S)
    block = next(b for b in blocks if 'file://$PWD/parts"' in b)
    commands: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            commands.append((line[2:], []))
        else:
            commands[-1][1].append(line)
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    for command, shown in commands:
        if command.startswith("cat "):  # the README shows a file: make it
            target = tmp_path / command[4:]
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text("".join(line + "\n" for line in shown))
            continue
        done = subprocess.run(
            ["bash", "-c", command], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, (command, done.stderr)
        assert done.stdout.splitlines() == shown, command
    assert len(commands) == 5


def test_named_pipes_and_dev_stdin_are_read_as_streams(tmp_path: Path) -> None:
    # bash's <(...) and a FIFO are neither files nor directories: read them like -, CSV unless told
    fifo = tmp_path / "rows"
    os.mkfifo(fifo)
    command = [sys.executable, "-m", "adcalc", "batch", "x^2", "-i", str(fifo), "--quiet"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with open(fifo, "wb") as writer:
        writer.write(b"x\n1\n3\n")
    out, err = process.communicate(timeout=60)
    assert (process.returncode, out, err) == (0, b"value,error\n1.0,\n9.0,\n", b"")
    done = subprocess.run(
        [sys.executable, "-m", "adcalc", "batch", "x^2", "-i", "/dev/stdin", "--quiet"],
        input=b"x\n2\n", capture_output=True, timeout=60,
    )  # fmt: skip
    assert (done.returncode, done.stdout) == (0, b"value,error\n4.0,\n")


def test_an_input_column_named_like_an_output_is_an_error(tmp_path: Path) -> None:
    # value, error and d_x would repeat in the CSV header, and JSON would keep only one of each
    table = tmp_path / "c.csv"
    table.write_text("x,value,error,d_x\n1,keepme,E,D\n")
    command = [sys.executable, "-m", "adcalc", "batch", "x*2", "-i", str(table), "--grad", "-q"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "value, error, d_x" in done.stderr and done.stdout == ""
    done = subprocess.run([*command, "--keep", "none"], capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (0, "value,d_x,error\n2.0,2.0,\n")
