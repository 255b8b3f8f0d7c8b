"""What `eval` and `grad` do, and how errors end a run: shared by the typer app and the fast path.

Free of typer on purpose: the fast path (cli/fast.py) runs these without building the app.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable
from typing import Any

import adcalc

from . import render
from .values import parse_at, parse_names, read_expression


class State:
    """Run-wide settings: the source text errors point into, and the global options (cli/entry.py)."""

    source: str | None = None
    debug: bool = False
    digits: int | None = None  # --digits N: significant digits of numbers in tables (None: all)
    json_errors: bool = False  # --json on the command line: errors also as one JSON object
    own_process: bool = False  # run as the `adcalc` process (cli/fast.main), not inside another program


def load(argument: str, at: dict | None = None, shapes: Any = None) -> adcalc.Expression:
    """The parsed text of the EXPR argument (text, '-' for stdin, or a file); its free names are
    shaped like their values in `at` (or as `shapes` says), so shape errors point into the text."""
    from adcalc.api import shapes_of

    text, name = read_expression(argument)
    State.source = text
    shapes = shapes if shapes is not None else shapes_of(at) if at else None
    if not State.own_process:
        return adcalc.parse(text, name, shapes)
    # The graph lives until the command ends and has no cycles, yet the collector would scan its
    # 10^6 objects (a 10^5-term sum) again and again while the answer is computed. In a process
    # of its own the CLI moves everything made until then past the collector (gc.freeze;
    # refcounting still frees it), and what is made later is collected as usual. Not inside
    # another program's process (tests run commands in theirs): its cyclic garbage would stay.
    gc.disable()
    try:
        return adcalc.parse(text, name, shapes)
    finally:
        gc.freeze()
        gc.enable()


def evaluate(expr: str, at: list[str] | None, as_json: bool) -> None:
    """`adcalc eval`: the value at a point."""
    point = parse_at(at)
    render.evaluation(adcalc.evaluate(load(expr, point), at=point), as_json)


def gradient(expr: str, at: list[str] | None, wrt: list[str] | None, as_json: bool) -> None:
    """`adcalc grad` in reverse mode: the value and the gradient at a point."""
    point = parse_at(at)
    render.gradient(adcalc.gradient(load(expr, point), at=point, wrt=parse_names(wrt)), as_json)


def fail(problem: adcalc.AdcalcError) -> int:
    """Print an adcalc error as one line (and a caret) on stderr, and as JSON under --json; its exit code."""
    if len(problem.detail.splitlines()) > 1:  # a detail quoting source text (a label) with its line breaks
        problem.detail = " ".join(problem.detail.splitlines())
    render.error(problem, getattr(problem, "source", None) or State.source)
    span = problem.span
    line, column = (span.line, span.column) if span is not None else (None, None)
    error_json(type(problem).__name__, problem.message(), problem.exit_code, line, column)
    return problem.exit_code


def error_json(
    kind: str, message: str, exit_code: int, line: int | None = None, column: int | None = None
) -> None:
    """Under --json, the error as one JSON object on the last line of stderr, after the human lines.

    After rather than instead of them: people running a script still read the message, and a
    script reads the last line (warnings may come before it on stderr in any case).
    """
    if not State.json_errors:
        return
    import json

    error = {"kind": kind, "message": message, "line": line, "column": column, "exit_code": exit_code}
    sys.stderr.write(json.dumps({"error": error}, ensure_ascii=False) + "\n")


def guarded(action: Callable[..., None], *args: object) -> int:
    """Run an action; any error becomes one line on stderr and an exit code, never a traceback."""
    try:
        action(*args)
    except adcalc.AdcalcError as problem:
        if State.debug:
            raise
        return fail(problem)
    except BrokenPipeError:  # not an error: the reader has gone (cli/entry.py ends the run)
        raise
    except Exception as problem:  # a bug of ours: still one line, and how to see more
        if State.debug:
            raise
        return internal_error(problem)
    return 0


def internal_error(problem: Exception) -> int:
    """One line (and the JSON object under --json) for an unforeseen exception; exit code 1."""
    sys.stderr.write(f"error: internal error: {type(problem).__name__}: {problem} (rerun with --debug)\n")
    error_json("InternalError", f"{type(problem).__name__}: {problem}", 1)
    return 1
