"""A small LALR(1) driver for the table lark computed from adcalc.lark (see generate.py).

One regex scans the text (the terminals in lark's order, so a text lexes as lark lexes it); the
table's shifts and reductions run in one loop, and each reduction calls the method of the
transformer named after its rule (or its `-> alias`) with the kept children, as lark's
`Transformer` with `v_args(inline=True)` would: anonymous tokens (`"("`) are dropped, `_rules`
and repetitions are spliced into their parent, and a `?rule` alternative of one child is that
child. Nothing here recurses, so nesting depth costs no stack.
"""

from __future__ import annotations

import bisect
import json
import os
import re
from typing import Any

END = "$END"
_UNMATCHED = "_UNMATCHED"
_NEWLINE = re.compile("\n")


class Token(str):
    """A token: its text, terminal name and place (offsets; 1-based lines and columns, end exclusive).

    Lines and columns are worked out from the offsets when asked for (by a span or an error):
    the lexer stores two offsets per token, the cheapest thing it can do 400,000 times.
    """

    type: str
    start_pos: int
    end_pos: int
    starts: tuple[int, ...] | list[int] = (0,)  # offsets where the text's lines start

    def __new__(cls, kind: str, value: str, start: int, end: int) -> Token:
        token = super().__new__(cls, value)
        token.type, token.start_pos, token.end_pos = kind, start, end
        return token

    def place(self) -> tuple[int, int, int, int]:
        """(line, column, end line, end column)."""
        starts, start, end = self.starts, self.start_pos, self.end_pos
        if len(starts) == 1:  # a one-line text
            return 1, start + 1, 1, end + 1
        line, end_line = bisect.bisect_right(starts, start), bisect.bisect_right(starts, end)
        return line, start - starts[line - 1] + 1, end_line, end - starts[end_line - 1] + 1

    line = property(lambda self: self.place()[0])
    column = property(lambda self: self.place()[1])
    end_line = property(lambda self: self.place()[2])
    end_column = property(lambda self: self.place()[3])


class SyntaxProblem(Exception):
    """Where parsing stopped: a character no terminal matches (`token` None), or a token the
    grammar does not allow there (`expected`: the terminal names it would have taken)."""

    def __init__(
        self,
        line: int,
        column: int,
        token: Token | None = None,
        expected: frozenset[str] = frozenset(),
        previous: Token | None = None,
    ) -> None:
        super().__init__(f"line {line}, column {column}")
        self.line, self.column, self.token, self.expected = line, column, token, expected
        self.previous = previous  # the token before, if any


class Parser:
    """The LALR(1) automaton of a table made by generate.py, running one transformer."""

    def __init__(self, tables: dict[str, Any], transformer: Any) -> None:
        terminals = [*tables["terminals"], (_UNMATCHED, "(?s:.)")]  # last: what no terminal matches
        self.scanner = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in terminals))
        self.ignore = frozenset(tables["ignore"])
        self.states: list[dict[str, int]] = tables["states"]
        self.start, self.end = tables["start"], tables["end"]
        self.rules = [
            (
                length,
                None if all(what == 1 for what in children) else tuple(children),  # None: keep every child
                # a `?rule` alternative keeps one child and needs no method (generate.py checks)
                None if callback is None or expand else getattr(transformer, callback),
                expand,
                callback is None,
            )
            for _, length, children, callback, expand in tables["rules"]
        ]
        self.origins = [rule[0] for rule in tables["rules"]]
        self.chains: dict[tuple[int, int, str], tuple[int, tuple[Any, ...]]] = {}

    def _chain(self, below: int, top: int, kind: str) -> tuple[int, tuple[Any, ...]]:
        """The run of one-child reductions from state `top` over `below` on lookahead `kind`.

        An operand climbs the precedence ladder (atom, power, unary, product, sum) one
        reduction per rung, and which rungs it climbs depends only on these three things; so
        the run is found once per parser and then taken in one step: the state it ends in
        and the methods it calls (the `?rule` rungs call none).
        """
        steps: list[Any] = []
        while not (kind == END and top == self.end):
            action = self.states[top].get(kind)
            if action is None or action >= 0:
                break
            length, keep, callback, expand, inline = self.rules[-1 - action]
            if length != 1 or keep is not None:
                break
            if not expand:
                steps.append(_listed if inline else callback)
            top = self.states[below][self.origins[-1 - action]]
        return top, tuple(steps)

    def tokens(self, text: str) -> Any:
        """The tokens of the text, then the end marker; SyntaxProblem at a character nothing matches."""
        starts = [0, *(found.end() for found in _NEWLINE.finditer(text))]
        # a one-line text keeps the class's starts; a longer one gets a class of its own (not a
        # class attribute changed in place: tokens of an earlier text keep their own lines)
        kind_of_token = Token if len(starts) == 1 else type("Token", (Token,), {"starts": starts})
        ignore, new = self.ignore, str.__new__
        for found in self.scanner.finditer(text):
            kind = found.lastgroup
            if kind in ignore:
                continue
            if kind == _UNMATCHED:
                place = Token(kind, "", found.start(), found.start())
                place.starts = starts
                raise SyntaxProblem(place.line, place.column)
            token = new(kind_of_token, found.group())
            token.type = kind
            token.start_pos, token.end_pos = found.span()
            yield token
        yield kind_of_token(END, "", len(text), len(text))

    def parse(self, text: str) -> Any:
        """What the transformer's `start` method returns for the text; SyntaxProblem if it is not one."""
        states, rules, origins, end_state = self.states, self.rules, self.origins, self.end
        chains = self.chains
        state_stack, values = [self.start], []
        previous = None
        for token in self.tokens(text):
            kind = token.type
            while True:
                actions = states[state_stack[-1]]
                action = actions.get(kind)
                if action is None:
                    expected = frozenset(name for name in actions if name.isupper() or name == END)
                    raise SyntaxProblem(token.line, token.column, token, expected, previous)
                if action >= 0:  # shift
                    state_stack.append(action)
                    values.append(token)
                    previous = token
                    break
                rule = -1 - action  # reduce
                length, keep, callback, expand, inline = rules[rule]
                if length == 1 and keep is None:  # most reductions: one child, kept, in place
                    key = (state_stack[-2], state_stack[-1], kind)
                    chain = chains.get(key)
                    if chain is None:
                        chain = chains[key] = self._chain(*key)
                    top, steps = chain
                    for step in steps:
                        values[-1] = step(values[-1])
                    state_stack[-1] = top
                else:
                    if length:
                        children = values[-length:]
                        del values[-length:], state_stack[-length:]
                    else:
                        children = []
                    values.append(_reduce(children, keep, callback, expand, inline))
                    state_stack.append(states[state_stack[-1]][origins[rule]])
                if kind == END and state_stack[-1] == end_state:
                    return values[-1]


def _listed(value: Any) -> list[Any]:
    return [value]


def _reduce(
    children: list[Any], keep: tuple[int, ...] | None, callback: Any, expand: bool, inline: bool
) -> Any:
    if keep is not None:  # drop anonymous tokens, splice inlined rules
        kept: list[Any] = []
        for child, what in zip(children, keep, strict=True):
            if what == 1:
                kept.append(child)
            elif what == 2:
                if kept or not isinstance(child, list):
                    kept.extend(child)
                else:  # a repetition grows in place, as lark's LALR child filter does: linear time
                    kept = child
        children = kept
    if expand:
        return children[0]
    if inline:  # an inlined rule: its children go to the parent
        return children
    return callback(*children)


def load(transformer: Any, name: str = "adcalc_tables.json") -> Parser:
    """The parser of the shipped table, running `transformer`."""
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as file:
        return Parser(json.load(file), transformer)
