"""A small LALR(1) driver for the table lark computed from adcalc.lark (see generate.py).

One regex scans the whole text at once (`findall`, in C): each match is the ignored text
(spaces, comments) before a token, then the token, found by the terminals in lark's order, so a
text lexes as lark lexes it. A token's terminal is looked up by its text, which names it, except
for a keyword, which is a name when a non-ASCII letter follows it (lark's `\\b`), so it is matched
again in place. The table's shifts and reductions run in one loop, and each reduction calls the
method of the transformer named after its rule (or its `-> alias`) with the kept children, as
lark's `Transformer` with `v_args(inline=True)` would: anonymous tokens (`"("`) are dropped,
`_rules` and repetitions are spliced into their parent, and a `?rule` alternative of one child
is that child. Nothing here recurses, so nesting depth costs no stack.
"""

from __future__ import annotations

import functools
import json
import os
import re
from itertools import accumulate, chain
from typing import Any

from .precedence import Lane
from .tokens import Token

END = "$END"
_UNMATCHED = "_UNMATCHED"
_NEWLINE = re.compile("\n")
_DIGITS = frozenset("0123456789")


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

    def __init__(self, tables: dict[str, Any], transformer: Any, fast: bool = True) -> None:
        terminals = [*tables["terminals"], (_UNMATCHED, "(?s:.)")]  # last: what no terminal matches
        ignore = frozenset(tables["ignore"])
        # the reference scanner, one named group per terminal: a token's terminal when its text
        # alone does not say (the first time it is seen, and each keyword)
        self.named = re.compile("|".join(f"(?P<{name}>{pattern})" for name, pattern in terminals))
        # the scanner: ignored text, then a token or the end. No terminal starts as an ignored
        # one can (tests/grammar/test_tables.py checks), so taking them first changes no token.
        skipped = "|".join(_uncaptured(pattern) for name, pattern in terminals if name in ignore)
        tokens = "|".join(f"(?:{_uncaptured(pattern)})" for name, pattern in terminals if name not in ignore)
        self.scanner = re.compile(f"((?:{skipped})*)(?:({tokens})|\\Z)")
        assert self.scanner.groups == 2, "a terminal's pattern kept a capturing group"
        self.keywords = frozenset(
            pattern for name, pattern in terminals if re.fullmatch(r"[a-z]+", pattern) and name not in ignore
        )
        # Symbols are numbered, and a state's actions are a list indexed by symbol: a list index
        # is cheaper than a dict lookup, and the loop below does one per token and reduction.
        self.states: list[dict[str, int]] = tables["states"]
        names = {name for name, _ in terminals}
        self.symbols = sorted({symbol for actions in self.states for symbol in actions} | names)
        self.number = number = {symbol: i for i, symbol in enumerate(self.symbols)}
        self.table: list[list[int | None]] = [
            [actions.get(symbol) for symbol in self.symbols] for actions in self.states
        ]
        self.end_symbol = number[END]
        # a chain's key packs (state below, state, terminal) in one int: 16 bits a state, 8 a terminal
        assert len(self.states) < 1 << 16 and len(self.symbols) < 1 << 8, "the chain keys need wider fields"
        self.kinds: dict[str, int] = {"": number[END]}  # token text -> its terminal's number, as found
        self.start, self.end = tables["start"], tables["end"]
        self.rules = [
            (
                length,
                None if all(what == 1 for what in children) else tuple(children),  # None: keep every child
                # a `?rule` alternative keeps one child and needs no method (generate.py checks)
                None if callback is None or expand else getattr(transformer, callback),
                expand,
                callback is None,
                number[origin],
            )
            for origin, length, children, callback, expand in tables["rules"]
        ]
        self.chains: dict[int, tuple[int, tuple[Any, ...]]] = {}
        # the arithmetic fast lane (grammar/precedence.py), for a grammar and transformer that have it
        self.lane = Lane(number, self.symbols, transformer) if fast and "sum" in number else None

    def _chain(self, key: int) -> tuple[int, tuple[Any, ...]]:
        """The run of one-child reductions from state `top` over `below` on lookahead `kind`
        (the three packed in `key`).

        An operand climbs the precedence ladder (atom, power, unary, product, sum) one
        reduction per rung, and which rungs it climbs depends only on these three things; so
        the run is found once per parser and then taken in one step: the state it ends in
        and the methods it calls (the `?rule` rungs call none).
        """
        below, top, kind = key >> 24, (key >> 8) & 0xFFFF, key & 0xFF
        steps: list[Any] = []
        while not (kind == self.end_symbol and top == self.end):
            action = self.table[top][kind]
            if action is None or action >= 0:
                break
            length, keep, callback, expand, inline, origin = self.rules[-1 - action]
            if length != 1 or keep is not None:
                break
            if not expand:
                steps.append(_listed if inline else callback)
            top = self.table[below][origin]  # type: ignore[assignment]
        return top, tuple(steps)

    def _scan(self, text: str) -> tuple[list[str], list[int], list[int], list[int]]:
        """Each token's text, start and end offsets (the last token is the end: ''), and the
        offsets where lines start."""
        pieces = list(chain.from_iterable(self.scanner.findall(text)))  # ignored, token, ignored, ...
        ends = list(accumulate(map(len, pieces)))
        lines = [0, *(found.end() for found in _NEWLINE.finditer(text))]
        return pieces[1::2], ends[::2], ends[1::2], lines

    def _takes(self, stack: list[int], top: int, kind: int) -> bool:
        """Whether the LALR actions from this stack (with `top` pushed on it) shift `kind` or
        accept, after the reductions they make first (tried on a copy of the states they pop)."""
        table, rules = self.table, self.rules
        depth, pushed = len(stack), [top]  # the stack is stack[:depth] + pushed
        while True:
            if kind == self.end_symbol and top == self.end:
                return True
            action = table[top][kind]
            if action is None or action >= 0:
                return action is not None
            length, _, _, _, _, origin = rules[-1 - action]
            taken = min(length, len(pushed))
            del pushed[len(pushed) - taken :]
            depth -= length - taken
            below = pushed[-1] if pushed else stack[depth - 1]
            top = table[below][origin]  # type: ignore[assignment]
            pushed.append(top)

    def _kind(self, text: str, piece: str, start: int, lines: list[int]) -> int:
        """The terminal of a token not seen before, or of a keyword (never cached), matched in
        place; SyntaxProblem if none."""
        found = self.named.match(text, start)
        kind = found.lastgroup if found is not None else _UNMATCHED
        if kind == _UNMATCHED:
            place = Token(kind, "", start, start, lines)
            raise SyntaxProblem(place.line, place.column)
        number = self.number[kind]
        if piece not in self.keywords:
            self.kinds[piece] = number
        return number

    def lex(self, text: str) -> tuple[list[str], list[int], list[int], list[int], list[int | None]]:
        """Each token's text, start and end offsets, the offsets where lines start, and each
        token's terminal number (None where no terminal matches: parse raises it in its turn)."""
        pieces, starts, ends, lines = self._scan(text)
        return pieces, starts, ends, lines, self._kinds(text, pieces, starts, lines)

    def _kinds(self, text: str, pieces: list[str], starts: list[int], lines: list[int]) -> list[int | None]:
        """Each token's terminal; None where no terminal matches (parse raises it when it gets there)."""
        kinds, number = self.kinds, self.number["NUMBER"]
        found = list(map(kinds.get, pieces))
        for k in [k for k, kind in enumerate(found) if kind is None]:
            # only a number starts with a digit (tests/grammar/test_tables.py); numbers are not
            # cached, as they seldom repeat (10^5 distinct ones in a big text)
            if pieces[k][:1] in _DIGITS:
                found[k] = number
                continue
            found[k] = kinds.get(pieces[k])  # found since, for an earlier token of the same text
            if found[k] is None:
                try:
                    found[k] = self._kind(text, pieces[k], starts[k], lines)
                except SyntaxProblem:
                    pass
        return found

    def tokens(self, text: str) -> Any:
        """The tokens of the text, then the end marker; SyntaxProblem at a character nothing matches."""
        pieces, starts, ends, lines, found = self.lex(text)
        for piece, start, end, kind in zip(pieces, starts, ends, found, strict=True):
            if kind is None:  # raises the SyntaxProblem
                kind = self._kind(text, piece, start, lines)
            yield Token(self.symbols[kind], piece, start, end, lines)
            if kind == self.end_symbol:
                return

    def parse(self, text: str) -> Any:
        """What the transformer's `start` method returns for the text; SyntaxProblem if it is not one."""
        table, rules, symbols, chains = self.table, self.rules, self.symbols, self.chains
        end_state, end_symbol, new, lane = self.end, self.end_symbol, tuple.__new__, self.lane
        top = self.start
        state_stack, values = [top], []
        previous = None
        pieces, starts, ends, lines, found = self.lex(text)  # found: None where no terminal matches
        i = 0
        while True:
            piece, start, end, kind = pieces[i], starts[i], ends[i], found[i]
            if kind is None:  # the SyntaxProblem of a character no terminal matches, in its turn
                kind = self._kind(text, piece, start, lines)
            if lane is not None and kind in lane.starts:
                after = table[top][lane.sum]
                if after is not None:  # a sum starts here: the lane may take a run of it
                    follows = functools.partial(self._takes, state_stack, after)
                    stop = lane.extent(found, i, follows)
                    if stop > i:
                        value, previous = lane.parse(found, i, stop, pieces, starts, ends, lines)
                        values.append(value)
                        state_stack.append(after)
                        top, i = after, stop
                        continue
            while True:
                action = table[top][kind]
                if action is None:
                    token = Token(symbols[kind], piece, start, end, lines)
                    actions = self.states[top]
                    expected = frozenset(name for name in actions if name.isupper() or name == END)
                    raise SyntaxProblem(token.line, token.column, token, expected, previous)
                if action >= 0:  # shift
                    state_stack.append(action)
                    top = action
                    previous = new(Token, (symbols[kind], piece, start, end, lines))
                    values.append(previous)
                    break
                length, keep, callback, expand, inline, origin = rules[-1 - action]  # reduce
                if length == 1 and keep is None:  # most reductions: one child, kept, in place
                    key = (state_stack[-2] << 16 | top) << 8 | kind
                    chain_ = chains.get(key)
                    if chain_ is None:
                        chain_ = chains[key] = self._chain(key)
                    top, steps = chain_
                    for step in steps:
                        values[-1] = step(values[-1])
                    state_stack[-1] = top
                else:
                    if length:
                        children = values[-length:]
                        del values[-length:], state_stack[-length:]
                    else:
                        children = []
                    if keep is None and not expand and not inline:  # `left + right`: every child kept
                        values.append(callback(*children))
                    else:
                        values.append(_reduce(children, keep, callback, expand, inline))
                    top = table[state_stack[-1]][origin]  # type: ignore[assignment]
                    state_stack.append(top)
                if top == end_state and kind == end_symbol:
                    return values[-1]
            i += 1



def _uncaptured(pattern: str) -> str:
    """The pattern with its groups made non-capturing, so the scanner finds two strings per token."""
    return re.sub(r"(?<!\\)\((?!\?)", "(?:", pattern)


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


def load(transformer: Any, name: str = "adcalc_tables.json", fast: bool = True) -> Parser:
    """The parser of the shipped table, running `transformer` (`fast`: with the arithmetic lane)."""
    with open(os.path.join(os.path.dirname(__file__), name), encoding="utf-8") as file:
        return Parser(json.load(file), transformer, fast)
