"""`adcalc batch` on hostile files: each input that once lost, invented or crashed rows, with the
rows it must give, through both CSV readers and in blocks small enough that every record
straddles a block boundary. (tests/fuzz/test_batch_fuzz.py mutates files at random; these are
the cases it and the issue found, kept as plain examples.)"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

from tests.cli.helpers import Outcome, run_inprocess

pytest.importorskip("pyarrow")

READERS = ["python", "arrow"]
BLOCKS = [7, 4 << 20]  # bytes read per block: tiny (every record straddles blocks) and the default


def batch(
    data: bytes,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    *extra: str,
    reader: str = "python",
    block: int = 4 << 20,
    name: str = "in.csv",
    expression: str = "x^2",
) -> Outcome:
    from adcalc.cli import formats

    monkeypatch.setattr(formats, "BLOCK_BYTES", block)
    path = tmp_path / name
    path.write_bytes(data)
    args = ["batch", expression, "-i", str(path), *extra]
    if name.endswith((".csv", ".tsv")):
        args += ["--text-engine", reader]
    return run_inprocess(args, capsys)


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("reader", READERS)
@pytest.mark.parametrize(
    "data",
    [
        b'id,x\n"a\nb",1\n"c\r\nd",2\n"e\rf",3\n',  # line breaks inside quotes: LF, CRLF, CR
        b'id,x\r\n"a\nb",1\r\n"c\r\nd",2\r\n"e\rf",3\r\n',  # CRLF line ends
        b'id,x\r"a\nb",1\r"c\r\nd",2\r"e\rf",3\r',  # CR-only line ends (old Mac)
        b'\xef\xbb\xbfid,x\n"a\nb",1\n"c\r\nd",2\n"e\rf",3',  # a byte-order mark, no final line break
    ],
)
def test_line_breaks_in_quoted_fields_and_line_endings(
    data: bytes, reader: str, block: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    outcome = batch(data, capsys, monkeypatch, tmp_path, reader=reader, block=block)
    assert outcome.code == 0, outcome.stderr
    assert rows(outcome.stdout) == [
        ["id", "value", "error"], ["a\nb", "1.0", ""], ["c\r\nd", "4.0", ""], ["e\rf", "9.0", ""]
    ]  # fmt: skip
    assert "3 rows read, 3 written, 0 failed" in outcome.stderr


@pytest.mark.parametrize("reader", READERS)
def test_a_field_over_128_kib(
    reader: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    big = "é" * 200_000  # 400 KB: the csv module's default limit is 128 KiB, pyarrow's block 1 MiB
    data = f'id,x\n"{big}",2\n{big},3\n'.encode()
    outcome = batch(data, capsys, monkeypatch, tmp_path, reader=reader, block=4096)
    assert outcome.code == 0, outcome.stderr
    assert rows(outcome.stdout) == [["id", "value", "error"], [big, "4.0", ""], [big, "9.0", ""]]


def test_a_row_over_the_limit_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from adcalc.cli import formats

    monkeypatch.setattr(formats, "MAX_RECORD_BYTES", 1000)  # stands for 64 MiB
    data = b'id,x\na,1\nb,2\n"never closed,3\n' + b"z\n" * 1000
    outcome = batch(data, capsys, monkeypatch, tmp_path, block=64)
    assert outcome.code == 2
    assert outcome.stderr.strip() == (
        "error: Bad usage: line 4: a row longer than 64 MiB (is a quoted field not closed?)"
    )
    assert rows(outcome.stdout) == [["id", "value", "error"], ["a", "1.0", ""], ["b", "4.0", ""]]


@pytest.mark.parametrize("block", BLOCKS)
@pytest.mark.parametrize("reader", READERS)
def test_a_byte_that_is_not_utf8_fails_its_row_only(
    reader: str, block: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:  # fmt: skip
    data = b"id,x\na,1\nb\xff,2\nc,3\xe9\nd,4\n"
    outcome = batch(data, capsys, monkeypatch, tmp_path, reader=reader, block=block)
    assert outcome.code == 1
    assert rows(outcome.stdout) == [
        ["id", "value", "error"],
        ["a", "1.0", ""],
        ["b\ufffd", "", "field 1 is not valid UTF-8 (byte 0xff): written with U+FFFD"],
        ["c", "", "field 2 is not valid UTF-8 (byte 0xe9): written with U+FFFD"],
        ["d", "16.0", ""],
    ]
    assert "4 rows read, 4 written, 2 failed" in outcome.stderr


def test_a_header_that_is_not_utf8_is_exit_2(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcome = batch(b"id\xff,x\na,1\n", capsys, monkeypatch, tmp_path)
    assert outcome.code == 2 and outcome.stdout == ""
    assert (
        outcome.stderr.strip() == "error: Bad usage: the header line is not valid UTF-8 (byte 0xff at byte 3)"
    )


@pytest.mark.parametrize("reader", READERS)
def test_nul_and_line_separators_pass_through(
    reader: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = 'id,x\na\x00b,1\n"c\u2028d",2\ne\u2029f\x85,3\n'.encode()
    for output in ("csv", "jsonl"):
        outcome = batch(data, capsys, monkeypatch, tmp_path, "-f", output, reader=reader, block=7)
        assert outcome.code == 0, outcome.stderr
        if output == "csv":
            assert rows(outcome.stdout)[1:] == [
                ["a\x00b", "1.0", ""],
                ["c\u2028d", "4.0", ""],
                ["e\u2029f\x85", "9.0", ""],
            ]
        else:  # U+2028/9 escaped: str.splitlines and JavaScript take them for line breaks
            lines = outcome.stdout.split("\n")[:-1]
            assert len(lines) == len(outcome.stdout.splitlines()) == 3
            assert [json.loads(line)["id"] for line in lines] == ["a\x00b", "c\u2028d", "e\u2029f\x85"]


@pytest.mark.parametrize("reader", READERS)
def test_missing_and_extra_fields_fail_their_rows(
    reader: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = b"id,x,note\na,1\nb,2,ok\nc,3,too,many\n\nd\n"
    outcome = batch(data, capsys, monkeypatch, tmp_path, reader=reader, block=7)
    assert outcome.code == 1
    assert rows(outcome.stdout) == [
        ["id", "note", "value", "error"],
        ["a", "", "", "expected 3 fields but found 2"],
        ["b", "ok", "4.0", ""],
        ["c", "too", "", "expected 3 fields but found 4"],
        ["d", "", "", "expected 3 fields but found 1"],
    ]  # the blank line is no row


@pytest.mark.parametrize("reader", READERS)
def test_numbers_are_plain_decimal_or_scientific(
    reader: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cells = ["1_000", "١٢", "0x10", "1e", "2\u00a0", " 3 ", "\t.5", "4.", "-1E2", "+inf", "Infinity"]
    data = ("id,x\n" + "".join(f"{k},{cell}\n" for k, cell in enumerate(cells))).encode()
    outcome = batch(data, capsys, monkeypatch, tmp_path, reader=reader)
    got = [(row[1], row[2]) for row in rows(outcome.stdout)[1:]]
    bad = [(c, "") for c in cells[:5]]
    assert [error.split(" for ")[0] if error else value for value, error in got] == [
        *(f"non-numeric value {c!r}" for c, _ in bad), "9.0", "0.25", "16.0", "10000.0", "inf", "inf"
    ]  # fmt: skip


@pytest.mark.parametrize("reader", READERS)
def test_header_only_writes_the_header(
    reader: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    for data in (b"id,x\n", b"id,x", b"id,x\r\n\r\n"):
        outcome = batch(data, capsys, monkeypatch, tmp_path, "--grad", reader=reader)
        assert (outcome.code, outcome.stdout) == (0, "id,value,d_x,error\n"), outcome.stderr
        assert "0 rows read, 0 written, 0 failed" in outcome.stderr
    json_out = batch(b"id,x\n", capsys, monkeypatch, tmp_path, "-f", "json", reader=reader)
    assert json_out.stdout == "[]\n"


@pytest.mark.parametrize("reader", READERS)
def test_a_constant_expression(
    reader: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    outcome = batch(b"id,x\na,1\nb,2\n", capsys, monkeypatch, tmp_path, reader=reader, expression="2+3")
    assert outcome.code == 0, outcome.stderr
    assert rows(outcome.stdout) == [
        ["id", "x", "value", "error"],
        ["a", "1", "5.0", ""],
        ["b", "2", "5.0", ""],
    ]


@pytest.mark.parametrize("block", [8, 4 << 20])
def test_jsonl_passthrough_from_every_record(
    block: int, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = b'{"x": 1}\n{"id": "b", "x": 2}\r\n{"x": 3, "z": true}\n{"id": 4, "x":\r4}\n'
    outcome = batch(data, capsys, monkeypatch, tmp_path, name="in.jsonl", block=block)
    assert outcome.code == 0, outcome.stderr
    assert [json.loads(line) for line in outcome.stdout.splitlines()] == [
        {"value": 1.0, "error": None},  # a key the record lacks is not made up
        {"id": "b", "value": 4.0, "error": None},
        {"z": True, "value": 9.0, "error": None},
        {"id": 4, "value": 16.0, "error": None},  # a CR is JSON whitespace, not a line end
    ]
    as_csv = batch(data, capsys, monkeypatch, tmp_path, "-f", "csv", name="in.jsonl", block=block)
    if block > len(data):  # one block: its keys are the CSV header
        assert as_csv.code == 0
        assert as_csv.stdout.splitlines() == [
            "id,z,value,error",
            ",,1.0,",
            "b,,4.0,",
            ",true,9.0,",
            "4,,16.0,",
        ]
    else:  # the header comes from the first record: a later key cannot be a column, so its row fails
        assert as_csv.code == 1
        assert rows(as_csv.stdout)[0] == ["value", "error"]
        assert [bool(row[1]) for row in rows(as_csv.stdout)[1:]] == [False, True, True, True]
        assert "the key 'id' is not a column of the output" in as_csv.stdout


def test_jsonl_hostile_records(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    data = (
        b'\xef\xbb\xbf{"x": 1}\n{"x": 1e400}\n{"x": ' + b"9" * 400 + b'}\n{"id": "\\ud800", "x": 2}\n'
        b'{"x": [1]}\n{"x": "1_000"}\n{"x": 2, "id": "\xff"}\n' + b"[" * 100_000 + b"\n"
    )
    outcome = batch(data, capsys, monkeypatch, tmp_path, "--keep", "none", name="in.jsonl")
    got = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [row["value"] for row in got] == [1.0, "Infinity", "Infinity", None, None, None, None, None]
    assert [row["error"] for row in got][3:] == [
        "invalid JSON: a \\u escape of a lone surrogate (not Unicode text)",
        "non-numeric value [1] for x",
        "non-numeric value '1_000' for x",
        "the line is not valid UTF-8 (byte 0xff)",
        "invalid JSON: nested too deeply",
    ]
    assert outcome.code == 1


def test_pyarrow_large_string_columns(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "large.parquet"
    table = {"id": pa.array(["a", "b"], pa.large_string()), "x": pa.array(["1", "2"], pa.large_string())}
    pq.write_table(pa.table(table), path)
    outcome = run_inprocess(["batch", "x^2", "-i", str(path)], capsys)
    assert (outcome.code, outcome.stdout) == (0, "id,value,error\na,1.0,\nb,4.0,\n"), outcome.stderr


def test_malformed_and_pickled_numpy_files_are_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pickled = tmp_path / "objects.npy"
    np.save(pickled, np.array([{"x": 1}], dtype=object), allow_pickle=True)
    garbage, zipless = tmp_path / "bad.npy", tmp_path / "bad.npz"
    garbage.write_bytes(b"\x93NUMPY\x01\x00garbage")
    zipless.write_bytes(b"PK\x03\x04 not a zip")
    for path, reason in [
        (pickled, "it holds Python objects (a pickle), which adcalc does not load"),
        (garbage, ""),
        (zipless, "File is not a zip file"),
    ]:
        outcome = run_inprocess(["batch", "x", "-i", str(path)], capsys)
        assert outcome.code == 2 and outcome.stdout == ""
        line = outcome.stderr.strip()
        assert (
            line.startswith(f"error: Bad usage: cannot read the input as {path.suffix}: ") and reason in line
        )
        assert "\n" not in line


def test_jsonl_files_of_one_input_add_their_keys(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    parts = tmp_path / "parts"
    parts.mkdir()
    (parts / "part1.jsonl").write_text('{"id": "a", "x": 1}\n')
    (parts / "part2.jsonl").write_text('{"id": "b", "x": 2, "note": "new"}\n')
    outcome = run_inprocess(["batch", "x", "-i", str(parts), "-f", "jsonl"], capsys)
    assert outcome.code == 0, outcome.stderr
    assert [json.loads(line) for line in outcome.stdout.splitlines()] == [
        {"id": "a", "value": 1.0, "error": None},
        {"id": "b", "note": "new", "value": 2.0, "error": None},
    ]
    as_csv = run_inprocess(["batch", "x", "-i", str(parts), "-f", "csv"], capsys)
    assert as_csv.code == 1  # the CSV header was written before the second file's new key
    assert rows(as_csv.stdout)[:2] == [["id", "value", "error"], ["a", "1.0", ""]]
    assert "the key 'note' is not a column of the output" in rows(as_csv.stdout)[2][2]
    kept = run_inprocess(["batch", "x", "-i", str(parts), "-f", "csv", "--keep", "id"], capsys)
    assert (kept.code, kept.stdout) == (0, "id,value,error\na,1.0,\nb,2.0,\n")


def test_jsonl_to_parquet_keeps_one_type_per_column(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import pyarrow.parquet as pq

    data = b'{"x": 1}\n{"id": "a", "x": 2}\n{"id": 5, "x": 3}\n'
    out = tmp_path / "out.parquet"
    # the first block lacks `id`: --keep may name it; a key with no value yet is text
    outcome = batch(
        data, capsys, monkeypatch, tmp_path, "--keep", "id", "-o", str(out), name="in.jsonl", block=8
    )
    assert outcome.code == 0, outcome.stderr
    assert pq.read_table(out).to_pylist() == [
        {"id": None, "value": 1.0, "error": None},
        {"id": "a", "value": 4.0, "error": None},
        {"id": "5", "value": 9.0, "error": None},
    ]
    numbers_then_text = b'{"id": 1, "x": 1}\n{"id": "a", "x": 2}\n'
    outcome = batch(
        numbers_then_text, capsys, monkeypatch, tmp_path, "-o", str(out), name="in.jsonl", block=8
    )
    assert outcome.code == 2
    assert outcome.stderr.strip() == (
        "error: Bad usage: the column 'id' holds int64 in the first rows and string later: parquet needs "
        "one type per column (write JSON Lines or CSV, or leave it out with --keep)"
    )
    assert pq.read_table(out).to_pylist() == [{"id": 1, "value": 1.0, "error": None}]  # the rows before
