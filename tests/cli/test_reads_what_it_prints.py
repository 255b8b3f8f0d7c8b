"""What adcalc prints, adcalc reads: `adcalc diff F | adcalc eval - --at ...` is the derivative of F.

Generated expressions over x, y, z (shared subexpressions, so binding lines, and leading minus
signs) are differentiated, their printed derivatives read back with adcalc's own language and
evaluated, and compared with independent truth: reverse mode (`adcalc.gradient`, another code
path than the printed text) and mpmath's high-precision finite differences of the same
expression, written as Python source beside the adcalc text. Then: leading-minus expressions in
every command, keywords used as names, and the other printed forms that are adcalc text.
"""

from __future__ import annotations

import csv
import io
import json
import math
import random
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol, TypeVar

import adcalc
import mpmath
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.cli.helpers import Outcome, run_fast

VARIABLES = ("x", "y", "z")
POWERS = {1: "", 2: "²", 3: "³"}
REL = 1e-9

# precedence of printed adcalc text, loosest first (grammar/adcalc.lark): + -, * /, unary -, ^, atoms
SUM, PRODUCT, UNARY, POWER, ATOM = range(5)

MPMATH = {
    "sin": mpmath.sin,
    "cos": mpmath.cos,
    "exp": mpmath.exp,
    "log": mpmath.log,
    "sqrt": mpmath.sqrt,
    "atan2": mpmath.atan2,
    "tanh": mpmath.tanh,
    "mpf": mpmath.mpf,
}

T = TypeVar("T")


# --- the generator: adcalc text and Python (mpmath) source of the same expression ------------------


@dataclass(frozen=True)
class Expr:
    text: str  # adcalc text, minimal parentheses as the README's precedence table reads them
    py: str  # Python over mpmath, fully parenthesized: the truth does not rely on adcalc's precedence
    level: int  # precedence of the outermost operator of `text`
    value: float  # at the case's point (float64), to keep the expression in a safe domain


class Chooser(Protocol):
    def below(self, n: int) -> int: ...


class Seeded:
    """Choices from a seeded generator (seeded by hypothesis for the bulk, by a constant for the sample)."""

    def __init__(self, seed: int | str) -> None:
        self.rng = random.Random(seed)

    def below(self, n: int) -> int:
        return self.rng.randrange(n)


def pick(chooser: Chooser, items: Sequence[T]) -> T:
    return items[chooser.below(len(items))]


def wrap(e: Expr, level: int) -> str:
    return e.text if e.level >= level else f"({e.text})"


def tame(value: float) -> bool:
    return math.isfinite(value) and abs(value) <= 100.0


def unary(name: str, a: Expr, chooser: Chooser) -> Expr | None:
    if name == "neg":  # -x^2 is -(x^2) in adcalc and in Python; -(-x) keeps `--` off the command line
        return Expr("-" + wrap(a, POWER), f"(-{a.py})", UNARY, -a.value)
    if name in ("sin", "cos", "tanh"):
        return Expr(f"{name}({a.text})", f"{name}({a.py})", ATOM, getattr(math, name)(a.value))
    if name == "exp":
        return Expr(f"exp({a.text})", f"exp({a.py})", ATOM, math.exp(a.value)) if abs(a.value) < 4 else None
    if name == "log":
        return Expr(f"log(1 + {wrap(a, ATOM)}^2)", f"log(1 + ({a.py})**2)", ATOM, math.log1p(a.value**2))
    if name == "sqrt":
        return Expr(f"sqrt(1 + {wrap(a, ATOM)}^2)", f"sqrt(1 + ({a.py})**2)", ATOM, math.hypot(1, a.value))
    if name == "pow":
        k = pick(chooser, (2, 3, 2, -1, -2))
        if k < 0 and abs(a.value) < 0.3:
            return None
        symbol = pick(chooser, ("^", "^", "**"))
        return Expr(f"{wrap(a, ATOM)}{symbol}{k}", f"(({a.py})**({k}))", POWER, a.value**k)
    raise AssertionError(name)


def binary(name: str, a: Expr, b: Expr) -> Expr | None:
    if name in ("+", "-"):
        value = a.value + b.value if name == "+" else a.value - b.value
        return Expr(f"{a.text} {name} {wrap(b, PRODUCT)}", f"({a.py} {name} {b.py})", SUM, value)
    if name == "*":  # a unary minus on the right stays bare (x*-y): the grammar reads it
        return Expr(f"{wrap(a, PRODUCT)}*{wrap(b, UNARY)}", f"({a.py} * {b.py})", PRODUCT, a.value * b.value)
    if name == "/":
        if abs(b.value) < 0.25:
            return None
        return Expr(f"{wrap(a, PRODUCT)}/{wrap(b, UNARY)}", f"({a.py} / {b.py})", PRODUCT, a.value / b.value)
    if name == "atan2":  # away from the origin and from the branch cut (b < 0, a = 0)
        if math.hypot(a.value, b.value) < 0.3 or (b.value < 0 and abs(a.value) < 0.05):
            return None
        value = math.atan2(a.value, b.value)
        return Expr(f"atan2({a.text}, {b.text})", f"atan2({a.py}, {b.py})", ATOM, value)
    raise AssertionError(name)


UNARY_OPS = ("neg", "sin", "cos", "exp", "log", "sqrt", "tanh", "pow", "neg", "pow")
BINARY_OPS = ("+", "-", "*", "/", "atan2", "*", "+", "-")
CONSTANTS = ("2", "0.5", "3", "1.5", "0.25")
VARIABLE = re.compile(r"\b[xyz]\b")


def build(chooser: Chooser, point: dict[str, float], steps: int, lead: bool | None = None) -> Expr:
    """An expression built step by step from a pool, each step reusing earlier pieces (sharing)."""
    pool = [Expr(v, v, ATOM, point[v]) for v in VARIABLES]
    c = pick(chooser, CONSTANTS)
    pool.append(Expr(c, f"mpf('{c}')", ATOM, float(c)))

    def operand(recent: int) -> Expr:
        found = pool[-1] if chooser.below(recent) else pick(chooser, pool)
        if not VARIABLE.search(found.py) and chooser.below(4):  # mostly not constant pieces
            found = pick(chooser, pool[:3])
        return found

    for _ in range(steps):
        a = operand(4)  # mostly the last piece: depth; the other operand anything earlier: sharing
        if chooser.below(2):
            made = binary(pick(chooser, BINARY_OPS), a, operand(2))
        else:
            made = unary(pick(chooser, UNARY_OPS), a, chooser)
        if made is None or not tame(made.value):
            made = unary("sin", a, chooser)
        assert made is not None
        pool.append(made)
    final = pool[-1]
    if (chooser.below(3) == 0) if lead is None else (lead and not final.text.startswith("-")):
        final = unary("neg", final, chooser) or final  # expressions that START with '-'
    return final


@dataclass(frozen=True)
class Case:
    text: str
    py: str
    point: dict[str, float] = field(default_factory=dict)

    @cached_property
    def function(self) -> Callable[..., Any]:
        return eval(f"lambda x, y, z: {self.py}", dict(MPMATH))  # noqa: S307 - our own generated source

    @property
    def used(self) -> list[str]:
        return list(adcalc.parse(self.text).variables)  # in order of appearance, as diff lists them

    def at(self, names: Sequence[str] | None = None) -> str:
        return ",".join(f"{v}={self.point[v]!r}" for v in (names or VARIABLES))


@st.composite
def cases(draw: Callable[[Any], Any]) -> Case:
    # the shape comes from a seeded generator: derandomized with the test, and varied (drawing
    # each choice as a small integer would favour the first operand and the first operator)
    seed = draw(st.integers(0, 2**32 - 1))
    point = {v: draw(st.integers(-120, 120)) / 100 for v in VARIABLES}
    chooser = Seeded(f"{seed} {point}")
    expr = build(chooser, point, draw(st.integers(3, 10)))
    return Case(expr.text, expr.py, point)


def seeded_cases(count: int, seed: int = 20240601) -> list[Case]:
    """A fixed sample for the command-line path: at least two variables, a third starting with '-'."""
    chooser, found = Seeded(seed), []
    while len(found) < count:
        point = {v: chooser.below(241) / 100 - 1.2 for v in VARIABLES}
        point = {v: round(value, 2) for v, value in point.items()}
        expr = build(chooser, point, 3 + chooser.below(6), lead=len(found) % 3 == 1)
        case = Case(expr.text, expr.py, point)
        if len(case.used) >= 2:
            found.append(case)
    return found


SAMPLE = seeded_cases(10)


# --- truth and comparison ---------------------------------------------------------------------------


def truth(case: Case, var: str, order: int) -> float:
    """d^k f/dv^k by mpmath's finite differences at 30 digits (mpmath.diff)."""
    with mpmath.workdps(30):
        args = {v: mpmath.mpf(case.point[v]) for v in VARIABLES}

        def along(t: Any) -> Any:
            return case.function(**{**args, var: t})

        return float(mpmath.diff(along, args[var], order))


def assert_close(got: Any, want: float, what: str) -> None:
    assert isinstance(got, float) and math.isfinite(got), f"{what}: got {got!r}, want {want!r}"
    assert abs(got - want) <= REL * max(1.0, abs(want)), f"{what}: got {got!r}, want {want!r}"


def label(var: str, order: int) -> str:
    return f"∂{POWERS[order]}f/∂{var}{POWERS[order]}"


BINDING = re.compile(r"t+\d+ = \S")


def assert_form(text: str, var: str, order: int) -> None:
    """A bare expression, or binding lines then `∂ᵏf/∂vᵏ = ...`."""
    lines = text.split("\n")
    if len(lines) == 1 and not lines[0].startswith("∂"):
        assert "=" not in lines[0].replace("==", "").replace("<=", "").replace(">=", ""), text
        return
    assert all(BINDING.match(line) for line in lines[:-1]), text
    assert lines[-1].startswith(f"{label(var, order)} = "), text


def assert_program_form(program: str, names: Sequence[str], order: int) -> None:
    lines = program.split("\n")
    assert [line.split(" = ")[0] for line in lines[-len(names) :]] == [label(v, order) for v in names], (
        program
    )
    assert all(BINDING.match(line) for line in lines[: -len(names)]), program


BULK = settings(
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


# --- 1. diff | eval on generated expressions, through the API ---------------------------------------


@settings(BULK, max_examples=400)
@given(case=cases(), var=st.sampled_from(VARIABLES))
def test_first_derivative_by_one_variable_reads_back(case: Case, var: str) -> None:
    printed = adcalc.diff(case.text, wrt=[var])
    text = printed.text[var]
    assert_form(text, var, 1)
    want = truth(case, var, 1)
    assert_close(
        adcalc.evaluate(text, at=case.point).value, want, f"diff {case.text!r} --wrt {var}: {text!r}"
    )
    assert_close(adcalc.evaluate(printed.program, at=case.point).value, want, f"program {printed.program!r}")
    reverse = adcalc.gradient(case.text, at=case.point, wrt=[var]).gradient[var]
    assert_close(reverse, want, f"grad {case.text!r} by {var}")


@settings(BULK, max_examples=200)
@given(case=cases())
def test_first_derivatives_program_reads_back(case: Case) -> None:
    printed = adcalc.diff(case.text, wrt=list(VARIABLES))
    assert_program_form(printed.program, VARIABLES, 1)
    columns = adcalc.evaluate(printed.program, at=case.point).value
    assert list(columns) == [label(v, 1) for v in VARIABLES], printed.program
    reverse = adcalc.gradient(case.text, at=case.point, wrt=list(VARIABLES)).gradient
    for v in VARIABLES:
        want = truth(case, v, 1)
        where = f"diff {case.text!r} at {case.at()}: {label(v, 1)}"
        assert_close(columns[label(v, 1)], want, f"{where} of {printed.program!r}")
        assert_form(printed.text[v], v, 1)
        assert_close(
            adcalc.evaluate(printed.text[v], at=case.point).value, want, f"{where}: {printed.text[v]!r}"
        )
        assert_close(reverse[v], want, f"reverse mode {where}")


@pytest.mark.parametrize("order", [2, 3])
@settings(BULK, max_examples=150)
@given(case=cases())
def test_higher_order_derivatives_read_back(order: int, case: Case) -> None:
    printed = adcalc.diff(case.text, wrt=list(VARIABLES), order=order)
    assert printed.order == order
    assert_program_form(printed.program, VARIABLES, order)
    columns = adcalc.evaluate(printed.program, at=case.point).value
    assert list(columns) == [label(v, order) for v in VARIABLES], printed.program
    for v in VARIABLES:
        want = truth(case, v, order)
        where = f"diff {case.text!r} --order {order} at {case.at()}: {label(v, order)}"
        assert_close(columns[label(v, order)], want, f"{where} of {printed.program!r}")
        assert_form(printed.text[v], v, order)
        assert_close(
            adcalc.evaluate(printed.text[v], at=case.point).value, want, f"{where}: {printed.text[v]!r}"
        )


def test_the_generator_makes_what_it_should() -> None:
    # the round trips above mean something only if bindings and leading minus signs are common
    with_bindings = sum(
        "\n" in adcalc.diff(case.text, wrt=list(VARIABLES)).program.split("∂")[0] for case in SAMPLE
    )
    leading = sum(case.text.startswith("-") for case in SAMPLE)
    assert with_bindings >= 3 and leading >= 2, [case.text for case in SAMPLE]
    for case in SAMPLE:  # the Python source is the same function as the adcalc text
        want = float(case.function(**{v: mpmath.mpf(case.point[v]) for v in VARIABLES}))
        assert_close(adcalc.evaluate(case.text, at=case.point).value, want, case.text)


INFINITE = [
    "x^(-1e300*1e300)",  # -inf in an exponent: `x^-1/0` reads as (x^-1)/0
    "x^-1e309",
    "x^(1e300*1e300)",
    "(-1e300*1e300)^x",
    "x*(-1e300*1e300)",
    "(-1e300*1e300)*x",
    "x/(-1e300*1e300)",
    "(-1e300*1e300)/x",
    "x - (-1e300*1e300)",
    "-(-1e300*1e300)*x",
    "2^(x*(-1e300*1e300))",
]


@pytest.mark.parametrize("g", INFINITE)
@pytest.mark.parametrize("x", [2.0, 0.5])
def test_infinite_constants_read_back(g: str, x: float) -> None:
    # constants folded to ±inf print as 1/0 and -1/0: d/dy of y*G is G, printed, and reads back as G
    printed = adcalc.diff(f"y*({g})", wrt=["y"]).text["y"]
    at = {"x": x, "y": 1.0}
    assert adcalc.evaluate(printed, at=at).value == adcalc.evaluate(g, at=at).value, (g, printed)


def test_binding_names_avoid_the_variables() -> None:
    # variables named like binding lines: the printer picks another prefix, and the text reads back
    text = "sin(t1*t2)*exp(t1*t2) + (t1*t2)^2"
    at = {"t1": 0.3, "t2": -0.7}
    printed = adcalc.diff(text, wrt=["t1", "t2"])
    columns = adcalc.evaluate(printed.program, at=at).value
    assert columns == pytest.approx(
        {label(v, 1): g for v, g in adcalc.gradient(text, at=at).gradient.items()}, rel=1e-12
    )


# --- 1 and 2 through the command line -----------------------------------------------------------------


def cli(args: list[str], capsys: pytest.CaptureFixture[str], stdin: str = "") -> Outcome:
    """adcalc ARGS through the console script's entry point, with standard input."""
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return run_fast(args, capsys)
    finally:
        sys.stdin = old


def ok(outcome: Outcome, what: str) -> Outcome:
    assert outcome.code == 0, f"{what}: exit {outcome.code}\n{outcome.stderr}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    return outcome


def document(outcome: Outcome, what: str) -> dict[str, Any]:
    return json.loads(ok(outcome, what).stdout)


@pytest.mark.parametrize("case", SAMPLE, ids=[f"sample{k}" for k in range(len(SAMPLE))])
def test_cli_diff_into_eval_gives_the_gradient(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    names = case.used
    printed = ok(cli(["diff", case.text], capsys), f"adcalc diff {case.text!r}")
    shown = document(cli(["diff", case.text, "--json"], capsys), "diff --json")
    assert shown["wrt"] == names
    assert printed.stdout.rstrip("\n") in (shown["program"], shown["symbolic"][names[0]])
    assert_program_form(shown["program"], names, 1)
    at = case.at(names)
    run = f"adcalc diff {case.text!r} | adcalc eval - --at {at}"
    value = document(cli(["eval", "-", "--at", at, "--json"], capsys, printed.stdout), run)["value"]
    assert list(value) == [label(v, 1) for v in names], run
    reverse = adcalc.gradient(case.text, at={v: case.point[v] for v in names}).gradient
    for v in names:
        assert_close(value[label(v, 1)], truth(case, v, 1), f"{run}: {label(v, 1)}")
        assert_close(reverse[v], truth(case, v, 1), f"grad {case.text!r}: {v}")
        own = adcalc.evaluate(shown["symbolic"][v], at=case.point).value  # each text parses on its own
        assert_close(own, value[label(v, 1)], f"symbolic[{v}] of {run}")
    table = ok(cli(["eval", "-", "--at", at], capsys, printed.stdout), run).stdout
    header = next(line for line in table.splitlines() if line.startswith("┃"))
    assert [cell.strip() for cell in header.strip("┃").split("┃")][1:] == [label(v, 1) for v in names], table


@pytest.mark.parametrize("case", SAMPLE, ids=[f"sample{k}" for k in range(len(SAMPLE))])
def test_cli_diff_wrt_into_grad_is_the_hessian_row(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    names = case.used
    at = case.at(names)
    hessian = document(cli(["hessian", case.text, "--at", at, "--json"], capsys), "hessian")["hessian"]
    for v in names:
        printed = ok(cli(["diff", case.text, "--wrt", v], capsys), f"diff --wrt {v}")
        assert_form(printed.stdout.rstrip("\n"), v, 1)
        run = f"adcalc diff {case.text!r} --wrt {v} | adcalc grad - --at {at}"
        shown = document(cli(["grad", "-", "--at", at, "--json"], capsys, printed.stdout), run)
        assert_close(shown["value"], truth(case, v, 1), f"{run}: value")
        assert set(shown["gradient"]) == set(names), run
        for w in names:
            assert_close(shown["gradient"][w], hessian[v][w], f"{run}: ∂/∂{w} against hessian[{v}][{w}]")


@pytest.mark.parametrize("case", SAMPLE, ids=[f"sample{k}" for k in range(len(SAMPLE))])
def test_cli_printed_derivatives_differentiate_again(case: Case, capsys: pytest.CaptureFixture[str]) -> None:
    # the printed program is input to every command: its Jacobian is the Hessian, and the
    # derivative of the printed derivative is the second derivative
    names = case.used
    at = case.at(names)
    hessian = document(cli(["hessian", case.text, "--at", at, "--json"], capsys), "hessian")["hessian"]
    program = ok(cli(["diff", case.text], capsys), "diff").stdout
    run = f"adcalc diff {case.text!r} | adcalc jacobian - --at {at}"
    shown = document(cli(["jacobian", "-", "--at", at, "--json"], capsys, program), run)
    if len(names) > 1:
        assert shown["outputs"] == [label(v, 1) for v in names], run
    for v, output in zip(names, shown["outputs"], strict=True):
        for w in names:
            assert_close(shown["jacobian"][output][w], hessian[v][w], f"{run}: [{output}][{w}]")
    for v in names:
        first = ok(cli(["diff", case.text, "--wrt", v], capsys), "diff --wrt").stdout
        second = ok(cli(["diff", "-", "--wrt", v], capsys, first), "diff - --wrt").stdout
        run = f"adcalc diff {case.text!r} --wrt {v} | adcalc diff - --wrt {v} | adcalc eval - --at {at}"
        value = document(cli(["eval", "-", "--at", at, "--json"], capsys, second), run)["value"]
        assert_close(value, truth(case, v, 2), run)


@pytest.mark.parametrize("order", [2, 3])
@pytest.mark.parametrize("case", SAMPLE[:6], ids=[f"sample{k}" for k in range(6)])
def test_cli_higher_orders_into_eval(case: Case, order: int, capsys: pytest.CaptureFixture[str]) -> None:
    names = case.used
    option = ["-k", str(order)] if order == 2 else ["--order", str(order)]
    printed = ok(cli(["diff", case.text, *option], capsys), f"diff {case.text!r} --order {order}")
    at = case.at(names)
    run = f"adcalc diff {case.text!r} --order {order} | adcalc eval - --at {at}"
    value = document(cli(["eval", "-", "--at", at, "--json"], capsys, printed.stdout), run)["value"]
    assert list(value) == [label(v, order) for v in names], run
    for v in names:
        assert_close(value[label(v, order)], truth(case, v, order), f"{run}: {label(v, order)}")


def adcalc_command() -> str:
    found = shutil.which("adcalc", path=str(Path(sys.executable).parent))
    return shlex.quote(found) if found else f"{shlex.quote(sys.executable)} -m adcalc"


def pipeline(*commands: list[str]) -> Outcome:
    line = " | ".join(" ".join([adcalc_command(), *map(shlex.quote, args)]) for args in commands)
    done = subprocess.run(["bash", "-o", "pipefail", "-c", line], capture_output=True, text=True, timeout=60)
    return Outcome(done.returncode, done.stdout, done.stderr)


def test_real_pipes_diff_into_eval_and_grad() -> None:
    case = next(c for c in SAMPLE if len(c.used) == 3)
    at = case.at()
    run = pipeline(["diff", case.text], ["eval", "-", "--at", at, "--json"])
    value = json.loads(ok(run, f"adcalc diff {case.text!r} | adcalc eval - --at {at} --json").stdout)["value"]
    for v in VARIABLES:
        assert_close(value[label(v, 1)], truth(case, v, 1), f"pipe: {label(v, 1)}")
    run = pipeline(["diff", case.text, "--wrt", "x"], ["grad", "-", "--at", at, "--json"])
    gradient = json.loads(ok(run, "adcalc diff F --wrt x | adcalc grad -").stdout)["gradient"]
    hessian = adcalc.hessian(case.text, at=case.point).hessian["x"]
    for v in VARIABLES:
        assert_close(gradient[v], hessian[v], f"pipe: grad of ∂f/∂x by {v}")
    run = pipeline(["diff", "-sin(x*y)*exp(x*y)", "-k", "3"], ["eval", "-", "--at", "x=0.5,y=-0.25", "-j"])
    value = json.loads(ok(run, "adcalc diff -sin(x*y)*exp(x*y) -k 3 | adcalc eval -").stdout)["value"]
    third = Case("-sin(x*y)*exp(x*y)", "(-sin(x*y)*exp(x*y))", {"x": 0.5, "y": -0.25, "z": 0.0})
    assert_close(value["∂³f/∂x³"], truth(third, "x", 3), "pipe: order 3")
    assert_close(value["∂³f/∂y³"], truth(third, "y", 3), "pipe: order 3")


# --- 3. leading minus in every command that takes an expression -----------------------------------------

H = {"x": {"x": -4.0, "y": -6.0}, "y": {"x": -6.0, "y": 0.0}}  # the Hessian of -x^2*y at x=3, y=2
JAC = {"-x*y": {"x": -2.0, "y": -3.0}, "y": {"x": 0.0, "y": 1.0}}

LEADING_MINUS: list[tuple[list[str], str, Any]] = [
    (["eval", "-x^2", "--at", "x=3", "--json"], "value", -9.0),
    (["eval", "--at", "x=3", "-j", "-x^2"], "value", -9.0),
    (["eval", "- x^2", "-a", "x=3", "-j"], "value", -9.0),
    (["eval", "-x, x", "--at", "x=3", "--json"], "value", {"-x": -3.0, "x": 3.0}),
    (["eval", "-1/x", "--at", "x=4", "--json"], "value", -0.25),
    (["grad", "-x^2", "--at", "x=3", "--json"], "gradient", {"x": -6.0}),
    (["grad", "--at", "x=3", "-x^2", "--json"], "gradient", {"x": -6.0}),
    (["grad", "--at", "x=3", "--json", "-x^2"], "gradient", {"x": -6.0}),
    (["grad", "-x^2", "-k", "2", "--at", "x=3", "--json"], "derivative", -2.0),
    (["grad", "-x^2", "-k2", "--at", "x=3", "--json"], "derivative", -2.0),
    (["grad", "-x^2", "-m", "forward", "--at", "x=3", "-j"], "gradient", {"x": -6.0}),
    (["grad", "-x^2*y", "-w", "y", "--at", "x=3,y=2", "-j"], "gradient", {"y": -9.0}),
    (["grad", "-x^2*y", "--at=x=3,y=2", "-j"], "gradient", {"x": -12.0, "y": -9.0}),
    (["jvp", "-x^2*y", "--at", "x=3,y=2", "--dir", "x=1", "--json"], "directional", -12.0),
    (["jvp", "-d", "x=1", "-a", "x=3,y=2", "-x^2*y", "-j"], "directional", -12.0),
    (["hvp", "-x^2*y", "--at", "x=3,y=2", "--dir", "x=1", "--json"], "hvp", {"x": -4.0, "y": -6.0}),
    (["jacobian", "-x*y, y", "--at", "x=3,y=2", "--json"], "jacobian", JAC),
    (["jacobian", "-x*y, y", "-m", "forward", "--at", "x=3,y=2", "-j"], "jacobian", JAC),
    (["hessian", "-x^2*y", "--at", "x=3,y=2", "--json"], "hessian", H),
    (["hessian", "--at", "x=3,y=2", "-x^2*y", "-j"], "hessian", H),
    (["taylor", "-x^2", "--at", "x=3", "-k", "3", "--json"], "coefficients", [-9.0, -6.0, -1.0, 0.0]),
    (["explain", "-x^2", "--at", "x=3", "--json"], "gradient", {"x": -6.0}),
    (["explain", "-x^2*y", "-m", "forward", "--dir", "x=1", "--at", "x=3,y=2", "-j"], "directional", -12.0),
    (["check", "-x^2", "--at", "x=3", "--json"], "gradient", {"x": -6.0}),
    (["check", "-x^2", "--at", "x=3", "--json"], "passed", True),
    (["--digits", "5", "grad", "-x^2", "--at", "x=3", "-j"], "gradient", {"x": -6.0}),
    (["grad", "-x^2", "--debug", "--at", "x=3", "-j"], "gradient", {"x": -6.0}),
    (["eval", "-a", "x=-3", "-x^2", "-j"], "value", -9.0),
    (["eval", "-x^2", "--at=x=-3", "-j"], "value", -9.0),
    (["hessian", "-x^2*y", "-w", "x", "--at", "x=3,y=2", "-j"], "hessian", {"x": {"x": -4.0}}),
    (["eval", "--at", "x=2", "--", "-x^2"], None, -4.0),
    (["grad", "--at", "x=3", "--json", "--", "-x^2"], "gradient", {"x": -6.0}),
]


@pytest.mark.parametrize(
    ("args", "key", "expected"), LEADING_MINUS, ids=[" ".join(a) for a, _, _ in LEADING_MINUS]
)
def test_leading_minus_is_the_expression(
    args: list[str], key: str | None, expected: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = ok(cli(args, capsys), f"adcalc {shlex.join(args)}")
    if key is None:  # a table: the value cell
        assert "-4.0" in outcome.stdout, outcome.stdout
        return
    assert document(outcome, "json")[key] == expected, outcome.stdout


def test_leading_minus_diff(capsys: pytest.CaptureFixture[str]) -> None:
    at = {"x": 3.0, "y": 2.0}
    shown = document(cli(["diff", "-x^2*y", "--json"], capsys), "diff -x^2*y")
    assert {v: adcalc.evaluate(t, at=at).value for v, t in shown["symbolic"].items()} == {
        "x": -12.0,
        "y": -9.0,
    }
    assert adcalc.evaluate(shown["program"], at=at).value == {"∂f/∂x": -12.0, "∂f/∂y": -9.0}
    shown = document(cli(["diff", "-w", "x", "-x^2*y", "-k", "2", "-j"], capsys), "diff -w x -x^2*y -k 2")
    assert (shown["wrt"], shown["order"]) == (["x"], 2)
    assert adcalc.evaluate(shown["symbolic"]["x"], at=at).value == -4.0
    plain = ok(cli(["diff", "--wrt", "x", "--", "-x^2*y"], capsys), "diff -- -x^2*y").stdout
    assert adcalc.evaluate(plain, at=at).value == -12.0


def test_leading_minus_graph(capsys: pytest.CaptureFixture[str]) -> None:
    shown = document(cli(["graph", "-x^2", "--json"], capsys), "graph -x^2")
    by_id = {n["id"]: n for n in shown["nodes"]}
    assert by_id[shown["root"]]["op"] == "neg" and shown["count"] == 4
    assert "digraph" in ok(cli(["graph", "-x^2", "-f", "dot"], capsys), "graph -f dot").stdout
    assert "neg" in ok(cli(["graph", "-f", "tree", "-x^2"], capsys), "graph -f tree").stdout


def test_leading_minus_batch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    table = tmp_path / "points.csv"
    table.write_text("x,y\n3,2\n1,1\n")
    for args in (
        ["batch", "-x^2*y", "-i", str(table), "--grad"],
        ["batch", "-g", "-i", str(table), "-x^2*y"],
    ):
        outcome = ok(cli([*args, "-q"], capsys), shlex.join(args))
        rows = list(csv.DictReader(io.StringIO(outcome.stdout)))
        assert [(r["value"], r["d_x"], r["d_y"]) for r in rows] == [
            ("-18.0", "-12.0", "-9.0"),
            ("-1.0", "-2.0", "-1.0"),
        ]


@pytest.mark.parametrize("args", [["grad", "-x^2", "-h"], ["eval", "-h"], ["grad", "-h", "--at", "x=1"]])
def test_h_is_still_help(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    outcome = ok(cli(args, capsys), shlex.join(args))
    assert f"Usage: adcalc {args[0]}" in outcome.stdout


NOT_EXPRESSIONS = [
    ["eval", "-x^", "--at", "x=1"],
    ["grad", "--at", "x=1", "-x^"],
    ["jvp", "-x^", "--at", "x=1", "--dir", "x=1"],
    ["hvp", "-x^", "--at", "x=1", "--dir", "x=1"],
    ["jacobian", "-x^", "--at", "x=1"],
    ["hessian", "-x^", "--at", "x=1"],
    ["taylor", "-x^", "--at", "x=1"],
    ["diff", "-x^"],
    ["explain", "-x^", "--at", "x=1"],
    ["check", "-x^", "--at", "x=1"],
    ["graph", "-x^"],
    ["batch", "-x^", "-i", "points.csv"],
]


@pytest.mark.parametrize("args", NOT_EXPRESSIONS, ids=[a[0] for a in NOT_EXPRESSIONS])
def test_a_leading_minus_that_is_no_expression_hints_at_double_dash(
    args: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    outcome = cli(args, capsys)
    assert outcome.code == 2, outcome
    assert "Traceback" not in outcome.stderr
    assert f"adcalc {args[0]} -- '-x^'" in outcome.stderr, outcome.stderr


def test_after_double_dash_it_is_a_syntax_error(capsys: pytest.CaptureFixture[str]) -> None:
    outcome = cli(["eval", "--", "-x^"], capsys)
    assert outcome.code == 2 and "Traceback" not in outcome.stderr
    lines = outcome.stderr.splitlines()
    assert lines[0].startswith("error: ") and "1:4" in lines[0], outcome.stderr
    assert lines[1:3] == ["  -x^", "     ^"], outcome.stderr


# --- 4. keywords are not names ----------------------------------------------------------------------------

KEYWORD_USES = [
    ("in*2", "in"),
    ("op + 1", "op"),
    ("grad*x", "grad"),
    ("output + 1", "output"),
    ("x + for", "for"),
    ("2*in", "in"),
    ("x*def", "def"),
    ("if*2", "if"),
    ("param + 1", "param"),
    ("input*x", "input"),
    ("else - 1", "else"),
]


@pytest.mark.parametrize("command", ["eval", "grad", "diff"])
@pytest.mark.parametrize(("text", "keyword"), KEYWORD_USES, ids=[t for t, _ in KEYWORD_USES])
def test_a_keyword_used_as_a_name(
    text: str, keyword: str, command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    args = [command, text] + ([] if command == "diff" else ["--at", "x=1"])
    outcome = cli(args, capsys)
    run = f"adcalc {shlex.join(args)}"
    assert outcome.code == 2, f"{run}: {outcome}"
    assert "Traceback" not in outcome.stderr, outcome.stderr
    lines = outcome.stderr.splitlines()
    column = text.index(keyword) + 1
    assert lines[0].startswith("error: "), f"{run}: {outcome.stderr}"
    assert f"'{keyword}'" in lines[0] and "keyword" in lines[0], f"{run}: {lines[0]}"
    assert f":1:{column}:" in lines[0], f"{run}: {lines[0]}"
    assert lines[1] == f"  {text}", f"{run}: {outcome.stderr}"
    assert re.fullmatch(" " * (column + 1) + r"\^~*", lines[2]), (
        f"{run}: the caret is not at the keyword\n{outcome.stderr}"
    )


# --- 5. other printed forms that are adcalc text -----------------------------------------------------------

SUBSCRIPTS = str.maketrans("₋₀₁₂₃₄₅₆₇₈₉", "m0123456789")
TRACE_NAME = re.compile(r"v[₋₀₁₂₃₄₅₆₇₈₉]+")


def identifier(trace_name: str) -> str:
    return "v_" + trace_name[1:].translate(SUBSCRIPTS)


EXPLAINED = [
    ("ln(x1) + x1*x2 - sin(x2)", {"x1": 2.0, "x2": 5.0}),
    ("-x^2*atan2(y, -x) + 1e-3/y - (-2)^2*x", {"x": 0.7, "y": -1.3}),
    ("tanh(x - -y)*x^-2 + 2^-1*sqrt(1 + y^2)", {"x": 0.7, "y": -1.3}),
    *[(case.text, case.point) for case in SAMPLE[:5]],
]


@pytest.mark.parametrize(("text", "point"), EXPLAINED, ids=[f"explain{k}" for k in range(len(EXPLAINED))])
def test_explain_primal_expressions_read_back(
    text: str, point: dict[str, float], capsys: pytest.CaptureFixture[str]
) -> None:
    # The "expression" of a primal row is adcalc text over the trace names v₋₁, v₀, v₁ ... (not
    # identifiers: they are renamed here). Each row, evaluated at the values of the rows it names,
    # is the row's value, and the rows as a program are the expression again: same gradient.
    names = [v for v in point if re.search(rf"\b{v}\b", text)]
    at = ",".join(f"{v}={point[v]!r}" for v in names)
    shown = document(cli(["explain", text, "--at", at, "--json"], capsys), f"explain {text!r}")
    values: dict[str, float] = {}
    lines = []
    for row in shown["primal"]:
        name = identifier(row["name"])
        if row["op"] == "var":
            assert row["expression"] in names and row["value"] == point[row["expression"]], row
            lines.append(f"{name} = {row['expression']}")
        else:
            renamed = TRACE_NAME.sub(lambda m: identifier(m.group(0)), row["expression"])
            assert adcalc.evaluate(renamed, at=values).value == row["value"], (row, renamed)
            lines.append(f"{name} = {renamed}")
        values[name] = row["value"]
    program = "\n".join([*lines, identifier(shown["primal"][-1]["name"])])
    rebuilt = adcalc.gradient(program, at={v: point[v] for v in names})
    assert rebuilt.value == shown["value"]
    assert rebuilt.gradient == pytest.approx(shown["gradient"], rel=1e-14, abs=1e-300)


def test_jacobian_output_labels_read_back(capsys: pytest.CaptureFixture[str]) -> None:
    # the output labels jacobian prints are the texts of the outputs: each reads back
    shown = document(cli(["jacobian", "-x*y, y - -x, sin(x)^2", "--at", "x=3,y=2", "-j"], capsys), "jacobian")
    assert shown["outputs"] == list(shown["value"]) == list(shown["jacobian"])
    for output in shown["outputs"]:
        assert adcalc.evaluate(output, at={"x": 3.0, "y": 2.0}).value == shown["value"][output]
        assert adcalc.gradient(output, at={"x": 3.0, "y": 2.0}).gradient == shown["jacobian"][output]
