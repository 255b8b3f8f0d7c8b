"""The only module that prints: rich tables for people, JSON for pipelines, errors to stderr."""

from __future__ import annotations

import sys
from typing import Any

from .jsonout import dumps


def console(stderr: bool = False) -> Any:
    """A rich Console (imported here, so JSON output never pays for rich)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def number(value: Any) -> str:
    """A float as people read it, in full precision."""
    if isinstance(value, float):
        return repr(value).replace("inf", "Infinity") if value == value else "NaN"
    return str(value)


def print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(dumps(document) + "\n")


def point_text(at: dict[str, Any]) -> str:
    return ", ".join(f"{name} = {number(value)}" for name, value in at.items())


def evaluation(result: Any, as_json: bool) -> None:
    """Value of an expression at a point."""
    if as_json:
        return print_json(result.to_dict())
    from rich.table import Table

    table = Table(title=f"[bold]{_escape(result.expression)}[/bold]", title_justify="left")
    table.add_column("at")
    table.add_column("value", justify="right")
    table.add_row(point_text(result.at) or "(constant)", number(result.value))
    console().print(table)


def gradient(result: Any, as_json: bool) -> None:
    """Value and gradient: one row per variable."""
    if as_json:
        return print_json(result.to_dict())
    from rich.table import Table

    title = f"[bold]f = {_escape(result.expression)}[/bold]\nf = {number(result.value)}"
    table = Table(title=title, title_justify="left")
    table.add_column("variable")
    table.add_column("at", justify="right")
    table.add_column("∂f/∂variable", justify="right")
    for name, partial in result.gradient.items():
        table.add_row(name, number(result.at.get(name, "")), number(partial))
    console().print(table)
    warn_nan(result.gradient)


def warn_nan(partials: dict[str, Any]) -> None:
    """A warning on stderr for partials that are NaN (undefined at this point)."""
    undefined = [name for name, value in partials.items() if isinstance(value, float) and value != value]
    if undefined:
        sys.stderr.write(f"warning: derivative undefined (NaN) for {', '.join(undefined)} at this point\n")


def error(problem: Exception, source: str | None, debug: bool = False) -> None:
    """One error line (plus the source line and a caret when known) on standard error."""
    render = getattr(problem, "render", None)
    text = render(source) if render else f"error: {problem}"
    sys.stderr.write(text + "\n")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
