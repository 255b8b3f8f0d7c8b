"""`adcalc propagate`: uncertainty propagation (GUM) from exact derivatives, with a budget table,
second-order terms from the exact Hessian and a seeded Monte Carlo check (GUM Supplement 1)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from .app import app
from .options import JsonOpt

PROPAGATE_EXIT_CODES = (
    "[bold]Exit codes[/bold]: 0 success; 1 evaluation failed (the value or a derivative is undefined "
    "at the point, or every Monte Carlo sample is); 2 bad usage or input (bad ± syntax, a negative "
    "uncertainty, a correlation outside [-1, 1], a covariance that is not positive semi-definite, "
    "syntax error, missing value, unknown option); 130 interrupted (Ctrl-C); 141 the output pipe was closed."
)
OutputsArg = Annotated[
    str,
    typer.Argument(
        help="Outputs: 'm*g*h', or several 'a+b, a*b', a .adl file, or - for standard input.",
        metavar="EXPR",
        show_default=False,
    ),
]
AtOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--at", "-a", help="Point and standard uncertainties: m=2±0.01,g=9.81 (± or +-; none: exact).",
        metavar="NAME=VALUE±U,...", show_default=False,
    ),
]  # fmt: skip
SigmaOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--sigma", "-s", help="Standard uncertainties instead of ±: m=0.01,g=0.02 (repeatable).",
        metavar="NAME=U,...", show_default=False,
    ),
]  # fmt: skip
CorrOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--corr", "-r", help="Correlation of two inputs (or elements x[1],x[2]): m,g=0.3 (repeatable).",
        metavar="A,B=R", show_default=False,
    ),
]  # fmt: skip
CovOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--cov", help="Covariance of inputs' elements: x=[[0.01,0],[0,0.04]] or m,g=@cov.json (repeatable).",
        metavar="NAMES=MATRIX", show_default=False,
    ),
]  # fmt: skip
OrderOpt = Annotated[
    int,
    typer.Option("--order", "-k", min=1, max=2, help="1: first order (GUM 5.1.2); 2: + the Hessian's terms."),
]
McOpt = Annotated[int, typer.Option("--mc", metavar="N", help="Monte Carlo check with N samples (0: none).")]
SeedOpt = Annotated[
    int, typer.Option("--seed", help="Seed of the Monte Carlo samples (reproducible output).")
]


@app.command(epilog=PROPAGATE_EXIT_CODES)
def propagate(
    exprs: OutputsArg,
    at: AtOpt = None,
    sigma: SigmaOpt = None,
    corr: CorrOpt = None,
    cov: CovOpt = None,
    order: OrderOpt = 1,
    mc: McOpt = 0,
    seed: SeedOpt = 0,
    as_json: JsonOpt = False,
) -> None:
    """Uncertainty propagation: [cyan]adcalc propagate 'm*g*h' --at m=2±0.01,g=9.81±0.02,h=10±0.1[/cyan].

    Give each input's standard uncertainty after ± (or +-) in --at, or with --sigma; inputs
    without one are exact. First order (the GUM's law of propagation of uncertainty) uses the
    exact gradient; --order 2 adds the mean shift ½ Σ H_ii u_i² and the variance ½ Σ H_ij² u_i² u_j²
    from the exact Hessian (Gaussian inputs); --mc N compares with N Monte Carlo samples.
    """
    import adcalc
    from adcalc.errors import BadValue

    from .actions import load
    from .uncertain import parse_correlations, parse_covariances, parse_sigma, parse_uncertain_at

    point, uncertainty = parse_uncertain_at(at)
    uncertainty.update(parse_sigma(sigma, uncertainty))
    correlation, covariance = parse_correlations(corr), parse_covariances(cov)
    if mc < 0 or mc == 1:
        raise BadValue(f"--mc takes a number of samples N ≥ 2 (0: no Monte Carlo check), got {mc}")
    graph = load(exprs, point)
    result = adcalc.propagate(graph, point, uncertainty, covariance, correlation, order, mc, seed)
    show(result, as_json)


def show(result: Any, as_json: bool) -> None:
    """The budget of each output element, the Monte Carlo comparison, the outputs' correlations."""
    from .render import answer_json, warn

    if as_json:
        return answer_json(result, "propagate")
    for k in range(len(result.labels)):
        _budget(result, k, first=k == 0)
    if result.monte_carlo is not None:
        _comparison(result)
    if len(result.labels) > 1:
        _correlations(result)
    warn(result)


def _budget(result: Any, k: int, first: bool) -> None:
    from .render import Grid, _escape, number, show

    u = result.uncertainties[k]
    kind = "first order" if result.order == 1 else "second order, Gaussian inputs"
    mean = f", mean = {number(result.means[k])}" if result.order == 2 else ""
    value = number(result.values[k])
    head = f"[bold]{_escape(result.labels[k])}[/bold] = {value}{mean}, u = {number(u)} ({kind})"
    if first:
        head = f"at {_escape(_point(result))}\n{head}"
    table = Grid(head, ["input", "value", "u", "c = ∂f/∂input", "c·u", "share of u² (%)"])
    for row in result.budget(k):
        cells = (row["value"], row["u"], row["sensitivity"], row["contribution"], row["percent"])
        table.add_row(_escape(row["input"]), *map(number, cells))
    terms = result.terms[k]
    total = result.covariance[k][k]
    for name, key in (("correlations", "correlations"), ("second order", "second_order")):
        if terms[key] or (key == "second_order" and result.order == 2):
            table.add_row(
                f"({name})", "", "", "", "", number(100.0 * terms[key] / total if total > 0 else 0.0)
            )
    exact = [label for label, u in zip(result.inputs, result.input_uncertainties, strict=True) if not u]
    if exact:
        table.caption = "exact (u = 0): " + _escape(_names(exact))
    show(table)


def _point(result: Any) -> str:
    """m = 2.0 ± 0.01, x = vector of 2 ± …: the point and the standard uncertainties given."""
    from .render import number, shape_text

    parts = []
    for name, value in result.at.items():
        u = result.uncertainty[name]
        text = shape_text(value) if getattr(value, "ndim", 0) else number(value)
        if getattr(u, "ndim", 0):
            text += " ± …" if u.any() else ""
        elif u:
            text += f" ± {number(u)}"
        parts.append(f"{name} = {text}")
    return ", ".join(parts)


def _names(labels: list[str], shown: int = 8) -> str:
    """x, A[1,1], … (n in all): the first few labels."""
    if len(labels) <= shown:
        return ", ".join(labels)
    return ", ".join(labels[:shown]) + f", … ({len(labels)} in all)"


def _comparison(result: Any) -> None:
    """Per output: the propagated mean, u and 95% interval (normal) beside the Monte Carlo ones."""
    from statistics import NormalDist

    from .render import Grid, _escape, number, show

    mc = result.monte_carlo
    k95 = NormalDist().inv_cdf(0.5 + mc.coverage / 2)
    method = "first order" if result.order == 1 else "second order"
    percent = f"{100 * mc.coverage:g}%"
    title = f"Monte Carlo check: {mc.samples} samples, seed {mc.seed} (GUM Supplement 1)"
    if mc.undefined:
        title += f"; {mc.undefined} without a finite value left out"
    for k, label in enumerate(result.labels):
        table = Grid(title if k == 0 else "", [_escape(label), method, "Monte Carlo"])
        mean, u = result.means[k], result.uncertainties[k]
        rows = [
            ("mean", mean, mc.means[k]),
            ("u", u, mc.stds[k]),
            (f"{percent} low", mean - k95 * u, mc.lows[k]),
            (f"{percent} high", mean + k95 * u, mc.highs[k]),
        ]
        for name, propagated, sampled in rows:
            table.add_row(name, number(propagated), number(sampled))
        if k == len(result.labels) - 1:
            table.caption = (f"{method}: mean ± {k95:.3f}·u (a normal distribution); "
                             f"Monte Carlo: the central {percent} of the samples")  # fmt: skip
        show(table)


def _correlations(result: Any) -> None:
    """The correlation coefficients of the outputs (--json gives their covariance)."""
    import math

    from .render import Grid, _escape, number, show

    labels, cov = result.labels, result.covariance
    table = Grid("correlation of the outputs (--json: their covariance)", ["", *map(_escape, labels)])
    for a, label in enumerate(labels):
        cells = []
        for b in range(len(labels)):
            scale = math.sqrt(cov[a][a] * cov[b][b])
            cells.append(number(cov[a][b] / scale) if scale > 0 else "–")
        table.add_row(_escape(label), *cells)
    show(table)
