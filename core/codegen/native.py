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
import platform
import stat
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import UsageError
from ..ir.nodes import Node
from .source.c import rows_source
from .source.run import CFLAGS, CompileFailed, CompilerMissing, build_shared, compiler
from .threads import THREADS, pool

BLOCK = 65536  # rows per block: the C loop keeps every intermediate in registers
PLAIN = CFLAGS  # what `codegen --check` compiles, and -lm
# The vectorized build (-O2: as fast as -O3 here, a third quicker to compile): glibc's libmvec
# (x86_64) gives sin, exp, log, tanh ... for 4 or 8 rows per call.
# -march=native picks AVX2 or AVX-512 (the cache key names the CPU); -fno-math-errno lets the calls
# be vectorized (errno is never read); -fno-builtin-sin/cos stop sin(x) and cos(x) being fused into
# one sincos call, which has no vector form; --no-undefined turns a missing vector function into a
# link error (then the plain build runs), not a failure at load time. No -ffast-math: NaN, inf
# and the order of operations stay IEEE's.
VECTOR = [
    "-O2", "-march=native", "-fno-math-errno", "-fno-builtin-sin", "-fno-builtin-cos", "-fopenmp-simd",
    "-ffp-contract=off", "-shared", "-fPIC", "-Wl,--no-undefined",
]  # fmt: skip


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
    return (
        stat.S_ISREG(info.st_mode) and info.st_uid == os.getuid() and not stat.S_IMODE(info.st_mode) & 0o022
    )


def _cpu() -> str:
    """What -march=native compiles for: the CPU's feature flags (so a cache shared between
    machines never loads code built for another CPU)."""
    try:
        with open("/proc/cpuinfo") as info:
            return next((line for line in info if line.startswith("flags")), platform.processor())
    except OSError:
        return platform.processor() or platform.machine()


def builds(nodes: Sequence[Node], variables: Sequence[str]) -> list[tuple[str, list[str], list[str]]]:
    """(source, flags, libraries) to try in order: vectorized on x86_64 Linux, then plain C."""
    plain = (rows_source(nodes, variables, "adcalc"), PLAIN, ["-lm"])
    if platform.system() == "Linux" and platform.machine() == "x86_64":
        return [(rows_source(nodes, variables, "adcalc", vector=True), VECTOR, ["-lmvec", "-lm"]), plain]
    return [plain]


def build(candidates: list[tuple[str, list[str], list[str]]]) -> Path:
    """The shared library of the first candidate that compiles: from the cache when it is there and
    trusted, else compiled into it (written to a temporary name, then renamed, so a reader never
    sees half a file). A candidate that failed once is remembered (a .failed marker) and skipped."""
    cc = compiler()
    if cc is None:
        raise CompilerMissing("no cc, gcc or clang on PATH for --engine c (set CC, or use --engine numpy)")
    directory = cache_directory()
    problem = "nothing to build"
    for source, flags, libraries in candidates:
        identity = [source, cc, *flags, *libraries, _cpu() if "-march=native" in flags else ""]
        key = hashlib.sha256("\0".join(identity).encode()).hexdigest()[:40]
        target, failed = directory / f"{key}.so", directory / f"{key}.failed"
        if trusted(target):
            return target
        if failed.exists() and len(candidates) > 1 and source != candidates[-1][0]:
            continue
        with tempfile.TemporaryDirectory(dir=directory) as work:
            try:
                built = build_shared(source, work, "kernel", flags, libraries, cc)
            except CompileFailed as failure:
                problem = str(failure.detail)
                failed.touch()
                continue
            os.chmod(built, 0o700)
            os.replace(built, target)
            return target
    raise CompileFailed(problem)


@dataclass
class NativePlan:
    """Outputs over named variables computed by a compiled C kernel: `run(columns)` -> (outputs, rows)."""

    variables: tuple[str, ...]
    names: tuple[str, ...]
    outputs: tuple[Node, ...]
    function: Any = field(repr=False)
    library: Path
    explain: Callable[..., list[str]] = field(repr=False)  # batch.nan_reasons
    block: int = BLOCK

    def reasons(self, roots: Sequence[Node], columns: Sequence[np.ndarray]) -> list[str]:
        """Why each of these rows has a NaN value (the engine's evaluator says, as for numpy)."""
        return self.explain(roots, self.variables, columns)

    def run(self, columns: Sequence[np.ndarray], out: np.ndarray | None = None) -> np.ndarray:
        """All outputs for 1-D float64 columns of equal length (one per variable, in order)."""
        rows = len(columns[0]) if columns else 1
        if out is None:
            out = np.empty((len(self.outputs), rows))
        data = [np.ascontiguousarray(c, dtype=np.float64) for c in columns]
        # a constant reads no column: an array of one null pointer, not of none
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
            other = pool().submit(self.function, middle, stop, inputs, outputs)  # ctypes drops the GIL
            self.function(start, middle, inputs, outputs)
            other.result()
        if target is not out:
            out[...] = target
        return out


def native_plan(
    outputs: Sequence[Node], names: Sequence[str], variables: Sequence[str], explain: Callable[..., list[str]]
) -> NativePlan:
    """A NativePlan for the output graphs (CompilerMissing, CompileFailed, or UsageError for an
    op C cannot write); `explain(roots, variables, columns)` says why rows are NaN."""
    library_path = build(builds(outputs, variables))
    library = ctypes.CDLL(str(library_path))
    function = library.adcalc_rows
    function.restype = None
    function.argtypes = [ctypes.c_long, ctypes.c_long, ctypes.c_void_p, ctypes.c_void_p]
    plan = NativePlan(tuple(variables), tuple(names), tuple(outputs), function, library_path, explain)
    plan.handle = library  # type: ignore[attr-defined]  (the library stays loaded with the plan)
    return plan
