"""`adcalc plot`: f and its exact derivatives over a range, in the terminal, as an image, or as JSON.

uniplot draws in the terminal and matplotlib (the `plot` extra) draws files; both are imported
only when this command draws, never when the app starts.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from adcalc.errors import BadValue, UsageError

from .actions import load
from .app import app
from .options import AtOpt, ExprArg, JsonOpt
from .values import parse_at, parse_value

FORMATS = (".png", ".svg", ".pdf")
DPI = 100  # --size is in pixels: figure inches = pixels / DPI
LABELS = {"f": "f", "df": "f′", "d2f": "f″"}
SYMBOLS = {"f": "*", "df": "+", "d2f": ".", "critical": "O"}  # without colour, series differ by symbol
HEIGHT = 17  # terminal plot rows (uniplot's default): fixed, so the output does not depend on LINES
EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 drawn (or written); 1 f is undefined on the whole range; "
    "2 bad usage or input (range, --at, unknown variable, vector output, matplotlib missing for -o); "
    "130 interrupted (Ctrl-C); 141 the output pipe was closed."
)

RangeOpt = Annotated[
    str | None,
    typer.Option(
        "--x",
        metavar="[NAME=]A:B",
        help="The range: a:b for a one-input f, or NAME=a:b (ends may be expressions: -pi:pi).",
        show_default=False,
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option(
        "--output", "-o", help="Write an image, .png .svg or .pdf (needs adcalc\\[plot]).", show_default=False
    ),
]
SizeOpt = Annotated[
    str | None,
    typer.Option("--size", metavar="WxH", help="Image size in pixels (default 800x600).", show_default=False),
]


@app.command(epilog=EXIT_CODES)
def plot(
    expr: ExprArg,
    over: RangeOpt = None,
    at: AtOpt = None,
    points: Annotated[int, typer.Option("--points", "-n", help="Points on the grid.")] = 201,
    order: Annotated[int, typer.Option("--order", "-k", help="1: f and f′; 2: also f″.")] = 1,
    critical: Annotated[
        bool, typer.Option("--critical", "-c", help="Mark the critical points (f′ = 0).")
    ] = False,
    output: OutputOpt = None,
    size: SizeOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """f and f′ over a range: [cyan]adcalc plot 'sin(x)' --x 0:7 --critical[/cyan].

    Values and derivatives are exact (adcalc's compiled kernels over the whole grid). NaN and
    infinite values, poles and jumps are gaps, never lines drawn across them. Several inputs:
    --x NAME=a:b names the one that varies, --at fixes the others.
    """
    import adcalc
    from adcalc.api import plot_shapes

    point = parse_at(at)
    pixels = parse_size(size, output)
    graph = load(expr, shapes=plot_shapes(point))
    name, interval = parse_range(over, graph.variables)
    result = adcalc.plot_data(graph, name, interval, at=point, points=points, order=order, critical=critical)
    if output is not None:
        write_image(result, output, pixels)
    if as_json:
        from .render import answer_json

        return answer_json(result, "plot")
    if output is not None:
        sys.stdout.write(f"wrote {output} ({pixels[0]}×{pixels[1]} pixels)\n")
    else:
        sys.stdout.write(terminal_plot(result) + "\n")
    from .render import warn

    warn(result)


# --- options ----------------------------------------------------------------------------------
def parse_range(text: str | None, inputs: tuple[str, ...] = ()) -> tuple[str | None, tuple[float, float]]:
    """(the variable or None, (a, b)) from --x 'a:b' or 'name=a:b'; a and b may be constant expressions."""
    if text is None:
        if len(inputs) > 1:
            raise UsageError(f"give the range with --x NAME=a:b, NAME one of the inputs {', '.join(inputs)}")
        raise UsageError("give the range with --x a:b, such as --x -3:3")
    name, equals, span = text.partition("=")
    if not equals:
        name, span = "", text
    name = name.strip()
    if equals and not name.isidentifier():
        raise BadValue(f"--x {text!r}: expected a:b or NAME=a:b, such as x=-3:3")
    ends = span.split(":")
    if len(ends) != 2 or not all(end.strip() for end in ends):
        raise BadValue(f"--x {text!r}: expected a:b or NAME=a:b, such as x=-3:3")
    low, high = (_end(text, end.strip()) for end in ends)
    if not (isinstance(low, float) and isinstance(high, float)):
        raise BadValue(f"--x {text!r}: the ends of the range are numbers")
    if not low < high:
        raise BadValue(f"--x {text!r}: the range must go up (a < b in a:b)")
    return name or None, (low, high)


def _end(text: str, end: str) -> Any:
    try:
        return parse_value("x", end)
    except BadValue:
        raise BadValue(
            f"--x {text!r}: {end!r} is not a number (nor a constant expression such as pi/2)"
        ) from None


def parse_size(text: str | None, output: Path | None) -> tuple[int, int]:
    """(width, height) in pixels from --size WxH; only for -o files (whose name is checked here too)."""
    if output is not None and output.suffix.lower() not in FORMATS:
        raise BadValue(f"-o {output}: the file name must end with .png, .svg or .pdf")
    if text is None:
        return 800, 600
    if output is None:
        raise UsageError("--size sets the size of an image file: give -o FILE.png (or .svg, .pdf) too")
    found = re.fullmatch(r"\s*(\d+)\s*[x×]\s*(\d+)\s*", text)
    if not found or not all(16 <= int(n) <= 20000 for n in found.groups()):
        raise BadValue(f"--size {text!r}: expected WxH in pixels, each 16 to 20000, such as 800x600")
    return int(found.group(1)), int(found.group(2))


# --- drawing ----------------------------------------------------------------------------------
def title(result: Any) -> str:
    """'f = sin(x): f and f′ for x in [0, 7]'."""
    from .render import shortened

    names = [LABELS[name] for name in result.series]
    drawn = " and ".join([", ".join(names[:-1]), names[-1]])
    low, high = result.interval
    return f"f = {shortened(result.expression)}: {drawn} for {result.variable} in [{low:g}, {high:g}]"


def broken(x: Any, y: Any, pieces: list[tuple[int, int]]) -> tuple[Any, Any]:
    """x and y with a NaN between pieces, so that neither plotter draws a line across a gap."""
    import numpy as np

    xs, ys = [np.array([np.nan])], [np.array([np.nan])]  # no piece at all: one gap
    for first, last in pieces:
        xs += [x[first : last + 1], [np.nan]]
        ys += [y[first : last + 1], [np.nan]]
    return np.concatenate(xs), np.concatenate(ys)


def terminal_plot(result: Any) -> str:
    """The plot as text (uniplot), as wide as the terminal (COLUMNS)."""
    import os
    import shutil

    from uniplot import plot_to_string

    drawn = [name for name in result.series if result.segments[name]]  # uniplot needs a value per series
    curves = [broken(result.x, result.series[name], result.segments[name]) for name in drawn]
    xs, ys = [x for x, _ in curves], [y for _, y in curves]
    labels, symbols, lines = (
        [LABELS[name] for name in drawn],
        [SYMBOLS[name] for name in drawn],
        [True] * len(drawn),
    )
    if result.critical:
        xs.append([p.x for p in result.critical])
        ys.append([p.f for p in result.critical])
        labels.append("f′ = 0")
        symbols.append(SYMBOLS["critical"])
        lines.append(False)
    width = shutil.get_terminal_size((100, 24)).columns
    colour = sys.stdout.isatty() and "NO_COLOR" not in os.environ and os.environ.get("TERM") != "dumb"
    low, high = result.view()
    style: dict[str, Any] = {"color": True}
    if not colour:  # one symbol per series, so that f and f′ differ in plain text too
        style = {"color": False, "character_set": "ascii", "force_ascii_characters": symbols}
    inside = lambda low, high: [0.0] if low < 0 < high else []  # an axis line at 0, not on the frame
    style.update(x_gridlines=inside(*result.interval), y_gridlines=inside(low, high))
    return plot_to_string(
        ys, xs, lines=lines,
        title=title(result), legend_labels=labels, width=width, line_length_hard_cap=width, height=HEIGHT,
        x_min=result.interval[0], x_max=result.interval[1], y_min=low, y_max=high, **style,
    )  # fmt: skip


def write_image(result: Any, path: Path, pixels: tuple[int, int]) -> None:
    """The plot as a .png, .svg or .pdf file of `pixels` (width, height), by matplotlib."""
    suffix = path.suffix.lower()
    try:
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError("-o needs matplotlib, which is not installed: pip install 'adcalc[plot]'") from None
    # one panel per series, x shared: f″ near a pole would squash f on a common axis
    figure = Figure(figsize=(pixels[0] / DPI, pixels[1] / DPI), dpi=DPI, layout="constrained")
    panels = figure.subplots(len(result.series), 1, sharex=True, squeeze=False)[:, 0]
    for k, (panel, (name, values)) in enumerate(zip(panels, result.series.items(), strict=True)):
        panel.plot(*broken(result.x, values, result.segments[name]), color=f"C{k}")
        panel.axhline(0, color="grey", linewidth=0.5)
        panel.set_ylim(*result.view([name]))
        panel.set_ylabel(LABELS[name])
        panel.grid(alpha=0.3)
        for point in result.critical or ():
            panel.axvline(point.x, color="grey", linewidth=0.5, linestyle=":")
    if result.critical:
        points = [p.x for p in result.critical], [p.f for p in result.critical]
        panels[0].plot(*points, "o", color="black", label="f′ = 0")
        panels[0].legend()
    panels[-1].set_xlim(*result.interval)
    panels[-1].set_xlabel(result.variable)
    figure.suptitle(title(result))
    try:
        figure.savefig(path, format=suffix[1:], dpi=DPI)
    except OSError as problem:
        raise BadValue(f"-o {path}: cannot write it ({problem.strerror or problem})") from None
