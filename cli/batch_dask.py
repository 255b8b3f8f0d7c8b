"""`adcalc batch --engine dask`: CSV/Parquet files (a directory, a glob, an fsspec URL), evaluated by Dask.

Each partition is evaluated by the same code as a local chunk (core/batch.py's evaluate_rows),
so the result equals the single-process `batch` row for row. Workers get the expression's text
and compile it themselves (once per process): generated code does not pickle, text does.
The result is a directory of Parquet files, one per partition, in input order.
"""

from __future__ import annotations

import sys
from functools import cache
from typing import Any

from adcalc.errors import UsageError

from .chunks import check_columns


def _dask() -> Any:
    try:
        import dask.dataframe as dd
    except ImportError:
        raise UsageError("--engine dask needs Dask: pip install 'adcalc[dask]'") from None
    return dd


def input_files(path: str, input_format: str | None) -> tuple[list[str], str]:
    """(files, format) for a directory, a glob, one file, or an fsspec URL of any of them.

    Found by the same code as the local engine (fsspec for a URL: a local glob finds nothing in
    an object store), in the same order, and handed to Dask as a list of paths or URLs: Dask's
    own listing sorts CSV files by plain text order and Parquet files in natural order, and the
    two engines are to give the same rows in the same order."""
    from .formats import BOM, find_inputs, parse_header

    files, fmt = find_inputs(path, input_format)
    if fmt not in ("csv", "parquet"):
        raise UsageError("--engine dask reads .csv or .parquet files (one format per run)")
    if fmt == "csv":
        # pandas renames a repeated column (x, x.1) without a word: check the header as the local
        # engine does. Dask takes its columns from the first file, so that one is read here.
        with files[0].open() as stream:
            check_columns(parse_header(stream.readline().removeprefix(BOM), ","), ())
    return [f.name for f in files], fmt


@cache
def _compiled(source: str, name: str | None, wrt: tuple[str, ...]) -> Any:
    """The compiled expression, once per worker process."""
    import adcalc
    from adcalc.api import SCALARS

    return adcalc.compile(adcalc.parse(source, name, SCALARS), wrt=list(wrt))


def evaluate_partition(
    frame: Any, source: str, name: str | None, wrt: tuple[str, ...], order: int, keep: list[str]
) -> Any:
    """The output frame of one partition: kept columns, results, `error` (None when fine)."""
    import numpy as np
    import pandas as pd
    from adcalc.codegen.batch import evaluate_rows

    from .chunks import to_floats

    compiled = _compiled(source, name, wrt)
    problems: dict[int, str] = {}
    frame = _bad_bytes_marked(frame, problems)
    numbers = {v: to_floats(frame[v].tolist(), v, problems) for v in compiled.variables}
    rows = evaluate_rows(compiled.plan(order), compiled.roots, numbers, problems, len(frame))
    out = frame[keep].copy()
    for column in keep:  # text as Arrow strings in Parquet (read as Python str, see run_dask)
        if out[column].dtype == object:
            out[column] = out[column].astype("string")
    for k, column in enumerate(compiled.outputs(order)[0]):
        out[column] = rows.values[k]
    messages = np.full(len(frame), None, dtype=object)
    for row, message in rows.errors.items():
        messages[row] = message
    out["error"] = pd.Series(messages, index=frame.index, dtype="string")
    return out


def _bad_bytes_marked(frame: Any, problems: dict[int, str]) -> Any:
    """The frame with U+FFFD for each byte that is not UTF-8 (read with surrogateescape), and a
    problem for each row that held one, as the local engine does."""
    from .formats import SURROGATE, bad_bytes_replaced

    frame = frame.copy()
    for j, name in enumerate(frame.columns):
        cells = frame[name].tolist()
        found = [k for k, cell in enumerate(cells) if isinstance(cell, str) and SURROGATE.search(cell)]
        for k in found:
            problem, cells[k] = bad_bytes_replaced(cells[k], j + 1)
            problems.setdefault(k, problem)
        if found:
            frame[name] = cells
    return frame


def run_dask(
    compiled: Any,
    order: int,
    input_path: str,
    output: str,
    input_format: str | None,
    keep: str | None,
    scheduler: str | None,
    quiet: bool,
) -> None:
    """Evaluate every row of the files on Dask and write Parquet; exit 1 when a row failed."""
    from .tally import Tally

    dd = _dask()
    if output == "-":
        raise UsageError("--engine dask writes a directory of Parquet files: give --output DIR")
    files, fmt = input_files(input_path, input_format)
    client = _client(scheduler)
    tally = Tally()
    try:
        import dask

        # Text stays Python str until evaluate_partition has replaced the bytes that are not
        # UTF-8 (read with surrogateescape), which Arrow strings cannot hold.
        with dask.config.set({"dataframe.convert-string": False}):
            rows, failed = _evaluate(dd, files, fmt, compiled, order, keep, output)
    except Exception as error:  # pandas' parser: a row of the wrong length, an unclosed quote
        if type(error).__name__ != "ParserError":
            raise
        reason = str(error).strip().splitlines()[-1]
        raise UsageError(
            f"--engine dask cannot read the input: {reason} (the local engine marks such rows)"
        ) from None
    finally:
        if client is not None:
            client.close()
    tally.read = tally.written = int(rows)
    tally.failed = int(failed)
    if failed or not quiet:
        sys.stderr.write(tally.summary("adcalc batch (dask)") + "\n")
    if failed:
        import typer

        raise typer.Exit(1)


def _evaluate(
    dd: Any, files: list[str], fmt: str, compiled: Any, order: int, keep: str | None, output: str
) -> Any:
    """(rows, failed rows) of the whole input, evaluated and written to `output` by Dask."""
    from .tally import kept_columns

    frame = (
        dd.read_csv(files, dtype=object, keep_default_na=False, encoding_errors="surrogateescape")
        if fmt == "csv"
        else dd.read_parquet(files)
    )
    check_columns(list(frame.columns), compiled.variables)
    kept = kept_columns(keep, list(frame.columns), compiled.variables)
    expression = compiled.expression
    arguments = (expression.source, expression.name, compiled.wrt, order, kept)
    meta = evaluate_partition(frame._meta, *arguments)
    result = frame.map_partitions(evaluate_partition, *arguments, meta=meta)
    result.to_parquet(output, write_index=False)
    written = dd.read_parquet(output, columns=["error"])
    return dd.compute(written.shape[0], written["error"].count())


def _client(scheduler: str | None) -> Any:
    if scheduler is None:
        return None  # Dask's default local scheduler (threads)
    try:
        from dask.distributed import Client
    except ImportError:
        raise UsageError("--scheduler needs dask.distributed: pip install 'adcalc[dask]'") from None
    return Client(scheduler)
