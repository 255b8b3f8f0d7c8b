"""`adcalc eval` and `adcalc grad`: the value and the gradient at a point."""

from __future__ import annotations

from typing import Annotated

import typer

from . import actions
from .actions import load
from .app import app
from .options import AtOpt, ExprArg, JsonOpt, WrtOpt
from .values import parse_at, parse_names


@app.command("eval")
def eval_(expr: ExprArg, at: AtOpt = None, as_json: JsonOpt = False) -> None:
    """Value of [bold]EXPR[/bold] at a point: [cyan]adcalc eval 'x^2+1' --at x=3[/cyan]."""
    actions.evaluate(expr, at, as_json)


@app.command()
def grad(
    expr: ExprArg,
    at: AtOpt = None,
    wrt: WrtOpt = None,
    as_json: JsonOpt = False,
    mode: Annotated[str, typer.Option("--mode", "-m", help="reverse or forward.")] = "reverse",
    order: Annotated[int, typer.Option("--order", "-k", help="k-th derivative (one variable).")] = 1,
) -> None:
    """Value and gradient by reverse mode: [cyan]adcalc grad 'sin(x)*y' --at x=1,y=2[/cyan]."""
    if mode != "reverse" or order != 1:  # forward mode and k-th derivatives live in cli/derivatives.py
        from .derivatives import grad_by

        point = parse_at(at)
        return grad_by(load(expr, point), point, parse_names(wrt), mode, order, as_json)
    actions.gradient(expr, at, wrt, as_json)
