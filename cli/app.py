"""The Typer app alone: its options, and how a run ends (errors become one line and an exit code).

Commands register on it from their own modules (point.py, derivatives.py, batch.py); main.py
imports them all.
"""

from __future__ import annotations

import sys
from typing import Annotated

import adcalc
import typer

from .actions import State, fail, internal_error

app = typer.Typer(
    name="adcalc",
    help="Derivatives by automatic differentiation: values, gradients and more at a point.",
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"adcalc {adcalc.__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show Python tracebacks for errors.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """[bold]adcalc[/bold]: derivatives by automatic differentiation.

    Exit codes: 0 success, 1 evaluation failed (e.g. log of a negative number),
    2 bad usage or input (syntax error, unknown function, missing value).
    """
    State.debug = debug


def run() -> None:
    """Run the typer app (cli/fast.py calls this): adcalc errors become one line and an exit code."""
    try:
        code = app(standalone_mode=False)  # click returns, not raises, a command's typer.Exit code
        if isinstance(code, int) and code:
            sys.exit(code)
    except adcalc.AdcalcError as problem:
        if State.debug:
            raise
        sys.exit(fail(problem))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except (typer.Abort, KeyboardInterrupt):
        sys.stderr.write("aborted\n")
        sys.exit(130)
    except Exception as problem:  # click usage errors and anything unforeseen
        _fallback(problem)


def _hint_leading_minus(option: str | None) -> None:
    """An unknown '-x' is most likely an expression such as -x^2 read as an option."""
    if not option or option.startswith("--"):
        return
    token = next((arg for arg in sys.argv[1:] if arg.startswith(option)), option)
    sys.stderr.write(f"hint: an expression that starts with '-' goes after '--': adcalc eval -- '{token}'\n")


def _fallback(problem: Exception) -> None:
    # typer's command-line parsing errors (bad option, missing argument) know how to show
    # themselves and carry click's exit code, 2 for usage errors.
    show, exit_code = getattr(problem, "show", None), getattr(problem, "exit_code", None)
    if callable(show) and isinstance(exit_code, int):
        show()
        _hint_leading_minus(getattr(problem, "option_name", None))
        sys.exit(exit_code)
    if State.debug:
        raise problem
    sys.exit(internal_error(problem))
