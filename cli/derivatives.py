"""Commands for every kind of derivative: jvp, jacobian, hessian, hvp, taylor, diff, explain, check, graph.

Registered on the app (cli/app.py) when cli/main.py imports this module. Nothing heavy is imported
at module level: each command imports the core module it needs when it runs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from adcalc.errors import AdcalcError, BadValue, UsageError

from .actions import load
from .app import app
from .options import AtOpt, ExprArg, JsonOpt, WrtOpt
from .values import parse_at, parse_names, reword

DirOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--dir",
        "-d",
        help="Direction: x=1,y=0 (variables left out get 0; repeatable: --dir x=1 --dir y=2).",
        show_default=False,
    ),
]
ModeOpt = Annotated[
    str | None,
    typer.Option("--mode", "-m", help="forward or reverse (default: by shape).", show_default=False),
]
OrderOpt = Annotated[int, typer.Option("--order", "-k", help="Highest order.")]
OutputsArg = Annotated[
    str,
    typer.Argument(
        help="Outputs: 'x*y, sin(x)+y' (two outputs), a .adl file, or - for standard input.",
        show_default=False,
    ),
]


def direction_of(items: list[str] | None) -> dict[str, float]:
    """The --dir direction; it must be given."""
    if not items:
        raise UsageError("give a direction with --dir, such as --dir x=1,y=0")
    return parse_at(items, "--dir")


@contextmanager
def dir_flag() -> Iterator[None]:
    """Errors about the direction name the --dir flag (the library says 'direction ...', in API words)."""
    try:
        yield
    except AdcalcError as error:
        reword(error, "direction", "--dir")
        raise


def mode_of(mode: str | None, allowed: tuple[str, ...] = ("forward", "reverse")) -> str | None:
    if mode is not None and mode not in allowed:
        raise BadValue(f"--mode must be {' or '.join(allowed)}, got {mode!r}")
    return mode


@app.command()
def jvp(expr: ExprArg, at: AtOpt = None, direction: DirOpt = None, as_json: JsonOpt = False) -> None:
    """∇f·v by one forward sweep: [cyan]adcalc jvp 'x*y' --at x=1,y=2 --dir x=1[/cyan]."""
    import adcalc

    from . import tables

    point, seeds = parse_at(at), direction_of(direction)
    with dir_flag():
        result = adcalc.jvp(load(expr, point), at=point, direction=seeds)
    tables.directional(result, "∇f·v", as_json)


@app.command()
def hvp(
    expr: ExprArg, at: AtOpt = None, direction: DirOpt = None, wrt: WrtOpt = None, as_json: JsonOpt = False
) -> None:
    """H·v without forming H: [cyan]adcalc hvp 'x^2*y' --at x=1,y=2 --dir x=1[/cyan]."""
    import adcalc

    from . import tables

    point, seeds = parse_at(at), direction_of(direction)
    with dir_flag():
        result = adcalc.hvp(load(expr, point), at=point, direction=seeds, wrt=parse_names(wrt))
    tables.directional(result, "H·v", as_json)


@app.command()
def jacobian(
    exprs: OutputsArg, at: AtOpt = None, wrt: WrtOpt = None, mode: ModeOpt = None, as_json: JsonOpt = False
) -> None:
    """Jacobian of several outputs: [cyan]adcalc jacobian 'x*y, sin(x)+y' --at x=1,y=2[/cyan].

    Forward mode (one sweep per input) when there are fewer inputs than outputs, else reverse
    mode (one sweep per output); --mode overrides. A .adl program gives the Jacobian of its
    named outputs, arrays element by element.
    """
    import adcalc

    from . import tables

    point = parse_at(at)
    result = adcalc.jacobian(load(exprs, point), at=point, wrt=parse_names(wrt), mode=mode_of(mode))
    tables.jacobian(result, as_json)


TableFormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="table, or latex for a report.")
]


@app.command()
def hessian(
    expr: ExprArg,
    at: AtOpt = None,
    wrt: WrtOpt = None,
    form: TableFormatOpt = "table",
    as_json: JsonOpt = False,
) -> None:
    """Value, gradient and Hessian: [cyan]adcalc hessian 'x^2*y' --at x=1,y=2[/cyan]."""
    import adcalc

    from . import tables

    if form not in ("table", "latex"):
        raise BadValue(f"--format must be table or latex, got {form!r}")
    point = parse_at(at)
    result = adcalc.hessian(load(expr, point), at=point, wrt=parse_names(wrt))
    tables.hessian(result, as_json, latex=form == "latex")


@app.command()
def taylor(
    expr: ExprArg, at: AtOpt = None, order: OrderOpt = 8, wrt: WrtOpt = None, as_json: JsonOpt = False
) -> None:
    """Taylor coefficients (series arithmetic): [cyan]adcalc taylor 'exp(x)' --at x=0 --order 8[/cyan]."""
    import adcalc

    from . import tables

    point, names = parse_at(at), parse_names(wrt)
    if names is not None and len(names) != 1:
        raise BadValue("--wrt takes one variable for a Taylor series")
    tables.taylor(adcalc.taylor(load(expr, point), at=point, order=order, wrt=names and names[0]), as_json)


DiffFormatOpt = Annotated[
    str, typer.Option("--format", "-f", help="text (adcalc reads it back) or latex (for a report).")
]
SimplifyOpt = Annotated[
    str,
    typer.Option(
        "--simplify",
        help="local: cheap rewrites as the graph is built (6*x^2, 2*x, x^2), linear cost; "
        "sympy: then SymPy's simplify (pip install 'adcalc\\[sympy]'), any cost.",
    ),
]


@app.command()
def diff(
    expr: ExprArg,
    wrt: WrtOpt = None,
    order: OrderOpt = 1,
    form: DiffFormatOpt = "text",
    simplify: SimplifyOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Symbolic derivative as an adcalc expression: [cyan]adcalc diff 'sin(x)*y' --wrt x[/cyan].

    Shared subexpressions are printed once, as lines 't1 = ...' before the result.
    """
    import adcalc

    from . import tables

    if order < 1:
        raise BadValue(f"--order must be 1 or more, got {order}")
    if form not in ("text", "latex"):
        raise BadValue(f"--format must be text or latex, got {form!r}")
    if simplify not in ("local", "sympy"):
        raise BadValue(f"--simplify must be local or sympy, got {simplify!r}")
    result = adcalc.diff(load(expr), wrt=parse_names(wrt), order=order, simplify=simplify)
    tables.derivative(result, as_json, latex=form == "latex")


@app.command()
def explain(
    expr: ExprArg,
    at: AtOpt = None,
    mode: ModeOpt = None,
    direction: DirOpt = None,
    form: TableFormatOpt = "table",
    as_json: JsonOpt = False,
) -> None:
    """Evaluation trace, textbook style: [cyan]adcalc explain 'ln(x1)+x1*x2-sin(x2)' --at x1=2,x2=5[/cyan].

    Reverse mode (default): the primal trace, then the adjoint trace ending in the gradient.
    --mode forward --dir x1=1: the tangent trace instead.
    """
    import adcalc

    from . import tables

    if form not in ("table", "latex"):
        raise BadValue(f"--format must be table or latex, got {form!r}")
    point, mode = parse_at(at), mode_of(mode) or "reverse"
    seeds = direction_of(direction) if mode == "forward" else None
    with dir_flag():
        expression = load(expr, point)
        result = adcalc.explain(expression, at=point, mode=mode, direction=seeds, latex=form == "latex")
    tables.trace(result, as_json, latex=form == "latex")


TolOpt = Annotated[
    float,
    typer.Option(
        "--tol",
        help="Gate tolerance: central differences must agree with reverse AD within it, forward AD, "
        "complex step and symbolic within 1e-6 of it; error |m - r| / max(1, |r|) per element.",
    ),
]


CHECK_EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 every method that applies agrees with reverse mode; 1 one does not "
    "(the gate failed: the method and element are named on stderr) or the evaluation failed; "
    "2 bad usage or input; 130 interrupted (Ctrl-C); 141 the output pipe was closed."
)


@app.command(epilog=CHECK_EXIT_CODES)
def check(
    expr: ExprArg, at: AtOpt = None, wrt: WrtOpt = None, tol: TolOpt = 1e-6, as_json: JsonOpt = False
) -> None:
    """The gradient five ways, errors, costs, times: [cyan]adcalc check 'x*sin(y)' --at x=1,y=2[/cyan].

    A gate, like torch.autograd.gradcheck: exit 1 when a method that applies disagrees with reverse mode by more than its tolerance.
    """  # noqa: E501  (one line: typer keeps the docstring's line breaks)
    import adcalc

    from . import tables

    if not 0 < tol < float("inf"):  # NaN too; an infinite tolerance would pass every method
        raise BadValue(f"--tol must be a positive finite number, got {tol}")
    point = parse_at(at)
    result = adcalc.check(load(expr, point), at=point, wrt=parse_names(wrt), tol=tol)
    tables.check(result, as_json)
    if not result.passed:
        raise typer.Exit(1)


FormatOpt = Annotated[str, typer.Option("--format", "-f", help="tree, dot (Graphviz) or json.")]


@app.command()
def graph(expr: ExprArg, form: FormatOpt = "tree", as_json: JsonOpt = False) -> None:
    """The expression DAG: [cyan]adcalc graph 'sin(x)*sin(x)'[/cyan]; [cyan]--format dot | dot -Tsvg[/cyan].

    In the tree a shared node is drawn once; later uses show '↑ v7 (shared)'.
    """
    from . import tables

    form = "json" if as_json else form
    if form not in ("tree", "dot", "json"):
        raise BadValue(f"--format must be tree, dot or json, got {form!r}")
    tables.graph(load(expr), form)


def grad_by(
    expression: Any, point: dict[str, Any], wrt: list[str] | None, mode: str, order: int, as_json: bool
) -> None:
    """`adcalc grad` with --mode forward or --order k (called from cli/point.py)."""
    import adcalc

    from . import render, tables

    mode_of(mode)
    if order < 1:
        raise BadValue(f"--order must be 1 or more, got {order}")
    if order == 1:
        compute = adcalc.gradient_forward if mode == "forward" else adcalc.gradient
        return render.gradient(compute(expression, at=point, wrt=wrt), as_json)
    if wrt is not None and len(wrt) != 1:
        raise BadValue("--order k needs one variable: give it with --wrt")
    tables.higher(adcalc.derivative(expression, at=point, order=order, wrt=wrt and wrt[0]), as_json)
