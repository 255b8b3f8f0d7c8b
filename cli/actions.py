"""What `eval` and `grad` do, and how errors end a run: shared by the typer app and the fast path.

Free of typer on purpose: the fast path (cli/fast.py) runs these without building the app.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import adcalc

from . import render
from .values import parse_at, parse_names, read_expression


class State:
    """What the error handler needs: the source text to point into, and --debug."""

    source: str | None = None
    debug: bool = False
    digits: int | None = None


def load(argument: str) -> adcalc.Expression:
    """The parsed expression for the EXPR argument (text, '-' for stdin, or a file)."""
    text, name = read_expression(argument)
    State.source = text
    return adcalc.parse(text, name)


def evaluate(expr: str, at: list[str] | None, as_json: bool) -> None:
    """`adcalc eval`: the value at a point."""
    point = parse_at(at)
    render.evaluation(adcalc.evaluate(load(expr), at=point), as_json)


def gradient(expr: str, at: list[str] | None, wrt: str | None, as_json: bool) -> None:
    """`adcalc grad` in reverse mode: the value and the gradient at a point."""
    point = parse_at(at)
    render.gradient(adcalc.gradient(load(expr), at=point, wrt=parse_names(wrt)), as_json)


def fail(problem: adcalc.AdcalcError) -> int:
    """Print an adcalc error as one line (and a caret) on stderr; its exit code."""
    render.error(problem, getattr(problem, "source", None) or State.source)
    return problem.exit_code


def guarded(action: Callable[..., None], *args: object) -> int:
    """Run an action; any error becomes one line on stderr and an exit code, never a traceback."""
    try:
        action(*args)
    except adcalc.AdcalcError as problem:
        if State.debug:
            raise
        return fail(problem)
    except Exception as problem:  # a bug of ours: still one line, and how to see more
        if State.debug:
            raise
        return internal_error(problem)
    return 0


def internal_error(problem: Exception) -> int:
    """One line for an unforeseen exception; exit code 1."""
    sys.stderr.write(f"error: internal error: {type(problem).__name__}: {problem} (rerun with --debug)\n")
    return 1
