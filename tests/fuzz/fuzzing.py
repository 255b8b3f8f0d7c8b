"""What the fuzz suites share: hypothesis settings, programs drawn from adcalc's own grammar,
mutations of valid texts, random points, and a guard against hangs.

CI runs a few hundred inputs per test, derandomized (the same inputs every run, so a failure
reproduces); `ADCALC_FUZZ_EXAMPLES=N` runs N per test from a random seed, which hypothesis
prints with any failure (`@seed(...)`) so a long campaign's find reproduces too.
"""

from __future__ import annotations

import math
import os
import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import lark
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.extra.lark import LarkStrategy, from_lark
from lark.grammar import Terminal

ROOT = Path(__file__).resolve().parents[2]
GRAMMAR = ROOT / "grammar" / "adcalc.lark"
EXAMPLES = sorted((ROOT / "examples").glob("*.adl"))

LONG = int(os.environ.get("ADCALC_FUZZ_EXAMPLES", "0") or 0)


def fuzz_settings(ci_examples: int) -> settings:
    """`ci_examples` inputs in CI (derandomized), ADCALC_FUZZ_EXAMPLES in a long run (random)."""
    return settings(
        max_examples=LONG or ci_examples,
        deadline=None,
        derandomize=not LONG,
        database=None,  # no .hypothesis directory in the tree; CI is derandomized anyway
        print_blob=True,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.filter_too_much,
            HealthCheck.function_scoped_fixture,  # capsys and fuzz_count hold nothing per input
            HealthCheck.large_base_example,
        ],
    )


class Hang(Exception):
    """An input ran longer than the fuzz suite allows: a hang, not an error adcalc reported."""


@contextmanager
def bounded(seconds: float = 10.0) -> Iterator[None]:
    """Raise Hang if the block runs longer than `seconds` (SIGALRM: main thread, POSIX)."""

    def expired(signum: int, frame: Any) -> None:
        raise Hang(f"no answer within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# --- programs from the grammar ----------------------------------------------------------------
# Names: inputs, the built-in functions (so calls mostly resolve), names a def can take, and names
# that mean something to Python, which the code generators must not take literally.
VARIABLES = ["x", "y", "z", "w", "A"]
FUNCTIONS = [
    "sin", "cos", "exp", "log", "sqrt", "abs", "tanh", "atan2", "hypot", "max", "min", "where", "pow",
    "sum", "mean", "prod", "norm", "dot", "outer", "det", "inv", "trace", "transpose", "diag", "eye",
    "reshape", "softmax", "logsumexp", "sigmoid", "softplus", "floor", "sign", "cbrt", "log1p",
]  # fmt: skip
DEFINED = ["f", "g", "h"]
PYTHON_NAMES = ["type", "lambda", "None", "_x", "__import__", "t0", "v0", "r", "float", "math", "self"]
NAMES = VARIABLES * 4 + FUNCTIONS + DEFINED * 2 + PYTHON_NAMES

_KEYWORDS = ["PARAM", "INPUT", "OUTPUT", "DEF", "RETURN", "OP", "GRAD", "IF", "ELSE", "FOR", "IN"]


def _spaced(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    # from_lark joins tokens with no space between: `input x` would come out `inputx`
    return strategy.map(lambda word: f" {word} ")


def grammar_terminals() -> dict[str, st.SearchStrategy[str]]:
    numbers = st.sampled_from(["0", "1", "2", "3", "0.5", "1.5", "10", "1e-3", "2e1", ".25"])
    explicit = {
        "NAME": _spaced(st.sampled_from(NAMES)),
        "NUMBER": _spaced(numbers),
        "DNAME": _spaced(st.sampled_from(["∂f/∂x", "∂²f/∂x²", "∂f/∂x∂y"])),
        "COMMENT": st.just("# note\n"),
        "WS": st.sampled_from([" ", "\n", "\t", "\r\n", "# note\n"]),
    }
    explicit.update({k: _spaced(st.just(k.lower())) for k in _KEYWORDS})
    return explicit


class _BoundedLark(LarkStrategy):
    """from_lark's strategy, with the program kept small: below `depth` nested rules, each rule
    takes its cheapest expansion (fewest tokens to finish), so drawing never overruns. The
    grammar alone is supercritical: an `atom` expands to more atoms than it ends in, on average."""

    def __init__(self, grammar: lark.Lark, explicit: dict[str, st.SearchStrategy[str]], depth: int) -> None:
        super().__init__(grammar, None, explicit, st.characters(codec="utf-8"))
        self.depth, self.level = depth, 0
        self.cheapest = self._cheapest_expansions()

    def _cheapest_expansions(self) -> dict[str, Any]:
        rules = {name: s.elements for name, s in self.nonterminal_strategies.items()}
        cost: dict[str, float] = {name: math.inf for name in rules}

        def of(symbol: Any) -> float:
            return 1.0 if isinstance(symbol, Terminal) else cost[symbol.name]

        changed = True
        while changed:
            changed = False
            for name, expansions in rules.items():
                best = min(sum(of(s) for s in expansion) for expansion in expansions)
                if best < cost[name]:
                    cost[name], changed = best, True
        return {
            name: st.just(min(expansions, key=lambda e: sum(of(s) for s in e)))
            for name, expansions in rules.items()
        }

    def gen_ignore(self, data: Any, draw_state: list[str]) -> None:
        # whitespace and comments between tokens, rarely: every draw costs, and the tokens come
        # spaced already (the mutation suite tries the odd whitespace in every position)
        if data.draw_boolean(1 / 16):
            draw_state.append(data.draw(self.terminal_strategies["WS"]))

    def draw_symbol(self, data: Any, symbol: Any, draw_state: list[str]) -> None:
        if isinstance(symbol, Terminal):
            return super().draw_symbol(data, symbol, draw_state)
        full = self.nonterminal_strategies
        self.level += 1
        try:
            if self.level > self.depth:
                self.nonterminal_strategies = self.cheapest
            super().draw_symbol(data, symbol, draw_state)
        finally:
            self.nonterminal_strategies = full
            self.level -= 1


_PARSER = lark.Lark(GRAMMAR.read_text(encoding="utf-8"), parser="lalr", lexer="basic")
PROGRAMS = from_lark(_PARSER, explicit=grammar_terminals())  # what hypothesis offers, checked below
PROGRAMS = _BoundedLark(_PARSER, grammar_terminals(), depth=6)


# --- points -----------------------------------------------------------------------------------
NUMBERS = st.one_of(
    st.floats(-4, 4, allow_nan=False),
    st.sampled_from([0.0, 1.0, -1.0, 0.5, 2.0, 1e-300, -1e-300, 1e300, -1e300, 710.0, math.pi]),
    st.integers(-3, 3).map(float),
)


@st.composite
def point_for(draw: st.DrawFn, inputs: dict[str, Any]) -> dict[str, Any]:
    """A value for every input: a number for a free name, an array shaped as declared."""
    import numpy as np

    point: dict[str, Any] = {}
    for name, shape in inputs.items():
        if not shape:
            point[name] = draw(NUMBERS)
        else:
            size = math.prod(shape)
            values = draw(st.lists(NUMBERS, min_size=size, max_size=size)) if size <= 64 else [1.0] * size
            point[name] = np.array(values, dtype=float).reshape(shape)
    return point


# --- mutations of valid texts -----------------------------------------------------------------
EXPRESSIONS = [
    "sin(x)*y", "x^2 + y^2 - 4, x - y", "exp(-x^2/2)", "log(x) + sqrt(y)", "max(x, y, 1)",
    "where(x > 0, x, -x)", "atan2(y, x)", "x^y", "(x - 2)^where(x > 7, x, 1)", "sum(x^2)",
    "hypot(x, y) / (1 + x)", "-x^2", "2^-1*x", "tanh(sigmoid(x))", "dot([1, 2], [x, y])",
]  # fmt: skip
AT_VALUES = ["x=1,y=2", "x=0.5,y=-3", "x=[1,2],y=2", "x=1e3,y=1e-3", "x=-1,y=0", "x=2,y=[[1,2],[3,4]]"]

# things that break lexers, readers and the line and column arithmetic of error messages
HOSTILE = [
    "\x00", "\ufeff", "\r\n", "\r", "\f", "\v", "\t", "\u2028", "\u2029", "\x85", "\u00a0", "\u200b",
    "(", ")", "[", "]", "{", "}", ",", ";", "'", '"', "\\", "`", "#", "@", "..", ":", "=", "==", "±",
    "∂", "²", "é", "𝑥", "\ud800", "\udcff", "x" * 5000, "_" * 300, "9" * 400, "1e999", "nan", "inf",
    "--", "-x", "%s", "{x}", "$HOME", "@/etc/passwd", "\x1b[31m", "[" * 3000, "(" * 3000, "-" * 3000,
]  # fmt: skip


@st.composite
def mutated(draw: st.DrawFn, texts: list[str]) -> str:
    """A valid text with a few characters deleted, duplicated, swapped or replaced by hostile ones."""
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, max(len(text) - 1, 0)))
        action = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "hostile", "cut", "byte"]))
        if action == "delete":
            text = text[:k] + text[k + 1 :]
        elif action == "duplicate":
            text = text[:k] + text[k : k + 3] * 2 + text[k + 3 :]
        elif action == "swap" and len(text) > 1:
            j = draw(st.integers(0, len(text) - 1))
            chars = list(text)
            chars[k], chars[j] = chars[j], chars[k]
            text = "".join(chars)
        elif action == "insert":
            text = text[:k] + draw(st.characters(codec=None, exclude_categories=())) + text[k:]
        elif action == "hostile":
            text = text[:k] + draw(st.sampled_from(HOSTILE)) + text[k:]
        elif action == "cut":
            text = text[:k]
        elif action == "byte":  # a byte that is not UTF-8, as Python hands it over in argv
            text = text[:k] + chr(0xDC80 + draw(st.integers(0, 127))) + text[k:]
    return text


@st.composite
def mutated_bytes(draw: st.DrawFn, texts: list[bytes]) -> bytes:
    """A valid file with bytes deleted, inserted (invalid UTF-8 and NUL among them) or replaced."""
    data = bytearray(draw(st.sampled_from(texts)))
    for _ in range(draw(st.integers(1, 4))):
        k = draw(st.integers(0, max(len(data) - 1, 0)))
        action = draw(st.sampled_from(["delete", "insert", "replace", "bom", "crlf", "hostile"]))
        if action == "delete" and data:
            del data[k]
        elif action == "insert":
            data[k:k] = draw(st.binary(min_size=1, max_size=4))
        elif action == "replace" and data:
            data[k] = draw(st.integers(0, 255))
        elif action == "bom":
            data[0:0] = b"\xef\xbb\xbf"
        elif action == "crlf":
            data = bytearray(bytes(data).replace(b"\n", b"\r\n"))
        elif action == "hostile":
            piece = draw(st.sampled_from(HOSTILE))
            data[k:k] = piece.encode("utf-8", "surrogatepass")
    return bytes(data)


def strict_json(text: str) -> Any:
    """json.loads that refuses NaN and Infinity, which RFC 8259 has no place for."""
    import json

    def refuse(constant: str) -> Any:
        raise ValueError(f"not RFC 8259 JSON: {constant}")

    return json.loads(text, parse_constant=refuse)
