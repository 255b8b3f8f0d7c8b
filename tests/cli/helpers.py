"""Run the adcalc command in-process (as the console script does) or as a real subprocess."""

from __future__ import annotations

import io
import subprocess
import sys
from dataclasses import dataclass
from typing import Any

import pytest
from adcalc.cli import main
from adcalc.cli.actions import State


@dataclass
class Outcome:
    code: int
    stdout: str
    stderr: str


def run_inprocess(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str | Any = "") -> Outcome:
    """adcalc ARGS through the same entry point as the console script, errors included; `stdin`
    is text, or a file-like object standing for standard input (a pipe)."""
    return _run(main.run, args, capsys, io.StringIO(stdin) if isinstance(stdin, str) else stdin)


def _run(entry: Any, args: list[str], capsys: pytest.CaptureFixture[str], stdin: Any = None) -> Outcome:
    """entry() with sys.argv = adcalc ARGS (and sys.stdin = stdin, unless None): its exit code and output."""
    State.source, State.debug = None, False
    old_argv, old_stdin = sys.argv, sys.stdin
    sys.argv = ["adcalc", *args]
    if stdin is not None:
        sys.stdin = stdin
    code = 0
    try:
        entry()
    except SystemExit as stop:
        code = stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 1)
    finally:
        sys.argv, sys.stdin = old_argv, old_stdin
    captured = capsys.readouterr()
    return Outcome(code, captured.out, captured.err)


def run_subprocess(args: list[str], stdin: str = "") -> Outcome:
    """adcalc ARGS as a separate process of the installed console script."""
    import shutil

    command = shutil.which("adcalc", path=str(__import__("pathlib").Path(sys.executable).parent))
    argv = [command] if command else [sys.executable, "-m", "adcalc"]
    done = subprocess.run([*argv, *args], input=stdin, capture_output=True, text=True, timeout=60)
    return Outcome(done.returncode, done.stdout, done.stderr)


def run_fast(args: list[str], capsys: pytest.CaptureFixture[str]) -> Outcome:
    """adcalc ARGS through the console script's own entry point (the fast path, or typer)."""
    from adcalc.cli import fast

    return _run(fast.run, args, capsys)
