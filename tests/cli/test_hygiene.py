"""A good Unix citizen: closed pipes, Ctrl-C, -h/-V, completion, global options anywhere, repeated
--wrt/--dir, errors that name --dir, and errors as JSON for scripts (README "Errors and exit codes")."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from adcalc.cli import fast
from adcalc.cli.actions import State
from adcalc.cli.entry import take_globals
from adcalc.cli.main import app

from tests.cli.helpers import Outcome, run_fast, run_inprocess

COMMANDS = sorted(command.name or command.callback.__name__ for command in app.registered_commands)


def adcalc_argv() -> list[str]:
    command = shutil.which("adcalc", path=str(Path(sys.executable).parent))
    return [command] if command else [sys.executable, "-m", "adcalc"]


def error_object(stderr: str) -> dict[str, object]:
    """The JSON error object: the last line of standard error."""
    document = json.loads(stderr.rstrip("\n").splitlines()[-1])
    assert set(document) == {"error"}
    assert set(document["error"]) == {"kind", "message", "line", "column", "exit_code"}
    return document["error"]


@pytest.fixture(scope="module")
def big_csv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pipes") / "big.csv"
    rows = "".join(f"{k * 1e-6},{2 + k * 1e-6}\n" for k in range(10**6))
    path.write_text("x,y\n" + rows)
    return path


# --- pipes and Ctrl-C ----------------------------------------------------------------------


def test_batch_into_head_ends_quietly_with_141(big_csv: Path) -> None:
    # `adcalc batch ... | head -1`: head exits after one line; adcalc's next write meets a closed
    # pipe. Documented: exit status 141 (128 + SIGPIPE), nothing on stderr, rows kept.
    adcalc = subprocess.Popen(
        [*adcalc_argv(), "batch", "sin(x)*y", "-i", str(big_csv), "--grad"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    head = subprocess.Popen(["head", "-1"], stdin=adcalc.stdout, stdout=subprocess.PIPE)
    assert adcalc.stdout is not None
    adcalc.stdout.close()  # only head reads the pipe now, so its exit closes it
    first, _ = head.communicate(timeout=120)
    _, stderr = adcalc.communicate(timeout=120)
    assert first == b"value,d_x,d_y,error\n"
    assert adcalc.returncode == 141
    assert stderr == b""


def test_a_pipe_closed_mid_write_is_141_every_time(tmp_path: Path) -> None:
    # A reader that leaves while a large chunk is being written makes write(2) return a short
    # count, not an error; that must still end as a closed pipe (141), never as exit 0 with a
    # summary claiming every row was written. The race is timing-dependent: try it often.
    path = tmp_path / "rows.csv"
    path.write_text("x,y\n" + "".join(f"{k * 1e-5},{k * 1e-5}\n" for k in range(10**5)))
    for fmt in ("csv", "jsonl", "csv", "jsonl", "csv"):
        adcalc = subprocess.Popen(
            [*adcalc_argv(), "batch", "sin(x)*y", "-i", str(path), "--grad", "-f", fmt],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        head = subprocess.Popen(["head", "-2"], stdin=adcalc.stdout, stdout=subprocess.DEVNULL)
        assert adcalc.stdout is not None
        adcalc.stdout.close()
        head.wait(timeout=120)
        _, stderr = adcalc.communicate(timeout=120)
        assert (adcalc.returncode, stderr) == (141, b""), fmt


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "sin(x)*y", "--at", "x=1,y=2", "--json"],  # the fast path, plain sys.stdout
        ["grad", "sin(x)*y", "--at", "x=1,y=2"],  # the fast path, a rich table
        ["hessian", "x*y", "--at", "x=1,y=2"],  # typer, a rich table
        ["diff", "sin(x)", "--wrt", "x"],  # typer, plain sys.stdout
        ["-h"],  # rich, while click parses
        ["--version"],  # written while click parses
    ],
)
def test_closed_pipe_is_quiet_for_every_writer(args: list[str]) -> None:
    reader, writer = os.pipe()
    os.close(reader)  # the reader is gone before adcalc writes anything
    try:
        done = subprocess.run([*adcalc_argv(), *args], stdout=writer, stderr=subprocess.PIPE, timeout=60)
    finally:
        os.close(writer)
    assert (done.returncode, done.stderr) == (141, b"")


def test_ctrl_c_prints_one_line_and_exits_130(big_csv: Path, tmp_path: Path) -> None:
    out = tmp_path / "out.csv"
    argv = ["batch", "sin(x)*y", "-i", str(big_csv), "-o", str(out), "--text-engine", "python"]
    process = subprocess.Popen([*adcalc_argv(), *argv], stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while not (out.exists() and out.stat().st_size) and time.monotonic() < deadline:
        time.sleep(0.01)  # interrupt it once it is in the middle of the work
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    assert (process.returncode, stderr) == (130, "interrupted\n")


def test_keyboard_interrupt_on_both_entry_points(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import adcalc

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(adcalc, "evaluate", interrupted)
    monkeypatch.setattr(adcalc, "hessian", interrupted)
    assert fast.quick_call(["eval", "x", "--at", "x=1"]) is not None
    for outcome in (
        run_fast(["eval", "x", "--at", "x=1"], capsys),
        run_inprocess(["hessian", "x", "--at", "x=1"], capsys),
    ):
        assert (outcome.code, outcome.stderr) == (130, "interrupted\n")


def test_a_broken_pipe_is_not_an_internal_error(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import adcalc

    def closed(*args: object, **kwargs: object) -> None:
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr(adcalc, "hessian", closed)
    dup2_calls: list[tuple[int, int]] = []
    monkeypatch.setattr(os, "dup2", lambda fd, fd2: dup2_calls.append((fd, fd2)))  # keep pytest's fds
    outcome = run_inprocess(["hessian", "x", "--at", "x=1", "--json"], capsys)
    assert (outcome.code, outcome.stderr) == (141, "")
    assert [fd2 for _, fd2 in dup2_calls] == [1, 2]  # stdout and stderr now point at devnull


# --- -h, -V, completion, examples and exit codes in --help ----------------------------------


@pytest.mark.parametrize("flag", ["-h", "--help"])
@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_everywhere_with_an_example_and_exit_codes(
    command: str | None, flag: str, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = run_inprocess([flag] if command is None else [command, flag], capsys)
    assert outcome.code == 0 and outcome.stderr == ""
    text = " ".join(outcome.stdout.split())  # help wraps at the terminal's width
    assert "Usage: adcalc" in text
    assert f"adcalc {command or 'grad'} '" in text  # an example call
    assert "Exit codes: 0" in text and "1 " in text and "2 bad usage" in text


def test_app_help_has_no_hint_and_lists_the_global_options(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["-h"], capsys)
    assert "hint" not in outcome.stdout + outcome.stderr
    for option in ("--debug", "--digits", "--version", "-V", "--install-completion", "--show-completion"):
        assert option in outcome.stdout


def test_leading_minus_hint_only_after_a_command(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["grad", "-x^", "--at", "x=1"], capsys)  # -x^2 is an expression; -x^ is not
    assert outcome.code == 2
    assert "hint: an expression that starts with '-' goes after '--': adcalc grad -- '-x^'" in outcome.stderr
    outcome = run_inprocess(["-z"], capsys)
    assert outcome.code == 2 and "hint" not in outcome.stderr


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    import adcalc

    assert run_inprocess([flag], capsys) == Outcome(0, f"adcalc {adcalc.__version__}\n", "")


def test_show_completion(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["--show-completion", "bash"], capsys)
    assert outcome.code == 0 and "_ADCALC_COMPLETE=complete_bash" in outcome.stdout


def test_completion_through_the_console_script() -> None:
    # the shell calls the script with no arguments and the words in the environment: the
    # fast path steps aside, typer answers
    words = {"_ADCALC_COMPLETE": "complete_bash", "COMP_WORDS": "adcalc jac", "COMP_CWORD": "1"}
    environment = {**os.environ, **words}
    done = subprocess.run(adcalc_argv(), env=environment, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout.split()) == (0, ["jacobian"])


# --- --debug and --digits anywhere ------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["--debug", "grad", "sine(x)", "--at", "x=1"],
        ["grad", "sine(x)", "--debug", "--at", "x=1"],
        ["grad", "sine(x)", "--at", "x=1", "--debug"],
        ["hessian", "sine(x)", "--at", "x=1", "--debug"],
    ],
)
def test_debug_anywhere_shows_the_traceback(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    from adcalc.errors import UnknownFunction

    with pytest.raises(UnknownFunction):
        run_fast(args, capsys)


def test_global_options_are_taken_out_in_one_place() -> None:
    args = ["grad", "x", "--digits", "5", "--at", "x=1", "--debug"]
    assert take_globals(args) == ["grad", "x", "--at", "x=1"]
    assert (State.digits, State.debug, State.json_errors) == (5, True, False)
    assert take_globals(["--digits=17", "hessian", "x", "-j"]) == ["hessian", "x", "-j"]
    assert (State.digits, State.debug, State.json_errors) == (17, False, True)
    # after '--' every token is an argument (an expression such as -x, or even --debug)
    assert take_globals(["eval", "--", "--debug"]) == ["eval", "--", "--debug"]
    assert (State.digits, State.debug) == (None, False)


@pytest.mark.parametrize(
    "args",
    [
        ["--digits", "4", "grad", "sin(x)*y", "--at", "x=1,y=2", "--json"],  # the fast path
        ["grad", "sin(x)*y", "--at", "x=1,y=2", "--digits=4"],
        ["hessian", "--digits", "4", "x*y", "--at", "x=1,y=2"],  # typer
        ["jacobian", "x*y, x+y", "--at", "x=1,y=2", "--digits", "4"],
    ],
)
def test_digits_anywhere_is_stored(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_fast(args, capsys)
    assert outcome.code == 0, outcome.stderr
    assert State.digits == 4


def test_digits_keeps_the_fast_path() -> None:
    assert fast.quick_call(take_globals(["grad", "x", "--digits", "3", "--at", "x=1", "--json"])) is not None


@pytest.mark.parametrize("value", ["0", "18", "abc", "-3", "2.5", None])
def test_bad_digits_is_a_one_line_error(value: str | None, capsys: pytest.CaptureFixture[str]) -> None:
    tail = [] if value is None else ["--digits", value]
    for args in (["eval", "1/3", *tail], ["hessian", "x^2", "--at", "x=1", *tail]):
        args = args if value is not None else [*args, "--digits"]
        outcome = run_fast(args, capsys)
        assert outcome.code == 2 and outcome.stdout == ""
        assert outcome.stderr.startswith("error: Bad value: --digits takes a whole number from 1 to 17")
        assert outcome.stderr.count("\n") == 1


# --- repeated --wrt and --dir, errors that name --dir -------------------------------------------


@pytest.mark.parametrize("fast_path", [True, False])
def test_repeated_wrt_accumulates_in_grad(fast_path: bool, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["grad", "x*y*z", "--at", "x=1,y=2,z=3", "--wrt", "z", "-w", "x", "--json"]
    assert (fast.quick_call(args) is not None) is True
    outcome = run_fast(args, capsys) if fast_path else run_inprocess(args, capsys)
    assert json.loads(outcome.stdout)["gradient"] == {"z": 2.0, "x": 6.0}
    forward = run_inprocess([*args, "--mode", "forward"], capsys)
    assert json.loads(forward.stdout)["gradient"] == {"z": 2.0, "x": 6.0}


def test_repeated_wrt_accumulates_everywhere(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    args = ["hessian", "x*y*z", "--at", "x=1,y=2,z=3", "--wrt", "x", "--wrt", "y", "--json"]
    hessian = run_inprocess(args, capsys)
    assert json.loads(hessian.stdout)["gradient"] == {"x": 6.0, "y": 3.0}
    diff = run_inprocess(["diff", "x*y*z", "--wrt", "x", "--wrt", "z", "--json"], capsys)
    assert diff.code == 0 and "x" in diff.stdout and "z" in diff.stdout
    table = tmp_path / "t.csv"
    table.write_text("x,y,z\n1,2,3\n")
    args = ["batch", "x*y*z", "-i", str(table), "--grad", "--wrt", "x", "--wrt", "z", "-q"]
    batch = run_inprocess(args, capsys)
    assert batch.stdout.splitlines()[0].split(",")[:3] == ["value", "d_x", "d_z"]


def test_repeated_dir_accumulates(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1", "--dir", "y=1", "--json"]
    outcome = run_inprocess(args, capsys)
    assert json.loads(outcome.stdout)["direction"] == {"x": 1.0, "y": 1.0}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=foo"], "--dir x='foo' is not a number"),
        (["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x=1", "--dir", "x=2"], "--dir gives 'x' twice"),
        (["jvp", "x*y", "--at", "x=1,y=2", "--dir", "x"], "--dir 'x': expected name=value"),
        (["jvp", "x*y", "--at", "x=[1,2],y=2", "--dir", "x=1"], "--dir x is a number but x has shape"),
        (["hvp", "VECTOR", "--at", "v=[1,2]", "--dir", "v=[1,2,3]"], "--dir v has shape [3] but v is [2]"),
        (["hvp", "x*y", "--at", "x=1,y=2", "--dir", "y=pi,x=[1"], "--dir x: an array literal must end"),
        (
            ["explain", "x*y", "--at", "x=1,y=2", "--mode", "forward", "--dir", "x=1,x=2"],
            "--dir gives 'x' twice",
        ),
    ],
)
def test_errors_about_the_direction_name_dir(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    program = tmp_path / "vector.adl"
    program.write_text("input v[2]\nf = dot(v, v)\noutput f\n")
    args = [str(program) if arg == "VECTOR" else arg for arg in args]
    outcome = run_inprocess(args, capsys)
    assert outcome.code == 2
    assert message in outcome.stderr
    assert "--at" not in outcome.stderr and "direction" not in outcome.stderr


# --- errors as JSON for scripts -----------------------------------------------------------------


def test_parse_error_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["eval", "1 + sin(x", "--at", "x=1", "--json"], capsys)
    assert outcome.code == 2 and outcome.stdout == ""
    assert outcome.stderr.startswith("error: <expr>:1:")  # the human line comes first
    error = error_object(outcome.stderr)
    assert error["kind"] == "ParseError" and error["exit_code"] == 2
    assert error["line"] == 1 and isinstance(error["column"], int)
    assert str(error["message"]).startswith("Syntax error")


def test_evaluation_error_as_json_on_the_fast_path(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_fast(["eval", "1 + log(x - 3)", "--at", "x=1", "-j"], capsys)
    assert outcome.code == 1
    assert error_object(outcome.stderr) == {
        "kind": "DomainError",
        "message": "Outside the function's domain: log(-2) is undefined",
        "line": 1,
        "column": 5,
        "exit_code": 1,
    }


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["grad", "x", "--at", "x=1", "--bogus", "--json"], "No such option: --bogus"),
        (["grad", "--json"], "Missing argument"),
        (["--json"], "No such option: --json"),
    ],
)
def test_usage_errors_as_json(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(args, capsys)
    assert outcome.code == 2
    error = error_object(outcome.stderr)
    assert error["kind"] == "UsageError" and error["exit_code"] == 2
    assert message in str(error["message"]) and error["line"] is None and error["column"] is None


def test_internal_error_as_json(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import adcalc

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(adcalc, "hessian", broken)
    outcome = run_inprocess(["hessian", "x", "--at", "x=1", "--json"], capsys)
    assert outcome.code == 1
    assert outcome.stderr.startswith("error: internal error: RuntimeError: boom")
    assert error_object(outcome.stderr) == {
        "kind": "InternalError",
        "message": "RuntimeError: boom",
        "line": None,
        "column": None,
        "exit_code": 1,
    }


def test_no_json_error_without_json(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = run_inprocess(["eval", "sin(x", "--at", "x=1"], capsys)
    assert outcome.code == 2 and "{" not in outcome.stderr


def test_json_error_through_the_console_script() -> None:
    done = subprocess.run(
        [*adcalc_argv(), "grad", "sine(x)*y", "--at", "x=1,y=2", "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and done.stdout == ""
    error = error_object(done.stderr)
    assert (error["kind"], error["line"], error["column"]) == ("UnknownFunction", 1, 1)


@pytest.mark.parametrize(
    "args",
    [["grad", "x", "--frobnicate"], ["grad"], ["frob"], ["check", "x", "--at", "x=1", "--tol", "abc"]],
)
def test_usage_errors_are_one_line(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(args, capsys)
    assert done.code == 2
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("error: ") and "-h)" in done.stderr


def test_bad_digits_through_python_m_and_no_numpy_warnings(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "adcalc.cli.main", "grad", "x", "--at", "x=1", "--digits"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--digits" in done.stderr
    program = tmp_path / "s.adl"
    program.write_text("input x[2]\nf = sum(sqrt(x))\noutput f\n")
    done = subprocess.run(
        [*adcalc_argv(), "grad", str(program), "--at", "x=[0,4]", "--mode", "forward"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0 and "RuntimeWarning" not in done.stderr and "infinite" in done.stderr


@pytest.mark.parametrize(
    ("args", "value"),
    [
        (["grad", "-alpha*x", "--at", "alpha=1,x=2"], -2.0),  # -a is --at, but 'lpha*x' is no point
        (["grad", "-mu*x", "--at", "mu=1,x=2"], -2.0),  # -m is --mode
        (["grad", "-sin(x)", "--at", "x=0"], -0.0),
        (["grad", "-kx", "--at", "kx=2"], -2.0),  # -k takes a number: x is none
        (["grad", "-w^2", "--at", "w=3"], -9.0),
    ],
)
def test_an_expression_that_starts_like_a_short_option(
    args: list[str], value: float, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    outcome = run_inprocess([*args, "--json"], capsys)
    assert outcome.code == 0, outcome.stderr
    assert json.loads(outcome.stdout)["value"] == value


def test_a_short_option_with_its_value_attached_is_still_one(capsys: pytest.CaptureFixture[str]) -> None:
    import json

    outcome = run_inprocess(["grad", "x^3", "-k2", "--at", "x=2", "--json"], capsys)
    assert outcome.code == 0 and json.loads(outcome.stdout)["derivative"] == 12.0
