"""A fast lane through the LALR driver for the arithmetic core of adcalc.lark.

Most of a big text is a run of names, numbers and the operators `+ - * / @ ^` (a sum of 10^5
terms, a power tower): there the LALR loop spends several actions per token (a shift, a chain of
one-child reductions, a reduction per operator). Where the parser is about to read a `sum`, this
lane takes the longest run of such tokens that it can parse for certain, by operator precedence
(one pass, an explicit stack, no recursion), and hands the driver the `sum` the LALR actions
would have built: the same transformer methods, called in the same order (post-order) with the
same arguments. The driver then goes on from the `sum`, as if it had reduced it itself.

The precedences are those of adcalc.lark, loosest first: `+ -` (left), `* / @` (left), the signs
`- +` (prefix), `^` (right, its exponent a signed operand: `2^-1`). Only an operand that nothing
extends is taken: a name before `(` is a call, an operand before `[` or `'` is indexed or
transposed, and those are left to the LALR actions. The run never ends in a place the LALR would
not have reached with the same stack: it ends where the `sum` is complete and the LALR actions
from there take the next token (the driver tries them on the stack without running them: an
LALR state may reduce on a token that a later state refuses), or else just before the run's
last top-level `+` or `-` (from where the LALR reads on); failing both, the lane takes nothing.
So a syntax error is found by the LALR actions, in the state it is found in without the lane.
tests/grammar/test_tables.py checks tokens, trees and errors against lark's.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .tokens import Token

_SIGN, _ADD, _MUL, _POW = 3, 1, 2, 4  # binding strength: a sign binds tighter than * and looser than ^
_END = 0  # the end of the run: looser than every operator
_OPERATORS = {"PLUS": ("add", _ADD), "MINUS": ("sub", _ADD), "STAR": ("mul", _MUL), "SLASH": ("div", _MUL),
              "AT": ("matmul", _MUL), "POW": ("pow", _POW)}  # fmt: skip
_SIGNS = {"MINUS": "neg", "PLUS": "pos"}
_LEAVES = {"NAME": "name", "NUMBER": "number"}
_EXTENDED = {"NAME": ("LPAR", "LSQB", "QUOTE"), "NUMBER": ("LSQB", "QUOTE")}  # what makes an operand more


class Lane:
    """The precedence parser of one LALR Parser (its symbol numbers) and transformer."""

    def __init__(self, number: dict[str, int], symbols: list[str], transformer: Any) -> None:
        self.sum, self.symbols = number["sum"], symbols
        self.starts = frozenset(number[kind] for kind in (*_LEAVES, *_SIGNS))  # what a sum may start with
        self.leaves = {number[kind]: method for kind, method in _LEAVES.items()}
        self.signs = {number[kind]: method for kind, method in _SIGNS.items()}
        self.operators = {number[kind]: (method, strength) for kind, (method, strength) in _OPERATORS.items()}
        arity = {**dict.fromkeys(_LEAVES.values(), 0), **dict.fromkeys(_SIGNS.values(), 1)}
        arity |= {method: 2 for method, _ in _OPERATORS.values()}
        self.methods = {method: (getattr(transformer, method), n) for method, n in arity.items()}
        # a transformer may take a whole run in one call (ProgramCode.postfix: no call per token);
        # looked up on its class, so a transformer that makes methods up by name does not have it
        self.direct = transformer.postfix if hasattr(type(transformer), "postfix") else None
        self.adds = frozenset(number[kind] for kind, (_, strength) in _OPERATORS.items() if strength == _ADD)
        self.extended = {
            number[kind]: frozenset(number[k] for k in after) for kind, after in _EXTENDED.items()
        }

    def extent(self, kinds: list[int | None], i: int, follows: Callable[[int], bool]) -> int:
        """Where the run the lane takes from token i ends: i if it takes none.

        `kinds` are the tokens' terminals (None where the text has none); `follows(kind)` says
        whether the LALR actions, after a `sum` here, take that terminal.
        """
        expect, boundary = True, i  # an operand is next; the end before the last top-level + or -
        leaves, signs, operators, adds = self.leaves, self.signs, self.operators, self.adds
        extended = self.extended
        k = i
        while True:
            kind = kinds[k]
            if expect:
                if kind in signs:
                    pass
                elif kind in leaves and kinds[k + 1] not in extended[kind]:
                    expect = False
                else:
                    return boundary  # no operand here: back to the last + or -
            elif kind in operators:
                if kind in adds:
                    boundary = k
                expect = True
            elif kind is not None and follows(kind):  # the sum is complete before token k
                return k
            else:
                return boundary
            k += 1

    def parse(
        self, kinds: list[Any], i: int, stop: int, pieces: list[str], starts: list[int], ends: list[int],
        lines: list[int],
    ) -> tuple[Any, Token]:
        """(the transformer's value of the run of tokens i to stop, a `sum`; its last token)."""
        run = self.postfix(kinds, i, stop)
        last = stop - 1
        token = Token(self.symbols[kinds[last]], pieces[last], starts[last], ends[last], lines)
        if self.direct is not None:  # the transformer takes the whole run at once
            return self.direct(run, pieces, starts, ends, lines), token
        return self.replay(run, kinds, pieces, starts, ends, lines), token

    def postfix(self, kinds: list[Any], i: int, stop: int) -> list[tuple[str, int]]:
        """The run of tokens i to stop in post-order, as (method, token index): each operand,
        each operator after its operands; a sign's method is `neg` or `pos`, an operator's its op."""
        run: list[tuple[str, int]] = []
        pending: list[tuple[int, str, int]] = []  # (strength, method, token index) not applied yet
        leaves, signs, operators = self.leaves, self.signs, self.operators
        push = run.append
        expect = True
        for k in range(i, stop):
            kind = kinds[k]
            if expect:
                if kind in signs:
                    pending.append((_SIGN, signs[kind], k))
                else:
                    push((leaves[kind], k))
                    expect = False
                continue
            method, strength = operators[kind]
            _apply(pending, run, strength)
            pending.append((strength, method, k))
            expect = True
        _apply(pending, run, _END)
        return run

    def replay(
        self, run: list[tuple[str, int]], kinds: list[Any], pieces: list[str], starts: list[int],
        ends: list[int], lines: list[int],
    ) -> Any:
        """The transformer's value of a run, one method call per token, as the LALR actions call them."""
        operands: list[Any] = []
        methods, symbols, new = self.methods, self.symbols, tuple.__new__
        for name, k in run:
            token = new(Token, (symbols[kinds[k]], pieces[k], starts[k], ends[k], lines))
            method, arity = methods[name]
            if arity == 0:
                operands.append(method(token))
            elif arity == 1:
                operands[-1] = method(token, operands[-1])
            else:
                right = operands.pop()
                operands[-1] = method(operands[-1], token, right)
        return operands[0]


def _apply(pending: list[tuple[int, str, int]], run: list[tuple[str, int]], strength: int) -> None:
    """Apply the pending operators that bind at least as tightly as one of `strength` (they are
    left-associative), except that ^ waits for its right operand; _END applies them all."""
    while pending and (pending[-1][0] > strength or (pending[-1][0] == strength != _POW)):
        _, method, k = pending.pop()
        run.append((method, k))
