"""`adcalc batch`: value, gradient and Hessian for every row of a table, as a streaming filter.

Exit codes: 0 every row evaluated; 1 some row failed (marked, skipped, or stopped with
--on-error fail); 2 bad usage or input (unknown format, a variable with no column, ...).
"""

from __future__ import annotations

import sys
from collections import deque
from enum import StrEnum
from functools import cache
from typing import TYPE_CHECKING, Annotated, Any

import typer
from adcalc.errors import EvaluationError, UsageError

from .actions import load
from .app import app

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor
from .options import ExprArg, WrtOpt
from .tally import Tally, keep_names, kept_columns
from .values import parse_names


class OnError(StrEnum):
    mark = "mark"
    skip = "skip"
    fail = "fail"


class Engine(StrEnum):
    auto = "auto"  # c when a C compiler is found, else numpy (the default)
    c = "c"  # the generated C, compiled once with the system compiler (cached), two threads
    numpy = "numpy"  # generated numpy kernels, two threads
    local = "local"  # the name of numpy before there was a C engine
    dask = "dask"


class RowFailed(EvaluationError):
    """Row failed."""


InputOpt = Annotated[
    str,
    typer.Option(
        "--input",
        "-i",
        help="Input table: a file, a directory, a glob, an fsspec URL, or - for standard input.",
    ),
]
OutputOpt = Annotated[str, typer.Option("--output", "-o", help="Output file, or - for standard output.")]
GradOpt = Annotated[bool, typer.Option("--grad", "-g", help="Add the gradient columns d_<variable>.")]
HessianOpt = Annotated[
    bool, typer.Option("--hessian", "-H", help="Add gradient and Hessian columns d2_<first>_<second>.")
]
InFormatOpt = Annotated[
    str | None,
    typer.Option(
        "--input-format", help="csv, tsv, jsonl, json, npy, npz, parquet, arrow (default: extension)."
    ),
]
FormatOpt = Annotated[
    str | None, typer.Option("--format", "-f", help="Output format: csv, tsv, jsonl, json, parquet, arrow.")
]
KeepOpt = Annotated[
    str | None,
    typer.Option("--keep", help="Input columns to pass through: a,b or none (default: all non-variables)."),
]
OnErrorOpt = Annotated[
    OnError, typer.Option("--on-error", help="A failing row is marked, skipped, or fatal.")
]
QuietOpt = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress bar, no summary unless rows failed.")
]
EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        help="auto (c when a C compiler is found, else numpy), c (the generated C, compiled with cc "
        "once and cached in ~/.cache/adcalc), numpy (local is the same), or dask for directories of files.",
    ),
]
SchedulerOpt = Annotated[
    str | None, typer.Option("--scheduler", help="Dask scheduler address, e.g. tcp://10.0.0.5:8786.")
]
TextEngineOpt = Annotated[str | None, typer.Option("--text-engine", hidden=True)]  # tests: python or arrow
PropagateOpt = Annotated[
    bool,
    typer.Option(
        "--propagate",
        "-p",
        help="Add u, the value's standard uncertainty (first order), from columns u_<variable>.",
    ),
]


BATCH_EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 every row evaluated; 1 some row failed (marked, skipped, or stopped "
    "with --on-error fail); 2 bad usage or input (unknown format, a variable with no column, ...); "
    "130 interrupted (Ctrl-C); 141 the output pipe was closed (e.g. by head: rows written so far "
    "are kept)."
)


@app.command(epilog=BATCH_EXIT_CODES)
def batch(
    expr: ExprArg,
    input_path: InputOpt,
    output: OutputOpt = "-",
    grad: GradOpt = False,
    hessian: HessianOpt = False,
    wrt: WrtOpt = None,
    input_format: InFormatOpt = None,
    output_format: FormatOpt = None,
    keep: KeepOpt = None,
    on_error: OnErrorOpt = OnError.mark,
    quiet: QuietOpt = False,
    engine: EngineOpt = Engine.auto,
    scheduler: SchedulerOpt = None,
    text_engine: TextEngineOpt = None,
    propagate: PropagateOpt = False,
) -> None:
    """Evaluate [bold]EXPR[/bold] on every row: [cyan]adcalc batch 'sin(x)*y' -i data.csv --grad[/cyan].

    With --propagate, input columns u_<variable> give each row's standard uncertainties (a
    variable without one is exact) and the output has columns value and u (first order).
    """
    import adcalc
    from adcalc.api import SCALARS

    if propagate and (hessian or wrt or engine is Engine.dask):
        raise UsageError(
            "--propagate differentiates by every variable, locally: no --hessian, --wrt or --engine dask"
        )
    kernels = "numpy" if engine in (Engine.local, Engine.dask) else engine.value
    # a column: a number a row
    compiled = adcalc.compile(load(expr, shapes=SCALARS), wrt=parse_names(wrt), engine=kernels)
    order = 2 if hessian else 1 if grad or propagate else 0
    if engine is Engine.dask:
        from .batch_dask import run_dask

        return run_dask(compiled, order, input_path, output, input_format, keep, scheduler, quiet)
    tally = run_local(
        compiled, order, input_path, output, input_format, output_format, keep, on_error, quiet, text_engine,
        _uncertainties(compiled, grad) if propagate else None,
    )  # fmt: skip
    if tally.failed or not quiet:
        sys.stderr.write(tally.summary() + "\n")
    if tally.failed:
        raise typer.Exit(1)


def run_local(
    compiled: Any,
    order: int,
    input_path: str,
    output: str,
    input_format: str | None,
    output_format: str | None,
    keep: str | None,
    on_error: OnError,
    quiet: bool,
    text_engine: str | None = None,
    uncertain: Any = None,
) -> Tally:
    """Read, evaluate and write chunk by chunk; the Tally of rows."""
    from . import formats
    from .writers import open_sink

    # --text-engine (hidden, for the tests): python or arrow for both, or READER/WRITER
    reader, _, writer = (text_engine or "").partition("/")
    source = formats.open_source(input_path, input_format, compiled.variables, use_arrow=reader != "python")
    fmt = source.format
    default_out = fmt if fmt in ("csv", "tsv", "jsonl", "json") else "csv"
    sink_format = formats.format_of(output, output_format, default=default_out)
    sink = open_sink(output, sink_format, writer or reader)
    plan, names = compiled.plan(order), compiled.outputs(order)[0]
    if fmt in ("jsonl", "json") and keep:
        # JSON has no header: a key named by --keep may first appear in a later record
        formats.grow(source.columns, keep_names(keep))
    if uncertain is not None:  # --propagate: value, u (and the gradient with --grad)
        uncertain.check_header(source.columns)
    kept = kept_columns(keep, source.columns, compiled.variables)
    _check_names(kept, [*(uncertain.names if uncertain is not None else names), "error"])
    # The output's columns are fixed by the first chunk, except in JSON, where every object
    # names its own keys: a key of a later JSON record that is not a column fails its row.
    fixed = None if sink_format in ("jsonl", "json") else kept
    tally = Tally()
    progress = _progress(source, quiet or input_path == "-")
    pending: deque[tuple[list[str], Future[Any]]] = deque()  # chunks being encoded, in order
    # From a pipe, each chunk goes out before the next is read: reading may block until more
    # rows arrive, and rows already evaluated must not wait for them (a streaming filter).
    streaming = input_path == "-"
    emitted = False  # a chunk (at least the header) has gone to the sink
    try:
        for chunk in source.chunks:
            columns, stop = _chunk_columns(
                compiled, plan, names, chunk, keep, source.columns, on_error, tally, uncertain, fixed
            )
            if columns and (len(columns[0].values) or not emitted):
                emitted = True
                pending.append(([c.name for c in columns], _encoder().submit(sink.encode, columns)))
            while pending and (
                streaming or len(pending) > ENCODING or pending[0][1].done() or stop is not None
            ):
                labels, encoded = pending.popleft()
                sink.emit(labels, encoded.result())
            if progress is not None:
                progress.update(source.position[0])
            if stop is not None:
                raise RowFailed(stop)
        while pending:
            labels, encoded = pending.popleft()
            sink.emit(labels, encoded.result())
        if not emitted:  # no rows (a header alone): the header still goes out
            columns, _ = _chunk_columns(
                compiled, plan, names, formats.empty_chunk(compiled.variables), keep, source.columns,
                on_error, tally, uncertain, fixed,
            )  # fmt: skip
            sink.emit([c.name for c in columns], sink.encode(columns))
    except UsageError:  # a later input file is unreadable: the rows before it are still written
        while pending:
            labels, encoded = pending.popleft()
            try:
                sink.emit(labels, encoded.result())
            except UsageError:  # the output cannot take them either: the first reason stands
                break
        raise
    finally:
        if progress is not None:
            progress.stop()
        sink.close()
    return tally


def _uncertainties(compiled: Any, grad: bool) -> Any:
    from .batch_propagate import RowUncertainties

    return RowUncertainties(compiled, grad)


def _check_names(kept: list[str], outputs: list[str]) -> None:
    """UsageError when a passed-through input column has an output column's name (or --keep
    names one twice): the output would repeat a name, and JSON and Parquet keep only one."""
    from .chunks import shown_names

    twice = sorted({name for name in kept if kept.count(name) > 1})
    if twice:
        raise UsageError(f"--keep names {shown_names(twice)} twice")
    clash = [name for name in kept if name in outputs]
    if clash:
        raise UsageError(
            f"the input column(s) {shown_names(clash)} have the names of output columns: "
            "rename them, or leave them out with --keep"
        )


ENCODING = 2  # chunks encoded on other threads while the next is read and evaluated


@cache
def _encoder() -> ThreadPoolExecutor:
    from concurrent.futures import ThreadPoolExecutor

    # Formatting numbers as text is the slowest step; pyarrow does it without the GIL, so it
    # overlaps with parsing and evaluating the next chunk. Bounded: memory stays a few chunks.
    return ThreadPoolExecutor(ENCODING, thread_name_prefix="adcalc-encode")


def _chunk_columns(
    compiled: Any,
    plan: Any,
    names: list[str],
    chunk: Any,
    keep: str | None,
    columns: list[str],
    on_error: OnError,
    tally: Tally,
    uncertain: Any = None,
    fixed: list[str] | None = None,
) -> tuple[list[Any], str | None]:
    """The output columns of one chunk, and the message that stops the run (--on-error fail).
    `fixed`: the passed-through columns when the output's columns are set (not JSON)."""
    from adcalc.codegen.batch import evaluate_rows

    from .writers import Column

    kept_names = kept_columns(keep, columns, compiled.variables)
    if fixed is not None:
        _fail_rows_with_keys(chunk, [name for name in kept_names if name not in fixed], NOT_A_COLUMN)
        kept_names = fixed
    else:  # JSON output: a later record's key may have an output column's name (the first are checked)
        outputs = {*(uncertain.names if uncertain is not None else names), "error"}
        _fail_rows_with_keys(chunk, [name for name in kept_names if name in outputs], OUTPUT_NAME)
        kept_names = [name for name in kept_names if name not in outputs]
    uncertainties, problems = uncertain.read(chunk) if uncertain is not None else ({}, chunk.problems)
    rows = evaluate_rows(plan, compiled.roots, chunk.variables, problems, chunk.rows)
    offset, count = tally.read, chunk.rows
    tally.read += count
    kept = [Column(name, _source_column(chunk, name)) for name in kept_names]
    if uncertain is not None:
        out = kept + uncertain.columns(rows.values, rows.failed, uncertainties)
    else:
        out = kept + [Column(name, rows.values[k], rows.failed) for k, name in enumerate(names)]
    stop = None
    if rows.errors:
        first = min(rows.errors)
        tally.failed += len(rows.errors)
        tally.first = tally.first or f"row {offset + first + 1}: {rows.errors[first]}"
        if on_error is OnError.fail:
            stop, count = tally.first, first
            out = [_take(c, slice(0, first)) for c in out]
        elif on_error is OnError.skip:
            out = [_take(c, ~rows.failed) for c in out]
            count -= len(rows.errors)
    if on_error is OnError.mark:
        messages: list[str | None] = [None] * count
        for k, message in rows.errors.items():
            messages[k] = message
        out.append(Column("error", messages, text=True))
    tally.written += count
    return out, stop


NOT_A_COLUMN = (
    "the key {!r} is not a column of the output (its columns are the keys of the first records): "
    "write JSON Lines (-f jsonl), or choose the columns with --keep"
)
OUTPUT_NAME = "the key {!r} has the name of an output column: rename it, or leave it out with --keep"


def _fail_rows_with_keys(chunk: Any, keys: list[str], reason: str) -> None:
    """Fail the rows of the JSON records that have one of these keys (`reason` names it)."""
    from .chunks import ABSENT

    for name in keys:
        for k, value in enumerate(chunk.others.get(name, ())):
            if value is not ABSENT:
                chunk.problems.setdefault(k, reason.format(name))


def _source_column(chunk: Any, name: str) -> Any:
    from .chunks import ABSENT

    if name in chunk.others:
        return chunk.others[name]
    if name in chunk.variables:
        return chunk.variables[name]
    return [ABSENT] * chunk.rows  # a JSON key that this chunk's objects lack


def _take(column: Any, rows: Any) -> Any:
    """The column restricted to some rows (a slice or a boolean mask)."""
    import numpy as np

    values = column.values
    if isinstance(values, np.ndarray):
        taken = values[rows]
    elif hasattr(values, "filter"):
        import pyarrow as pa

        taken = values.slice(0, rows.stop) if isinstance(rows, slice) else values.filter(pa.array(rows))
    else:
        taken = (
            values[rows] if isinstance(rows, slice) else [v for v, k in zip(values, rows, strict=True) if k]
        )
    failed = None if column.failed is None else column.failed[rows]
    return type(column)(column.name, taken, failed)


class _Progress:
    """A rich progress bar over the input's bytes, on standard error."""

    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

        self.bar = Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            "[progress.percentage]{task.percentage:>3.0f}%",
            DownloadColumn(),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=True,
        )
        self.task = self.bar.add_task("batch", total=total)
        self.bar.start()

    def update(self, done: int) -> None:
        self.bar.update(self.task, completed=done)

    def stop(self) -> None:
        self.bar.stop()


def _progress(source: Any, quiet: bool) -> _Progress | None:
    if quiet or not source.size or not sys.stderr.isatty():
        return None
    return _Progress(source.size)
