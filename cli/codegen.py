"""`adcalc codegen`: the value and derivatives of EXPR as standalone Python, NumPy or C source.

Exit codes: 0 written (and checked); 1 --check found a mismatch or the compiler failed; 2 bad usage or
input (array program, unknown language, no C compiler for --check).
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from adcalc.errors import EvaluationError, UsageError

from .actions import load
from .app import app
from .options import ExprArg, JsonOpt

EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 written (and, with --check, equal to adcalc's); 1 --check found a "
    "mismatch, or the C compiler failed; 2 bad usage or input (an array program, no C compiler for "
    "--check, ...); 130 interrupted (Ctrl-C); 141 the output pipe was closed."
)


class Language(StrEnum):
    python = "python"
    numpy = "numpy"
    c = "c"


class Mismatch(EvaluationError):
    """Generated code differs from adcalc."""


LangOpt = Annotated[
    Language, typer.Option("--lang", "-l", help="python (math), numpy (arrays of points) or c.")
]
HessianOpt = Annotated[bool, typer.Option("--hessian", "-H", help="Also the Hessian (n×n, row-major).")]
JacobianOpt = Annotated[
    bool, typer.Option("--jacobian", "-J", help="The Jacobian of several outputs (m×n, row-major).")
]
NameOpt = Annotated[str, typer.Option("--name", "-n", help="Function prefix: NAME_grad, NAME_hessian, ...")]
OutputOpt = Annotated[
    str | None,
    typer.Option("--output", "-o", help="Write to this file (C: PATH.c and PATH.h) instead of printing.",
                 show_default=False),
]  # fmt: skip
CheckOpt = Annotated[
    bool,
    typer.Option(
        "--check", help="Compile (C) or import the code and compare it with adcalc at random points."
    ),
]


@app.command(epilog=EXIT_CODES)
def codegen(
    expr: ExprArg,
    lang: LangOpt = Language.python,
    hessian: HessianOpt = False,
    jacobian: JacobianOpt = False,
    name: NameOpt = "f",
    output: OutputOpt = None,
    check: CheckOpt = False,
    as_json: JsonOpt = False,
) -> None:
    """Derivatives as code you keep: [cyan]adcalc codegen 'sin(x)*y' --lang c -o f.c[/cyan].

    The function returns the value and the gradient (--hessian: and the Hessian; --jacobian: the
    Jacobian of every output), with adcalc's conventions at kinks (abs'(0) = 0, ties of max/min
    split evenly, where computes the branch taken) and no adcalc import.
    """
    from adcalc.api import SCALARS
    from adcalc.codegen.source import generate

    if hessian and jacobian:
        raise UsageError("--hessian and --jacobian: choose one (a Hessian is of one output)")
    graph = load(expr, shapes=SCALARS)
    kind = "hessian" if hessian else "jacobian" if jacobian else "grad"
    target = Path(output) if output else None
    header = target.with_suffix(".h").name if target is not None and lang is Language.c else None
    generated = generate(graph, lang.value, kind, name, header)
    result = None
    if check:
        from adcalc.codegen.source.run import check as compare

        result = compare(graph, generated)
    written = _write(generated.files, target) if target is not None else []
    if as_json:
        from .jsonout import dumps

        document = {
            "command": "codegen",
            "expression": graph.label,
            "language": lang.value,
            "kind": kind,
            "function": generated.function,
            "signature": generated.signature,
            "variables": list(generated.derivatives.variables),
            "outputs": list(generated.derivatives.outputs),
            "files": generated.files,
            "written": written,
            "check": result.to_dict() if result is not None else None,
            "warnings": [],
        }
        sys.stdout.write(dumps(document) + "\n")
    elif target is None:
        texts = list(generated.files.items())
        if len(texts) == 1:
            sys.stdout.write(texts[0][1])
        else:  # C on standard output: the header, then the source, each under its file name
            sys.stdout.write("".join(f"/* ---- {file} ---- */\n{text}\n" for file, text in reversed(texts)))
    if written and not as_json:
        sys.stderr.write(f"wrote {' and '.join(written)}\n")
    if result is not None:
        verdict = "ok" if result.passed else "MISMATCH" if result.points else "nothing compared"
        skipped = f", {result.skipped} skipped (undefined there)" if result.skipped else ""
        sys.stderr.write(
            f"check: {result.points} random points{skipped}, max error {result.max_error:.3g} "
            f"(tolerance {result.tolerance:g}): {verdict}\n"
        )
        if not result.points:
            raise Mismatch("no random point in (-2, 2) where adcalc has a value to compare with")
        if not result.passed:
            raise Mismatch(f"max error {result.max_error:.3g} > {result.tolerance:g}")


def _write(files: dict[str, str], target: Path) -> list[str]:
    """Write the generated files: the main one to `target`, a C header beside it; their paths."""
    written = []
    for file, text in files.items():
        path = target if file.endswith((".py", ".c")) else target.with_suffix(".h")
        try:
            path.write_text(text)
        except OSError as problem:
            raise UsageError(f"cannot write {path}: {problem.strerror}") from None
        written.append(str(path))
    return written
