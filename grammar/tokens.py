"""A token of adcalc's lexer (grammar/lalr.py), as the parser and its transformer see it."""

from __future__ import annotations

from bisect import bisect_right
from operator import itemgetter


class Token(tuple):
    """A token: (terminal name, text, start offset, end offset, offsets where the text's lines
    start). `str(token)` is its text; lines and columns (1-based, end exclusive) are worked out
    from the offsets when asked for (by a span or an error): a tuple is the cheapest thing the
    parser can make 400,000 times.
    """

    __slots__ = ()

    type = property(itemgetter(0))
    text = property(itemgetter(1))
    start_pos = property(itemgetter(2))
    end_pos = property(itemgetter(3))

    def __new__(cls, kind: str, value: str, start: int, end: int, starts: list[int] | None = None) -> Token:
        return tuple.__new__(cls, (kind, value, start, end, starts or [0]))

    def __str__(self) -> str:
        return self[1]

    def place(self) -> tuple[int, int, int, int]:
        """(line, column, end line, end column)."""
        return place(self[2], self[3], self[4])

    line = property(lambda self: self.place()[0])
    column = property(lambda self: self.place()[1])
    end_line = property(lambda self: self.place()[2])
    end_column = property(lambda self: self.place()[3])


def place(start: int, end: int, starts: list[int]) -> tuple[int, int, int, int]:
    """(line, column, end line, end column) of a token's offsets, given where lines start."""
    line = bisect_right(starts, start)  # no token holds a line break: it ends on its line
    first = starts[line - 1]
    return line, start - first + 1, line, end - first + 1
