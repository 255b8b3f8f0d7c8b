"""Batch benchmarks for issue 5: prints a table of medians, each against a baseline measured in the same run.

    python bench/batch.py                 # in-memory API, one point, end-to-end CSV (10^6 rows)
    python bench/batch.py --big           # also the peak memory of a 10^7-row CSV run (~2 GB of data)
    python bench/batch.py --repeat 9      # more repetitions on a noisy machine

Workload: the 69-operation expression of the issue over ten variables, points uniform in (-1, 1).
Data files go to bench/data/ (git-ignored) and are reused between runs.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

WORKLOAD = (
    "sin(x0)*x1 + exp(x0*x2) + log(1 + x1*x1)*x2 + tanh(x1*x3) + sin(x2)*x3 + exp(x2*x4) + "
    "log(1 + x3*x3)*x4 + tanh(x3*x5) + sin(x4)*x5 + exp(x4*x6) + log(1 + x5*x5)*x6 + "
    "tanh(x5*x7) + sin(x6)*x7 + exp(x6*x8) + log(1 + x7*x7)*x8 + tanh(x7*x9) + sin(x8)*x9 + "
    "exp(x8*x0) + log(1 + x9*x9)*x0 + tanh(x9*x1)"
)
NAMES = [f"x{i}" for i in range(10)]
DATA = Path(__file__).parent / "data"
ROWS: list[tuple[str, str, str]] = []


def median_times(
    functions: dict[str, Callable[[], object]], repeat: int, number: int = 1
) -> dict[str, float]:
    """Median seconds per call of each function; rounds alternate between them, so a busy
    moment of the (shared) machine hits baseline and candidate alike."""
    for function in functions.values():
        function()  # warm-up
    times: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(repeat):
        for name, function in functions.items():
            start = time.perf_counter()
            for _ in range(number):
                function()
            times[name].append((time.perf_counter() - start) / number)
    return {name: statistics.median(values) for name, values in times.items()}


def row(measure: str, result: str, note: str = "") -> None:
    ROWS.append((measure, result, note))
    print(f"  {measure:44s} {result:>22s}  {note}", flush=True)


# --- hand-written baselines --------------------------------------------------------------------
def numpy_value(x: list[np.ndarray]) -> np.ndarray:
    value = 0.0
    for j in range(0, 10, 2):
        a, b, c, d = x[j], x[(j + 1) % 10], x[(j + 2) % 10], x[(j + 3) % 10]
        value = value + np.sin(a) * b + np.exp(a * c) + np.log(1 + b * b) * c + np.tanh(b * d)
    return value


def numpy_gradient(x: list[np.ndarray]) -> tuple[np.ndarray, list[np.ndarray]]:
    value, gradient = 0.0, [np.zeros_like(x[0]) for _ in range(10)]
    for j in range(0, 10, 2):
        ia, ib, ic, id_ = j, (j + 1) % 10, (j + 2) % 10, (j + 3) % 10
        a, b, c, d = x[ia], x[ib], x[ic], x[id_]
        sa, e, q = np.sin(a), np.exp(a * c), 1 + b * b
        log_q, t = np.log(q), np.tanh(b * d)
        value = value + sa * b + e + log_q * c + t
        s2 = 1 - t * t
        gradient[ia] += np.cos(a) * b + c * e
        gradient[ib] += sa + 2 * b * c / q + d * s2
        gradient[ic] += a * e + log_q
        gradient[id_] += b * s2
    return value, gradient


def python_gradient(x: list[float]) -> tuple[float, list[float]]:
    value, gradient = 0.0, [0.0] * 10
    sin, cos, exp, log, tanh = math.sin, math.cos, math.exp, math.log, math.tanh
    for j in range(0, 10, 2):
        ia, ib, ic, id_ = j, (j + 1) % 10, (j + 2) % 10, (j + 3) % 10
        a, b, c, d = x[ia], x[ib], x[ic], x[id_]
        sa, e, q = sin(a), exp(a * c), 1 + b * b
        log_q, t = log(q), tanh(b * d)
        value += sa * b + e + log_q * c + t
        s2 = 1 - t * t
        gradient[ia] += cos(a) * b + c * e
        gradient[ib] += sa + 2 * b * c / q + d * s2
        gradient[ic] += a * e + log_q
        gradient[id_] += b * s2
    return value, gradient


# --- sections -----------------------------------------------------------------------------------
def in_memory(repeat: int) -> None:
    import adcalc

    print("in memory, 10^6 points, through adcalc.compile(...).value / .grad", flush=True)
    n = 10**6
    x = list(np.random.default_rng(0).uniform(-1, 1, (10, n)))
    start = time.perf_counter()
    f = adcalc.compile(WORKLOAD)
    f.plan(0), f.plan(1)  # generate both numpy kernels now, not inside the first timed call
    preparation = time.perf_counter() - start
    arrays = dict(zip(NAMES, x, strict=True))
    native = None
    from adcalc.codegen.source.run import compiler

    if compiler() is not None:  # the C engine: generation + compilation into a fresh (cold) cache
        import tempfile

        os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="adcalc-bench-")
        import resource

        def cpu() -> float:  # this process and its finished children (the compiler): user + system
            child = resource.getrusage(resource.RUSAGE_CHILDREN)
            return time.process_time() + child.ru_utime + child.ru_stime

        start, start_cpu = time.perf_counter(), cpu()
        native = adcalc.compile(WORKLOAD, engine="c")
        native.plan(1)  # the value+gradient kernel: graphs, C source, cc
        native_preparation, native_cpu = time.perf_counter() - start, cpu() - start_cpu
        native.plan(0)  # the value kernel, for the value row
        value_preparation = time.perf_counter() - start - native_preparation
    value, gradient = f.grad(**arrays)
    hand_value, hand_gradient = numpy_gradient(x)
    error = max(
        np.max(np.abs(value - hand_value)),
        *(np.max(np.abs(gradient[k] - hand_gradient[i])) for i, k in enumerate(NAMES)),
    )
    medians = median_times(
        {
            "base_value": lambda: numpy_value(x),
            "base_grad": lambda: numpy_gradient(x),
            "our_value": lambda: f.value(**arrays),
            "our_grad": lambda: f.grad(**arrays),
            **(
                {"c_value": lambda: native.value(**arrays), "c_grad": lambda: native.grad(**arrays)}
                if native
                else {}
            ),
        },
        repeat,
    )
    base_value, base_grad, our_value, our_grad = list(medians.values())[:4]
    row("hand numpy value", f"{n / base_value / 1e6:.2f} M points/s")
    row("hand numpy value+gradient", f"{n / base_grad / 1e6:.2f} M points/s", "baseline")
    row("adcalc value", f"{n / our_value / 1e6:.2f} M points/s")
    row(
        "adcalc value+gradient",
        f"{n / our_grad / 1e6:.2f} M points/s",
        f"{base_grad / our_grad:.2f}x baseline (target >= 1.7x)",
    )
    row("adcalc gradient-time / value-time", f"{our_grad / our_value:.2f}", "target <= 3")
    row("adcalc preparation (compile + kernels)", f"{preparation * 1e3:.0f} ms", "target < 1 s")
    row("max |adcalc - hand| over all outputs", f"{error:.1e}")
    if native is not None:
        c_value, c_grad = medians["c_value"], medians["c_grad"]
        c_value_result, c_gradient = native.grad(**arrays)
        c_error = max(
            np.max(np.abs(c_value_result - hand_value)),
            *(np.max(np.abs(c_gradient[k] - hand_gradient[i])) for i, k in enumerate(NAMES)),
        )
        row("adcalc --engine c value", f"{n / c_value / 1e6:.2f} M points/s")
        row(
            "adcalc --engine c value+gradient",
            f"{n / c_grad / 1e6:.2f} M points/s",
            f"{base_grad / c_grad:.2f}x baseline, {our_grad / c_grad:.2f}x numpy engine (target >= 4.8x)",
        )
        preparation_ms = f"{native_preparation * 1e3:.0f} ms"
        row("adcalc --engine c preparation, value+gradient", preparation_ms, "generate + cc; target < 1 s")
        row("  the same, CPU time (adcalc + cc)", f"{native_cpu * 1e3:.0f} ms", "less sensitive to load")
        row("adcalc --engine c preparation, value kernel", f"{value_preparation * 1e3:.0f} ms")
        row("max |engine c - hand| over all outputs", f"{c_error:.1e}")


def one_point(repeat: int) -> None:
    import adcalc

    print("one point, warm: value + gradient per call", flush=True)
    adcalc.parse("x")  # load the parser: preparation below is per expression
    start = time.perf_counter()
    f = adcalc.compile(WORKLOAD)
    preparation = time.perf_counter() - start
    point = [0.1 * k - 0.45 for k in range(10)]
    call = eval(
        "lambda: f.grad(" + ", ".join(f"x{k}=point[{k}]" for k in range(10)) + ")", {"f": f, "point": point}
    )
    value, gradient = call()
    expected_value, expected_gradient = python_gradient(point)
    assert math.isclose(value, expected_value, rel_tol=1e-14)
    assert all(math.isclose(gradient[f"x{k}"], expected_gradient[k], rel_tol=1e-13) for k in range(10))
    medians = median_times(
        {"hand": lambda: python_gradient(point), "keywords": call, "positional": lambda: f.grad_at(*point)},
        repeat * 3,
        number=5000,
    )
    hand, keywords, positional = medians.values()
    row("hand-written pure Python (math)", f"{hand * 1e6:.2f} us/call", "baseline")
    row(
        "adcalc f.grad(x0=.., ..., x9=..)",
        f"{keywords * 1e6:.2f} us/call",
        f"{keywords / hand:.2f}x baseline (target <= 1.0x)",
    )
    row("adcalc f.grad_at(*point)", f"{positional * 1e6:.2f} us/call", f"{positional / hand:.2f}x baseline")
    row("adcalc preparation (compile)", f"{preparation * 1e3:.1f} ms", "target < 50 ms")


def csv_file(rows: int) -> Path:
    """bench/data/workload_<rows>.csv: an id and x0..x9 (made once, with pyarrow)."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    path = DATA / f"workload_{rows}.csv"
    if not path.exists():
        DATA.mkdir(exist_ok=True)
        rng = np.random.default_rng(1)
        with pcsv.CSVWriter(
            str(path) + ".part", pa.schema([("id", pa.int64())] + [(k, pa.float64()) for k in NAMES])
        ) as out:
            for start in range(0, rows, 10**6):
                count = min(10**6, rows - start)
                columns = {
                    "id": np.arange(start, start + count),
                    **dict(zip(NAMES, rng.uniform(-1, 1, (10, count)), strict=True)),
                }
                out.write_table(pa.table(columns))
        os.replace(str(path) + ".part", path)
    return path


def adcalc_command() -> list[str]:
    return [sys.executable, "-m", "adcalc"]


def end_to_end(repeat: int) -> None:
    print("end to end: 10^6-row CSV (id + 10 variables) -> CSV (id, value, 10 gradient columns)", flush=True)
    source = csv_file(10**6)
    target = DATA / "out.csv"
    ours = [*adcalc_command(), "batch", WORKLOAD, "-i", str(source), "-o", str(target), "--grad", "--quiet"]
    numpy_engine = [*ours, "--engine", "numpy"]  # the default is auto: the C engine with a compiler
    plain = [
        sys.executable,
        "-c",
        "import sys, pyarrow.csv as c; c.write_csv(c.read_csv(sys.argv[1]), sys.argv[2])",
        str(source),
        str(DATA / "plain.csv"),
    ]
    times: dict[str, list[float]] = {"ours": [], "plain": [], "numpy": []}
    subprocess.run(ours, capture_output=True)  # compiles the C kernel once (the cache keeps it)
    for _ in range(max(3, repeat // 2)):  # alternate, so all see the same machine load
        for name, command in (("plain", plain), ("ours", ours), ("numpy", numpy_engine)):
            start = time.perf_counter()
            subprocess.run(command, check=name == "plain" or None, capture_output=True)
            times[name].append(time.perf_counter() - start)
    with open(target) as out:
        header = out.readline().strip().split(",")
        assert header == ["id", "value", *(f"d_{k}" for k in NAMES), "error"], header
    plain_time, our_time = statistics.median(times["plain"]), statistics.median(times["ours"])
    numpy_time = statistics.median(times["numpy"])
    row("pyarrow read_csv + write_csv (whole process)", f"{plain_time:.2f} s", "baseline")
    row(
        "adcalc batch --grad (whole process)",
        f"{our_time:.2f} s",
        f"{our_time / plain_time:.2f}x baseline (target <= 1.5x); --engine auto",
    )
    numpy_ratio = f"{numpy_time / plain_time:.2f}x baseline"
    row("adcalc batch --grad --engine numpy", f"{numpy_time:.2f} s", numpy_ratio)
    for leftover in (target, DATA / "plain.csv"):
        leftover.unlink(missing_ok=True)


def peak_memory(rows: int) -> None:
    print(f"peak memory: adcalc batch --grad over a {rows:.0e}-row CSV", flush=True)
    source = csv_file(rows)
    command = [
        *adcalc_command(),
        "batch",
        WORKLOAD,
        "-i",
        str(source),
        "-o",
        os.devnull,
        "-f",
        "csv",
        "--grad",
        "--quiet",
    ]
    # a fresh parent whose only child is adcalc: its RUSAGE_CHILDREN peak is adcalc's own
    wrapper = [
        sys.executable,
        "-c",
        "import resource, subprocess, sys; subprocess.run(sys.argv[1:], check=True); "
        "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)",
        *command,
    ]
    start = time.perf_counter()
    done = subprocess.run(wrapper, check=True, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    peak_kb = int(done.stdout.split()[-1])
    row(
        f"peak RSS, {rows:.0e} rows",
        f"{peak_kb / 1024:.0f} MB",
        f"target <= 500 MB; {seconds:.1f} s, {rows / seconds / 1e6:.2f} M rows/s",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--big", action="store_true", help="also measure the peak memory of a 10^7-row run")
    parser.add_argument("--only", choices=["memory", "point", "csv"], help="run one section")
    options = parser.parse_args()
    print(
        f"adcalc batch benchmark: {os.cpu_count()} cores, numpy {np.__version__}, medians of {options.repeat}"
    )
    if options.only in (None, "memory"):
        in_memory(options.repeat)
    if options.only in (None, "point"):
        one_point(options.repeat)
    if options.only in (None, "csv"):
        end_to_end(options.repeat)
        peak_memory(10**6)
        if options.big:
            peak_memory(10**7)
    print("\n| measure | result | note |\n|---|---|---|")
    for measure, result, note in ROWS:
        print(f"| {measure} | {result} | {note} |")


if __name__ == "__main__":
    main()
