"""Start-up time of a one-point gradient against `python -c "import numpy"`, in the same run.

    python bench/startup.py [--runs 21]

Shell scripts call `adcalc grad ... --json` in loops, so its whole-process wall time matters.
The baseline is the time it takes Python just to import numpy: adcalc's scalar path should
not take longer than that (it never imports numpy, and imports rich only to draw tables).
Runs alternate A B A B, so drift of the machine's speed hits both alike; medians are quoted.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path


def wall_time(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    runs = parser.parse_args().runs
    adcalc = shutil.which("adcalc", path=str(Path(sys.executable).parent)) or shutil.which("adcalc")
    if adcalc is None:
        sys.exit("adcalc is not installed: pip install -e .")
    one_point = [adcalc, "grad", "sin(x)*y", "--at", "x=1,y=2", "--json"]
    commands = {
        "adcalc grad 'sin(x)*y' --at x=1,y=2 --json": one_point,
        "python -c 'import numpy'": [sys.executable, "-c", "import numpy"],
    }
    for command in commands.values():  # warm the file cache and lark's grammar cache
        wall_time(command)
    times: dict[str, list[float]] = {name: [] for name in commands}
    ratios = []
    for _ in range(runs):
        pair = [wall_time(command) for command in commands.values()]
        for name, seconds in zip(commands, pair, strict=True):
            times[name].append(seconds)
        ratios.append(pair[0] / pair[1])
    print(f"{'command':<48} {'median ms':>10} {'min ms':>8} {'max ms':>8}")
    for name, samples in times.items():
        print(
            f"{name:<48} {statistics.median(samples) * 1e3:>10.1f} "
            f"{min(samples) * 1e3:>8.1f} {max(samples) * 1e3:>8.1f}"
        )
    print(f"{'ratio adcalc / numpy import (median of pairs)':<48} {statistics.median(ratios):>10.2f}")


if __name__ == "__main__":
    main()
