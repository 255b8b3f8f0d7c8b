"""The Typer app alone: its options, and how a run ends (errors become one line and an exit code).

Commands register on it from their own modules (point.py, derivatives.py, batch.py); main.py
imports them all.
"""

from __future__ import annotations

import functools
import inspect
import sys
from typing import Annotated, Any

import adcalc
import typer
from typer.core import TyperGroup

from .actions import State, error_json, fail, internal_error
from .entry import INTERRUPTED, Ended, finish, take_globals

EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 success; 1 evaluation failed (e.g. log of a negative number); "
    "2 bad usage or input (syntax error, unknown function, missing value, unknown option); "
    "130 interrupted (Ctrl-C); 141 the output pipe was closed (e.g. by head)."
)


class AdcalcGroup(TyperGroup):
    """The app's click group: a closed pipe or Ctrl-C inside a command reaches cli/entry.py.

    typer's main loop would end a BrokenPipeError with a silent exit 1 and Ctrl-C with a
    silent exit 130; wrapped in Ended, they pass it untouched.
    """

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except (BrokenPipeError, KeyboardInterrupt) as problem:
            raise Ended(problem) from problem


app = typer.Typer(
    name="adcalc",
    cls=AdcalcGroup,
    help="Derivatives by automatic differentiation: values, gradients and more at a point.",
    epilog=EXIT_CODES,
    rich_markup_mode="rich",
    no_args_is_help=True,
    add_completion=True,  # --install-completion, --show-completion; the fast path never builds this
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},  # subcommands inherit it from click
)


def add_epilogs() -> None:
    """Every command's --help ends with the exit codes (unless it states its own), and its text
    flows: rich markup keeps each line break of a docstring, which cut sentences mid-line."""
    for command in app.registered_commands:
        command.epilog = command.epilog or EXIT_CODES
        if command.help is None and command.callback is not None and command.callback.__doc__:
            command.help = reflowed(inspect.cleandoc(command.callback.__doc__))


def reflowed(text: str) -> str:
    """Paragraphs as single lines; lines of lists (`- `) and indented lines keep their breaks."""
    out: list[str] = []
    for line in text.split("\n"):
        joins = out and out[-1] and line.strip() and not line.startswith((" ", "-", "*", "$"))
        if joins and not out[-1].startswith((" ", "$")):
            out[-1] += " " + line.strip()
        else:
            out.append(line)
    return "\n".join(out)


def _version(value: bool) -> None:
    if value:
        sys.stdout.write(f"adcalc {adcalc.__version__}\n")
        raise typer.Exit()


@app.callback()
def main(
    # --debug and --digits are taken out of argv before click parses it (cli/entry.py), so
    # that they work anywhere on the command line; declared here for --help and completion.
    debug: Annotated[
        bool, typer.Option("--debug", help="Show Python tracebacks for errors (anywhere on the line).")
    ] = False,
    digits: Annotated[
        int | None,
        typer.Option(
            "--digits",
            metavar="N",
            help="Show numbers in tables with N significant digits, 1 to 17 (anywhere on the line; "
            "default: every digit of the shortest round-trip text).",
            show_default=False,
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """[bold]adcalc[/bold]: derivatives by automatic differentiation.

    Example: [cyan]adcalc grad 'sin(x)*y' --at x=1,y=2[/cyan]; [cyan]adcalc COMMAND -h[/cyan]
    for a command's options. With --json, an error is also one JSON object on the last line of
    standard error.
    """


def run(args: list[str] | None = None) -> None:
    """Run the typer app: adcalc errors become one line and an exit code.

    cli/fast.py calls this with the arguments it has already taken --debug and --digits out
    of; called without them (python -m adcalc.cli.main, the tests), it is the entry point.
    """
    if args is None:
        return finish(lambda: _run(_globals_taken(sys.argv[1:])))
    _run(args)


def _globals_taken(args: list[str]) -> list[str]:
    """take_globals, with a bad --digits ending the run as every bad input does (one line, exit 2)."""
    try:
        return take_globals(args)
    except adcalc.AdcalcError as problem:
        sys.exit(fail(problem))


def expression_first(args: list[str]) -> list[str]:
    """`adcalc grad -x^2 --at x=3`: an argument that starts with '-', is none of the command's
    options and parses as an expression is the expression (moved after `--` for click).

    Options still parse as options, with their values (`-k 2`, `-k2`, `--at=x=1`), and an
    explicit `--` is left alone.
    """
    if not any(a.startswith("-") and a != "-" and not a.startswith("--") for a in args[1:]):
        return args  # the common case costs nothing: no click command is built
    sub = getattr(click_command(), "commands", {}).get(args[0])
    if sub is None:
        return args
    options: dict[str, Any] = {n: param for param in sub.params for n in (*param.opts, *param.secondary_opts)}
    options.update({"-h": _FLAG, "--help": _FLAG})
    i = 1
    while i < len(args):
        arg = args[i]
        if arg == "--":
            return args
        name = arg.split("=", 1)[0] if arg.startswith("--") else arg[:2]
        option = options.get(name)
        if arg.startswith("-") and arg != "-" and option is not None and not _operator_follows(arg, option):
            flag = getattr(option, "is_flag", False) or getattr(option, "count", False)
            attached = "=" in arg if arg.startswith("--") else len(arg) > 2
            i += 1 if flag or attached else 2
            continue
        if arg.startswith("-") and arg != "-" and not arg.startswith("--") and _parses(arg):
            return [*args[:i], *args[i + 1 :], "--", arg]
        i += 1
    return args


@functools.cache
def click_command() -> Any:
    """The click command typer builds from the app (all commands registered by cli/main.py)."""
    return typer.main.get_command(app)


def _operator_follows(arg: str, option: Any) -> bool:
    """`-w^2`, `-a*x`, `-alpha*x`, `-mu*x`, `-sin(x)`: a short option's letter, then what cannot be
    its value (an operator, a call; not a number for a number option) — an expression."""
    if arg.startswith("--") or len(arg) <= 2 or not _parses(arg):
        return False
    value = arg[2:]
    if value[0] in "^*/+-@'<>=!)" or any(c in value for c in "*^()'@<>!"):
        return True
    kind = getattr(getattr(option, "type", None), "name", "")
    if kind in ("int", "integer", "float"):  # -k2 is --order 2; -kx is no order
        try:
            float(value)
        except ValueError:
            return True
    return False


class _FLAG:
    is_flag = True  # the help option, which click adds to every command itself


def _parses(text: str) -> bool:
    from adcalc.errors import ParseError

    try:
        adcalc.parse(text)
    except ParseError:
        return False
    except adcalc.AdcalcError:  # it parses; what it means is the command's business
        return True
    return True


def _run(args: list[str]) -> None:
    args = expression_first(args)
    try:
        # click returns, not raises, typer.Exit codes; the command typer built for
        # expression_first is reused (building it costs ~100 ms: once a run, not twice)
        code = click_command()(args=args, standalone_mode=False)
        if code == INTERRUPTED:  # typer's own answer to Ctrl-C while parsing: say it
            raise Ended(KeyboardInterrupt())
        if isinstance(code, int) and code:
            sys.exit(code)
    except adcalc.AdcalcError as problem:
        if State.debug:
            raise
        sys.exit(fail(problem))
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.stderr.write("aborted\n")
        sys.exit(INTERRUPTED)
    except BrokenPipeError:  # not an error: cli/entry.py ends the run quietly
        raise
    except Exception as problem:  # click usage errors and anything unforeseen
        _fallback(problem, args)


def _hint_leading_minus(problem: Exception, args: list[str]) -> None:
    """An unknown '-x' after a command is most likely an expression such as -x^2 read as an option."""
    option, context = getattr(problem, "option_name", None), getattr(problem, "ctx", None)
    if not option or option.startswith("--") or context is None or context.parent is None:
        return  # a long option, or at the top level (adcalc -z): not an expression
    token = next((arg for arg in args if arg.startswith(option)), option)
    hint = f"an expression that starts with '-' goes after '--': {context.command_path} -- '{token}'"
    sys.stderr.write(f"hint: {hint}\n")


def _fallback(problem: Exception, args: list[str]) -> None:
    # typer's command-line parsing errors (bad option, missing argument) know how to show
    # themselves and carry click's exit code, 2 for usage errors.
    show, exit_code = getattr(problem, "show", None), getattr(problem, "exit_code", None)
    if callable(show) and isinstance(exit_code, int):
        format_message = getattr(problem, "format_message", None)
        message = format_message() if callable(format_message) else str(problem)
        # one line, as every other error: click's own display is a usage block of four lines
        context = getattr(problem, "ctx", None)
        where = context.command_path if context is not None else "adcalc"
        sys.stderr.write(f"error: {message} (see: {where} -h)\n")
        _hint_leading_minus(problem, args)
        error_json("UsageError", message, exit_code)
        sys.exit(exit_code)
    if State.debug:
        raise problem
    sys.exit(internal_error(problem))
