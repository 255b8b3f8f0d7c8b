"""Splitting option text at separators outside brackets: `x=atan2(1,2),A=[[1,2]]` is two pieces.

One place for the `--at`, `--from`, `--subject-to` and `±` readers of the CLI and the answers.
"""

from __future__ import annotations


def top_level_pieces(text: str, separator: str = ",") -> list[tuple[int, str]]:
    """(offset, piece) of each non-blank piece between separators outside (), [] and {}; the
    offsets let an error put its caret under the piece. An unclosed bracket keeps the rest as one
    piece (the piece's own parser then says what is wrong)."""
    pieces, depth, start = [], 0, 0
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            if text[start:index].strip():
                pieces.append((start, text[start:index]))
            start = index + 1
    if text[start:].strip():
        pieces.append((start, text[start:]))
    return pieces
