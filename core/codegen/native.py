"""The generated C as a batch kernel: compiled once, cached, run over blocks of rows on two threads.

The kernel is source/c.py's `rows` loop (column arrays in, one column per output out). It is
compiled with the system C compiler into a per-user cache directory (XDG_CACHE_HOME or
~/.cache, then adcalc/kernels), named by a hash of its source and the compiler, so a second run
of the same expression loads it without compiling. The directory is created 0700; a cached
library is loaded only when it is a regular file owned by this user and writable by nobody
else, and rebuilt otherwise (a shared library is code: one planted by another user must never be
loaded). ctypes releases the GIL during the call, so two threads over the two halves of each block
use both cores.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import stat
import subprocess
import tempfile
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..ir.nodes import Node
from .source.c import rows_source
from .source.run import CFLAGS, CompileFailed, CompilerMissing, compiler

BLOCK = 65536  # rows per block: the C loop keeps every intermediate in registers
THREADS = min(2, os.cpu_count() or 1)
FLAGS = ["-O2", "-shared", "-fPIC", "-ffp-contract=off"]
assert FLAGS == CFLAGS  # the same code as `codegen --check` compiles


class UnsafeCache(UsageError):
    """Unsafe kernel cache directory."""


def cache_directory() -> Path:
    """The per-user kernel cache, created 0700; UnsafeCache when it is not this user's own."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    if not os.path.isabs(base):  # the XDG spec: a relative path is invalid and ignored
        base = os.path.join(os.path.expanduser("~"), ".cache")
    Path(base).mkdir(mode=0o700, parents=True, exist_ok=True)
    directory = Path(base)
    for part in ("adcalc", "kernels"):
        directory = directory / part
        directory.mkdir(mode=0o700, exist_ok=True)
        info = os.lstat(directory)
        if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
            raise UnsafeCache(f"{directory} is not a directory owned by you")
        if stat.S_IMODE(info.st_mode) & 0o077:
            os.chmod(directory, 0o700)  # ours, but open to others: make it private
    return directory


def trusted(path: Path) -> bool:
    """A regular file (not a link) owned by this user that no one else may write."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return False
    return stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o022


def build(source: str) -> Path:
    """The shared library of `source`: from the cache when it is there and trusted, else compiled
    into it (written to a temporary name, then renamed, so a reader never sees half a file)."""
    cc = compiler()
    if cc is None:
        raise CompilerMissing("no cc, gcc or clang on PATH for --engine c (set CC, or use --engine numpy)")
    directory = cache_directory()
    key = hashlib.sha256("\0".join([source, cc, *FLAGS]).encode()).hexdigest()[:40]
    target = directory / f"{key}.so"
    if trusted(target):
        return target
    with tempfile.TemporaryDirectory(dir=directory) as work:
        source_path = Path(work) / "kernel.c"
        source_path.write_text(source)
        built = Path(work) / "kernel.so"
        done = subprocess.run([cc, *FLAGS, "-o", str(built), str(source_path), "-lm"], capture_output=True, text=True)
        if done.returncode:
            first = (done.stderr.strip().splitlines() or ["(no message)"])[0]
            raise CompileFailed(f"{os.path.basename(cc)} exit {done.returncode}: {first}")
        os.chmod(built, 0o700)
        os.replace(built, target)
    return target


@cache
def _pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(THREADS, thread_name_prefix="adcalc-c")


@dataclass
class NativePlan:
    """Outputs over named variables computed by a compiled C kernel: `run(columns)` -> (outputs, rows)."""

    variables: tuple[str, ...]
    names: tuple[str, ...]
    outputs: tuple[Node, ...]
    function: Any = field(repr=False)
    library: Path
    block: int = BLOCK

    def reasons(self, roots: Sequence[Node], columns: Sequence[np.ndarray]) -> list[str]:
        """Why each of these rows has a NaN value (the engine's evaluator says, as for numpy)."""
        from .batch import nan_reasons

        return nan_reasons(roots, self.variables, columns)

    def run(self, columns: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
        """All outputs for 1-D float64 columns of equal length (one per variable, in order)."""
        rows = len(columns[0]) if columns else 1
        if out is None:
            out = np.empty((len(self.outputs), rows))
        if not columns:  # a constant: the kernel reads no column
            columns = []
        data = [np.ascontiguousarray(c, dtype=np.float64) for c in columns]
        inputs = (ctypes.c_void_p * max(1, len(data)))(*[c.ctypes.data for c in data])
        target = np.ascontiguousarray(out) if not out.flags.c_contiguous else out
        stride = target.strides[0]
        outputs = (ctypes.c_void_p * max(1, len(target)))(
            *[target.ctypes.data + k * stride for k in range(len(target))]
        )
        for start in range(0, rows, self.block):
            stop = min(start + self.block, rows)
            if THREADS < 2 or stop - start < 4096:
                self.function(start, stop, inputs, outputs)
                continue
            middle = (start + stop) // 2
            other = _pool().submit(self.function, middle, stop, inputs, outputs)  # ctypes drops the GIL
            self.function(start, middle, inputs, outputs)
            other.result()
        if target is not out:
            out[...] = target
        return out


def native_plan(outputs: Sequence[Node], names: Sequence[str], variables: Sequence[str]) -> NativePlan:
    """A NativePlan for the output graphs (CompilerMissing, CompileFailed, or UsageError for an
    op C cannot write)."""
    source = rows_source(outputs, variables, "adcalc")
    library_path = build(source)
    library = ctypes.CDLL(str(library_path))
    function = library.adcalc_rows
    function.restype = None
    function.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    plan = NativePlan(tuple(variables), tuple(names), tuple(outputs), function, library_path)
    plan.handle = library  # type: ignore[attr-defined]  (the library stays loaded with the plan)
    return plan
