"""The README is tested: every `$ ...` command in its console blocks runs, and prints what is shown.

Each console block runs as one bash script in a fresh directory (so `echo $?` sees the command
before it), with `examples/` beside it and this interpreter's `adcalc` first on the PATH. A
`$ cat FILE` line shows a file: the lines under it become that file before the block runs.
Output is compared line by line, trailing blanks ignored, and timings (`0.07 s`, `58 rows/s`,
`12.3 µs`) masked, since they differ from run to run; `python bench/...` lines are benchmarks
whose output is measured, not fixed, and are skipped.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
MARK = "@@adcalc-readme-command@@"
# a timing, with the blanks that pad it in a table column (their number depends on the digits)
TIMING = re.compile(r" *\d[\d,]*(\.\d+)?(e[+-]?\d+)? ?(s|ms|µs|us|ns|rows/s|M points/s)(?![\w/])")


def console_blocks(text: str) -> list[list[tuple[str, list[str]]]]:
    """Each console block as (command, expected output lines) pairs."""
    blocks = []
    for body in re.findall(r"```console\n(.*?)```", text, flags=re.S):
        steps: list[tuple[str, list[str]]] = []
        for line in body.splitlines():
            if line.startswith("$ "):
                steps.append((line[2:], []))
            elif steps:
                steps[-1][1].append(line)
        blocks.append(steps)
    return blocks


BLOCKS = [block for block in console_blocks(README) if any("adcalc" in command for command, _ in block)]


def masked(lines: list[str]) -> list[str]:
    return [TIMING.sub("<time>", line.rstrip()) for line in lines if line.strip()]


def run_block(block: list[tuple[str, list[str]]], folder: Path) -> list[list[str]]:
    """The output lines of each command of the block, run in order in one shell."""
    (folder / "examples").symlink_to(ROOT / "examples")
    script = ["exec 2>&1", "status=0"]  # stderr where a terminal shows it: in order, among stdout
    for command, shown in block:
        name = re.fullmatch(r"cat (\S+)", command)
        if name and not (ROOT / name.group(1)).exists():  # a file the README shows: create it
            path = folder / name.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("\n".join(shown) + "\n")
        # the marker must not hide the previous command's exit status from `echo $?`
        script.append(f"echo '{MARK}'; (exit $status)")
        script.append(command if not command.startswith("python bench/") else "true")
        script.append("status=$?")
    environment = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")
    environment.update(COLUMNS="100", NO_COLOR="1", TERM="dumb")
    done = subprocess.run(
        ["bash", "-c", "\n".join(script)], cwd=folder, env=environment, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    outputs = done.stdout.split(MARK + "\n")[1:]
    return [out.splitlines() for out in outputs]


def matches(printed: list[str], shown: list[str]) -> bool:
    """Line by line; a line `...` in the README stands for any number of lines."""
    if "..." not in shown:
        return printed == shown
    cut = shown.index("...")
    head, tail = shown[:cut], shown[cut + 1 :]
    if printed[:cut] != head:
        return False
    rest = printed[cut:]
    return any(matches(rest[k:], tail) for k in range(len(rest) + 1))


@pytest.mark.parametrize("block", BLOCKS, ids=[block[0][0][:60] for block in BLOCKS])
def test_readme_console_block(block: list[tuple[str, list[str]]], tmp_path: Path) -> None:
    if any(re.match(r"(cc|gcc|clang) ", command) for command, _ in block) and not shutil.which("cc"):
        pytest.skip("no C compiler on PATH")
    outputs = run_block(block, tmp_path)
    assert len(outputs) == len(block)
    for (command, shown), printed in zip(block, outputs, strict=True):
        if command.startswith(("python bench/", "cat ")):
            continue
        assert matches(masked(printed), masked(shown)), f"$ {command}\n" + "\n".join(printed)
