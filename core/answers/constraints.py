"""Constraints and bounds as text: `x^2 + y^2 <= 1`, `x + y == 1`, `0 <= x <= 1`; `x=0:inf`.

A relation `lhs OP rhs` becomes the graph of `(lhs) - (rhs)`, d(x); scipy's inequality function
is c(x) = d(x) for >= and -d(x) for <= (c(x) >= 0), its equality function d(x) = 0. Each side is
parsed on its own first, so a syntax error points into the text as the user typed it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import AdcalcError, BadValue, Span, UsageError
from ..ir.graph import Graph
from ..text import top_level_pieces

RELATIONS = ("<=", ">=", "==", "<", ">", "=")  # two-character ones first
SIGN = {"<=": -1.0, "<": -1.0, ">=": 1.0, ">": 1.0, "==": 0.0, "=": 0.0}


@dataclass(frozen=True)
class Relation:
    """One relation of a constraint: its text, lhs - rhs as a graph, and its kind."""

    text: str
    graph: Graph
    relation: str  # "<=", ">=" or "=="

    @property
    def kind(self) -> str:
        """'eq' or 'ineq', as scipy names them."""
        return "eq" if self.relation == "==" else "ineq"

    @property
    def sign(self) -> float:
        """c(x) = sign · (lhs - rhs) is >= 0 for an inequality (0 for an equality)."""
        return SIGN[self.relation] or 1.0


def top_level_relations(text: str) -> tuple[list[str], list[str], list[int]]:
    """(pieces, relation operators between them, offset of each piece) at bracket depth 0."""
    pieces, operators, offsets = [], [], [0]
    depth, start, k = 0, 0, 0
    while k < len(text):
        char = text[k]
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif depth == 0 and text.startswith("!=", k):
            raise BadValue(f"'{text}': != is no constraint (use <=, >= or ==)")
        elif depth == 0 and char in "<>=":
            operator = next(op for op in RELATIONS if text.startswith(op, k))
            pieces.append(text[start:k])
            operators.append(operator)
            start = k + len(operator)
            offsets.append(start)
            k = start
            continue
        k += 1
    pieces.append(text[start:])
    return pieces, operators, offsets


def parse_side(text: str, piece: str, offset: int, source_name: str, shapes: Mapping[str, Any]) -> None:
    """Nothing, or the side's own error with its place moved into the whole text."""
    from ..grammar.program import parse_program

    if not piece.strip():
        raise BadValue(f"'{text}': a side of the relation is empty")
    try:
        parse_program(piece, source_name, dict(shapes))
    except AdcalcError as problem:
        span = problem.span
        if span is not None and span.line == 1:
            problem.span = Span(
                1,
                span.column + offset,
                span.end_line,
                span.end_column + offset if span.end_line == 1 else span.end_column,
                span.source_name,
            )
        problem.source = text  # type: ignore[attr-defined]  (the CLI shows this line under the message)
        raise


def relations(text: str, shapes: Mapping[str, Any], source_name: str = "--subject-to") -> list[Relation]:
    """The relations of one constraint text; BadValue when it has none."""
    from ..grammar.program import parse_program

    pieces, operators, offsets = top_level_relations(text)
    if not operators:
        parse_side(text, text, 0, source_name, shapes)  # a syntax error first (an unclosed bracket)
        raise BadValue(f"'{text}' is no constraint: write lhs <= rhs, lhs >= rhs or lhs == rhs")
    for piece, offset in zip(pieces, offsets, strict=True):
        parse_side(text, piece, offset, source_name, shapes)
    found = []
    for k, operator in enumerate(operators):
        lhs, rhs = pieces[k].strip(), pieces[k + 1].strip()
        relation = {"<": "<=", ">": ">=", "=": "=="}.get(operator, operator)
        shown = f"{lhs} {relation} {rhs}"
        graph = parse_program(f"({lhs}) - ({rhs})", source_name, dict(shapes))
        found.append(Relation(shown, graph, relation))
    return found


def equations(text: str) -> tuple[str, list[str]]:
    """(`(cos(x)) - (x), (y) - (2)`, ['cos(x) = x', 'y = 2']) for `cos(x) = x, y == 2`: each
    top-level equation as its residual, and the names of the outputs.

    Only for one-line texts without `;` (elsewhere `=` binds a name); other texts as they are.
    """
    if "\n" in text.strip() or ";" in text:
        return text, []
    parts, names = [], []
    for _, part in top_level_pieces(text):
        pieces, operators, _ = top_level_relations(part)
        if not operators:
            parts.append(part.strip())
            names.append(part.strip())
            continue
        if len(operators) > 1 or operators[0] not in ("=", "=="):
            raise BadValue(f"'{part.strip()}': an equation has one '=' (inequalities belong to minimize)")
        lhs, rhs = pieces[0].strip(), pieces[1].strip()
        if not lhs or not rhs:
            raise BadValue(f"'{part.strip()}': a side of the equation is empty")
        parts.append(f"({lhs}) - ({rhs})")
        names.append(f"{lhs} = {rhs}")
    return ", ".join(parts), names


# --- bounds -----------------------------------------------------------------------------------
def bound_number(text: str, default: float, where: str) -> float:
    """A bound: a number, a constant expression, inf/-inf, or empty for `default` (no bound)."""
    text = text.strip()
    if not text:
        return default
    if text.lstrip("+-") in ("inf", "Infinity", "∞"):
        return -math.inf if text.startswith("-") else math.inf
    from ..engine import sweeps
    from ..engine.bind import bind
    from ..grammar.program import parse_program

    try:
        graph = parse_program(text, None, None)
        if graph.variables:
            raise BadValue(f"{where}: bound {text!r} uses the variable(s) {', '.join(graph.variables)}")
        return float(sweeps.values(bind(graph, {}))[1][graph.root])
    except BadValue:
        raise
    except AdcalcError as problem:
        raise BadValue(f"{where}: bound {text!r} is not a number: {problem.message()}") from None


def bounds_of(items: Mapping[str, str], names: list[str]) -> dict[str, tuple[float, float]]:
    """Name -> (lower, upper) from 'lo:hi' texts; UsageError for a name that is no unknown."""
    found = {}
    for name, text in items.items():
        if name not in names:
            known = ", ".join(names)
            raise UsageError(f"--bounds {name}: {name} is not one of the unknowns ({known}; see --from)")
        low, colon, high = text.partition(":")
        if not colon:
            raise BadValue(f"--bounds {name}={text}: expected lower:upper, such as {name}=0:inf")
        lower = bound_number(low, -math.inf, f"--bounds {name}")
        upper = bound_number(high, math.inf, f"--bounds {name}")
        if lower > upper:
            raise BadValue(f"--bounds {name}={text}: the lower bound is above the upper one")
        found[name] = (lower, upper)
    return found
