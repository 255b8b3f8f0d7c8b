"""Reverse mode costs a small constant multiple of one evaluation: mlp.adl and pendulum.adl.

    python bench/programs.py [--runs 7]

Two programs from examples/, scaled up by editing their params (nothing else changes):
- mlp.adl with 256×256 weight matrices and a batch of 64 samples (X and Y become inputs): the
  gradient with respect to W1, b1, W2, b2 by reverse mode, against one evaluation of the loss;
- pendulum.adl with 10,000 time steps: ∂θ/∂θ0 and ∂θ/∂L by one backward sweep over the
  unrolled loop (60,000 nodes), against one evaluation.
Compilation (parse + unroll) happens once and is reported apart. Medians of alternating runs;
the ratio gradient / evaluation is the number the theory bounds (a small constant, ~2-5).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import time
from pathlib import Path
from typing import Any

# One BLAS thread: on a shared 2-core machine, threads waiting for each other dominate 4-MFLOP products.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import adcalc  # noqa: E402
import numpy as np  # noqa: E402

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def with_params(text: str, **params: float) -> str:
    for name, value in params.items():
        text = re.sub(rf"^param {name} = .*$", f"param {name} = {value}", text, flags=re.M)
    return text


def mlp() -> tuple[str, str, dict[str, Any]]:
    text = with_params((EXAMPLES / "mlp.adl").read_text(), inputs=256, hidden=256, outputs=256)
    text = re.sub(r"^X = .*$", "input X[64, inputs]", text, flags=re.M)
    text = re.sub(r"^Y = .*$", "input Y[64, outputs]", text, flags=re.M)
    rng = np.random.default_rng(1)
    at = {
        "W1": rng.normal(size=(256, 256)) / 16, "b1": rng.normal(size=256), "X": rng.normal(size=(64, 256)),
        "W2": rng.normal(size=(256, 256)) / 16, "b2": rng.normal(size=256), "Y": rng.normal(size=(64, 256)),
    }  # fmt: skip
    return "mlp.adl, 256×256 weights, batch 64", text, at


def pendulum() -> tuple[str, str, dict[str, Any]]:
    text = with_params((EXAMPLES / "pendulum.adl").read_text(), steps=10_000, dt=0.0001)
    return "pendulum.adl, 10,000 steps", text, {"theta0": 0.5, "L": 1.0}


def timed(function: Any) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    runs = parser.parse_args().runs
    header = f"{'program':<36} {'nodes':>7} {'compile ms':>11} {'eval ms':>9} {'grad ms':>9} {'ratio':>6}"
    print(f"medians of {runs} runs, in process\n{header}")
    for label, text, at in (mlp(), pendulum()):
        compile_times = [timed(lambda text=text: adcalc.parse(text, "bench.adl")) for _ in range(3)]
        expression = adcalc.parse(text, "bench.adl")
        adcalc.gradient(expression, at=at)  # warm up (numpy's first calls)
        evaluations, gradients = [], []
        for _ in range(runs):
            evaluations.append(timed(lambda expression=expression, at=at: adcalc.evaluate(expression, at=at)))
            gradients.append(timed(lambda expression=expression, at=at: adcalc.gradient(expression, at=at)))
        evaluation, gradient = statistics.median(evaluations), statistics.median(gradients)
        nodes = len(expression.order)
        row = f"{label:<36} {nodes:>7} {statistics.median(compile_times) * 1e3:>11.1f}"
        print(f"{row} {evaluation * 1e3:>9.2f} {gradient * 1e3:>9.2f} {gradient / evaluation:>6.2f}")


if __name__ == "__main__":
    main()
