"""Peak memory and time of each command on DAGs of 10^4, 10^5 and 10^6 nodes.

    python bench/memory.py [--sizes 10000,100000,1000000] [--families sum,nested,swell]
                           [--commands grad,hessian,diff,graph,dot,explain,check] [--timeout 120]

Each run is a whole `adcalc` process reading a .adl file, measured by /usr/bin/time -v (maximum
resident set size) on a machine shared with other work, so the times are one run each and the
memory is what matters (CPU seconds, user + system, are steadier than wall time under load):
every command should be linear in the DAG's size (10x the nodes, about
10x the memory above the ~30 MB a process starts with). The families, each about N nodes:

- sum: x*1 + x*2 + ... (N/3 terms: a constant, a mul and an add each), wide and shallow;
- nested: sin(sin(...sin(x)...)) N deep, a chain as deep as the DAG is large;
- swell: y = x, then N/3 times y = sin(y)*y + x (a loop), shared at every level.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

COMMANDS = {  # name -> adcalc arguments after the file
    "grad": ["grad", "{file}", "--at", "x=0.5", "--json"],
    "hessian": ["hessian", "{file}", "--at", "x=0.5", "--json"],
    "diff": ["diff", "{file}", "--json"],
    "graph": ["graph", "{file}"],
    "dot": ["graph", "{file}", "--format", "dot"],
    "explain": ["explain", "{file}", "--at", "x=0.5", "--json"],
    "check": ["check", "{file}", "--at", "x=0.5", "--json"],
}


def text_of(family: str, nodes: int) -> str:
    """A text whose DAG has about `nodes` nodes."""
    if family == "sum":
        return "+".join(f"x*{i}" for i in range(1, nodes // 3 + 1))
    if family == "nested":
        return "sin(" * nodes + "x" + ")" * nodes
    if family == "swell":
        return f"y = x\nfor i in 1..{nodes // 3} {{ y = sin(y)*y + x }}\noutput y\n"
    raise ValueError(family)


def measure(arguments: list[str], timeout: float) -> tuple[float | None, float, float, int, int]:
    """(max RSS in MB or None, wall seconds, CPU seconds, exit code, bytes written) of one process."""
    command = ["/usr/bin/time", "-v", sys.executable, "-m", "adcalc", *arguments]
    start = time.perf_counter()
    try:
        done = subprocess.run(command, capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, time.perf_counter() - start, 0.0, -1, 0
    seconds = time.perf_counter() - start
    found = re.search(rb"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    rss = int(found.group(1)) / 1024 if found else None
    status = re.search(rb"Exit status: (\d+)", done.stderr)
    code = int(status.group(1)) if status else 0
    cpu = sum(float(m) for m in re.findall(rb"(?:User|System) time \(seconds\): ([\d.]+)", done.stderr))
    return rss, seconds, cpu, code, len(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--families", default="sum,nested,swell")
    parser.add_argument("--commands", default=",".join(COMMANDS))
    parser.add_argument("--timeout", type=float, default=120.0)
    options = parser.parse_args()
    sizes = [int(float(s)) for s in options.sizes.split(",")]
    print(f"{'command':<8} {'family':<7} {'nodes':>9} {'peak MB':>9}", end="")
    print(f" {'wall s':>8} {'CPU s':>7} {'exit':>5} {'output':>10}")
    with tempfile.TemporaryDirectory() as folder:
        for family in options.families.split(","):
            for size in sizes:
                path = os.path.join(folder, f"{family}{size}.adl")
                with open(path, "w", encoding="utf-8") as file:
                    file.write(text_of(family, size))
                for name in options.commands.split(","):
                    arguments = [a.format(file=path) for a in COMMANDS[name]]
                    rss, seconds, cpu, code, written = measure(arguments, options.timeout)
                    peak = "timeout" if code == -1 else f"{rss:.0f}" if rss is not None else "?"
                    shown = f"{written:,}" if code != -1 else "-"
                    print(
                        f"{name:<8} {family:<7} {size:>9,} {peak:>9} {seconds:>8.1f} {cpu:>7.1f} {code:>5} "
                        f"{shown:>10}",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
