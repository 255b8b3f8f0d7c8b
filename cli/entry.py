"""How a run of `adcalc` begins and ends, the same on the fast path (fast.py) and through typer (app.py).

Begins: the global options --debug and --digits N may stand anywhere on the command line, so they
are taken out of argv here, once, before either parser sees it (click alone would accept them
only before the command name). A --json anywhere asks for errors as JSON too (actions.fail).

Ends: a closed downstream pipe (`adcalc batch ... | head -1`) is not an error: the run ends with
no message and exit status 141 (128 + SIGPIPE), what a shell reports for a Unix tool killed by
SIGPIPE. An exit status rather than re-raising the signal, so that callers such as xargs, which
stop on a child killed by a signal, see an ordinary status. Ctrl-C prints one line and exits 130.

Free of typer, rich and numpy (and of contextlib, which Python does not load at start-up): the
fast path imports this.
"""

from __future__ import annotations

import os
import sys
import warnings
from collections.abc import Callable
from typing import NoReturn

from adcalc.errors import BadValue

from .actions import State

CLOSED_PIPE = 141  # 128 + SIGPIPE (13)
INTERRUPTED = 130  # 128 + SIGINT (2)
JSON_FLAGS = ("--json", "-j")


class Ended(BaseException):
    """A closed pipe or Ctrl-C carried past click's and typer's own handlers to the entry point.

    A BaseException that is not KeyboardInterrupt nor OSError: typer's main loop would turn a
    BrokenPipeError into a silent exit 1 and Ctrl-C into a silent exit 130 (app.AdcalcGroup
    wraps them in this).
    """

    def __init__(self, cause: BaseException) -> None:
        super().__init__(cause)
        self.cause = cause

# numpy's floating-point RuntimeWarnings (divide by zero in 0.5/sqrt(0)) name adcalc's own files;
# adcalc reports infinite and undefined results itself, as warnings a person or a script can read
warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"adcalc(\.|$)")


def take_globals(args: list[str]) -> list[str]:
    """The arguments without --debug and --digits N, which go to State (so does a --json seen)."""
    # every run starts from the defaults (the tests run many in one process)
    State.debug, State.digits, State.json_errors = False, None, False
    rest: list[str] = []
    digits: str | None = None
    given = False
    tokens = iter(args)
    for arg in tokens:
        if arg == "--":  # after it every token is an argument, such as the expression -x^2
            rest.append(arg)
            rest.extend(tokens)
            break
        if arg == "--debug":
            State.debug = True
        elif arg == "--digits":
            given, digits = True, next(tokens, None)
        elif arg.startswith("--digits="):
            given, digits = True, arg.partition("=")[2]
        else:
            if arg in JSON_FLAGS or arg.startswith("--json="):
                State.json_errors = True
            rest.append(arg)
    if given:
        State.digits = parse_digits(digits)
    return rest


def parse_digits(text: str | None) -> int:
    """The --digits value: significant digits, 1 to 17 (17 round-trips every float64)."""
    if text is None or not text.strip().isdigit() or not 1 <= int(text) <= 17:
        got = "nothing" if text is None else repr(text)
        raise BadValue(f"--digits takes a whole number from 1 to 17, got {got}")
    return int(text)


def finish(body: Callable[[], None]) -> None:
    """Run body; a closed pipe, Ctrl-C (and rich's way of reporting a closed pipe) end it quietly."""
    stdout = _identity(1)
    try:
        try:
            body()
        finally:
            # Flush here, not in the interpreter's exit: a closed pipe then raises where it is
            # handled, instead of "Exception ignored ... BrokenPipeError" and exit 120.
            sys.stdout.flush()
    except Ended as ended:
        _end(ended.cause)
    except (BrokenPipeError, KeyboardInterrupt) as problem:
        _end(problem)
    except SystemExit as stop:
        # Two libraries end a closed pipe with exit 1 of their own: rich's Console.on_broken_pipe
        # points fd 1 at devnull first (fd 1 having changed tells that apart from a real exit 1),
        # and click's main loop (for output written while parsing: --version, completion)
        # first wraps sys.stdout in its PacifyFlushWrapper.
        pacified = type(sys.stdout).__name__ == "PacifyFlushWrapper"
        if stop.code not in (0, None) and (pacified or _identity(1) != stdout):
            _closed_pipe()
        raise


def _end(problem: BaseException) -> NoReturn:
    if isinstance(problem, KeyboardInterrupt):
        try:
            sys.stderr.write("interrupted\n")
        except OSError:
            pass
        sys.exit(INTERRUPTED)
    _closed_pipe()


def _closed_pipe() -> NoReturn:
    # The Python docs' "Note on SIGPIPE": point the standard streams at devnull, so the
    # interpreter's final flush of what is still buffered cannot raise again.
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(devnull, fd)
        except OSError:
            pass
    os.close(devnull)
    sys.exit(CLOSED_PIPE)


def _identity(fd: int) -> tuple[int, int] | None:
    try:
        status = os.fstat(fd)
    except OSError:
        return None
    return status.st_dev, status.st_ino
