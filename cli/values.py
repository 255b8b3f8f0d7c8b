"""Parsing the values of command-line arguments: EXPR, --at points, --wrt names.

Free of typer, so the fast path for one-point calls (cli/fast.py) can use it.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from adcalc.errors import AdcalcError, BadValue, TooLarge, UsageError

# An --at value is one array of a program: the same limits (adcalc.ir.shapes.MAX_ELEMENTS and
# MAX_RANK, not imported: this module must not import numpy's side of adcalc on the fast path).
MAX_ELEMENTS = 1 << 24
MAX_RANK = 32  # nesting of [[...]]
MAX_JSON_BYTES = 32 * MAX_ELEMENTS  # an @file.json of 2^24 numbers with 30 characters each


def read_expression(argument: str) -> tuple[str, str | None]:
    """(source text, source name): the argument itself, standard input for '-', or a file."""
    if argument == "-":
        try:
            text = sys.stdin.read().strip()
        except UnicodeDecodeError as problem:
            raise UsageError(f"standard input is not UTF-8 text (byte {problem.start})") from None
        utf8(text, "standard input")
        if not text:
            raise UsageError("no expression on standard input")
        return text, "<stdin>"
    if argument.endswith(".adl"):  # a program (adcalc.parse compiles it by its name)
        from adcalc.api import read_program

        return read_program(argument), argument
    if "/" in argument and not any(c in argument for c in "()*+^ "):  # a path, not a formula
        from pathlib import Path

        path = Path(argument)
        if path.is_dir():
            raise UsageError(f"{argument} is a directory: give an expression, a .adl file, or -")
        if path.is_file():
            raise UsageError(f"{argument} is not a .adl program: give an expression, a .adl file, or -")
    return utf8(argument, "the expression"), None


def utf8(text: str, what: str, error: type[AdcalcError] = UsageError) -> str:
    """text, if it came in as UTF-8. Python hands over other bytes (in argv, and on stdin in a C
    or UTF-8 mode locale) as lone surrogates, which would reach --json output as bytes that are
    not UTF-8, or fail to print at all where stdout is strict; refuse them as a file's are."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as problem:
        byte = len(text[: problem.start].encode("utf-8", "surrogateescape"))
        raise error(f"{what} is not UTF-8 text (byte {byte})") from None
    return text


def split_top_level(text: str, separator: str = ",") -> list[str]:
    """Split at separators outside brackets, so 'x=atan2(1,2),A=[[1,2]]' has two pieces."""
    from adcalc.text import top_level_pieces

    return [piece.strip() for _, piece in top_level_pieces(text, separator)]


def parse_at(items: list[str] | None, flag: str = "--at") -> dict[str, Any]:
    """Variable values from --at items such as 'x=1,y=-pi/4' (each --at may hold several).

    --dir items are read the same way; flag names the option in error messages.
    """
    try:
        return _point(items)
    except BadValue as error:
        raise reword(error, "--at", flag) from None


def reword(error: AdcalcError, old: str, new: str) -> AdcalcError:
    """The error with its detail starting with `new` instead of `old` (an option's or a
    parameter's name), so that a message names the flag the user typed."""
    if old != new and error.detail.startswith(old):
        error.detail = new + error.detail[len(old) :]
        error.args = (error.message(),)
    return error


def _point(items: list[str] | None) -> dict[str, Any]:
    point: dict[str, Any] = {}
    for item in items or []:
        for piece in split_top_level(utf8(item, "--at", BadValue)):
            name, equals, text = piece.partition("=")
            name = name.strip()
            if not equals or not name.isidentifier():
                raise BadValue(f"--at '{piece}': expected name=value, such as x=1.5")
            if name in point:
                raise BadValue(f"--at gives '{name}' twice")
            point[name] = parse_value(name, text.strip())
    return point


def parse_value(name: str, text: str) -> Any:
    """A number from a constant expression ('2', '-pi/4', 'exp(1)'), an array from a literal
    ('[[1, 2], [3, 4]]') or from a file ('@A.json', '@A.npy')."""
    if text.startswith("@"):
        return read_array(name, text[1:])
    if text.startswith("["):
        import numpy as np

        _check_literal(name, text)
        try:
            return np.asarray(_nested(name, text), dtype=np.float64)
        except ValueError:
            raise BadValue(f"--at {name}: {text!r} is not a rectangular array") from None
    return _number(name, text)


def _check_literal(name: str, text: str) -> None:
    """Refuse a literal past the limits before splitting it: rank from the leading '[', elements
    from the commas (n elements need n - 1 of them)."""
    rank = len(text) - len(text.lstrip("[ \t"))
    if text[:rank].count("[") > MAX_RANK:
        raise TooLarge(f"--at {name}: arrays nest at most {MAX_RANK} deep (the documented limit)")
    if text.count(",") >= MAX_ELEMENTS:
        raise TooLarge(f"--at {name}: more than {MAX_ELEMENTS:,} elements (the documented limit)")


def _nested(name: str, text: str, depth: int = 1) -> Any:
    # [a, [b, c]] -> nested lists of numbers; each item may be a constant expression
    text = text.strip()
    if not text.startswith("["):
        return _number(name, text)
    if not text.endswith("]"):
        raise BadValue(f"--at {name}: an array literal must end with ']'")
    if depth > MAX_RANK:  # before Python's recursion limit, and each level rescans the text
        raise TooLarge(f"--at {name}: arrays nest at most {MAX_RANK} deep (the documented limit)")
    return [_nested(name, item, depth + 1) for item in split_top_level(text[1:-1])]


def read_array(name: str, path_text: str) -> Any:
    """An array (or number) from a .json file (nested lists) or a .npy file."""
    from pathlib import Path

    import numpy as np

    path = Path(path_text)
    if not path.is_file():
        raise BadValue(f"--at {name}=@{path_text}: no such file")
    try:
        if path.suffix == ".npy":
            _check_npy(name, path_text, path)
            value = np.load(path, allow_pickle=False)
        elif path.suffix == ".json":
            import json

            if path.stat().st_size > MAX_JSON_BYTES:
                detail = f"larger than {MAX_JSON_BYTES >> 20:,} MiB (the documented limit for .json)"
                raise TooLarge(f"--at {name}=@{path_text}: {detail}")
            text = path.read_text(encoding="utf-8")
            _check_literal(f"{name}=@{path_text}", text)
            value = json.loads(text)
        else:
            raise BadValue(f"--at {name}=@{path_text}: expected a .json or .npy file")
        array = np.asarray(value, dtype=np.float64)
    except (ValueError, TypeError, OSError) as problem:
        raise BadValue(f"--at {name}=@{path_text}: not an array of numbers ({problem})") from None
    except RecursionError:  # json.loads of [[[[...]]]] nested thousands deep
        raise BadValue(f"--at {name}=@{path_text}: nested too deeply to be an array") from None
    return array if array.ndim else float(array)


def _check_npy(name: str, path_text: str, path: Any) -> None:
    """Refuse a .npy whose header asks for more than the limit, before reading its data."""
    import numpy as np

    with open(path, "rb") as file:
        form = np.lib.format
        version = form.read_magic(file)
        read = form.read_array_header_1_0 if version == (1, 0) else form.read_array_header_2_0
        shape, _, _ = read(file, max_header_size=10_000)
    count = 1
    for n in shape:
        count *= n
    if count > MAX_ELEMENTS:
        detail = f"{count:,} elements, more than {MAX_ELEMENTS:,} (the documented limit)"
        raise TooLarge(f"--at {name}=@{path_text}: {detail}")


# the grammar's NUMBER, signed: a plain number needs no parse (most --at values are one)
_DECIMAL = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _number(name: str, text: str) -> float:
    if _DECIMAL.fullmatch(text):
        return float(text)
    import adcalc

    try:
        expression = adcalc.parse(text)
        if expression.variables:
            used = ", ".join(expression.variables)
            raise BadValue(f"--at {name}={text!r} is not a number (it uses the variable(s) {used})")
        return float(adcalc.evaluate(expression, at={}).value)
    except BadValue:
        raise
    except adcalc.AdcalcError as error:  # syntax, or a constant outside its domain: bad input
        raise BadValue(f"--at {name}={text!r} is not a number: {error.message()}") from None


def parse_names(items: str | list[str] | None) -> list[str] | None:
    """['x', 'y'] from 'x,y', or from the repeated --wrt x --wrt y; None when not given."""
    if items is None or items == []:
        return None
    text = items if isinstance(items, str) else ",".join(items)
    names = [name.strip() for name in text.split(",") if name.strip()]
    bad = [name for name in names if not name.isidentifier()]
    if bad or not names:
        raise BadValue(f"--wrt expects names such as x,y, got {text!r}")
    return names
