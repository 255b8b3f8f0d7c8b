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
