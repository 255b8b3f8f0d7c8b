"""Reading uncertain values from the command line: `--at m=2±0.01` (or `2+-0.01`), `--sigma`,
`--corr a,b=r` and `--cov names=matrix`, for `adcalc propagate`.

A mistake in the `±` syntax points into the --at text with a caret, as a syntax error in an
expression does. Free of typer: the parsing is tested on its own.
"""

from __future__ import annotations

import re
from typing import Any

from adcalc.errors import AdcalcError, BadValue, Span
from adcalc.text import top_level_pieces

from .values import parse_at, parse_value, reword


def _located(detail: str, text: str, start: int, end: int, flag: str = "--at") -> BadValue:
    """BadValue pointing at text[start:end] (0-based) of one --at argument, shown with a caret."""
    error = BadValue(detail, Span(1, start + 1, 1, max(end, start + 1) + 1, flag))
    error.source = text  # type: ignore[attr-defined]  # what actions.fail shows the caret under
    return error


def _separator(piece: str) -> tuple[int, int] | None:
    """(position, length) of the first ± or +- outside brackets, or None."""
    depth = 0
    for index, char in enumerate(piece):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and char == "±":
            return index, 1
        elif depth == 0 and piece.startswith("+-", index):
            return index, 2
    return None


def parse_uncertain_at(items: list[str] | None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(point, standard uncertainties) from --at items such as 'm=2±0.01,x=[1,2]±[0.1,0.2]'."""
    point: dict[str, Any] = {}
    uncertainty: dict[str, Any] = {}
    for item in items or []:
        for offset, piece in top_level_pieces(item):
            name, equals, rest = piece.partition("=")
            left = offset + len(piece) - len(piece.lstrip())
            if not equals or not name.strip().isidentifier():
                expected = "expected name=value or name=value±u, such as x=1.5±0.1"
                raise _located(f"'{piece.strip()}': {expected}", item, left, offset + len(piece.rstrip()))
            name = name.strip()
            if name in point:
                raise _located(f"'{name}' is given twice", item, left, left + len(name))
            start = offset + len(piece) - len(rest)  # where the value begins in the item
            found = _separator(rest)
            value_text, u_text = (rest, None) if found is None else (rest[: found[0]], rest[sum(found) :])
            point[name] = _value(name, value_text, item, start)
            if found is not None:
                at_sign = start + found[0]
                uncertainty[name] = _uncertainty(name, u_text or "", item, at_sign, found[1])
    return point, uncertainty


def _value(name: str, text: str, item: str, start: int) -> Any:
    if not text.strip():
        raise _located(f"{name}: a value is missing before ±", item, start, start + 1)
    try:
        return parse_value(name, text.strip())
    except AdcalcError as error:
        raise _located(
            _reworded(error.detail, name, f"{name}: "), item, start, start + len(text.rstrip())
        ) from None


def _uncertainty(name: str, text: str, item: str, at_sign: int, width: int) -> Any:
    begin = at_sign + width
    if not text.strip():
        raise _located(f"{name}: a standard uncertainty must follow {item[at_sign:begin]}, "
                       f"such as {name}=1.5±0.1", item, begin, begin + 1)  # fmt: skip
    again = _separator(text)
    if again is not None:
        raise _located(f"{name}: one ± per value", item, begin + again[0], len(item))
    end = begin + len(text.rstrip())
    try:
        u = parse_value(name, text.strip())
    except AdcalcError as error:
        raise _located(_reworded(error.detail, name, f"uncertainty of {name}: "), item, begin, end) from None
    import numpy as np

    if np.any(np.asarray(u) < 0):
        raise _located(f"{name}: negative uncertainty {text.strip()} (a standard uncertainty is ≥ 0)",
                       item, begin, end)  # fmt: skip
    return u


def _reworded(detail: str, name: str, head: str) -> str:
    """parse_value's message about `--at name=...` (or `--at name: ...`) starting with `head`."""
    for old in (f"--at {name}=", f"--at {name}: ", f"--at {name}"):
        if detail.startswith(old):
            return head + detail[len(old) :].lstrip()
    return detail


def parse_sigma(items: list[str] | None, given: dict[str, Any]) -> dict[str, Any]:
    """--sigma m=0.01,g=0.02: standard uncertainties (names must not have a ± in --at too)."""
    sigma = parse_at(items, "--sigma")
    twice = [name for name in sigma if name in given]
    if twice:
        raise BadValue(f"--sigma gives {twice[0]} an uncertainty, and so does --at: give it once")
    return sigma


# a name or an element of one, as the language indexes it: x, x[2], A[1,2]
_LABEL = r"[A-Za-z_]\w*(?:\[\s*\d+(?:\s*,\s*\d+)*\s*\])?"
_PAIR = re.compile(rf"\s*({_LABEL})\s*,\s*({_LABEL})\s*=\s*([^,]*?)\s*(?:,|$)")


def parse_correlations(items: list[str] | None) -> dict[tuple[str, str], float]:
    """--corr m,g=0.3 (repeatable; several pairs in one: m,g=0.3,g,h=-0.1): correlation coefficients."""
    found: dict[tuple[str, str], float] = {}
    for item in items or []:
        position = 0
        while position < len(item.rstrip()):
            match = _PAIR.match(item, position)
            if match is None or match.end() == position:
                raise _located("expected a,b=r such as m,g=0.3 (elements as x[1],x[2]=0.5)",
                               item, position, len(item), "--corr")  # fmt: skip
            a, b, text = re.sub(r"\s", "", match[1]), re.sub(r"\s", "", match[2]), match[3]
            try:
                r = parse_value(f"{a},{b}", text)
            except AdcalcError as error:
                raise reword(error, "--at", "--corr") from None
            if not isinstance(r, float):
                raise BadValue(f"--corr {a},{b}: a correlation coefficient is one number")
            if not -1 <= r <= 1:
                start = match.start(3)
                raise _located(f"{a},{b}={text}: a correlation coefficient lies in [-1, 1]",
                               item, start, start + len(text), "--corr")  # fmt: skip
            if (a, b) in found or (b, a) in found:
                raise BadValue(f"--corr gives {a},{b} twice")
            found[(a, b)] = r
            position = match.end()
    return found


def parse_covariances(items: list[str] | None) -> dict[tuple[str, ...], Any]:
    """--cov x=[[...]] or --cov m,g=@cov.json (one block each, repeatable): the covariance matrix
    of the named inputs' elements, in the order named (a vector's or matrix's elements row-major)."""
    found: dict[tuple[str, ...], Any] = {}
    for item in items or []:
        left, equals, right = item.partition("=")
        names = tuple(name.strip() for name in left.split(","))
        if not equals or not all(name.isidentifier() for name in names) or not right.strip():
            raise BadValue(f"--cov '{item}': expected names=matrix, such as x=[[0.01,0.002],[0.002,0.04]] "
                           "or m,g=@cov.json")  # fmt: skip
        try:
            found[names] = parse_value(",".join(names), right.strip())
        except AdcalcError as error:
            raise reword(error, "--at", "--cov") from None
    return found
