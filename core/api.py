"""The Python API: parse, evaluate and differentiate at a point. The CLI is a thin layer on it.

    >>> import adcalc
    >>> adcalc.gradient("sin(x)*y", at={"x": 1.0, "y": 2.0}).gradient["y"]
    0.8414709848078965
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .engine.forward import raise_if_nan, values_of
from .engine.reverse import cotangents_of, partials_by_name
from .engine.sweep import float_gradient, float_values, plain_floats
from .errors import EvaluationError, UsageError
from .ir.nodes import Node, topological_order


@dataclass(frozen=True)
class Expression:
    """A parsed expression: its DAG root, source text and variables (in order of appearance)."""

    root: Node
    source: str
    name: str | None = None
    variables: tuple[str, ...] = field(default=())
    outputs: tuple[tuple[str, Node], ...] = field(default=())  # a program's named outputs
    program: Any = None  # adcalc.program.Program, for .adl programs (shapes, node order)

    @property
    def label(self) -> str:
        """How results name it: a program by its file name, an expression by its text."""
        return self.name if self.program is not None and self.name else self.source

    @property
    def size(self) -> int:
        """Number of DAG nodes (shared subexpressions count once)."""
        return len(topological_order(self.root))


def parse(text: str, name: str | None = None) -> Expression:
    """Parse an expression into a DAG; raises ParseError (with a span) on bad input.

    >>> adcalc.parse("sin(x)*sin(x)").size   # x, sin, mul: sin is shared
    3
    """
    from .grammar import parse_expr  # the grammar package builds on core, not the reverse

    if _is_program(text, name):
        from .grammar.program import parse_program

        program = parse_program(text, name)
        root = program.outputs[0][1]
        return Expression(root, text, name, tuple(program.inputs), program.outputs, program)
    root = parse_expr(text, name)
    names = tuple(n.payload for n in topological_order(root) if n.op == "var")
    return Expression(root, text, name, names)


def _is_program(text: str, name: str | None) -> bool:
    # a .adl file, or text that starts like a statement (`input x`, `y = ...`, a comment)
    if name is not None and name.endswith(".adl"):
        return True
    import re

    return re.match(r"\s*(#|(input|output|param|def|op|for|if)\b|[A-Za-z_]\w*\s*=(?!=))", text) is not None


def as_expression(expr: Expression | str) -> Expression:
    """An Expression for an Expression or source text."""
    return expr if isinstance(expr, Expression) else parse(expr)


@dataclass(frozen=True)
class Evaluation:
    """The value of an expression at a point."""

    expression: str
    at: dict[str, Any]
    value: Any

    def to_dict(self) -> dict[str, Any]:
        return {"expression": self.expression, "at": self.at, "value": self.value}


@dataclass(frozen=True)
class Gradient(Evaluation):
    """Value and gradient (variable name -> partial derivative) at a point."""

    gradient: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {**super().to_dict(), "gradient": self.gradient}


def _checked_values(expression: Expression, at: Mapping[str, Any]) -> tuple[list[Node], dict[Node, Any]]:
    if expression.program is not None:
        from .grammar.builder import bind

        at, order = bind(expression.program, at), list(expression.program.order)
    else:
        order = topological_order(expression.root)
    if expression.program is not None and not expression.program.uses_arrays and plain_floats(at):
        values = float_values(order, at, ())[0]  # the same values, without dispatch per node
    else:
        values = values_of(order, at)
    raise_if_nan([n for _, n in expression.outputs] or [expression.root], values)
    return order, values


def evaluate(expr: Expression | str, at: Mapping[str, Any]) -> Evaluation:
    """Value at a point; DomainError names the node whose NaN reached the result.

    >>> adcalc.evaluate("x^2 + 1", at={"x": 3}).value
    10.0
    """
    expression = as_expression(expr)
    _, values = _checked_values(expression, at)
    value = values[expression.root]
    if len(expression.outputs) > 1:  # a program with several outputs: name -> value
        value = {name: values[n] for name, n in expression.outputs}
    return Evaluation(expression.label, _used(expression, at), value)


def wrt_names(expression: Expression, wrt: Sequence[str] | None, at: Mapping[str, Any]) -> list[str]:
    """The variables to differentiate by: all of the expression's, or the checked `wrt` list."""
    if wrt is None:
        return list(expression.variables)
    unknown = [name for name in wrt if name not in expression.variables and name not in at]
    if unknown:
        known = ", ".join(expression.variables) or "none"
        raise UsageError(f"--wrt names unknown variable(s) {', '.join(unknown)} (variables: {known})")
    return list(dict.fromkeys(wrt))


def gradient(
    expr: Expression | str, at: Mapping[str, Any], wrt: Sequence[str] | None = None
) -> Gradient:
    """Value and gradient by reverse mode: one forward sweep, one backward sweep.

    >>> adcalc.gradient("x*y", at={"x": 2, "y": 3}).gradient
    {'x': 3.0, 'y': 2.0}
    """
    expression = as_expression(expr)
    names = wrt_names(expression, wrt, at)
    if expression.program is not None:
        from .grammar.builder import check_scalar_output

        check_scalar_output(expression.program)
        if not expression.program.uses_arrays and plain_floats(at):
            return _float_gradient(expression, at, names)
    order, values = _checked_values(expression, at)
    cotangents = cotangents_of(order, values, {expression.root: 1.0}, set(names))
    partials = {name: _as_float(g) for name, g in partials_by_name(cotangents, names).items()}
    return Gradient(expression.label, _used(expression, at), values[expression.root], partials)


def _float_gradient(expression: Expression, at: Mapping[str, Any], names: list[str]) -> Gradient:
    # a program at a point of floats: the two sweeps without dispatch on the kind of value
    order = expression.program.order
    values, active = float_values(order, at, set(names))
    raise_if_nan([expression.root], values)
    found = float_gradient(order, values, active, expression.root)
    partials = {name: _as_float(found.get(name, 0.0)) for name in names}
    return Gradient(expression.label, _used(expression, at), values[expression.root], partials)


def _used(expression: Expression, at: Mapping[str, Any]) -> dict[str, Any]:
    # The point as given, the expression's variables first.
    ordered = {name: at[name] for name in expression.variables if name in at}
    ordered.update({k: v for k, v in at.items() if k not in ordered})
    return ordered


def _as_float(value: Any) -> Any:
    return float(value) if isinstance(value, int | float) else value


__all__ = [
    "Evaluation",
    "EvaluationError",
    "Expression",
    "Gradient",
    "as_expression",
    "evaluate",
    "gradient",
    "parse",
    "wrt_names",
]
