"""The fast path for one-point calls behaves exactly like the typer app, or steps aside."""

from __future__ import annotations

import pytest
from adcalc.cli import fast

from tests.cli import helpers
from tests.cli.helpers import run_inprocess


def run_fast(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    outcome = helpers.run_fast(args, capsys)
    return outcome.code, outcome.stdout, outcome.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["grad", "sin(x)*y", "--at", "x=1,y=2", "--json"],
        ["grad", "sin(x)*y", "-a", "x=1", "--at=y=2", "-j"],
        ["grad", "x*y*z", "--at", "x=1,y=2,z=3", "--wrt", "z,x"],
        ["grad", "x*y*z", "--at", "x=1,y=2,z=3", "--wrt=z"],
        ["eval", "x^2+1", "--at", "x=-pi/4"],
        ["eval", "1/3", "--json"],
        ["grad", "sine(x)", "--at", "x=1"],
        ["grad", "x+y", "--at", "x=1"],
        ["eval", "log(x)", "--at", "x=-1", "--json"],
        ["grad", "x", "--at", "x=1", "--at", "x=2"],
        ["grad", "x*y", "--at", "x=1,y=2", "--wrt", "x", "--wrt", "y", "--json"],
        ["grad", "x*y", "--at", "x=1,y=2", "-w", "y", "--wrt=x"],
    ],
)
def test_fast_path_matches_typer(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert fast.quick_call(args) is not None
    by_typer = run_inprocess(args, capsys)
    assert run_fast(args, capsys) == (by_typer.code, by_typer.stdout, by_typer.stderr)


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["--help"],
        ["grad", "--help"],
        ["grad"],
        ["grad", "x", "--mode", "forward", "--at", "x=1"],
        ["grad", "x", "--at"],
        ["eval", "x", "--wrt", "x"],
        ["grad", "-x^2", "--at", "x=1"],
        ["hessian", "x^2", "--at", "x=1"],
        ["grad", "x", "--at", "x=1", "--bogus"],
        ["grad", "x", "--json=yes"],
    ],
)
def test_other_calls_go_to_typer(args: list[str]) -> None:
    assert fast.quick_call(args) is None



@pytest.mark.parametrize("entry", ["main", "run"])
def test_only_the_process_entry_moves_the_graph_past_the_collector(entry: str) -> None:
    # main (the console script) owns its process and freezes what the parse made; run (what tests
    # and other programs call) must leave the collector of the process it runs in as it was
    import subprocess
    import sys

    probe = (
        "import gc, sys\nfrom adcalc.cli import fast\n"
        "sys.argv = ['adcalc', 'grad', 'x*y + sin(x)', '--at', 'x=1,y=2', '--json']\n"
        f"try:\n    fast.{entry}()\nexcept SystemExit:\n    pass\n"
        "sys.stderr.write(f'frozen={gc.get_freeze_count()} enabled={gc.isenabled()}')\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert '"gradient"' in done.stdout
    frozen, enabled = done.stderr.split()
    assert enabled == "enabled=True"
    assert (int(frozen.split("=")[1]) > 1000) == (entry == "main"), done.stderr
