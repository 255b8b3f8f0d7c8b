"""Running generated code from Python: import the Python and NumPy modules, compile the C with the
system compiler and call it through ctypes; `check` compares any of them with adcalc at points.

Each callable returned takes a list of floats (the point, in the order of the variables) and
returns every number the function writes, in the layout of outputs.py (value(s), then gradient and
Hessian, or Jacobian), as a flat list of floats.
"""

from __future__ import annotations

import math
import os
import random
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ...errors import EvaluationError, UsageError
from ...ir.graph import Graph
from . import Generated

Flat = Callable[[Sequence[float]], list[float]]
CFLAGS = ["-O2", "-shared", "-fPIC", "-ffp-contract=off"]


class CompilerMissing(UsageError):
    """No C compiler found."""


class CompileFailed(EvaluationError):
    """The C compiler failed."""


def compiler() -> str | None:
    """The C compiler on PATH: $CC, cc, gcc or clang (None when there is none)."""
    for candidate in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if candidate:
            found = shutil.which(candidate)
            if found:
                return found
    return None


def build_shared(
    source: str, directory: str, stem: str = "f", flags: Sequence[str] = CFLAGS,
    libraries: Sequence[str] = ("-lm",), cc: str | None = None,
) -> str:
    """Compile C source into directory/stem.so with `cc` (default: the one found on PATH); its
    path (CompileFailed with the compiler's words)."""
    cc = cc or compiler()
    if cc is None:
        raise CompilerMissing("no cc, gcc or clang on PATH (set CC, or use --lang python or numpy)")
    source_path = os.path.join(directory, f"{stem}.c")
    target = os.path.join(directory, f"{stem}.so")
    with open(source_path, "w") as out:
        out.write(source)
    done = subprocess.run([cc, *flags, "-o", target, source_path, *libraries], capture_output=True, text=True)
    if done.returncode:
        first = (done.stderr.strip().splitlines() or ["(no message)"])[0]
        raise CompileFailed(f"{os.path.basename(cc)} exit {done.returncode}: {first}")
    return target


def flatten(result: Any) -> list[float]:
    """Every number of a generated function's result, in layout order."""
    out: list[float] = []
    stack = [result]
    while stack:
        item = stack.pop()
        if isinstance(item, (tuple, list)):
            stack.extend(reversed(item))
        elif hasattr(item, "shape") and getattr(item, "ndim", 0):
            out.extend(float(v) for v in item.ravel())
        else:
            out.append(float(item))
    return out


def load_python(generated: Generated) -> Flat:
    """The generated Python or NumPy function, imported from its source."""
    namespace: dict[str, Any] = {}
    text = next(iter(generated.files.values()))
    exec(compile(text, f"<{generated.name}.py>", "exec"), namespace)  # the code we just generated
    function = namespace[generated.function]
    return lambda point: flatten(function(list(point)))


@dataclass
class Library:
    """A compiled C function; the temporary directory lives as long as it does."""

    call: Flat
    directory: Any = field(repr=False)


def load_c(generated: Generated) -> Library:
    """The generated C, compiled (cc -O2 -shared -fPIC) in a fresh private temporary directory."""
    import ctypes

    directory = tempfile.TemporaryDirectory(prefix="adcalc-codegen-")  # mkdtemp: 0700, unpredictable
    c_name, h_name = list(generated.files)
    with open(os.path.join(directory.name, h_name), "w") as out:
        out.write(generated.files[h_name])
    library = ctypes.CDLL(build_shared(generated.files[c_name], directory.name, generated.name))
    function = getattr(library, generated.function)
    sizes = list(generated.derivatives.sizes.values())
    n = len(generated.derivatives.variables)
    function.restype = None

    def call(point: Sequence[float]) -> list[float]:
        x = (ctypes.c_double * max(n, 1))(*point)
        arrays = [(ctypes.c_double * size)() for size in sizes]
        function(x, *arrays)
        return [v for array in arrays for v in array]

    return Library(call, directory)


def load(generated: Generated) -> Flat:
    """The generated function, callable from Python, whatever its language."""
    if generated.language == "c":
        library = load_c(generated)
        call = library.call
        call.library = library  # type: ignore[attr-defined]  (keeps the directory)
        return call
    return load_python(generated)


def expected(graph: Graph, kind: str, point: Sequence[float]) -> list[float]:
    """adcalc's own value and derivatives at the point, in the layout of outputs.py."""
    from ...answers import hessian, jacobian
    from ...answers import point as one_point
    from ...engine.elements import split

    # a flat point: arrays row-major, as gradient_function takes it
    at = split(point, {name: tuple(shape or ()) for name, shape in graph.inputs.items()})
    if kind == "grad":
        found = one_point.gradient(graph, at, None)
        return [float(found.value), *flatten([found.gradient[v] for v in graph.inputs])]
    if kind == "hessian":
        found = hessian.hessian(graph, at, None)
        return [float(found.value), *found.flat_gradient, *flatten(found.matrix)]
    found = jacobian.jacobian(graph, at, None, None)
    values = flatten([found.values[name] for name, _ in graph.outputs])
    return [*values, *(float(v) for row in found.rows for v in row)]


@dataclass
class Check:
    """How far generated code is from adcalc at random points."""

    points: int
    max_error: float  # max |generated - adcalc| / max(1, |adcalc|) over every number
    tolerance: float
    skipped: int = 0  # points where adcalc's value is undefined (not compared)

    @property
    def passed(self) -> bool:
        """Compared somewhere, and within the tolerance everywhere (a check of nothing fails)."""
        return self.points > 0 and self.max_error <= self.tolerance

    def to_dict(self) -> dict[str, Any]:
        return {"points": self.points, "max_error": self.max_error, "tolerance": self.tolerance,
                "skipped": self.skipped, "passed": self.passed}  # fmt: skip


def difference(a: float, b: float) -> float:
    """0 when both are the same number (NaN included), else the scaled difference."""
    if a == b or (a != a and b != b):
        return 0.0
    if not (math.isfinite(a) and math.isfinite(b)):
        return math.inf
    return abs(a - b) / max(1.0, abs(b))


def check(
    graph: Graph, generated: Generated, points: int = 20, seed: int = 0, tolerance: float = 1e-9
) -> Check:
    """Generated code against adcalc's gradient (Hessian, Jacobian) at random points in (-2, 2)."""
    call = load(generated)
    rng = random.Random(seed)
    worst, compared, skipped = 0.0, 0, 0
    n = len(generated.derivatives.variables)
    for _ in range(points):
        point = [rng.uniform(-2.0, 2.0) for _ in range(n)]
        try:
            truth = expected(graph, generated.derivatives.kind, point)
        except EvaluationError:  # undefined here (log of a negative number): nothing to compare
            skipped += 1
            continue
        try:
            found = call(point)
        except (ValueError, ZeroDivisionError, OverflowError):  # the math module, where IEEE gives NaN
            skipped += 1
            continue
        compared += 1
        worst = max([worst, *(difference(a, b) for a, b in zip(found, truth, strict=True))])
    return Check(compared, worst, tolerance, skipped)
