"""Fuzz `adcalc batch` with hostile files: mutated CSV/TSV through both CSV readers (pyarrow's and
the csv module's) and mutated JSON Lines, read in tiny blocks so that every record straddles a
block boundary somewhere.

Each output is checked against an independent reading of the input: Python's csv module over the
whole text (decoded with surrogateescape, universal line breaks) for CSV, a line split and
json.loads for JSON Lines; the numbers against Python's own arithmetic. A quarter of the inputs
arrive through standard input, a pipe that a thread fills in pieces of 1 to 300 bytes. The
invariants:

- one output row per input row, in order (--on-error mark), the good rows only (skip), the rows
  before the first failure (fail);
- a row fails exactly when the reference says it must (wrong field count, a byte that is not
  UTF-8, a variable that is not a plain number, a NaN value, invalid JSON, ...);
- exit 1 exactly when a row failed, 0 otherwise, 2 (one `error:` line) only for a bad header;
- the summary's read/written/failed counts are those of the rows written;
- passed-through columns are unchanged;
- never a traceback or an internal error; JSON Lines output is strict RFC 8259 JSON.

ADCALC_FUZZ_EXAMPLES=N runs N inputs per campaign (see tests/fuzz/conftest.py); a failure names
the seed of its input, which `_csv_case(seed)` or `_jsonl_case(seed)` rebuilds.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.cli.helpers import run_inprocess
from tests.fuzz.conftest import fuzz_examples

pytest.importorskip("pyarrow")

EXPRESSION = "x*y + 1"  # a NaN value only from inf*0 and the like: Python says which
SUMMARY = re.compile(r"(\d+) rows read, (\d+) written, (\d+) failed")
# The documented rule for a number in a text cell, written out again here (not imported).
PLAIN_NUMBER = re.compile(
    r"[+-]?(?:(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?|inf|infinity|nan)", re.IGNORECASE
)
TEXTS = [
    "plain", "with, comma", 'say "hi"', "two\nlines", "cr\rinside", "crlf\r\ninside", "tab\there",
    "line\u2028sep", "nul\x00byte", "é ü 漢字", "", " spaced ", '"', "\ufeffbom", ",", "\r", "\n",
]  # fmt: skip
NUMBERS = [
    "1", "-2.5", "0", "1e3", "1E-3", ".5", "5.", "+3", " 4 ", "inf", "-inf", "nan", "", "1_000", "0x10",
    "١", "1e", "abc", "1.5e308", "-0.0", "\t7", "2\u00a0",
]  # fmt: skip


@dataclass
class Case:
    """One hostile input: its bytes, how it is read, and what the reference expects."""

    data: bytes
    fmt: str  # csv, tsv or jsonl
    engine: str  # --text-engine: python or arrow (CSV), ignored for JSON Lines
    block: int  # formats.BLOCK_BYTES for the run
    on_error: str
    output: str  # csv or jsonl
    mutations: list[str] = field(default_factory=list)
    piped: int = 0  # > 0: through standard input, a pipe written in pieces of at most this many bytes


# --- generating ----------------------------------------------------------------------------------
def _valid_csv(rng: random.Random, delimiter: str) -> bytes:
    names = ["id", "x", "y", "note"]
    rng.shuffle(names)
    if rng.random() < 0.1:
        names.append("n" * rng.choice([300, 5000]))  # a huge identifier
    rows = []
    for k in range(rng.randint(0, 25)):
        row = {"id": f"r{k}", "x": rng.choice(NUMBERS[:12]), "y": rng.choice(NUMBERS[:12])}
        row["note"] = rng.choice(TEXTS)
        rows.append([row.get(name, rng.choice(TEXTS)) for name in names])
    terminator = rng.choice(["\n", "\r\n", "\r"])
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(names)
    writer.writerows(rows)
    text = out.getvalue()
    if rng.random() < 0.2:
        text = text.removesuffix(terminator)  # no line break at the end
    data = text.encode()
    if rng.random() < 0.15:
        data = b"\xef\xbb\xbf" + data
    return data


def _valid_jsonl(rng: random.Random) -> bytes:
    lines = []
    for k in range(rng.randint(0, 25)):
        record: dict[str, Any] = {}
        for key in rng.sample(["id", "x", "y", "note", "extra"], rng.randint(2, 5)):
            if key in ("x", "y"):
                record[key] = rng.choice([1, -2.5, 0, 1e300, "3", "1_000", None, True, [1], 10**30, "nan"])
            elif key == "id":
                record[key] = rng.choice([k, f"r{k}", None, {"a": [1, 2]}])
            else:
                record[key] = rng.choice(TEXTS)
        lines.append(json.dumps(record, ensure_ascii=rng.random() < 0.5))
    terminator = rng.choice(["\n", "\r\n"])
    data = (terminator.join(lines) + (terminator if rng.random() < 0.8 else "")).encode()
    return (b"\xef\xbb\xbf" + data) if rng.random() < 0.1 else data


HOSTILE_BYTES = [b"\x00", b"\xff", b"\xc3", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\r", b"\n", b"\r\n", b'"']
HOSTILE_BYTES += [b",", b"\t", "\u2028".encode(), b"\\ud800", b"{", b"}", b" ", b"\x0b"]


def _mutate(rng: random.Random, data: bytes, names: list[str]) -> bytes:
    """One random mutation of the bytes (its name appended to `names`)."""
    kind = rng.choice(
        ["delete", "duplicate", "swap", "random byte", "hostile bytes", "hostile bytes", "truncate line",
         "drop delimiter", "add delimiter", "cut end"] + ["huge field"] * (rng.random() < 0.1)
    )  # fmt: skip
    names.append(kind)
    at = rng.randrange(len(data) + 1)
    if kind == "delete" and data:
        at = min(at, len(data) - 1)
        return data[:at] + data[at + rng.randint(1, 4) :]
    if kind == "duplicate" and data:
        at = min(at, len(data) - 1)
        return data[: at + 1] + data[at : at + rng.randint(1, 8)] + data[at + 1 :]
    if kind == "swap" and len(data) > 1:
        at = min(at, len(data) - 2)
        return data[:at] + data[at + 1 : at + 2] + data[at : at + 1] + data[at + 2 :]
    if kind == "random byte":
        return data[:at] + bytes([rng.randrange(256)]) + data[at:]
    if kind == "hostile bytes":
        return data[:at] + rng.choice(HOSTILE_BYTES) + data[at:]
    if kind == "truncate line":
        end = data.find(b"\n", at)
        return data[:at] + (data[end:] if end >= 0 else b"")
    if kind == "huge field":  # over the csv module's default limit of 128 KiB
        return data[:at] + b"z" * 140_000 + data[at:]
    if kind == "drop delimiter":
        found = [m.start() for m in re.finditer(rb"[,\t]", data)]
        if found:
            k = rng.choice(found)
            return data[:k] + data[k + 1 :]
        return data
    if kind == "add delimiter":
        return data[:at] + rng.choice([b",", b"\t"]) + data[at:]
    return data[:at]  # cut end


def _csv_case(seed: int) -> Case:
    rng = random.Random(seed)
    fmt = "tsv" if rng.random() < 0.2 else "csv"
    data = _valid_csv(rng, "\t" if fmt == "tsv" else ",")
    mutations: list[str] = []
    for _ in range(rng.choice([0, 1, 1, 2, 3])):
        data = _mutate(rng, data, mutations)
    return Case(
        data, fmt, rng.choice(["python", "arrow"]), rng.choice([8, 33, 200, 4 << 20]),
        rng.choice(["mark", "mark", "skip", "fail"]), rng.choice(["csv", "jsonl"]), mutations,
        rng.choice([0, 0, 0, 1, 16, 300]),
    )  # fmt: skip


def _jsonl_case(seed: int) -> Case:
    rng = random.Random(seed)
    data = _valid_jsonl(rng)
    mutations: list[str] = []
    for _ in range(rng.choice([0, 1, 1, 2])):
        data = _mutate(rng, data, mutations)
    return Case(
        data, "jsonl", "python", rng.choice([8, 40, 4 << 20]), rng.choice(["mark", "mark", "skip", "fail"]),
        rng.choice(["jsonl", "jsonl", "csv"]), mutations, rng.choice([0, 0, 0, 7]),
    )  # fmt: skip


# --- the reference ------------------------------------------------------------------------------
@dataclass
class Expected:
    """What the run must give: exit 2 (a bad header), or rows with their passthrough and value."""

    usage_error: bool
    kept: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)  # passthrough cells, value, failed


def _number(cell: Any) -> float | None:
    """The reference reading of a variable's cell: a float, or None when the row must fail."""
    if isinstance(cell, bool) or cell is None:
        return None
    if isinstance(cell, int):
        return float(cell) if abs(cell) < 2**1023 else math.copysign(math.inf, cell)
    if isinstance(cell, float):
        return None if math.isnan(cell) else cell
    if not isinstance(cell, str) or not PLAIN_NUMBER.fullmatch(cell.strip(" \t")):
        return None
    value = float(cell)
    return None if math.isnan(value) else value


def _value(row: dict[str, Any]) -> float | None:
    x, y = _number(row.get("x")), _number(row.get("y"))
    if x is None or y is None:
        return None
    value = x * y + 1
    return None if math.isnan(value) else value


SURROGATES = re.compile("[\udc80-\udcff]")


def _reference_csv(data: bytes, delimiter: str) -> Expected:
    csv.field_size_limit(1 << 30)  # the reference reads any field (the default stops at 128 KiB)
    text = data.decode("utf-8", "surrogateescape").removeprefix("\ufeff")  # a byte-order mark
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter) if row]
    closed = rows == [r for r in csv.reader(io.StringIO(text + "\n", newline=""), delimiter=delimiter) if r]
    if not rows:
        return Expected(True)  # empty: a header is needed
    header = [name.strip() for name in rows[0]]
    unclosed_header = not closed and len(rows) == 1
    bad_header = any(SURROGATES.search(name) for name in header) or len(set(header)) != len(header)
    kept = [name for name in header if name not in ("x", "y")]
    if unclosed_header or bad_header or "x" not in header or "y" not in header:
        return Expected(True)
    if any(name in ("value", "error") for name in kept):
        return Expected(True)
    expected = Expected(False, kept)
    for k, cells in enumerate(rows[1:], start=1):
        bad_bytes = any(SURROGATES.search(cell) for cell in cells)
        cells = [SURROGATES.sub("\ufffd", cell) for cell in cells]
        record = dict(zip(header, cells + [""] * (len(header) - len(cells)), strict=False))
        value = _value(record)
        unclosed = not closed and k == len(rows) - 1  # the last row runs to the end of the input
        failed = value is None or bad_bytes or len(cells) != len(header) or unclosed
        expected.rows.append({"kept": [record[name] for name in kept], "value": value, "failed": failed})
    return expected


def _reference_jsonl(data: bytes) -> Expected:
    expected = Expected(False)
    records = []
    for line in data.removeprefix(b"\xef\xbb\xbf").split(b"\n"):  # a byte-order mark first is dropped
        if not line.strip(b" \t\r"):
            continue
        record: Any = None
        try:
            text = line.decode("utf-8")
            record = json.loads(text, object_pairs_hook=_Pairs)
            duplicate = isinstance(record, _Pairs) and record.repeated
        except (ValueError, RecursionError):
            record, duplicate = None, False
        if not isinstance(record, dict) or duplicate or _lone_surrogate(record):
            records.append(({}, True))
        else:
            records.append((record, False))
    for record, bad in records:
        value = None if bad else _value(record)
        kept = {key: item for key, item in record.items() if key not in ("x", "y")}
        expected.rows.append({"kept": kept, "value": value, "failed": bad or value is None})
    return expected


class _Pairs(dict[str, Any]):
    """A JSON object that knows whether a key appeared twice in it."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated = len(self) != len(pairs)


def _lone_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return bool(re.search("[\ud800-\udfff]", value))
    if isinstance(value, dict):
        return any(_lone_surrogate(k) or _lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_lone_surrogate(v) for v in value)
    return False


# --- running and checking -----------------------------------------------------------------------
def _strict_json(line: str) -> Any:
    def refuse(constant: str) -> Any:
        raise ValueError(f"not RFC 8259 JSON: {constant}")

    return json.loads(line, parse_constant=refuse)


def _plain(value: Any) -> Any:
    """A passed-through JSON value as the writer must spell it (non-finite floats as strings)."""
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if value != value else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _csv_cell(value: Any) -> str:
    """A passed-through JSON value in CSV output (the README's column contract)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _run(case: Case, tmp_path: Path, capsys: Any, monkeypatch: Any) -> Any:
    from adcalc.cli import formats

    monkeypatch.setattr(formats, "BLOCK_BYTES", case.block)
    args = ["batch", EXPRESSION, "--on-error", case.on_error, "-f", case.output]
    if case.fmt != "jsonl":
        args += ["--text-engine", case.engine]
    if case.piped:
        return _run_piped(case, [*args, "-i", "-", "--input-format", case.fmt], capsys)
    path = tmp_path / f"in.{case.fmt}"
    path.write_bytes(case.data)
    return run_inprocess([*args, "-i", str(path)], capsys)


def _run_piped(case: Case, args: list[str], capsys: Any) -> Any:
    """adcalc ARGS in-process with standard input a pipe that a thread fills in small pieces:
    blocks end wherever the pieces do, as from a slow producer."""
    import threading

    read_end, write_end = os.pipe()

    def produce() -> None:
        with os.fdopen(write_end, "wb", buffering=0) as pipe:
            try:
                for start in range(0, len(case.data), case.piped):
                    pipe.write(case.data[start : start + case.piped])
            except (BrokenPipeError, OSError):
                pass  # the reader stopped early (a bad header, --on-error fail)

    class Stdin:
        buffer = os.fdopen(read_end, "rb")

    producer = threading.Thread(target=produce, daemon=True)
    producer.start()
    try:
        return run_inprocess(args, capsys, Stdin())
    finally:
        Stdin.buffer.close()
        producer.join(10)


def _check(case: Case, expected: Expected, outcome: Any) -> list[str]:
    """The invariants the run broke (empty when it kept them all)."""
    problems = []
    if "Traceback" in outcome.stderr or "internal error" in outcome.stderr:
        return [f"crash: {outcome.stderr.strip()[-300:]}"]
    if expected.usage_error:
        lines = outcome.stderr.strip().splitlines()
        if outcome.code != 2 or len(lines) != 1 or not lines[0].startswith("error: "):
            problems.append(
                f"expected one error line and exit 2, got {outcome.code}: {outcome.stderr!r:.200}"
            )
        return problems
    if outcome.code == 2:
        return [f"unexpected usage error: {outcome.stderr.strip()!r:.300}"]
    rows = expected.rows
    got = _output_rows(case, outcome.stdout, problems)
    if got is None:
        return problems
    if case.fmt == "jsonl" and case.output == "csv":
        _csv_columns_of_json(rows, outcome.stdout)
    failed = [k for k, row in enumerate(rows) if row["failed"]]
    if case.on_error == "skip":
        wanted = [row for row in rows if not row["failed"]]
    elif case.on_error == "fail":
        wanted = rows[: failed[0]] if failed else rows
    else:
        wanted = rows
    if outcome.code != (1 if failed else 0):
        problems.append(f"exit {outcome.code}, but {len(failed)} rows failed")
    if len(got) != len(wanted):
        problems.append(f"{len(got)} rows written, expected {len(wanted)}")
        return problems
    for k, (row, want) in enumerate(zip(got, wanted, strict=True)):
        if case.on_error == "mark" and bool(row["error"]) != want["failed"]:
            problems.append(f"row {k + 1}: error {row['error']!r}, expected failed={want['failed']}")
        if not want["failed"] and row["value"] != want["value"]:
            problems.append(f"row {k + 1}: value {row['value']!r}, expected {want['value']!r}")
        if row["kept"] != want["kept"]:
            problems.append(f"row {k + 1}: passthrough {row['kept']!r:.200}, expected {want['kept']!r:.200}")
    summary = SUMMARY.search(outcome.stderr)
    if case.on_error != "fail" and summary is None:
        problems.append(f"no summary: {outcome.stderr!r:.200}")
    elif summary is not None:
        read, written, count = map(int, summary.groups())
        marked = sum(bool(row["error"]) for row in got)
        if written != len(got) or (case.on_error == "mark" and count != marked):
            problems.append(f"summary {summary.group()!r} but {len(got)} rows written, {marked} marked")
        if case.on_error != "fail" and (read != len(rows) or count != len(failed)):
            problems.append(f"summary {summary.group()!r}, expected {len(rows)} read, {len(failed)} failed")
    return problems


def _csv_columns_of_json(rows: list[dict[str, Any]], stdout: str) -> None:
    """JSON records written as CSV: the header's columns, empty for a key a record lacks; a record
    with a key that is not a column of the header fails (the header cannot grow)."""
    header = next(csv.reader(io.StringIO(stdout, newline="")), [])
    names = [name for name in header if name not in ("value", "error")]
    for row in rows:
        if set(row["kept"]) - set(names):
            row["failed"] = True
        row["kept"] = {name: row["kept"].get(name, "") for name in names}


def _output_rows(case: Case, stdout: str, problems: list[str]) -> list[dict[str, Any]] | None:
    """The rows written: passthrough (a list of CSV cells, or a dict of JSON keys), value, error."""
    rows = []
    if case.output == "jsonl":
        for line in stdout.split("\n")[:-1]:
            try:
                record = _strict_json(line)
            except ValueError as error:
                problems.append(f"not strict JSON: {error}: {line!r:.200}")
                return None
            value = record.pop("value", None)
            error = record.pop("error", None)
            value = float(value) if isinstance(value, str) else value
            if case.fmt != "jsonl":
                record = list(record.values())
            rows.append({"kept": record, "value": value, "error": error})
        return rows
    table = list(csv.reader(io.StringIO(stdout, newline="")))
    if not table:
        problems.append("no header in the CSV output")
        return None
    header = table[0]
    for cells in table[1:]:
        if len(cells) != len(header):
            problems.append(f"an output line of {len(cells)} cells under {len(header)} names")
            return None
        record = dict(zip(header, cells, strict=True))
        raw = record.pop("value", "")
        value = float(raw) if raw else None
        error = record.pop("error", "")
        kept = list(record.values()) if case.fmt != "jsonl" else record
        rows.append({"kept": kept, "value": value, "error": error})
    return rows


def _expected_kept(case: Case, expected: Expected, got_header: list[str] | None) -> None:
    """Spell the reference's passthrough as the output format writes it."""
    for row in expected.rows:
        if case.fmt == "jsonl":
            kept = {key: _plain(item) for key, item in row["kept"].items()}
            if case.output == "csv":
                kept = {key: _csv_cell(item) for key, item in kept.items()}
            row["kept"] = kept


def _campaign(
    make: Callable[[int], Case], reference: Callable[[Case], Expected], name: str, default: int,
    tmp_path: Path, capsys: Any, monkeypatch: Any, fuzz_count: Callable[..., None],
) -> None:  # fmt: skip
    import functools

    import typer

    count = fuzz_examples(default)
    found: list[str] = []
    # typer builds the click command again on every call (95% of an in-process run here): build
    # it once; everything else (argument parsing, error handling, exit codes) runs as in the CLI.
    monkeypatch.setattr(typer.main, "get_command", functools.cache(typer.main.get_command))
    for seed in range(count):
        case = make(seed)
        expected = reference(case)
        _expected_kept(case, expected, None)
        with monkeypatch.context() as patch:
            outcome = _run(case, tmp_path, capsys, patch)
        broken = _check(case, expected, outcome)
        if broken:
            how = f"{case.fmt} {case.engine} block {case.block} piped {case.piped} {case.on_error}"
            found.append(f"seed {seed} ({how} -> {case.output}, {case.mutations}): {broken[0]}")
    fuzz_count(name, count, len(found))
    report = os.environ.get("ADCALC_FUZZ_REPORT")  # a file for every finding (the assert shows 15)
    if report and found:
        with open(report, "a", encoding="utf-8") as out:
            out.write("".join(f"{name}: {line}\n" for line in found))
    assert not found, f"{len(found)} of {count} inputs broke an invariant:\n" + "\n".join(found[:15])


def test_fuzz_csv(tmp_path: Path, capsys: Any, monkeypatch: Any, fuzz_count: Callable[..., None]) -> None:
    def reference(case: Case) -> Expected:
        return _reference_csv(case.data, "\t" if case.fmt == "tsv" else ",")

    _campaign(_csv_case, reference, "batch csv/tsv (mutated)", 600, tmp_path, capsys, monkeypatch, fuzz_count)


def test_fuzz_jsonl(tmp_path: Path, capsys: Any, monkeypatch: Any, fuzz_count: Callable[..., None]) -> None:
    def reference(case: Case) -> Expected:
        return _reference_jsonl(case.data)

    _campaign(_jsonl_case, reference, "batch jsonl (mutated)", 400, tmp_path, capsys, monkeypatch, fuzz_count)
