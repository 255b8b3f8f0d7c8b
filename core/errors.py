"""Errors that carry the source position they are about.

Library code raises these; only the CLI prints them. Every error's one-line docstring is its
message, so the class list below doubles as the catalogue of what can go wrong.
"""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """A region of source text: 1-based line and column, end exclusive.

    A named tuple, not a dataclass: the parser makes one per name, number and operator, and a
    frozen dataclass's __init__ costs three times as much.
    """

    line: int
    column: int
    end_line: int
    end_column: int
    source_name: str | None = None

    def cover(self, other: Span | None) -> Span:
        """The smallest span holding both."""
        if other is None:
            return self
        line, column, end_line, end_column = self[0], self[1], self[2], self[3]
        if (other[0], other[1]) < (line, column):
            line, column = other[0], other[1]
        if (other[2], other[3]) > (end_line, end_column):
            end_line, end_column = other[2], other[3]
        return Span(line, column, end_line, end_column, self[4])


class AdcalcError(Exception):
    """Error."""

    exit_code = 2  # bad usage or input; evaluation failures override with 1

    def __init__(self, detail: str = "", span: Span | None = None) -> None:
        self.detail = detail
        self.span = span
        super().__init__(self.message())

    def message(self) -> str:
        """The one-line message: the class's docstring, then the detail."""
        head = (type(self).__doc__ or "Error.").strip().splitlines()[0].rstrip(".")
        return f"{head}: {self.detail}" if self.detail else f"{head}."

    def location(self) -> str:
        """`name:line:column: ` prefix, or '' when the position is unknown."""
        if self.span is None:
            return ""
        name = self.span.source_name or "<expr>"
        return f"{name}:{self.span.line}:{self.span.column}: "

    def render(self, source: str | None = None) -> str:
        """The message, then the source line with a ^~~~ under the offending text."""
        text = f"error: {self.location()}{self.message()}"
        if source is None or self.span is None:
            return text
        lines = source.split("\n")  # lines as spans count them: \r, \f or U+2028 end none
        if not 1 <= self.span.line <= len(lines):
            return text
        # other line breaks and tabs shown as one space each, so the caret stays under its column
        line = "".join(c if c.isprintable() else " " for c in lines[self.span.line - 1])
        start = self.span.column - 1
        end = self.span.end_column - 1 if self.span.end_line == self.span.line else len(line)
        width = max(1, end - start)
        excerpt, offset = _window(line, start, width)
        return f"{text}\n  {excerpt}\n  {' ' * offset}^{'~' * (width - 1)}"


def _window(line: str, start: int, width: int, limit: int = 100) -> tuple[str, int]:
    """Cut a long source line down around the interesting column."""
    if len(line) <= limit:
        return line, start
    left = max(0, start - limit // 2)
    piece = line[left : left + limit]
    prefix = "..." if left else ""
    return prefix + piece, start - left + len(prefix)


class ParseError(AdcalcError):
    """Syntax error."""


class UnknownFunction(AdcalcError):
    """Unknown function."""


class ArityError(AdcalcError):
    """Wrong number of arguments."""


class MissingVariables(AdcalcError):
    """Missing value for variable(s)."""


class BadValue(AdcalcError):
    """Bad value."""


class Redefinition(AdcalcError):
    """Redefinition."""


class TooLarge(AdcalcError):
    """Too large."""  # an input asks for more than a documented limit (README "Security and limits")


class UsageError(AdcalcError):
    """Bad usage."""


class EvaluationError(AdcalcError):
    """Evaluation failed."""

    exit_code = 1


class DomainError(EvaluationError):
    """Outside the function's domain."""


class MissingRule(EvaluationError):
    """No derivative rule."""


class NotApplicable(EvaluationError):
    """Method does not apply."""
