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
        value = float(value)  # a numpy float64 prints as a plain float
        return repr(value).replace("inf", "Infinity") if value == value else "NaN"
    if getattr(value, "ndim", 0):
        return shape_text(value) + " ↓"
    return str(value)


def shape_text(array: Any) -> str:
    """'3×3 matrix', 'vector of 5'."""
    if array.ndim == 1:
        return f"vector of {array.shape[0]}"
    return "×".join(map(str, array.shape)) + (" matrix" if array.ndim == 2 else " array")


def array_table(title: str, array: Any, limit: int = 12) -> Any:
    """A rich table laid out like the array: a vector as a column, a matrix as rows and columns."""
    from rich.table import Table

    grid = array.reshape(-1, 1) if array.ndim == 1 else array.reshape(array.shape[0], -1)
    rows, columns = grid.shape
    shown_rows, shown_columns = min(rows, limit), min(columns, limit)
    caption = None
    if (shown_rows, shown_columns) != (rows, columns):
        caption = (
            f"first {shown_rows} of {rows} rows, {shown_columns} of {columns} columns (--json prints all)"
        )
    table = Table(title=title, title_justify="left", caption=caption, caption_justify="left")
    table.add_column("", style="dim", justify="right")
    for j in range(shown_columns):
        table.add_column("" if array.ndim == 1 else str(j + 1), justify="right")
    for i in range(shown_rows):
        table.add_row(str(i + 1), *[number(float(v)) for v in grid[i, :shown_columns]])
    return table


def arrays(named: dict[str, Any], title: str) -> None:
    """Print each array among the values as its own table; title is a format with {name}."""
    for name, value in named.items():
        if getattr(value, "ndim", 0):
            console().print(array_table(title.format(name=_escape(name)), value))


def print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(dumps(document) + "\n")


def point_text(at: dict[str, Any]) -> str:
    """'x = 1.0, A = 3×3 matrix'."""
    return ", ".join(
        f"{name} = {shape_text(value) if getattr(value, 'ndim', 0) else number(value)}"
        for name, value in at.items()
    )


def evaluation(result: Any, as_json: bool) -> None:
    """Value of an expression at a point."""
    if as_json:
        return print_json(result.to_dict())
    from rich.table import Table

    table = Table(title=f"[bold]{_escape(result.expression)}[/bold]", title_justify="left")
    table.add_column("at")
    values = result.value if isinstance(result.value, dict) else None
    if values is None:
        table.add_column("value", justify="right")
        table.add_row(point_text(result.at) or "(constant)", number(result.value))
    else:  # a program with several outputs: one column each
        for name in values:
            table.add_column(_escape(name), justify="right")
        table.add_row(point_text(result.at) or "(constant)", *map(number, values.values()))
    console().print(table)
    arrays(values if values is not None else {"value": result.value}, "{name}")


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
        point = result.at.get(name, "")
        table.add_row(
            name, shape_text(point) if getattr(point, "ndim", 0) else number(point), number(partial)
        )
    console().print(table)
    arrays({"f": result.value}, "f")
    arrays(result.gradient, "∂f/∂{name}")
    warn_nan(result.gradient)


def warn_nan(partials: dict[str, Any]) -> None:
    """A warning on stderr for partials that are NaN (undefined at this point)."""
    undefined = [name for name, value in partials.items() if isinstance(value, float) and value != value]
    if undefined:
        sys.stderr.write(f"warning: derivative undefined (NaN) for {', '.join(undefined)} at this point\n")


def error(problem: Exception, source: str | None) -> None:
    """One error line (plus the source line and a caret when known) on standard error."""
    render = getattr(problem, "render", None)
    text = render(source) if render else f"error: {problem}"
    sys.stderr.write(text + "\n")


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
