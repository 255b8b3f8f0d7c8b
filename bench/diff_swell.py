"""Printed size of `diff` on the expression-swell family f0 = x, f_{k+1} = sin(f_k)*f_k + x.

    python bench/diff_swell.py [--steps 1,10,100,1000] [--scaled]

As a tree, f_k has ~2^k leaves and so would its derivative; as a DAG both are linear in k. The
table shows DAG nodes of f_k and of df/dx, the printed text (characters and `t = ...` binding
lines) and the time to differentiate and print. Linear growth: 10x the steps, ~10x the text.
--scaled runs f_{k+1} = 2*sin(f_k)*f_k*3 + x*x instead, whose derivative has numbers to fold and
powers to merge (diff's local rewrites, core/kinds/algebra.py).
"""

from __future__ import annotations

import argparse
import time

from adcalc.answers.printer import to_text
from adcalc.engine.reverse import gradient_graph
from adcalc.ir.nodes import topological_order, var
from adcalc.ops.registry import sin


def swell(k: int, scaled: bool = False):  # noqa: ANN201
    x = f = var("x")
    for _ in range(k):
        f = 2 * sin(f) * f * 3 + x * x if scaled else sin(f) * f + x
    return f


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", default="1,10,100,1000")
    parser.add_argument("--scaled", action="store_true", help="the family with numbers and powers")
    arguments = parser.parse_args()
    steps = [int(k) for k in arguments.steps.split(",")]
    print(f"{'k':>6} {'f nodes':>8} {'df nodes':>9} {'chars':>8} {'lines':>6} {'chars/k':>8} {'ms':>8}")
    for k in steps:
        f = swell(k, arguments.scaled)
        start = time.perf_counter()
        derivative = gradient_graph(f, ["x"])["x"]
        text = to_text(derivative)
        ms = (time.perf_counter() - start) * 1e3
        nodes, dnodes = len(topological_order(f)), len(topological_order(derivative))
        chars, lines = len(text), len(text.splitlines())
        print(f"{k:>6} {nodes:>8} {dnodes:>9} {chars:>8} {lines:>6} {chars / k:>8.1f} {ms:>8.1f}")


if __name__ == "__main__":
    main()
