"""Every input the fuzz suites once failed on, so each defect stays fixed.

Each entry: the command line (and standard input), and a comment saying what went wrong.
The invariants are the fuzz suites' own (tests/fuzz/test_cli_fuzz.py assert_well_behaved),
plus the exit code the fix gives.
"""

from __future__ import annotations

from pathlib import Path

import adcalc
import numpy as np
import pytest

from tests.cli.helpers import run_inprocess

from .test_cli_fuzz import assert_well_behaved

# (arguments, standard input, expected exit code)
FOUND = [
    # a byte that is not UTF-8 in the expression (argv hands it over as a lone surrogate): printed
    # back in --json as bytes that are not UTF-8, or an internal UnicodeEncodeError where stdout is strict
    (["eval", "x^2 #\udcff", "--at", "x=1", "--json"], "", 2),
    (["grad", "sin(x)\udcff*y", "--at", "x=1,y=2"], "", 2),
    # the same in --at: UnicodeEncodeError writing the error line that quoted it
    (["eval", "sin(x)*y", "--at=\udc80x=1,y=2", "--json"], "", 2),
    (["jvp", "x", "--at", "x=1", "--dir", "x=\udcff"], "", 2),
    # and on standard input, read with surrogateescape in a C or UTF-8 mode locale
    (["grad", "-", "--at", "x=1"], "x\udcff", 2),
    # a message quoting a two-output text with its line breaks (graph.label, in engine/bind.py)
    # was several lines: "error: ... a Hessian needs one output, 0 , 2 \n\n\n/ 2e1 has ..."
    (["hessian", "--json", "--", "0 , 2 \n\n\n/ 2e1"], "", 2),
    # an --at array literal nested thousands deep: RecursionError, an internal error
    (["eval", "sum(x)", "--at", "x=" + "[" * 5000 + "1" + "]" * 5000], "", 2),
]


@pytest.mark.parametrize(("args", "stdin", "code"), FOUND, ids=lambda v: repr(v)[:40])
def test_once_failed(args: list[str], stdin: str, code: int, capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(args, capsys, stdin)
    assert_well_behaved(done, args)
    assert done.code == code, done.stderr


def test_a_json_value_nested_thousands_deep(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--at x=@deep.json: json.loads raised RecursionError, printed as an internal error."""
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000, encoding="utf-8")
    args = ["eval", "sum(x)", "--at", f"x=@{path}", "--json"]
    done = run_inprocess(args, capsys)
    assert_well_behaved(done, args)
    assert done.code == 2 and "nest at most 32 deep" in done.stderr, done.stderr


# (text, the keyword arguments of adcalc.compile(text).grad, the gradient by hand)
FOUND_API = [
    # a variable named `self`: adcalc.compile(...).grad(self=..., y=...) on arrays raised TypeError
    # ("got multiple values for argument 'self'"), the generic methods taking `self` by keyword too
    ("self*y^2", {"self": np.array([0.5, 1.0]), "y": 3.0}, {"self": [9.0, 9.0], "y": [3.0, 6.0]}),
    ("input self[2]\ny = sum(self^2)\noutput y", {"self": np.array([1.0, 2.0])}, {"self": [2.0, 4.0]}),
]


@pytest.mark.parametrize(("text", "point", "expected"), FOUND_API, ids=lambda v: repr(v)[:30])
def test_api_once_failed(text: str, point: dict, expected: dict) -> None:
    _, gradient = adcalc.compile(text).grad(**point)
    for name, value in expected.items():
        np.testing.assert_allclose(gradient[name], value)


# values the compiled forms raised ValueError, TypeError or OverflowError for (or, for None, gave NaN)
REFUSED_VALUES = [
    ("compile", {"x": "a", "y": 1.0}),  # ValueError: could not convert string to float
    ("compile", {"x": 1 + 2j, "y": 1.0}),  # TypeError from float()
    ("compile", {"x": np.array([1 + 1j]), "y": 1.0}),  # the imaginary part silently dropped
    ("compile", {"x": None, "y": 1.0}),  # NaN, with no error
    ("compile", {"x": 10**400, "y": 1.0}),  # OverflowError: int too large to convert to float
    ("compile", {"x": np.ones(2), "y": np.ones(3)}),  # ValueError: shapes do not broadcast
    ("gradient_function", "ab"),  # ValueError: could not convert string to float
    ("gradient_function", [[1.0], [2.0, 3.0]]),  # ValueError: inhomogeneous shape
    ("hessian_function", [1.0, "a"]),
]


@pytest.mark.parametrize(("form", "value"), REFUSED_VALUES, ids=lambda v: repr(v)[:30])
def test_compiled_forms_refuse_what_is_no_number(form: str, value: object) -> None:
    with pytest.raises(adcalc.AdcalcError):
        if form == "compile":
            adcalc.compile("x*y").grad(**value)
        else:
            getattr(adcalc, form)("x*y")(value)
