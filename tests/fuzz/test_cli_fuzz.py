"""Mutated expressions, .adl files and --at values through the command line.

The invariants, for every input: exit code 0, 1 or 2; never a traceback; a failure says so in
exactly one `error: ...` line on stderr (after warnings, before the caret excerpt and, with
--json, the error object); a success prints something, and with --json prints one strict
RFC 8259 JSON object (no NaN or Infinity literals).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.cli.helpers import Outcome, run_inprocess

from .fuzzing import (
    AT_VALUES,
    EXAMPLES,
    EXPRESSIONS,
    PROGRAMS,
    bounded,
    fuzz_settings,
    mutated,
    mutated_bytes,
    point_for,
    strict_json,
)

POINT_COMMANDS = ["eval", "grad", "hessian", "jacobian", "explain", "taylor", "check"]
TEXT_COMMANDS = ["diff", "graph"]  # no point needed

EXAMPLE_POINTS = {
    "custom_op.adl": "t=0.7",
    "least_squares.adl": "x1=1,x2=2",
    "logdet.adl": "A=[[2,0,0],[0,3,0],[0,0,4]]",
    "mlp.adl": "W1=[[0.5,-0.4],[0.3,0.8],[-0.6,0.2]],b1=[0,0.1,-0.1],W2=[[0.7,-0.5,0.4]],b2=[0.05]",
    "pendulum.adl": "theta0=0.1,L=1",
    "rosenbrock.adl": "x=[-1.2,1,-1.2,1]",
    "rosenbrock100.adl": f"x=@{Path(EXAMPLES[0]).parent / 'rosenbrock100_start.json'}",
}
EXAMPLE_BYTES = [path.read_bytes() for path in EXAMPLES]
EXAMPLE_INDEX = st.integers(0, len(EXAMPLES) - 1)


def assert_well_behaved(done: Outcome, args: list[str]) -> None:
    """The CLI's contract with scripts, whatever the input."""
    shown = (
        f"adcalc {args!r}\nexit {done.code}\nstdout {done.stdout[-2000:]!r}\nstderr {done.stderr[-2000:]!r}"
    )
    assert done.code in (0, 1, 2), shown
    assert "Traceback" not in done.stderr, shown
    wants_json = "--json" in args
    if done.code == 0:
        assert done.stdout.strip(), "exit 0 with nothing printed: " + shown
        if wants_json:
            found = strict_json(done.stdout)
            assert isinstance(found, dict) and "warnings" in found, shown
        return
    lines = done.stderr.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if done.code == 1 and done.stdout.strip() and not any(line.startswith("error: ") for line in lines):
        # a verdict, not an error: `check` prints its whole result and exits 1 when a method
        # disagrees, saying which on stderr (README, "check")
        assert all(line.startswith(("check failed: ", "warning: ")) for line in lines), shown
        if wants_json:
            assert strict_json(done.stdout)["passed"] is False, shown
        return
    errors = [k for k, line in enumerate(lines) if line.startswith("error: ")]
    assert len(errors) == 1, "not one error line: " + shown
    before, after = lines[: errors[0]], lines[errors[0] + 1 :]
    assert all(line.startswith("warning: ") for line in before), shown
    if wants_json:
        assert after, "no JSON error object: " + shown
        found = strict_json(after.pop())
        assert found["error"]["exit_code"] == done.code, shown
    assert len(after) in (0, 2) and all(line.startswith("  ") for line in after), "excerpt: " + shown


def run(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> None:
    with bounded(20):
        done = run_inprocess(args, capsys, stdin)
    assert_well_behaved(done, args)


JSON = st.sampled_from([["--json"], []])


@fuzz_settings(400)
@given(
    st.sampled_from(POINT_COMMANDS + TEXT_COMMANDS), mutated(EXPRESSIONS), st.sampled_from(AT_VALUES), JSON
)
def test_mutated_expressions(
    capsys: pytest.CaptureFixture[str],
    fuzz_count: Callable[[str, int], None],
    command: str,
    text: str,
    at: str,
    json_flag: list[str],
) -> None:
    fuzz_count("cli: mutated expressions", 1)
    point = ["--at", at] if command in POINT_COMMANDS else []
    run([command, *point, *json_flag, "--", text], capsys)  # after --, a text such as -x is no option


@fuzz_settings(200)
@given(mutated(EXPRESSIONS), JSON)
def test_mutated_expressions_on_stdin(
    capsys: pytest.CaptureFixture[str],
    fuzz_count: Callable[[str, int], None],
    text: str,
    json_flag: list[str],
) -> None:
    fuzz_count("cli: mutated expressions on stdin", 1)
    run(["grad", "-", "--at", "x=0.5,y=2", *json_flag], capsys, stdin=text)


@fuzz_settings(400)
@given(
    st.sampled_from(["eval", "grad", "hessian", "jacobian"]),
    st.sampled_from(["sin(x)*y", "x^2 + y^2 - 4, x - y", "sum(x)*y"]),
    mutated(AT_VALUES),
    JSON,
)
def test_mutated_at_values(
    capsys: pytest.CaptureFixture[str],
    fuzz_count: Callable[[str, int], None],
    command: str,
    text: str,
    at: str,
    json_flag: list[str],
) -> None:
    fuzz_count("cli: mutated --at values", 1)
    run([command, text, f"--at={at}", *json_flag], capsys)


@fuzz_settings(300)
@given(
    EXAMPLE_INDEX.flatmap(lambda k: st.tuples(st.just(k), mutated_bytes([EXAMPLE_BYTES[k]]))),
    st.sampled_from(["grad", "eval", "diff", "graph"]),
    JSON,
)
def test_mutated_program_files(
    capsys: pytest.CaptureFixture[str],
    fuzz_count: Callable[[str, int], None],
    tmp_path: Path,
    example: tuple[int, bytes],
    command: str,
    json_flag: list[str],
) -> None:
    fuzz_count("cli: mutated .adl files", 1)
    k, data = example
    path = tmp_path / EXAMPLES[k].name
    path.write_bytes(data)
    point = ["--at", EXAMPLE_POINTS[path.name]] if command in ("grad", "eval") else []
    run([command, str(path), *point, *json_flag], capsys)


# A handful through a real process: bytes that are not UTF-8 in argv and on stdin, NUL, BOM, CR.
HOSTILE_BYTES = [
    b"sin(x)\xff*y", b"\xef\xbb\xbfsin(x)*y", b"sin(x)\r\n*y", b"\xc3(x)", b"x\x00y", b"sin(x\r",
    b"\xed\xa0\x80", b"x\x0c+\x0c)", b"x\xe2\x80\xa8+)", b"(" * 3000 + b"x", b"x" * 100_000,
]  # fmt: skip


@pytest.mark.parametrize("data", HOSTILE_BYTES, ids=lambda d: repr(d[:12]))
def test_hostile_bytes_through_a_real_process(data: bytes, fuzz_count: Callable[[str, int], None]) -> None:
    fuzz_count("cli: real processes", 2)
    command = [sys.executable, "-m", "adcalc"]
    runs = [([b"grad", b"-", b"--at", b"x=1,y=2"], data)]
    if b"\x00" not in data:  # a NUL cannot be in argv at all
        runs.append(([b"grad", data, b"--at", b"x=1,y=2", b"--json"], b""))
    for args, stdin in runs:
        done = subprocess.run([*command, *args], input=stdin, capture_output=True, timeout=60)
        outcome = Outcome(
            done.returncode, done.stdout.decode("utf-8"), done.stderr.decode("utf-8", "backslashreplace")
        )
        assert_well_behaved(outcome, [a.decode("utf-8", "surrogateescape") for a in args])


def at_text(point: dict[str, object]) -> str:
    """--at text for a point: numbers as repr, arrays as nested list literals."""
    import numpy as np

    items = point.items()
    return ",".join(f"{name}={np.asarray(value).tolist()!r}".replace(" ", "") for name, value in items)


@fuzz_settings(20)
@given(st.lists(PROGRAMS, min_size=4, max_size=4), st.data())
def test_grammar_programs_through_the_command_line(
    capsys: pytest.CaptureFixture[str],
    fuzz_count: Callable[[str, int], None],
    texts: list[str],
    data: st.DataObject,
) -> None:
    """Programs from the grammar, each under every command: what parses in the API must be printed
    (tables, JSON, derivative text, the DAG) without breaking the CLI's contract."""
    import adcalc

    fuzz_count("cli: grammar-generated programs", len(texts))
    for text in texts:
        try:
            graph = adcalc.parse(text)
        except adcalc.AdcalcError:
            graph = None
        point = data.draw(point_for(dict(graph.inputs))) if graph is not None else {"x": 1.0}
        command = data.draw(st.sampled_from(POINT_COMMANDS + TEXT_COMMANDS))
        args = [command, *(["--at", at_text(point)] if command in POINT_COMMANDS and point else [])]
        run([*args, *data.draw(JSON), "--", text], capsys)
