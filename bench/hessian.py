"""Hessian of the extended Rosenbrock function against a hand-written numpy Hessian, same run.

    python bench/hessian.py [--sizes 10,100,1000] [--rounds 15]

f(x) = sum_{i=1..n/2} 100 (x_{2i} - x_{2i-1}^2)^2 + (1 - x_{2i-1})^2, parsed from text as one
scalar expression over x1..xn. adcalc prepares once (`adcalc.hessian_function`: symbolic
forward over reverse on the gradient graph, 2 colours, only the 3n/2 lower-triangle non-zeros,
same-shaped entries vectorized) and then each call fills a fresh np.zeros((n, n)). The baseline
is the 2x2-block Hessian written by hand with numpy slicing, which also allocates np.zeros((n, n)).
Also shown: the same entries as straight-line scalar Python (vectorize=False), the sparse form
(`hessian.triangle(x)`: the 3n/2 lower-triangle non-zeros, no dense matrix), one compiled
gradient call, and preparation time. Calls alternate between the methods round by round, and
each figure is the median over rounds of the mean time per call.

A second table runs examples/rosenbrock.adl (the chained form, `input x[n]`, a loop reading
x[i]): `hessian_function` compiles it over its elements, against the engine's coloured Hessian
run at each call (what array programs got before; `--engine-sizes` bounds it, it is slow).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import adcalc
import numpy as np
from adcalc import gradient_function, hessian_function


def rosenbrock_text(n: int) -> str:
    return " + ".join(
        f"100*(x{2 * i} - x{2 * i - 1}^2)^2 + (1 - x{2 * i - 1})^2" for i in range(1, n // 2 + 1)
    )


def hand_hessian(x: np.ndarray) -> np.ndarray:
    """The extended Rosenbrock Hessian by hand: 2x2 blocks [[1200a²-400b+2, -400a], [-400a, 200]]."""
    n = x.size
    hessian = np.zeros((n, n))
    a, b = x[0::2], x[1::2]
    i = np.arange(0, n, 2)
    hessian[i, i] = 1200.0 * a * a - 400.0 * b + 2.0
    hessian[i, i + 1] = hessian[i + 1, i] = -400.0 * a
    hessian[i + 1, i + 1] = 200.0
    return hessian


def per_call(function: Callable[[np.ndarray], object], x: np.ndarray, calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function(x)
    return (time.perf_counter() - start) / calls


def measure(n: int, rounds: int) -> dict[str, float]:
    names = [f"x{k}" for k in range(1, n + 1)]
    expression = adcalc.parse(rosenbrock_text(n))
    start = time.perf_counter()
    hessian = hessian_function(expression, names)
    prep = time.perf_counter() - start
    scalar = hessian_function(expression, names, vectorize=False)
    gradient = gradient_function(expression, names)
    x = np.random.default_rng(n).uniform(-2.0, 2.0, n)
    assert np.allclose(hessian(x), hand_hessian(x), rtol=1e-13, atol=0), "Hessian differs from hand-written"
    assert np.array_equal(hessian(x), hessian(x).T), "Hessian not exactly symmetric"
    lower = hessian.triangle(x)
    assert np.array_equal(lower, hessian(x)[hessian.rows, hessian.columns])
    functions = {
        "hand": hand_hessian,
        "adcalc": hessian,
        "scalar": scalar,
        "sparse": hessian.triangle,
        "gradient": gradient,
    }
    calls = max(3, int(20000 / n))
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            times[name].append(per_call(function, x, calls))
    result = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    result.update(
        prep=prep * 1e3, colours=hessian.colours, templates=hessian.templates, nonzeros=hessian.nonzeros
    )
    return result


def measure_program(n: int, rounds: int, engine: bool) -> dict[str, float]:
    """µs per call of the compiled element Hessian of rosenbrock.adl, and of the engine's."""
    from pathlib import Path

    from adcalc.codegen.prepared import ElementHessian

    text = (Path(__file__).parents[1] / "examples" / "rosenbrock.adl").read_text(encoding="utf-8")
    graph = adcalc.parse(text.replace("param n = 4", f"param n = {n}"), "rosenbrock.adl")
    start = time.perf_counter()
    compiled = hessian_function(graph)
    prep = time.perf_counter() - start
    functions = {"compiled": compiled}
    if engine:
        functions["engine"] = ElementHessian(graph)
    x = np.random.default_rng(n).uniform(-2.0, 2.0, n)
    if engine:
        assert np.allclose(compiled(x), functions["engine"](x), rtol=1e-12, atol=1e-9), "the two differ"
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(rounds):
        for name, function in functions.items():
            times[name].append(per_call(function, x, 3 if name == "engine" else max(3, int(20000 / n))))
    result = {name: statistics.median(values) * 1e6 for name, values in times.items()}
    result.setdefault("engine", float("nan"))
    return {**result, "prep": prep * 1e3, "ratio": result["engine"] / result["compiled"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,100,1000")
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--engine-sizes", default="10,100", help="sizes at which the engine also runs")
    options = parser.parse_args()
    columns = [
        ("n", "{n:>6}"),
        ("hand numpy us", "{hand:>14.1f}"),
        ("adcalc us", "{adcalc:>10.1f}"),
        ("ratio", "{ratio:>6.2f}"),
        ("straight-line us", "{scalar:>17.1f}"),
        ("triangle us", "{sparse:>12.1f}"),
        ("gradient us", "{gradient:>12.1f}"),
        ("hess/grad", "{per_gradient:>10.2f}"),
        ("prep ms", "{prep:>8.0f}"),
        ("colours", "{colours:>8}"),
        ("templates", "{templates:>10}"),
        ("nonzeros", "{nonzeros:>9}"),
    ]
    print(" ".join(f"{title:>{len(spec.format(**_WIDTHS))}}" for title, spec in columns))
    for n in (int(size) for size in options.sizes.split(",")):
        r = measure(n, options.rounds)
        r.update(n=n, ratio=r["adcalc"] / r["hand"], per_gradient=r["adcalc"] / r["gradient"])
        print(" ".join(spec.format(**r) for _, spec in columns))
    print("\nexamples/rosenbrock.adl (input x[n]), µs per call:")
    print(f"{'n':>6} {'compiled':>10} {'engine':>10} {'engine/compiled':>16} {'prep ms':>8}")
    engine_sizes = {int(size) for size in options.engine_sizes.split(",") if size}
    for n in (int(size) for size in options.sizes.split(",")):
        r = measure_program(n, max(3, options.rounds // 3), n in engine_sizes)
        engine, ratio = (f"{r['engine']:.1f}", f"{r['ratio']:.0f}") if n in engine_sizes else ("–", "–")
        print(f"{n:>6} {r['compiled']:>10.1f} {engine:>10} {ratio:>16} {r['prep']:>8.0f}")


_WIDTHS = dict.fromkeys(
    "n hand adcalc ratio scalar sparse gradient per_gradient prep colours templates nonzeros".split(), 0
)


if __name__ == "__main__":
    main()
