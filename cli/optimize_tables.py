"""How `minimize` and `solve` print: tables for people, one JSON document for --json, and the live
table of iterations on a terminal."""

from __future__ import annotations

import math
import time
from typing import Any

from .render import Grid, _escape, answer_json, console, number, shortened, show, warn

SHOWN = 12  # element rows of a vector unknown before '… n more'


def _time(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms" if seconds < 1 else f"{seconds:.2f} s"


def _iterations(count: int) -> str:
    return f"{count} iteration{'' if count == 1 else 's'}"


def _bound(low: float, high: float) -> str:
    return f"{number(low) if math.isfinite(low) else '-Infinity'}:{number(high)}"


def _rows(table: Grid, labels: list[str], columns: list[list[Any]], extra: list[str] | None = None) -> None:
    """One row per element, the first SHOWN ones and the last, '… n more' between."""
    count = len(labels)
    chosen = list(range(count)) if count <= SHOWN + 1 else [*range(SHOWN), count - 1]
    for k in chosen:
        if k == count - 1 and count > SHOWN + 1:
            table.add_row(f"… {count - SHOWN - 1} more", *("…" for _ in range(len(columns) + bool(extra))))
        cells = [number(float(column[k])) for column in columns]
        table.add_row(_escape(labels[k]), *cells, *([extra[k]] if extra else []))
    if count > SHOWN + 1:
        table.caption = f"{count} elements; --json prints every one"


def minimum(result: Any, as_json: bool) -> None:
    """The answer: the point, the gradient there, the constraints, and what it cost."""
    if as_json:
        return answer_json(result, "minimize")
    verdict = "minimum" if result.success else "NOT converged; last iterate"
    title = (
        f"[bold]f = {_escape(shortened(result.expression))}[/bold]\n"
        f"{verdict}: f = {number(result.fun)} ({result.method}: {_escape(' '.join(result.message.split()))})"
    )
    x0, x, gradient = result.flat
    bounds = _element_bounds(result) if result.bounds else None
    table = Grid(
        title, ["variable", "start", "x", "∂f/∂variable", *(["bounds"] if bounds else [])], left=("bounds",)
    )
    _rows(table, result.labels, [x0, x, gradient], bounds)
    show(table)
    if result.constraints:
        constraints = Grid("", ["constraint", "lhs − rhs", "active", "multiplier λ"])
        for c in result.constraints:
            value = number(c.value) if not getattr(c.value, "ndim", 0) else _escape(str(c.value.tolist()))
            lam = (
                number(c.multiplier)
                if not getattr(c.multiplier, "ndim", 0)
                else _escape(str(c.multiplier.tolist()))
            )
            constraints.add_row(_escape(c.constraint), value, "yes" if c.active else "no", lam)
        show(constraints)
    console().print(_costs(result), soft_wrap=True)
    warn(result)


def _element_bounds(result: Any) -> list[str]:
    """Per element: 'lo:hi', with '(active)' where x sits on one of them."""
    found = []
    x = result.flat[1]
    k = 0
    for name, value in result.x.items():
        count = getattr(value, "size", 1)
        low, high = result.bounds.get(name, (-math.inf, math.inf))
        for _ in range(count):
            on = any(math.isfinite(b) and abs(x[k] - b) <= 1e-6 * max(1.0, abs(b)) for b in (low, high))
            text = _bound(low, high) if (low, high) != (-math.inf, math.inf) else ""
            found.append(text + (" (active)" if on else ""))
            k += 1
    return found


def _costs(result: Any) -> str:
    counts = [f"f {result.nfev}", f"∇f {result.njev}"]
    if result.nhev:
        counts.append(f"∇²f {result.nhev}")
    if result.nhvp:
        counts.append(f"H·v {result.nhvp}")
    constraints = "".join(f"; {_escape(c.constraint)}: c {c.nfev}, ∇c {c.njev}" for c in result.constraints)
    measure = "KKT residual" if result.bounds or result.constraints else "‖∇f‖"
    return (
        f"{_iterations(result.nit)}; evaluations: {', '.join(counts)}{constraints}\n"
        f"{measure} = {number(result.optimality)} (--gtol {result.gtol:g}); {_time(result.seconds)}"
    )


def root(result: Any, as_json: bool) -> None:
    """The root, F there (per output and ‖F‖), and what it cost."""
    if as_json:
        return answer_json(result, "solve")
    verdict = "root" if result.success else "NOT converged; last iterate"
    text = shortened(result.expression)
    title = (
        f"[bold]{_escape(text if any(k.find('=') >= 0 for k in result.fun) else 'F = ' + text)}[/bold]\n"
        f"{verdict} ({result.method}: {_escape(' '.join(result.message.split()))})"
    )
    x0, x = result.flat
    table = Grid(title, ["variable", "start", "x"])
    _rows(table, result.labels, [x0, x])
    outputs = Grid("", ["output", "F(x)"])
    for name, value in result.fun.items():
        cell = number(value) if not getattr(value, "ndim", 0) else _escape(str(value.tolist()))
        outputs.add_row(_escape(name), cell)
    show(table)
    show(outputs)
    counts = [f"F {result.nfev}"]
    if result.njev or len(result.labels) > 1:
        counts.append(f"{'F′' if len(result.labels) == 1 else 'J'} {result.njev}")
    if result.nhev:
        counts.append(f"F″ {result.nhev}")
    iterations = f"{_iterations(result.nit)}; " if result.nit is not None else ""
    rank = f"rank of J at x: {result.rank} of {len(result.labels)}"
    console().print(
        f"‖F(x)‖ = {number(result.residual_norm)}; {iterations}evaluations: {', '.join(counts)}; {rank}; "
        f"{_time(result.seconds)}",
        soft_wrap=True,
    )
    warn(result)


class LiveTable:
    """The iterations as they come (f, ‖∇f‖, step), on standard error, the last rows of a rich table."""

    def __init__(self, shown: int = 10) -> None:
        from rich.live import Live

        self.rows: list[tuple[int, float, float, float]] = []
        self.shown, self.began = shown, time.perf_counter()
        self.live = Live(self, console=console(stderr=True), refresh_per_second=8)
        self.live.start()

    def __call__(self, iteration: int, x: Any, value: float, gradient_norm: float, step: float) -> None:
        self.rows.append((iteration, value, gradient_norm, step))

    def __rich__(self) -> Any:
        from rich.table import Table

        table = Table(title=f"iterations ({_time(time.perf_counter() - self.began)})", title_justify="left")
        for column in ("iteration", "f", "‖∇f‖", "step"):
            table.add_column(column, justify="right")
        for iteration, value, gradient_norm, step in self.rows[-self.shown :]:
            table.add_row(str(iteration), f"{value:.10g}", f"{gradient_norm:.3e}", f"{step:.3e}")
        return table

    def stop(self) -> None:
        """The last state of the table stays on the terminal, above the answer."""
        self.live.stop()
