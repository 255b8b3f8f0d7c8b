"""How the derivative commands print: rich tables for people, one JSON document for --json."""

from __future__ import annotations

import sys
from typing import Any

from .render import (
    Grid,
    _escape,
    answer_json,
    console,
    document,
    number,
    point_text,
    print_json,
    shortened,
    show,
    warn,
)


def _table(title: str, *columns: str, left: tuple[str, ...] = (), whole: tuple[str, ...] = ()) -> Grid:
    """A table whose first column and the `left` ones are left-aligned, numbers right-aligned;
    cells of the `whole` columns never wrap."""
    return Grid(title, columns, left, whole)


def _head(result: Any, width: int = 100, shown: int = 6) -> str:
    """f = ..., the point and the value; long expressions and points are shortened."""
    text = shortened(result.expression, width)
    items = list(result.at.items())
    at = point_text(dict(items[:shown]))
    at += f", … ({len(items)} values)" if len(items) > shown else ""
    return f"[bold]f = {_escape(text)}[/bold]\nat {at}\nf = {number(result.value)}"


def directional(result: Any, label: str, as_json: bool) -> None:
    """jvp (a number) or hvp (a vector) along a direction."""
    from adcalc.answers.point import HessianVectorProduct

    if as_json:
        return answer_json(result, "hvp" if isinstance(result, HessianVectorProduct) else "jvp")
    if isinstance(result.derivative, dict):
        table = _table(_head(result), "variable", "v", label)
        for name, value in result.derivative.items():
            pairs = zip(_elements(name, value), _elements(name, result.direction.get(name, 0.0)), strict=True)
            for (element, entry), (_, direction) in pairs:
                table.add_row(_escape(element), number(direction), number(entry))
    elif getattr(result.derivative, "ndim", 0):  # J·v of an array output: one row per element
        table = _table(_head(result), "output", label)
        for element, entry in _elements("f", result.derivative):
            table.add_row(_escape(element), number(entry))
        table.caption = "direction " + _escape(_direction_text(result.direction))
    else:
        table = _table(_head(result), "direction v", label)
        table.add_row(_escape(_direction_text(result.direction)), number(result.derivative))
    show(table)
    warn(result)


def _elements(name: str, value: Any) -> list[tuple[str, float]]:
    """(x[1], value) ... for an array (1-based, as the language indexes); (name, value) for a number."""
    if not getattr(value, "ndim", 0):
        return [(name, value)]
    from adcalc.engine.elements import labels

    return list(zip(labels(name, value.shape), map(float, value.ravel()), strict=True))


def _direction_text(direction: dict[str, Any]) -> str:
    """x = 1.0, y = 3.0; arrays as nested lists, each entry as number() prints it (--digits)."""
    return ", ".join(
        f"{k} = {_nested(v) if getattr(v, 'ndim', 0) else number(v)}" for k, v in direction.items()
    )


def _nested(array: Any) -> str:
    if array.ndim == 0:
        return number(float(array))
    return "[" + ", ".join(_nested(row) for row in array) + "]"


def jacobian(result: Any, as_json: bool) -> None:
    """One row per output, one column per variable."""
    if as_json:
        return answer_json(result, "jacobian")
    title = f"[bold]Jacobian[/bold] at {point_text(result.at)} ({result.mode} mode)"
    table = _table(title, "output", "value", *(f"∂/∂{name}" for name in result.column_labels))
    for text, value, row in zip(result.row_labels, result.row_values, result.rows, strict=True):
        table.add_row(_escape(text), number(value), *(number(v) for v in row))
    show(table)
    warn(result)


def hessian(result: Any, as_json: bool, latex: bool = False) -> None:
    """Gradient, then the Hessian laid out as a matrix; or as LaTeX (--json: a "latex" key)."""
    if latex:
        from adcalc.answers.latex import hessian_latex

        return with_latex(result, "hessian", hessian_latex(result), as_json)
    if as_json:
        return answer_json(result, "hessian")
    if result.elementwise:  # vector or matrix inputs: one row per element
        _element_hessian(result)
        return warn(result)
    names = list(result.hessian)
    table = _table(_head(result), "·", "∂f/∂·", *(f"∂²f/∂·∂{name}" for name in names))
    for name in names:
        row = result.hessian[name]
        table.add_row(name, number(result.gradient[name]), *(number(row[other]) for other in names))
    table.caption = f"forward over reverse: {result.directions} forward sweep(s) over the gradient graph"
    show(table)
    warn(result)


def _element_hessian(result: Any, limit: int = 8) -> None:
    labels = [_escape(label) for label in result.labels]
    shown = labels[:limit]
    table = _table(_head(result), "·", "∂f/∂·", *(f"∂²f/∂·∂{label}" for label in shown))
    for label, entry, row in zip(labels, result.flat_gradient, result.matrix, strict=True):
        table.add_row(label, number(entry), *(number(v) for v in row[:limit]))
    more = f"; first {limit} of {len(labels)} columns (--json prints all)" if len(labels) > limit else ""
    sweeps = f"{result.directions} forward sweep(s), one per colour of the element columns"
    table.caption = f"forward over reverse: {sweeps}{more}"
    show(table)


def taylor(result: Any, as_json: bool) -> None:
    """Coefficients f_k and derivatives k! f_k."""
    if as_json:
        return answer_json(result, "taylor")
    at = number(result.at[result.wrt])
    head = _escape(shortened(result.expression))
    title = f"[bold]f = {head}[/bold]\nTaylor series in {result.wrt} about {at}"
    table = _table(title, "k", "f_k = f⁽ᵏ⁾/k!", "f⁽ᵏ⁾")
    for k, (c, d) in enumerate(zip(result.coefficients, result.derivatives, strict=True)):
        table.add_row(str(k), number(c), number(d))
    show(table)
    warn(result)


def higher(result: Any, as_json: bool) -> None:
    """The k-th derivative of a one-variable function."""
    if as_json:
        return answer_json(result, "grad")
    table = _table(_head(result), "derivative", "value")
    table.add_row(f"d{_power(result.order)}f/d{result.wrt}{_power(result.order)}", number(result.derivative))
    show(table)
    warn(result)


def _power(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def with_latex(result: Any, command: str, latex: str, as_json: bool) -> None:
    """--format latex: the LaTeX alone, or with --json the document with a "latex" key."""
    if as_json:
        doc = document(result, command)
        warnings = doc.pop("warnings")
        print_json({**doc, "latex": latex, "warnings": warnings})  # warnings stay last
    else:
        sys.stdout.write(latex + "\n")
    warn(result)


def derivative(result: Any, as_json: bool, latex: bool = False) -> None:
    """Plain text that parses back, one variable the bare expression; or LaTeX (--json: a "latex" key)."""
    if latex:
        return with_latex(result, "diff", result.latex(), as_json)
    if as_json:
        return answer_json(result, "diff")

    if len(result.wrt) == 1:
        sys.stdout.write(result.text[result.wrt[0]] + "\n")
        return
    sys.stdout.write(result.program + "\n")  # adcalc reads it back: `adcalc diff F | adcalc eval -`
    warn(result)


def trace(result: Any, as_json: bool, latex: bool = False) -> None:
    """The primal trace, then the adjoint or tangent trace; or one LaTeX array (--json: a "latex" key)."""
    if latex:
        from adcalc.answers.latex import trace_latex

        return with_latex(result, "explain", trace_latex(result), as_json)
    if as_json:
        return answer_json(result, "explain")
    primal = _table(
        f"{_head(result)}\n\n[bold]Forward primal trace[/bold]",
        "v",
        "op",
        "expression",
        "value",
        left=("op", "expression"),
    )
    for row in result.primal:
        primal.add_row(row["name"], row["op"], _escape(row["expression"]), number(row["value"]))
    if result.mode == "reverse":
        second = _table("[bold]Reverse adjoint trace[/bold]", "adjoint", "rule", "value", left=("rule",))
    else:
        shown = ", ".join(f"{k} = {number(v)}" for k, v in result.result["direction"].items())
        second = _table(
            f"[bold]Forward tangent trace[/bold] (direction {shown})",
            "tangent",
            "rule",
            "value",
            left=("rule",),
        )
    for row in result.derivative:
        second.add_row(row["name"], _escape(row["rule"]), number(row["value"]))
    show(primal)
    show(second)
    if result.mode == "forward":
        console().print(f"ẏ = ∇f·ẋ = {number(result.result['derivative'])}", soft_wrap=True)
    warn(result)


def check(result: Any, as_json: bool, shown: int = 6) -> None:
    """Methods × (error vs reverse mode, tolerance, verdict, evaluations, time), then the values;
    a failed method is named on standard error with the element that failed."""

    if as_json:
        answer_json(result, "check")
    else:
        _check_tables(result, shown)
        warn(result)
    for line in result.failures():
        sys.stderr.write(f"check failed: {line}\n")


def _check_tables(result: Any, shown: int) -> None:
    from adcalc.answers.check import tolerance_of

    exact = tolerance_of("forward AD", result.tol)
    title = (
        f"{_head(result)}\n{len(result.variables)} variable(s); error: largest |m - r| / max(1, |r|) "
        f"vs reverse mode r\ntolerance (--tol): {result.tol:g} for central differences, "
        f"{exact:g} for the others"
    )
    table = _table(
        title,
        "method",
        "max error",
        "passed",
        "digits",
        "evals",
        "time",
        "how",
        left=("how",),
        whole=("time",),
    )
    for m in result.methods:
        if m.values is None:
            table.add_row(m.name, "—", "—", "—", str(m.evaluations), "—", _escape(m.note))
            continue
        verdict = "yes" if m.passed else f"NO ({len(m.failed)})"
        table.add_row(
            m.name, f"{m.max_error:.1e}", verdict, f"{m.digits:.1f}", str(m.evaluations), _time(m.seconds),
            _escape(m.cost),
        )  # fmt: skip
    usable = [m for m in result.methods if m.values is not None]
    names = result.variables[:shown]
    more = len(result.variables) - len(names)
    values = _table("", "variable", *(m.name for m in usable))
    for name in names:
        values.add_row(_escape(name), *(number(m.values[name]) for m in usable))
    if more:
        values.add_row(f"… {more} more", *("…" for _ in usable))
    # the same numbers with a row per method: fits where five method columns do not
    by_method = _table("", "method", *map(_escape, names), *([f"… {more} more"] if more else []))
    for m in usable:
        by_method.add_row(m.name, *(number(m.values[name]) for name in names), *(["…"] if more else []))
    show(table)
    show(values, by_method)
    verdict = "passed" if result.passed else "FAILED"
    console().print(f"check {verdict}: tolerance {result.tol:g} (--tol)", soft_wrap=True)


def _time(seconds: float) -> str:
    """A time in one width (7 characters), so the table's layout does not depend on it."""
    if seconds < 1e-3:
        text = f"{seconds * 1e6:.0f} µs"
    elif seconds < 0.1:
        text = f"{seconds * 1e3:.1f} ms"
    else:
        text = f"{seconds * 1e3:.0f} ms" if seconds < 1 else f"{seconds:.2f} s"
    return text.rjust(7)


def graph(expression: Any, form: str) -> None:
    """The DAG as a rich tree, Graphviz dot or JSON."""
    from . import graphs

    if form == "json":
        return print_json({"command": "graph", **graphs.as_dict(expression), "warnings": []})
    if form == "dot":
        import sys

        graphs.write_dot(expression, sys.stdout)  # streamed: a 10^6-node DAG is ~80 MB of dot
        return
    out = console()
    tree, count, shared, drawn = graphs.tree(expression, out.width)
    out.print(tree)
    out.print(f"{count} nodes, {shared} shared (drawn once, then referred to with ↑)", soft_wrap=True)
    if drawn < count:
        out.print(f"… {count - drawn:,} more nodes; --format dot for all", soft_wrap=True)
