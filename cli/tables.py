"""How the derivative commands print: rich tables for people, one JSON document for --json."""

from __future__ import annotations

from typing import Any

from .render import _escape, console, number, point_text, print_json, warn_nan


def _table(title: str, *columns: str, left: tuple[str, ...] = ()) -> Any:
    """A table whose first column and the `left` ones are left-aligned, numbers right-aligned."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for k, column in enumerate(columns):
        table.add_column(column, justify="left" if k == 0 or column in left else "right")
    return table


def _head(result: Any, width: int = 100, shown: int = 6) -> str:
    """f = ..., the point and the value; long expressions and points are shortened."""
    text = " ".join(result.expression.split())
    text = text if len(text) <= width else text[: width - 1] + "…"
    items = list(result.at.items())
    at = point_text(dict(items[:shown]))
    at += f", … ({len(items)} values)" if len(items) > shown else ""
    return f"[bold]f = {_escape(text)}[/bold]\nat {at}\nf = {number(result.value)}"


def directional(result: Any, label: str, as_json: bool) -> None:
    """jvp (a number) or hvp (a vector) along a direction."""
    if as_json:
        return print_json(result.to_dict())
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
    console().print(table)


def _elements(name: str, value: Any) -> list[tuple[str, float]]:
    """(x[1], value) ... for an array (1-based, as the language indexes); (name, value) for a number."""
    if not getattr(value, "ndim", 0):
        return [(name, value)]
    from adcalc.program_derivatives import element_labels

    return list(zip(element_labels(name, value.shape), map(float, value.ravel()), strict=True))


def _direction_text(direction: dict[str, Any]) -> str:
    """x = 1.0, y = 3.0; arrays as nested lists."""
    from .jsonout import dumps

    return ", ".join(
        f"{k} = {dumps(v) if getattr(v, 'ndim', 0) else number(v)}" for k, v in direction.items()
    )


def jacobian(result: Any, as_json: bool) -> None:
    """One row per output, one column per variable."""
    if as_json:
        return print_json(result.to_dict())
    title = f"[bold]Jacobian[/bold] at {point_text(result.at)} ({result.mode} mode)"
    table = _table(title, "output", "value", *(f"∂/∂{name}" for name in result.variables))
    for text, value, row in zip(result.outputs, result.value, result.rows, strict=True):
        table.add_row(_escape(text), number(value), *(number(v) for v in row))
    console().print(table)


def hessian(result: Any, as_json: bool) -> None:
    """Gradient, then the Hessian laid out as a matrix."""
    if as_json:
        return print_json(result.to_dict())
    if hasattr(result, "matrix"):  # a program with array inputs: one row per element
        return _element_hessian(result)
    names = list(result.hessian)
    table = _table(_head(result), "·", "∂f/∂·", *(f"∂²f/∂·∂{name}" for name in names))
    for name in names:
        row = result.hessian[name]
        table.add_row(name, number(result.gradient[name]), *(number(row[other]) for other in names))
    table.caption = f"forward over reverse: {result.directions} forward sweep(s) over the gradient graph"
    console().print(table)
    warn_nan(result.gradient)


def _element_hessian(result: Any, limit: int = 8) -> None:
    labels = [_escape(label) for label in result.labels]
    shown = labels[:limit]
    table = _table(_head(result), "·", "∂f/∂·", *(f"∂²f/∂·∂{label}" for label in shown))
    for label, entry, row in zip(labels, result.flat_gradient, result.matrix, strict=True):
        table.add_row(label, number(entry), *(number(v) for v in row[:limit]))
    more = f"; first {limit} of {len(labels)} columns (--json prints all)" if len(labels) > limit else ""
    sweeps = f"{result.directions} forward sweep(s), one per colour of the element columns"
    table.caption = f"forward over reverse: {sweeps}{more}"
    console().print(table)


def taylor(result: Any, as_json: bool) -> None:
    """Coefficients f_k and derivatives k! f_k."""
    if as_json:
        return print_json(result.to_dict())
    at = number(result.at[result.wrt])
    title = f"[bold]f = {_escape(result.expression)}[/bold]\nTaylor series in {result.wrt} about {at}"
    table = _table(title, "k", "f_k = f⁽ᵏ⁾/k!", "f⁽ᵏ⁾")
    for k, (c, d) in enumerate(zip(result.coefficients, result.derivatives, strict=True)):
        table.add_row(str(k), number(c), number(d))
    console().print(table)


def higher(result: Any, as_json: bool) -> None:
    """The k-th derivative of a one-variable function."""
    if as_json:
        return print_json(result.to_dict())
    table = _table(_head(result), "derivative", "value")
    table.add_row(f"d{_power(result.order)}f/d{result.wrt}{_power(result.order)}", number(result.derivative))
    console().print(table)


def _power(k: int) -> str:
    return str(k).translate(str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹"))


def derivative(result: Any, as_json: bool) -> None:
    """Plain text that parses back; one variable prints the bare expression."""
    if as_json:
        return print_json(result.to_dict())
    import sys

    if len(result.wrt) == 1:
        sys.stdout.write(result.text[result.wrt[0]] + "\n")
        return
    for name in result.wrt:
        lines = result.text[name].splitlines()
        shown = lines[0] if len(lines) == 1 else "\n" + "\n".join("    " + line for line in lines)
        sys.stdout.write(f"∂f/∂{name} = {shown}\n")


def trace(result: Any, as_json: bool) -> None:
    """The primal trace, then the adjoint or tangent trace."""
    if as_json:
        return print_json(result.to_dict())
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
    out = console()
    out.print(primal)
    out.print(second)
    if result.mode == "forward":
        out.print(f"ẏ = ∇f·ẋ = {number(result.result['derivative'])}")


def check(result: Any, as_json: bool, shown: int = 6) -> None:
    """Methods × (error vs reverse mode, evaluations, time), then the values per variable."""
    if as_json:
        return print_json(result.to_dict())
    title = (
        f"{_head(result)}\n{len(result.variables)} variable(s); error: largest relative error vs reverse mode"
    )
    table = _table(title, "method", "max error", "digits", "evaluations", "time", "how", left=("how",))
    for m in result.methods:
        if m.values is None:
            table.add_row(m.name, "—", "—", str(m.evaluations), "—", m.note)
        else:
            error = f"{m.max_relative_error:.1e}"
            table.add_row(m.name, error, f"{m.digits:.1f}", str(m.evaluations), _time(m.seconds), m.cost)
    usable = [m for m in result.methods if m.values is not None]
    values = _table("", "variable", *(m.name for m in usable))
    for name in result.variables[:shown]:
        values.add_row(name, *(number(m.values[name]) for m in usable))
    if len(result.variables) > shown:
        values.add_row(f"… {len(result.variables) - shown} more", *("…" for _ in usable))
    out = console()
    out.print(table)
    out.print(values)


def _time(seconds: float) -> str:
    return f"{seconds * 1e6:.0f} µs" if seconds < 1e-3 else f"{seconds * 1e3:.1f} ms"


def graph(expression: Any, form: str) -> None:
    """The DAG as a rich tree, Graphviz dot or JSON."""
    from . import graphs

    if form == "json":
        return print_json(graphs.as_dict(expression))
    if form == "dot":
        import sys

        sys.stdout.write(graphs.dot(expression) + "\n")
        return
    tree, count, shared = graphs.tree(expression)
    out = console()
    out.print(tree)
    out.print(f"{count} nodes, {shared} shared (drawn once, then referred to with ↑)")
