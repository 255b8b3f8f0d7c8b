"""Parsing throughput on big texts: tokens per second, against Python's own parser in the same run.

    python bench/parse.py [--sizes 1000,10000,100000] [--repeat 3]

Three families of one-line texts, each of n terms:

* sum:   x*1+x*2+...+x*n        (a left-deep chain of 2n nodes)
* tower: x^x^...^x              (nested n deep, right-associative)
* args:  max(x*1, x*2, ..., x*n) (flat: one call of n arguments; up to n = 10^4, because each
         argument's derivative rule is handed all n arguments, so its gradient costs n² copies)

For each, the table shows adcalc's lexer alone, `adcalc.parse` (lex, parse, build the DAG),
`adcalc.gradient` at a point (after the parse), and, as the baseline, `ast.parse` of the same
text with `^` spelled `**`: CPython's C tokenizer and PEG parser building a Python AST. Python's
parser refuses deep texts (RecursionError, or "too many nested parentheses"); the table says so
instead of a time. Times are medians of --repeat runs of CPU time (process_time), so other
work on a shared machine disturbs them less than it does wall time.
"""

from __future__ import annotations

import argparse
import ast
import gc
import statistics
import time
from collections.abc import Callable

import adcalc
from adcalc.grammar.program import _parser

FAMILIES: dict[str, Callable[[int], str]] = {
    "sum": lambda n: "+".join(f"x*{i}" for i in range(1, n + 1)),
    "tower": lambda n: "^".join(["x"] * n),
    "args": lambda n: "max(" + ", ".join(f"x*{i}" for i in range(1, n + 1)) + ")",
}


def cpu_time(run: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        run()
        times.append(time.process_time() - start)
    return statistics.median(times)


def python_parse(text: str, repeat: int) -> float | str:
    python = text.replace("^", "**")
    try:
        return cpu_time(lambda: ast.parse(python, mode="eval"), repeat)
    except (RecursionError, SyntaxError, MemoryError) as error:
        return type(error).__name__


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--sizes", default="1000,10000,100000")
    options.add_argument("--repeat", type=int, default=3)
    arguments = options.parse_args()
    parser, _ = _parser()
    head = f"{'text':>6} {'n':>7} {'tokens':>8} {'lex s':>7} {'parse s':>8} {'tok/s':>9} {'grad s':>7}"
    print(head + f" {'ast.parse s':>12} {'tok/s':>9} {'ratio':>6}")
    for family, make in FAMILIES.items():
        for n in (int(size) for size in arguments.sizes.split(",")):
            if family == "args" and n > 10_000:
                continue
            text = make(n)
            tokens = len(parser.lex(text)[0]) - 1  # minus the end marker
            lex = cpu_time(lambda text=text: parser.lex(text), arguments.repeat)
            graph = adcalc.parse(text)
            parse = cpu_time(lambda text=text: adcalc.parse(text), arguments.repeat)
            grad = cpu_time(lambda graph=graph: adcalc.gradient(graph, {"x": 0.9}), arguments.repeat)
            baseline = python_parse(text, arguments.repeat)
            row = f"{family:>6} {n:>7} {tokens:>8} {lex:>7.3f} {parse:>8.3f} {tokens / parse:>9,.0f}"
            row += f" {grad:>7.3f}"
            if isinstance(baseline, str):
                row += f" {baseline:>12} {'':>9} {'':>6}"
            else:
                row += f" {baseline:>12.4f} {tokens / baseline:>9,.0f} {parse / baseline:>5.0f}×"
            print(row, flush=True)


if __name__ == "__main__":
    main()
