"""`adcalc minimize`'s exact derivatives against the same scipy methods with finite differences.

    python bench/minimize.py [--runs 3] [--problems 2,100]

Problems: the 2-D Rosenbrock function from (-1.2, 1) (a formula) and the 100-D extended Rosenbrock
from the classic start (examples/rosenbrock100.adl, a loop over `input x[100]`). For each method,
"exact" is `adcalc.minimize` (the gradient by reverse mode, the Hessian or H·v by forward over
reverse, the same --gtol 1e-9 as the command) and "differences" is scipy with what it computes
itself when no derivative is given, on the same compiled f (the same Objective.value adcalc hands
scipy, so only the derivatives differ):

- BFGS, L-BFGS-B: jac=None, scipy's 2-point differences (its default);
- Newton-CG, trust-exact: they require a gradient, so they get approx_fprime (2-point), and scipy
  differences it again for the Hessian-vector products (Newton-CG: hessp=None); trust-exact takes
  no hess='2-point', so its Hessian is approx_fprime of that gradient (step 1e-6, symmetrised).
  trust-exact at n = 100 is left out: each Hessian would cost n(n+1) ≈ 10⁴ evaluations of f;
  so is BFGS at n = 100 unless --all (6·10⁴ evaluations, over a minute a run). A run by
  differences stops after 30,000 evaluations of f (shown as such, not converged).

Evaluations are counted by wrappers around the functions scipy calls (differences included). ‖∇f‖
is the exact gradient at the answer. Runs alternate exact and differences; each time is the median
over runs, and the ratio is the median of the ratios of the same run.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings
from pathlib import Path
from typing import Any

import adcalc
import numpy as np
import scipy.optimize as so
from adcalc.answers.objective import Layout, Objective
from adcalc.answers.optimize import options_of

ROOT = Path(__file__).resolve().parents[1]
GTOL = 1e-9
METHODS = ("L-BFGS-B", "BFGS", "Newton-CG", "trust-exact")
SLOW = {(100, "BFGS")}  # ~6·10⁴ evaluations of f by differences, over a minute a run: with --all only
BUDGET = 30_000  # evaluations of f after which a run by differences is stopped (and not converged)


class OverBudget(Exception):
    """A run by differences used BUDGET evaluations of f."""


def problem(n: int) -> tuple[Any, dict[str, Any]]:
    """(graph, start) for the 2-D or the 100-D Rosenbrock."""
    if n == 2:
        return adcalc.parse("100*(y - x^2)^2 + (1 - x)^2"), {"x": -1.2, "y": 1.0}
    path = ROOT / "examples" / "rosenbrock100.adl"
    return adcalc.parse(path.read_text(), str(path)), {"x": np.tile([-1.2, 1.0], 50)}


class Counted:
    """f, and the gradient (and Hessian) by differences, each call counted."""

    def __init__(self, objective: Objective) -> None:
        self.objective, self.nfev, self.njev, self.nhev = objective, 0, 0, 0

    def f(self, x: np.ndarray) -> float:
        self.nfev += 1
        if self.nfev > BUDGET:
            raise OverBudget
        return self.objective.value_uncounted(x)

    def gradient(self, x: np.ndarray) -> np.ndarray:
        self.njev += 1
        return so.approx_fprime(x, self.f)  # 2-point, scipy's default step

    def hessian(self, x: np.ndarray) -> np.ndarray:
        self.nhev += 1
        matrix = so.approx_fprime(x, self.gradient, 1e-6)  # of the gradient by differences: 2-point again
        return (matrix + matrix.T) / 2


def exact(graph: Any, start: dict[str, Any], method: str) -> dict[str, Any]:
    began = time.perf_counter()
    result = adcalc.minimize(graph, start, method=method, gtol=GTOL)
    seconds = time.perf_counter() - began
    return {
        "nit": result.nit, "nfev": result.nfev, "njev": result.njev, "second": result.nhev + result.nhvp,
        "norm": result.optimality, "success": result.success, "seconds": seconds,
    }  # fmt: skip


def differences(graph: Any, start: dict[str, Any], method: str) -> dict[str, Any]:
    names = {name: np.shape(value) for name, value in start.items()}
    layout = Layout(names)
    objective = Objective(graph, layout, {})
    counted = Counted(objective)
    x0 = layout.flat(start)
    options = options_of(method, GTOL, None, layout.size)
    keywords: dict[str, Any] = {}
    if method in ("Newton-CG", "trust-exact"):
        keywords["jac"] = counted.gradient
    if method == "trust-exact":  # it takes no hess='2-point': the differences of the differences
        keywords["hess"] = counted.hessian
    last = [x0]
    keywords["callback"] = lambda xk: last.__setitem__(0, np.array(xk))
    began = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            found = so.minimize(counted.f, x0, method=method, options=options, **keywords)
        x, nit, success = found.x, int(found.nit), bool(found.success)
    except OverBudget:
        x, nit, success, counted.nfev = last[0], -1, False, BUDGET
    seconds = time.perf_counter() - began
    norm = float(np.linalg.norm(objective.value_and_gradient(x)[1]))
    return {
        "nit": nit, "nfev": counted.nfev, "njev": counted.njev, "second": counted.nhev,
        "norm": norm, "success": success, "seconds": seconds,
    }  # fmt: skip


def measure(n: int, method: str, runs: int) -> tuple[dict[str, Any], dict[str, Any], float]:
    graph, start = problem(n)
    ours, theirs, ratios = [], [], []
    for _ in range(runs):  # alternating, so both see the same machine
        ours.append(exact(graph, start, method))
        theirs.append(differences(graph, start, method))
        ratios.append(theirs[-1]["seconds"] / ours[-1]["seconds"])
    for results in (ours, theirs):
        results[0]["seconds"] = statistics.median(r["seconds"] for r in results)
    return ours[0], theirs[0], statistics.median(ratios)


def row(n: int, method: str, kind: str, r: dict[str, Any], ratio: str) -> str:
    converged = "yes" if r["success"] else "no" if r["nit"] >= 0 else f"no: stopped at {BUDGET} f"
    nit = str(r["nit"]) if r["nit"] >= 0 else "—"
    counts = [str(r["nfev"]), str(r["njev"]), str(r["second"])]
    cells = [
        f"{n}-D",
        method,
        kind,
        nit,
        *counts,
        f"{r['norm']:.1e}",
        converged,
        f"{r['seconds'] * 1e3:.1f} ms",
        ratio,
    ]
    return "| " + " | ".join(cells) + " |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--problems", default="2,100")
    parser.add_argument("--all", action="store_true", help="also BFGS by differences at n = 100 (slow)")
    arguments = parser.parse_args()
    print("| problem | method | derivatives | nit | nfev | njev | nhev / H·v | ‖∇f‖ at the end | converged "
          "| time (median) | differences / exact time |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for n in (int(k) for k in arguments.problems.split(",")):
        for method in METHODS:
            if (n, method) in SLOW and not arguments.all:
                continue
            if n > 2 and method == "trust-exact":
                graph, start = problem(n)
                results = [exact(graph, start, method) for _ in range(arguments.runs)]
                ours = {**results[0], "seconds": statistics.median(r["seconds"] for r in results)}
                print(row(n, method, "exact", ours, "(differences: n(n+1) f per Hessian, not run)"))
                continue
            ours, theirs, ratio = measure(n, method, arguments.runs)
            print(row(n, method, "exact", ours, ""))
            print(row(n, method, "differences", theirs, f"{ratio:.2f}x"))


if __name__ == "__main__":
    main()
