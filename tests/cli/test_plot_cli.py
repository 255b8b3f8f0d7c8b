"""`adcalc plot`: the --json data against closed forms, image files of the asked size, the
terminal plot, and one-line errors with their exit codes."""

from __future__ import annotations

import json
import math
import struct
import sys
from pathlib import Path

import jsonschema
import numpy as np
import pytest

from .helpers import run_inprocess, run_subprocess
from .test_output import schema


def plot_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    done = run_inprocess(["plot", *args, "--json"], capsys)
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    jsonschema.validate(document, schema("plot"))
    return document


def gaps(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values])


# --- the data --------------------------------------------------------------------------------
def test_json_has_sin_and_its_derivatives(capsys: pytest.CaptureFixture[str]) -> None:
    document = plot_json(["sin(x)", "--x", "0:7", "--order", "2"], capsys)
    x = np.array(document["grid"])
    assert document["points"] == len(x) == 201 and document["range"] == [0.0, 7.0]
    assert np.array_equal(x, np.linspace(0, 7, 201))
    np.testing.assert_allclose(document["f"], np.sin(x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(document["df"], np.cos(x), rtol=1e-13, atol=1e-13)
    np.testing.assert_allclose(document["d2f"], -np.sin(x), rtol=1e-13, atol=1e-13)
    assert document["segments"] == {"f": [[0, 200]], "df": [[0, 200]], "d2f": [[0, 200]]}
    assert document["variable"] == "x" and document["order"] == 2 and "critical" not in document


def test_json_of_a_cubic_with_a_named_range_and_a_fixed_input(capsys: pytest.CaptureFixture[str]) -> None:
    document = plot_json(["x^3 + y", "--x", "x=-3:3", "--at", "y=1", "--points", "13"], capsys)
    x = np.array(document["grid"])
    np.testing.assert_allclose(document["f"], x**3 + 1, rtol=1e-14)
    np.testing.assert_allclose(document["df"], 3 * x**2, rtol=1e-14)
    assert document["at"] == {"y": 1.0} and "d2f" not in document


def test_a_one_input_range_needs_no_name_when_the_others_are_fixed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = plot_json(["x*y", "--x", "-pi:pi", "--at", "y=2", "-n", "5"], capsys)
    assert document["variable"] == "x" and document["range"] == [-math.pi, math.pi]
    np.testing.assert_allclose(document["f"], 2 * np.linspace(-math.pi, math.pi, 5), rtol=1e-15)


def test_json_gaps_are_null(capsys: pytest.CaptureFixture[str]) -> None:
    document = plot_json(["sqrt(x)", "--x", "-1:1"], capsys)
    f, x = gaps(document["f"]), np.array(document["grid"])
    assert all(v is None for v, t in zip(document["f"], x, strict=True) if t < 0)
    np.testing.assert_allclose(f[x >= 0], np.sqrt(x[x >= 0]), rtol=1e-15)
    assert document["segments"]["f"] == [[100, 200]] and document["df"][100] is None  # f′(0) = inf
    assert document["warnings"] == ["sqrt(x) is undefined or infinite at 100 of 201 points: drawn as gaps"]
    log = plot_json(["log(x)", "--x", "-1:1"], capsys)
    assert log["f"][:101] == [None] * 101 and log["segments"]["f"] == [[101, 200]]


def test_json_segments_split_at_poles_and_jumps(capsys: pytest.CaptureFixture[str]) -> None:
    tan = plot_json(["tan(x)", "--x", "-3:3"], capsys)
    x = tan["grid"]
    pieces = [(x[a], x[b]) for a, b in tan["segments"]["f"]]
    assert len(pieces) == 3
    for pole in (-math.pi / 2, math.pi / 2):
        assert not any(a < pole < b for a, b in pieces)
    inverse = plot_json(["1/x", "--x", "-1:1", "-n", "200"], capsys)
    assert [[inverse["grid"][a] < 0, inverse["grid"][b] < 0] for a, b in inverse["segments"]["f"]] == [
        [True, True],
        [False, False],
    ]
    floor = plot_json(["floor(x)", "--x", "-3:3"], capsys)
    f = floor["f"]
    assert len(floor["segments"]["f"]) == 7
    assert all(len({f[k] for k in range(a, b + 1)}) == 1 for a, b in floor["segments"]["f"])


def test_json_critical_points(capsys: pytest.CaptureFixture[str]) -> None:
    cubic = plot_json(["x^3 - 3*x", "--x", "-3:3", "--critical"], capsys)
    assert [p["x"] for p in cubic["critical"]] == pytest.approx([-1.0, 1.0], abs=1e-10)
    assert [p["kind"] for p in cubic["critical"]] == ["maximum", "minimum"]
    sine = plot_json(["sin(x)", "--x", "0:7", "-c"], capsys)
    assert [p["x"] for p in sine["critical"]] == pytest.approx([math.pi / 2, 3 * math.pi / 2], abs=1e-10)
    assert [p["f"] for p in sine["critical"]] == pytest.approx([1.0, -1.0], abs=1e-15)


def test_a_program_from_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    program = "input t, k\ny = k*t^2\noutput y\n"
    done = run_inprocess(["plot", "-", "--x", "t=0:2", "--at", "k=3", "-n", "5", "--json"], capsys, program)
    assert done.code == 0, done.stderr
    assert json.loads(done.stdout)["df"] == [0.0, 3.0, 6.0, 9.0, 12.0]


# --- image files -----------------------------------------------------------------------------
def png_size(path: Path) -> tuple[int, int]:
    """Width and height from the PNG signature and IHDR chunk (no image library)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


@pytest.mark.parametrize("size", [None, "640x480", "1234x567"])
def test_png_of_the_requested_size(
    size: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.png"
    done = run_inprocess(
        ["plot", "tan(x)", "--x", "-3:3", "-o", str(path), *(["--size", size] if size else [])], capsys
    )
    assert done.code == 0, done.stderr
    width, height = (800, 600) if size is None else map(int, size.split("x"))
    assert png_size(path) == (width, height)
    assert done.stdout == f"wrote {path} ({width}×{height} pixels)\n"


@pytest.mark.parametrize(("suffix", "magic"), [(".svg", b"<?xml"), (".pdf", b"%PDF-")])
def test_svg_and_pdf(suffix: str, magic: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / f"out{suffix}"
    done = run_inprocess(["plot", "x^3 - 3*x", "--x", "-3:3", "--critical", "-o", str(path)], capsys)
    assert done.code == 0, done.stderr
    content = path.read_bytes()
    assert content.startswith(magic)
    if suffix == ".svg":
        assert b"<svg" in content[:1000]


def test_file_and_json_together(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "both.png"
    document = plot_json(["sin(x)", "--x", "0:1", "-n", "3", "-o", str(path)], capsys)
    assert document["points"] == 3 and png_size(path) == (800, 600)


def test_without_matplotlib_one_line_naming_the_extra(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    done = run_inprocess(["plot", "sin(x)", "--x", "0:1", "-o", str(tmp_path / "out.png")], capsys)
    assert done.code == 2
    assert (
        done.stderr
        == "error: Bad usage: -o needs matplotlib, which is not installed: pip install 'adcalc[plot]'\n"
    )
    assert not (tmp_path / "out.png").exists()


# --- the terminal plot -----------------------------------------------------------------------
@pytest.mark.parametrize("columns", [60, 100, 160])
def test_terminal_plot_has_the_title_and_fits(
    columns: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", str(columns))
    done = run_inprocess(["plot", "sin(x)", "--x", "0:7", "--critical"], capsys)
    assert done.code == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].strip() == "f = sin(x): f and f′ for x in [0, 7]"
    assert max(map(len, lines)) <= columns
    assert "** f" in lines[-1] and "++ f′" in lines[-1] and "OO f′ = 0" in lines[-1]  # the legend
    assert done.stdout.count("O") >= 2  # the maximum and the minimum are marked


def test_terminal_plot_of_order_two_with_gaps(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(["plot", "tan(x)", "--x", "-3:3", "--order", "2"], capsys)
    assert done.code == 0, done.stderr
    assert "f = tan(x): f, f′ and f″ for x in [-3, 3]" in done.stdout and ".. f″" in done.stdout


def test_terminal_plot_through_the_console_script() -> None:
    done = run_subprocess(["plot", "x^2", "--x", "-1:1"])
    assert done.code == 0 and "f = x^2: f and f′ for x in [-1, 1]" in done.stdout


def test_the_plotting_libraries_are_imported_only_when_used() -> None:
    code = (
        "import sys, io, contextlib\nfrom adcalc.cli import main\n"
        "def loaded(): return {'uniplot', 'matplotlib', 'scipy'} & {m.split('.')[0] for m in sys.modules}\n"
        "assert not loaded(), loaded()\n"
        "sys.argv = ['adcalc', 'plot', 'sin(x)', '--x', '0:1', '--json']\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    try:\n        main.run()\n    except SystemExit:\n        pass\n"
        "assert not loaded(), loaded()  # no scipy without --critical, no uniplot for --json\n"
    )
    import subprocess

    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


# --- errors ----------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["x^2", "--x", "3:-3"], 2, "error: Bad value: --x '3:-3': the range must go up (a < b in a:b)"),
        (["x^2", "--x", "a:b"], 2, "error: Bad value: --x 'a:b': 'a' is not a number"),
        (["x^2", "--x", "0:1:2"], 2, "error: Bad value: --x '0:1:2': expected a:b or NAME=a:b"),
        (["x^2", "--x", "1 x=0:1"], 2, "error: Bad value: --x '1 x=0:1': expected a:b or NAME=a:b"),
        (["x^2"], 2, "error: Bad usage: give the range with --x a:b"),
        (
            ["x*y + z"],
            2,
            "error: Bad usage: give the range with --x NAME=a:b, NAME one of the inputs x, y, z",
        ),
        (["x*y", "--x", "0:1"], 2, "error: Bad usage: x*y has inputs x, y: name the one that varies"),
        (
            ["x*y", "--x", "z=0:1", "--at", "y=1"],
            2,
            "error: Bad value: --x z: x*y has no input 'z' (inputs: x, y)",
        ),
        (["x*y", "--x", "x=0:1"], 2, "error: Missing value for variable(s): y (fix them with --at)"),
        (["[x, x^2]", "--x", "0:1"], 2, "error: Bad usage: plot draws a scalar function; [x, x^2] has shape"),
        (["x, x^2", "--x", "0:1"], 2, "error: Bad usage: plot draws one output, x, x^2 has 2"),
        (
            ["x^2", "--x", "0:1", "-o", "out.jpg"],
            2,
            "error: Bad value: -o out.jpg: the file name must end with",
        ),
        (
            ["x^2", "--x", "0:1", "--size", "8x6", "-o", "a.png"],
            2,
            "error: Bad value: --size '8x6': expected WxH",
        ),
        (
            ["x^2", "--x", "0:1", "--size", "800x600"],
            2,
            "error: Bad usage: --size sets the size of an image file",
        ),
        (["x^2", "--x", "0:1", "-n", "1"], 2, "error: Bad value: --points 1: give 2 to 1,000,000 points"),
        (["x^2", "--x", "0:1", "-k", "3"], 2, "error: Bad value: --order 3"),
        (["sin(x", "--x", "0:1"], 2, "error: <expr>:1:6: Syntax error"),
        (
            ["log(x)", "--x", "-3:-1"],
            1,
            "error: Evaluation failed: log(x) is undefined (NaN or infinite) on the",
        ),
    ],
)
def test_errors_are_one_line_with_their_exit_code(
    args: list[str], code: int, message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_inprocess(["plot", *args], capsys)
    assert done.code == code and done.stdout == ""
    assert done.stderr.startswith(message), done.stderr
    assert "Traceback" not in done.stderr and len(done.stderr.splitlines()) <= 3  # with a caret at most


def test_a_derivative_with_no_piece_at_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # sqrt on [-1, 0]: f is defined at 0 only, where f′ is infinite: f′ has no point to draw
    document = plot_json(["sqrt(x)", "--x", "-1:0"], capsys)
    assert document["segments"] == {"f": [[200, 200]], "df": []} and set(document["df"]) == {None}
    terminal = run_inprocess(["plot", "sqrt(x)", "--x", "-1:0"], capsys)
    assert terminal.code == 0 and "** f" in terminal.stdout and "f′" not in terminal.stdout.splitlines()[-1]
    image = run_inprocess(["plot", "sqrt(x)", "--x", "-1:0", "-o", str(tmp_path / "one.png")], capsys)
    assert image.code == 0 and png_size(tmp_path / "one.png") == (800, 600)
