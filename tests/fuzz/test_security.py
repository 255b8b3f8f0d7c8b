"""adcalc evaluates untrusted text: nothing in an expression, a .adl file or an --at value may run
Python code, import a module, or read or write a file other than the `@file` values the command
line names; a program's custom ops are its own.

What is watched, with a Python audit hook (PEP 578) while adcalc runs: every file opened,
every Python source compiled (adcalc generates code: it must never be the user's text), every
process started, every socket, every class a pickle asks for. Each payload also tries to create
a file MARKER in the working directory, which must not exist afterwards.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import adcalc
import numpy as np
import pytest

from tests.cli.helpers import run_inprocess

ROOT = Path(__file__).resolve().parents[2]
PACKAGE_DIRS = [ROOT / "core", ROOT / "cli", ROOT / "grammar"]

_WATCHING: list[list[tuple[str, tuple[Any, ...]]]] = []
_DANGEROUS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "subprocess.Popen",
              "socket.", "ctypes.", "pickle.find_class", "shutil.", "os.remove", "os.rename")  # fmt: skip


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if _WATCHING and (event in ("open", "compile", "exec", "import") or event.startswith(_DANGEROUS)):
        _WATCHING[-1].append((event, args))


sys.addaudithook(_hook)  # cannot be removed; it records only inside `watched()`


@contextmanager
def watched() -> Iterator[list[tuple[str, tuple[Any, ...]]]]:
    events: list[tuple[str, tuple[Any, ...]]] = []
    _WATCHING.append(events)
    try:
        yield events
    finally:
        _WATCHING.pop()


def _ours_or_pythons(path: Path) -> bool:
    """A file adcalc or Python itself may read: the package's modules and data, the standard
    library and the installed dependencies (lazy imports)."""
    places = [Path(sys.prefix), Path(sys.base_prefix), *PACKAGE_DIRS]
    return any(path.is_relative_to(place.resolve()) for place in places)


def assert_harmless(events: list[tuple[str, tuple[Any, ...]]], allowed: tuple[Path, ...] = ()) -> None:
    for event, args in events:
        assert not event.startswith(_DANGEROUS), (event, args)
        if event == "open" and isinstance(args[0], str | bytes | Path):
            path = Path(args[0].decode() if isinstance(args[0], bytes) else args[0]).resolve()
            assert _ours_or_pythons(path) or path in allowed, f"opened {path} ({args[1]})"
        if event == "compile" and isinstance(args[0], str | bytes):  # generated code, never the payload
            source = args[0].decode("utf-8", "replace") if isinstance(args[0], bytes) else args[0]
            assert "MARKER" not in source and "__import__(" not in source, source


# --- expressions ------------------------------------------------------------------------------
PAYLOADS = [
    "__import__('os').system('touch MARKER')",
    '__import__("pathlib").Path("MARKER").touch()',
    "x.__class__.__bases__[0].__subclasses__()",
    "().__class__",
    "getattr(x, '__class__')",
    'eval(\'open("MARKER", "w")\')',
    "exec('import os')",
    "open('MARKER', 'w')",
    "compile('1', 'MARKER', 'exec')",
    "globals()['__builtins__']",
    "lambda: open('MARKER', 'w')",
    "[open('MARKER', 'w') for c in x]",
    "f'{x}'",
    "'%s' % x",
    "{x}",
    "x\\\n+ 1",
    "\\x41",
    "x; import os",
    "import os\nos.system('touch MARKER')",
    "breakpoint()",
    "__builtins__.open('MARKER')",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_an_expression_runs_no_python(
    payload: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with watched() as events:
        for call in (adcalc.parse, adcalc.compile, adcalc.gradient_function):
            with pytest.raises(adcalc.AdcalcError):
                call(payload)
        done = run_inprocess(["grad", payload, "--at", "x=1", "--json"], capsys)
    assert done.code == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    assert_harmless(events)
    assert not (tmp_path / "MARKER").exists()


@pytest.mark.parametrize(
    "name", ["__builtins__", "eval", "exec", "open", "__import__", "globals", "os", "self"]
)
def test_pythons_names_are_plain_inputs(name: str) -> None:
    """A name Python would resolve to something powerful is, in adcalc, an input like any other."""
    with watched() as events:
        found = adcalc.gradient(f"{name}^2 + 1", at={name: 3.0})
    assert (found.value, found.gradient[name]) == (10.0, 6.0)  # x² + 1 and 2x at 3
    assert_harmless(events)


# --- the code compile, gradient_function and hessian_function generate --------------------------
# names that are keywords, builtins or the generated code's own temporaries and helpers in Python
PYTHON_NAMES = [
    "type",
    "lambda",
    "None",
    "True",
    "__import__",
    "_x",
    "float",
    "math",
    "t0",
    "v0",
    "v1",
    "r",
    "value",
    "_more",
    "_point",
    "_UNSET",
    "_given",
    "_grad",
    "_value",
    "_sin",
    "_s_sin",
    "_inf",
    "_nan",
    "np",
    "out",
    "self",
    "print",
    "exec",
    "__class__",
    "__builtins__",
    "class",
    "import",
    "yield",
    "arrays",
    "point",
]  # fmt: skip (adcalc's own keywords, such as grad and def, are no names at all)


@pytest.mark.parametrize("name", PYTHON_NAMES)
def test_compiled_code_takes_any_variable_name(name: str) -> None:
    """f = name·y² + sin(name): ∂f/∂name = y² + cos(name), ∂f/∂y = 2·name·y — by hand, at (0.5, 3)."""
    import math

    other = "y" if name != "y" else "z"
    text = f"{name}*{other}^2 + sin({name})"
    a, b = 0.5, 3.0
    value, partials = a * b * b + math.sin(a), [b * b + math.cos(a), 2 * a * b]
    with watched() as events:
        f = adcalc.compile(text)
        got, grad = f.grad(**{name: a, other: b})
        assert got == pytest.approx(value) and [grad[name], grad[other]] == pytest.approx(partials)
        columns, column_grad = f.grad(**{name: np.array([a, a]), other: np.array([b, b])})  # numpy kernels
        assert column_grad[name] == pytest.approx([partials[0]] * 2)
        g = adcalc.gradient_function(text)
        assert g([a, b] if g.variables[0] == name else [b, a]) == pytest.approx(
            partials if g.variables[0] == name else partials[::-1]
        )
        h = adcalc.hessian_function(text)
        hessian = h([a, b] if h.variables[0] == name else [b, a])
        assert hessian[0, 1] == hessian[1, 0] == pytest.approx(2 * b)  # ∂²f/∂name∂y = 2y
    assert_harmless(events)


def _names_used(code: Any) -> set[str]:
    found = set(code.co_names)
    for const in code.co_consts:
        if hasattr(const, "co_names"):
            found |= _names_used(const)
    return found


def test_a_name_never_reaches_generated_code_as_code() -> None:
    """The code adcalc generates (compiled from its own text: `<adcalc-...>`) looks up only its own
    helpers; a variable is an argument position (v0, v1, ...) or a quoted dictionary key."""
    with watched() as events:
        f = adcalc.compile("__import__*exec + open*eval")
        f.grad(__import__=1.0, exec=2.0, open=3.0, eval=4.0)
        f.grad(__import__=np.ones(2), exec=2.0, open=3.0, eval=4.0)
        adcalc.hessian_function("__import__*exec + open*eval")([1.0, 2.0, 3.0, 4.0])
    codes = [args[0] for event, args in events if event == "exec" and hasattr(args[0], "co_filename")]
    generated = [code for code in codes if code.co_filename.startswith("<adcalc")]
    assert generated, "the audit hook saw no generated code"
    for code in generated:
        assert not _names_used(code) & {"__import__", "exec", "open", "eval"}, code.co_filename


# --- .adl files -------------------------------------------------------------------------------
PROGRAMS = [
    "import os\nos.system('touch MARKER')\n",
    "#!/usr/bin/env python\n__import__('os').system('touch MARKER')\n",
    "op evil(x) = __import__('os') grad 1\ninput x\noutput evil(x)\n",
    "def f(x) = open('MARKER')\ninput x\ny = f(x)\noutput y\n",
    "input x\ny = x.__class__\noutput y\n",
    "param n = __import__\ninput x\noutput x\n",
    "input x[__import__('os')]\noutput x\n",
    "include 'MARKER'\ninput x\noutput x\n",
]


@pytest.mark.parametrize("program", PROGRAMS)
def test_a_program_file_runs_no_python(
    program: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "evil.adl"
    path.write_text(program, encoding="utf-8")
    with watched() as events:
        done = run_inprocess(["grad", str(path), "--at", "x=1", "--json"], capsys)
    assert done.code == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert_harmless(events, allowed=(path.resolve(),))
    assert not (tmp_path / "MARKER").exists()


# --- --at values ------------------------------------------------------------------------------
AT_PAYLOADS = [
    "x=__import__('os').system('touch MARKER')",
    "x=open('MARKER')",
    "x=x.__class__",
    "__class__=1",
    "x=[1, __import__]",
    "x={x}",
    "x=%s",
    "x=1;import os",
    "x=@MARKER",
    "x=@MARKER.npy",
    "x=@MARKER.pkl",
    "x=eval('1')",
    "__import__('os')=1",
]


@pytest.mark.parametrize("at", AT_PAYLOADS)
def test_an_at_value_runs_no_python(
    at: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with watched() as events:
        done = run_inprocess(["grad", "x^2", f"--at={at}", "--json"], capsys)
    assert done.code == 2, done.stderr
    assert done.stderr.startswith("error: ") and "Traceback" not in done.stderr
    # an @file value may be looked at (it is documented), nothing else
    assert_harmless(
        events, allowed=tuple(tmp_path.resolve() / n for n in ("MARKER", "MARKER.npy", "MARKER.pkl"))
    )
    assert not (tmp_path / "MARKER").exists()


class _Planted:
    """Unpickling this creates MARKER: what a hostile pickle would do."""

    def __init__(self, target: Path) -> None:
        self.target = target

    def __reduce__(self) -> Any:
        return (open, (str(self.target), "w"))


def test_a_pickled_npy_at_value_is_refused_unopened(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    marker = tmp_path / "MARKER"
    np.save(tmp_path / "evil.npy", np.array([_Planted(marker)], dtype=object), allow_pickle=True)
    with watched() as events:
        done = run_inprocess(["grad", "sum(x)", "--at", "x=@evil.npy", "--json"], capsys)
    assert done.code == 2 and "evil.npy" in done.stderr, done.stderr
    assert not marker.exists()
    assert not any(event == "pickle.find_class" for event, _ in events)


def test_an_npz_at_value_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "MARKER"
    np.savez(tmp_path / "evil.npz", x=np.array([_Planted(marker)], dtype=object))
    done = run_inprocess(["grad", "sum(x)", "--at", f"x=@{tmp_path / 'evil.npz'}"], capsys)
    assert done.code == 2 and done.stderr.startswith("error: "), done.stderr
    assert not marker.exists()


def test_a_pickled_npy_batch_input_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    marker = tmp_path / "MARKER"
    np.save(tmp_path / "rows.npy", np.array([_Planted(marker)], dtype=object), allow_pickle=True)
    done = run_inprocess(["batch", "x*2", "-i", str(tmp_path / "rows.npy")], capsys)
    assert done.code == 2 and "Traceback" not in done.stderr, done.stderr
    assert not marker.exists()


# --- custom ops are the program's own ----------------------------------------------------------
BUILT_IN_OPS = sorted(name for name in adcalc.OPS if not adcalc.OPS[name].extra.get("custom", False))


@pytest.mark.parametrize("name", BUILT_IN_OPS)
def test_no_program_replaces_a_built_in_op(name: str) -> None:
    with pytest.raises(adcalc.AdcalcError, match="built-in"):
        adcalc.parse(f"op {name}(a, b) = a - b grad 1, -1\ninput x, y\nz = x + y\noutput z")
    # the arithmetic everyone else gets is the one built in
    assert adcalc.evaluate("x + y", at={"x": 2, "y": 3}).value == 5.0
    assert adcalc.gradient("x*y - x/y", at={"x": 2, "y": 4}).gradient == {"x": 3.75, "y": 2.125}


def test_op_add_through_the_command_line_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "add.adl"
    path.write_text("op add(a, b) = a - b grad 1, -1\ninput x, y\nz = x + y\noutput z\n", encoding="utf-8")
    done = run_inprocess(["eval", str(path), "--at", "x=2,y=3"], capsys)
    assert done.code == 2 and "built-in" in done.stderr, done.stderr
    assert (
        run_inprocess(["eval", "x + y", "--at", "x=2,y=3", "--json"], capsys).stdout.count('"value": 5.0')
        == 1
    )


def test_a_programs_op_is_invisible_to_every_other_parse() -> None:
    one = adcalc.parse("op twice(x) = 2*x grad 2\ninput t\ny = twice(t)\noutput y")
    other = adcalc.parse("op twice(x) = 3*x grad 3\ninput t\ny = twice(t)\noutput y")
    with pytest.raises(adcalc.AdcalcError, match="twice"):
        adcalc.parse("twice(t)")  # a formula parsed later in the same process
    registered = [name for name in adcalc.OPS if name.startswith("twice")]
    assert registered, "the ops are registered under names of their own"
    for name in registered:  # nor by the name it is registered under
        with pytest.raises(adcalc.AdcalcError):
            adcalc.parse(f"{name}(t)")
    # each program keeps its own rule, interleaved in one process: 2t and 3t at t = 5
    for _ in range(2):
        assert adcalc.gradient(one, at={"t": 5}).gradient["t"] == 2.0
        assert adcalc.gradient(other, at={"t": 5}).gradient["t"] == 3.0
        assert adcalc.compile(other).grad(t=5.0) == (15.0, {"t": 3.0})


# --- start-up: no pickle adcalc did not write, nothing in the shared temporary directory ---------
def test_start_up_unpickles_nothing_and_writes_nothing_to_the_temporary_directory(tmp_path: Path) -> None:
    """lark's cache=True keeps a pickle in the shared temporary directory: another user could plant
    one there. In a fresh process, with pickle made to fail, adcalc parses, differentiates and
    compiles, and opens nothing under the temporary directory."""
    script = """
import pickle, sys, tempfile
def refuse(*args, **kwargs):
    raise AssertionError("unpickling at start-up")
pickle.load = pickle.loads = refuse
opened = []
tmp = tempfile.gettempdir()
sys.addaudithook(lambda event, args: opened.append(args[0]) if event == "open" and isinstance(args[0], str)
                 and args[0].startswith(tmp) else None)
import adcalc
from adcalc.cli import main
assert adcalc.gradient("sin(x)*y", at={"x": 1, "y": 2}).gradient["y"] == 0.8414709848078965
adcalc.compile("x^2").grad(x=3.0)
adcalc.parse("op sq(x) = x*x grad 2*x\\ninput t\\ny = sq(t)\\noutput y")
sys.argv = ["adcalc", "grad", "x^2", "--at", "x=3"]
try:
    main.run()
except SystemExit as stop:
    assert not stop.code, stop.code
assert not opened, opened
print("ok")
"""
    env = {"PATH": "/usr/bin:/bin", "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=99, env=env)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr
    assert not list(tmp_path.iterdir()), list(tmp_path.iterdir())
