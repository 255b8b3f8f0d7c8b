"""The only module that prints: rich tables for people, JSON for pipelines, errors to stderr.

Tables never cut a number: a cell shows a number's full round-trip text (repr), or the
precision chosen with --digits; when a table does not fit the width, it folds into one block
per row ("name: value" lines) instead of truncating. Every answer's warnings go to standard
error in every output mode, and into the JSON document's "warnings" list under --json.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from .jsonout import dumps


def console(stderr: bool = False) -> Any:
    """A rich Console (imported here, so JSON output never pays for rich)."""
    from rich.console import Console

    return Console(stderr=stderr, highlight=False)


def _digits() -> int | None:
    # actions.State.digits (--digits N); render sits below actions (actions imports it), so it
    # looks the class up among the loaded modules instead of importing it back (no cycle)
    actions = sys.modules.get(__package__ + ".actions")
    return getattr(getattr(actions, "State", None), "digits", None)


def number(value: Any) -> str:
    """A float as people read it: in full precision (repr), or in --digits significant digits."""
    if isinstance(value, float):
        value = float(value)  # a numpy float64 prints as a plain float
        if value != value:
            return "NaN"
        digits = _digits()
        text = repr(value) if digits is None else format(value, f".{digits}g")
        return text.replace("inf", "Infinity")
    if getattr(value, "ndim", 0):
        return shape_text(value) + " ↓"
    return str(value)


def shape_text(array: Any) -> str:
    """'3×3 matrix', 'vector of 5'."""
    if array.ndim == 1:
        return f"vector of {array.shape[0]}"
    return "×".join(map(str, array.shape)) + (" matrix" if array.ndim == 2 else " array")


def array_table(title: str, array: Any, limit: int = 12) -> Grid:
    """A table laid out like the array: a vector as a column, a matrix as rows and columns."""
    grid = array.reshape(-1, 1) if array.ndim == 1 else array.reshape(array.shape[0], -1)
    rows, columns = grid.shape
    shown_rows, shown_columns = min(rows, limit), min(columns, limit)
    headers = ["" if array.ndim == 1 else str(j + 1) for j in range(shown_columns)]
    table = Grid(title, ["", *headers])
    if (shown_rows, shown_columns) != (rows, columns):
        table.caption = (
            f"first {shown_rows} of {rows} rows, {shown_columns} of {columns} columns (--json prints all)"
        )
    for i in range(shown_rows):
        table.add_row(str(i + 1), *[number(float(v)) for v in grid[i, :shown_columns]])
    return table


class Grid:
    """A table's title, columns and rows as text, drawn by `show` so that it fits the width.

    The first column and those in `left` are left-aligned (names, text), the others right-aligned
    (numbers). Cells are rich markup (escape user text).
    """

    def __init__(
        self, title: str, columns: Sequence[str], left: Sequence[str] = (), whole: Sequence[str] = ()
    ) -> None:
        self.title = title
        self.columns = list(columns)
        self.left = {0, *(k for k, column in enumerate(columns) if column in left)}
        # columns whose cells never wrap (a time: "509 µs" broken over two lines would make the
        # table's layout change from run to run)
        self.whole = {k for k, column in enumerate(columns) if column in whole}
        self.rows: list[list[str]] = []
        self.caption: str | None = None

    def add_row(self, *cells: str) -> None:
        self.rows.append(list(cells))


def _measure(grid: Grid, width: int) -> tuple[list[str], list[list[str]], list[int] | None]:
    """(plain headers, plain rows, column widths), the widths None when the grid cannot fit
    `width` without breaking a word (a number is one word)."""
    from rich.cells import cell_len
    from rich.text import Text

    plain = [[Text.from_markup(cell).plain for cell in row] for row in grid.rows]
    headers = [Text.from_markup(column).plain for column in grid.columns]
    cells = [[headers[j], *(row[j] for row in plain)] for j in range(len(headers))]

    def widest(texts: list[str], split: Any) -> int:
        return max((cell_len(piece) for text in texts for piece in split(text)), default=0)

    natural = [widest(column, str.splitlines) for column in cells]
    least = [natural[j] if j in grid.whole else widest(column, str.split) for j, column in enumerate(cells)]
    room = width - 3 * len(cells) - 1  # borders and padding of a boxed table
    if sum(least) > room:
        return headers, plain, None
    return headers, plain, natural if sum(natural) <= room else _share(least, natural, room)


def show(grid: Grid, *others: Grid, out: Any = None) -> None:
    """Print a Grid: a rich table if every column can be as wide as its longest number or word,
    else the first of `others` (the same numbers laid out another way) that fits, else one block
    per row of `grid`. The title and caption are printed outside the table and never wrapped, so
    the table's width does not break them."""
    from rich.table import Table

    out = out or console()
    headers, plain, widths = _measure(grid, out.width)
    for other in others if widths is None else ():
        _, _, other_widths = _measure(other, out.width)
        if other_widths is not None:
            grid, widths = other, other_widths
            break
    if grid.title:
        out.print(grid.title, soft_wrap=True)
    if widths is None:
        return _blocks(out, headers, plain, grid.caption)
    table = Table()
    for k, (column, width) in enumerate(zip(grid.columns, widths, strict=True)):
        justify = "left" if k in grid.left else "right"
        table.add_column(column, justify=justify, width=width, overflow="fold")
    for row in grid.rows:
        table.add_row(*row)
    out.print(table)
    if grid.caption:
        out.print(grid.caption, soft_wrap=True)


def _share(least: list[int], natural: list[int], room: int) -> list[int]:
    """Column widths between each column's least and natural width, summing to `room`."""
    widths, spare = list(least), room - sum(least)
    wanted = [n - w for n, w in zip(natural, least, strict=True)]
    total = sum(wanted)
    for k, want in enumerate(wanted):
        give = want * spare // total if total else 0
        widths[k] += give
    left = room - sum(widths)
    for k in sorted(range(len(widths)), key=lambda k: wanted[k] - (widths[k] - least[k]), reverse=True):
        if left <= 0:
            break
        if widths[k] < natural[k]:
            widths[k] += 1
            left -= 1
    return widths


def _blocks(out: Any, headers: list[str], rows: list[list[str]], caption: str | None) -> None:
    """The folded layout: the row's name on a line, then 'column: value' lines, never wrapped."""
    from rich.text import Text

    lines = []
    for row in rows:
        lines.append(row[0].replace("\n", " "))
        for header, cell in zip(headers[1:], row[1:], strict=True):
            header = " ".join(header.split())
            text = " ".join(cell.split())
            lines.append(f"  {header}: {text}" if header else f"  {text}")
    if caption:
        lines.append(caption)
    for line in lines:
        out.print(Text(line), soft_wrap=True)


def arrays(named: dict[str, Any], title: str) -> None:
    """Print each array among the values as its own table; title is a format with {name}."""
    for name, value in named.items():
        if getattr(value, "ndim", 0):
            show(array_table(title.format(name=_escape(name)), value))


def print_json(document: dict[str, Any]) -> None:
    sys.stdout.write(dumps(document) + "\n")


def document(result: Any, command: str) -> dict[str, Any]:
    """The JSON document of an answer: which command made it, its keys, and its warnings."""
    return {"command": command, **result.to_dict(), "warnings": list(getattr(result, "warnings", ()))}


def warn(result: Any) -> None:
    """An answer's warnings on standard error, one line each (in every output mode)."""
    for text in getattr(result, "warnings", ()):
        sys.stderr.write(f"warning: {text}\n")


def answer_json(result: Any, command: str) -> None:
    """--json: the document on stdout, the warnings on stderr too."""
    print_json(document(result, command))
    warn(result)


def point_text(at: dict[str, Any]) -> str:
    """'x = 1.0, A = 3×3 matrix'."""
    return ", ".join(
        f"{name} = {shape_text(value) if getattr(value, 'ndim', 0) else number(value)}"
        for name, value in at.items()
    )


def evaluation(result: Any, as_json: bool) -> None:
    """Value of an expression at a point."""
    if as_json:
        return answer_json(result, "eval")
    values = result.value if isinstance(result.value, dict) else None
    title = f"[bold]{_escape(shortened(result.expression))}[/bold]"
    if values is None:
        table = Grid(title, ["at", "value"])
        table.add_row(_escape(point_text(result.at)) or "(constant)", number(result.value))
    else:  # a program with several outputs: one column each
        table = Grid(title, ["at", *map(_escape, values)])
        table.add_row(_escape(point_text(result.at)) or "(constant)", *map(number, values.values()))
    show(table)
    arrays(values if values is not None else {"value": result.value}, "{name}")
    warn(result)


def gradient(result: Any, as_json: bool) -> None:
    """Value and gradient: one row per variable."""
    if as_json:
        return answer_json(result, "grad")
    title = f"[bold]f = {_escape(shortened(result.expression))}[/bold]\nf = {number(result.value)}"
    table = Grid(title, ["variable", "at", "∂f/∂variable"])
    for name, partial in result.gradient.items():
        point = result.at.get(name, "")
        table.add_row(
            name, shape_text(point) if getattr(point, "ndim", 0) else number(point), number(partial)
        )
    show(table)
    arrays({"f": result.value}, "f")
    arrays(result.gradient, "∂f/∂{name}")
    warn(result)


def error(problem: Exception, source: str | None) -> None:
    """One error line (plus the source line and a caret when known) on standard error."""
    render = getattr(problem, "render", None)
    text = render(source) if render else f"error: {problem}"
    sys.stderr.write(text + "\n")


def shortened(expression: str, width: int = 100) -> str:
    """An expression for a title: whitespace collapsed, and a long one (a generated sum of 10^5
    terms) cut to `width` characters and its length, so the answer stays on the screen."""
    text = " ".join(expression.split())
    if len(text) <= width:
        return text
    return f"{text[: width - 1]}… ({len(text):,} characters)"


def _escape(text: str) -> str:
    from rich.markup import escape

    return escape(text)
