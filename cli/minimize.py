"""`adcalc minimize` and `adcalc solve`: scipy.optimize with exact derivatives.

Registered on the app (cli/app.py) when cli/main.py imports this module. scipy, numpy and rich
are imported inside the commands (start-up: the module itself imports only typer and ours).
"""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from adcalc.errors import BadValue

from .actions import State, error_json
from .app import app
from .options import ExprArg, JsonOpt
from .values import parse_at, split_top_level

FromOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--from",
        help="Start point, the unknowns and their values: x=-1.2,y=1 (repeatable; arrays as at --at; "
        "a number fills a declared vector).",
        metavar="NAME=VALUE,...",
        show_default=False,
    ),
]
FixedOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        "-a",
        help="Inputs held fixed (not solved for): a=2 (repeatable).",
        metavar="NAME=VALUE,...",
        show_default=False,
    ),
]
MethodOpt = Annotated[
    str | None,
    typer.Option(
        "--method",
        "-m",
        help="scipy's method (default: chosen by the problem; see below).",
        show_default=False,
    ),
]
MaxiterOpt = Annotated[
    int | None, typer.Option("--maxiter", help="Most iterations (default: scipy's).", show_default=False)
]

MINIMIZE_EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 converged; 1 did not converge (scipy's message on stderr; the result "
    "is still printed) or f is undefined at the start point; 2 bad usage or input; "
    "130 interrupted (Ctrl-C); 141 the output pipe was closed."
)
SOLVE_EXIT_CODES = MINIMIZE_EXIT_CODES.replace("f is undefined", "F is undefined")


@app.command(epilog=MINIMIZE_EXIT_CODES)
def minimize(
    expr: ExprArg,
    start: FromOpt = None,
    method: MethodOpt = None,
    bounds: Annotated[
        list[str] | None,
        typer.Option(
            "--bounds",
            help="Simple bounds lower:upper: x=0:inf,y=-1:1 (repeatable; "
            "empty is no bound: x=:1; a vector's bound holds for every element).",
            metavar="NAME=LO:HI,...",
            show_default=False,
        ),
    ] = None,
    subject_to: Annotated[
        list[str] | None,
        typer.Option(
            "--subject-to",
            help="A constraint: 'x^2 + y^2 <= 1', 'x + y == 1', '0 <= x - y <= 1' (repeatable).",
            metavar="RELATION",
            show_default=False,
        ),
    ] = None,
    gtol: Annotated[
        float,
        typer.Option(
            "--gtol",
            help="Converged when ‖∇f‖₂ (with bounds or constraints: the KKT residual) is at most this.",
        ),
    ] = 1e-9,
    maxiter: MaxiterOpt = None,
    at: FixedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Minimum of [bold]EXPR[/bold] with exact derivatives: [cyan]adcalc minimize '100*(y-x^2)^2 + (1-x)^2' --from x=-1.2,y=1[/cyan].

    Methods and what they get from AD: trust-exact, dogleg, trust-constr the Hessian; trust-krylov, trust-ncg, Newton-CG Hessian-vector products; BFGS, CG, L-BFGS-B, SLSQP the gradient; constraints their Jacobians. Default: trust-exact up to 20 unknowns, else L-BFGS-B; with --bounds L-BFGS-B; with --subject-to SLSQP.
    """  # noqa: E501  (typer keeps the docstring's line breaks)
    import adcalc

    fixed, point = parse_at(at), parse_at(start, "--from")
    graph = _expression(expr, {**fixed, **point})
    items = {}
    for piece in split_top_level(",".join(bounds or [])):
        name, equals, text = piece.partition("=")
        if not equals or not name.strip().isidentifier():
            raise BadValue(f"--bounds '{piece}': expected name=lower:upper, such as x=0:inf")
        items[name.strip()] = text
    progress = None if as_json or not sys.stderr.isatty() else _live()
    try:
        result = adcalc.minimize(
            graph,
            point,
            method=method,
            bounds=items,
            subject_to=subject_to or (),
            at=fixed,
            gtol=gtol,
            maxiter=maxiter,
            progress=progress,
        )
    finally:
        if progress is not None:
            progress.stop()
    from . import optimize_tables

    optimize_tables.minimum(result, as_json)
    if not result.success:
        _not_converged("minimize", result.message)


@app.command(epilog=SOLVE_EXIT_CODES)
def solve(
    expr: Annotated[
        str,
        typer.Argument(
            help="Equations: 'x^2 + y^2 - 4, x - y' (each output = 0) or 'cos(x) = x'; a .adl "
            "file, or - for standard input.",
            metavar="EQUATIONS",
            show_default=False,
        ),
    ],
    start: FromOpt = None,
    method: MethodOpt = None,
    order: Annotated[
        int, typer.Option("--order", "-k", help="One equation in one unknown: 1 Newton (f'), 2 Halley (f'').")
    ] = 1,
    bracket: Annotated[
        str | None,
        typer.Option(
            "--bracket",
            help="One equation: a:b with f(a), f(b) of opposite signs (brentq).",
            metavar="A:B",
            show_default=False,
        ),
    ] = None,
    xtol: Annotated[
        float | None,
        typer.Option(
            "--xtol",
            help="Tolerance on x (default: 1e-12 relative for systems, 1e-15 for one equation).",
            show_default=False,
        ),
    ] = None,
    maxiter: MaxiterOpt = None,
    at: FixedOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Root of F(x) = 0 with the exact Jacobian: [cyan]adcalc solve 'x^2 + y^2 - 4, x - y' --from x=1,y=0[/cyan].

    As many equations as unknowns: scipy.optimize.root (hybr by default, lm, or --method; hybr and lm get the exact Jacobian). One equation in one unknown: root_scalar, Newton with the exact f' (--order 2: Halley with f''), or brentq with --bracket a:b.
    """  # noqa: E501
    import adcalc

    fixed, point = parse_at(at), parse_at(start, "--from")
    graph = _expression(expr, {**fixed, **point}, equations=True)
    interval = _bracket(bracket) if bracket is not None else None
    result = adcalc.solve(
        graph, point, method=method, order=order, bracket=interval, at=fixed, xtol=xtol, maxiter=maxiter
    )
    from . import optimize_tables

    optimize_tables.root(result, as_json)
    if not result.success:
        _not_converged("solve", result.failure())


def _expression(argument: str, point: dict[str, Any], equations: bool = False) -> Any:
    """A file or standard input parsed here (errors point into its text); a text as it is, for the
    API to parse with the point's shapes (and, for solve, to read `lhs = rhs` as equations)."""
    from .actions import load
    from .values import read_expression

    if argument == "-" or argument.endswith(".adl"):
        return load(argument, point)
    text, _ = read_expression(argument)  # a path that is no program: the error says so
    State.source = text
    return text


def _bracket(text: str) -> tuple[float, float]:
    from adcalc.answers.constraints import bound_number

    low, colon, high = text.partition(":")
    if not colon or not low.strip() or not high.strip():
        raise BadValue(f"--bracket {text}: expected a:b, such as 0:1")
    return bound_number(low, 0.0, "--bracket"), bound_number(high, 0.0, "--bracket")


def _not_converged(command: str, message: str) -> None:
    """Exit 1 with one line on stderr (and the JSON error object under --json)."""
    text = " ".join(message.split())
    sys.stderr.write(f"error: {command} did not converge: {text}\n")
    error_json("NotConverged", text, 1)
    raise typer.Exit(1)


def _live() -> Any:
    from .optimize_tables import LiveTable

    return LiveTable()
