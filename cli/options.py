"""Parameters shared by the commands, defined once (their values are parsed in values.py)."""

from __future__ import annotations

from typing import Annotated

import typer

ExprArg = Annotated[
    str,
    typer.Argument(
        help="Expression such as 'sin(x)*y', a .adl program file, or - to read from standard input.",
        metavar="EXPR",
        show_default=False,
    ),
]
AtOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--at",
        "-a",
        help="Point: x=1,y=2 (repeatable; values may be constant expressions such as -pi/4).",
        metavar="NAME=VALUE,...",
        show_default=False,
    ),
]
WrtOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--wrt",
        "-w",
        help="Differentiate by these variables only: x,y (repeatable: --wrt x --wrt y is x,y).",
        metavar="NAMES",
        show_default=False,
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", "-j", help="Print one JSON object instead of a table.")]
