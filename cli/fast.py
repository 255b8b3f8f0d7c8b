"""The console script: one-point `eval` and `grad` calls skip building the typer app.

Shell scripts call `adcalc grad EXPR --at x=1,y=2 --json` in loops, and importing typer and
building the app for every command costs more than all the rest of such a call. When the
arguments are exactly `eval|grad EXPR [--at V]... [--wrt V]... [--json]` (and the global
--debug and --digits N anywhere, which cli/entry.py takes out first), this runs the same actions
that the typer commands run (cli/actions.py); anything else — help, other commands, other
options, an EXPR that starts with '-' — goes to typer, so there is one behaviour.
"""

from __future__ import annotations

import sys
from typing import Any

VALUED = {"--at": "at", "-a": "at", "--wrt": "wrt", "-w": "wrt"}
FLAGS = {"--json": "as_json", "-j": "as_json"}


def quick_call(args: list[str]) -> tuple[str, dict[str, Any]] | None:
    """(command, arguments) for a call the fast path can run exactly as typer would, else None."""
    if len(args) < 2 or args[0] not in ("eval", "grad") or args[1].startswith("-"):
        return None
    command, options = args[0], {"expr": args[1], "at": [], "wrt": [], "as_json": False}
    rest = iter(args[2:])
    for arg in rest:
        name, equals, value = arg.partition("=") if arg.startswith("--") else (arg, "", "")
        if name in FLAGS and not equals:
            options[FLAGS[name]] = True
        elif name in VALUED and not (command == "eval" and VALUED[name] == "wrt"):
            value = value if equals else next(rest, None)
            if value is None:
                return None
            options[VALUED[name]].append(value)  # repeated --at and --wrt accumulate, as in typer
        else:
            return None
    if command == "eval":
        del options["wrt"]
    else:
        options["wrt"] = options["wrt"] or None  # typer's value for a list option not given
    return command, options


def main() -> None:
    """The `adcalc` process (the console script, `python -m adcalc`): the command, in a process
    that is its own, so it may keep a parsed graph away from the cyclic collector (actions.load)."""
    from .actions import State

    State.own_process = True
    run()


def run() -> None:
    """The `adcalc` command with sys.argv (tests run it in their own process)."""
    from .entry import finish

    finish(_run)


def _run() -> None:
    from adcalc.errors import AdcalcError

    from . import actions
    from .entry import take_globals

    try:
        args = take_globals(sys.argv[1:])
    except AdcalcError as problem:  # a bad --digits value: one line, exit 2
        sys.exit(actions.fail(problem))
    call = quick_call(args)
    if call is None:
        from .main import run as run_typer

        return run_typer(args)
    command, options = call
    action = actions.evaluate if command == "eval" else actions.gradient
    code = actions.guarded(action, *options.values())
    if code:
        sys.exit(code)
