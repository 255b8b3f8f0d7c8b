"""Straight-line numpy code for blocks of rows: the fast path for many points.

The generated kernel evaluates a set of output graphs over rows `start:stop` of 1-D input
arrays, one ufunc call per DAG node, each writing with `out=` into a preallocated scratch
buffer or straight into the output rows. A block of a few thousand rows keeps every live
intermediate in cache, and buffers are reused as soon as their last reader has run (a node
overwrites a dying input in place), so a 160-node gradient touches ~20 buffers, not 160 arrays.
numpy releases the GIL inside ufuncs, so two threads over alternate blocks use both cores.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..codegen.python import _literal
from ..ir.nodes import Node, _payload_key, topological_order
from ..ops.numpy_values import NUMPY
from ..ops.registry import OPS
from ..ops.scalar import SCALAR


def _ufunc(function: Any) -> np.ufunc | None:
    """The numpy ufunc an array value function is (or wraps, as comparisons do), else None."""
    ufunc = getattr(function, "ufunc", function)
    return ufunc if isinstance(ufunc, np.ufunc) else None


# Ops whose array value is a ufunc take out=; comparisons write their bool result as 0.0/1.0.
UFUNC = {name: f"np.{_ufunc(f).__name__}" for name, f in NUMPY.items() if _ufunc(f) is not None}


@dataclass(frozen=True)
class Kernel:
    """A generated block kernel: `run(inputs, outputs, start, stop, buffers)`."""

    run: Callable[..., None]
    buffers: int  # scratch buffers one thread needs
    source: str


Entry = tuple[str, Any, tuple[int, ...]]  # (op, payload, input entry numbers)


def linearize(
    outputs: Sequence[Node], alias: Callable[[list[Entry], str, tuple[int, ...]], int | None] | None = None
) -> tuple[list[Entry], list[int]]:
    """The outputs as a list of distinct operations, inputs first, and each output's entry.

    `alias(entries, op, inputs)` may name an existing entry that an operation is (codegen's
    `where(x > y, 1, 0)` is the comparison itself); it then makes no entry of its own.

    Structurally equal nodes (interned in different tables, e.g. the parser's and the
    derivative rules') become one entry; operations on constants only are folded.
    """
    entries: list[Entry] = []
    number: dict[int, int] = {}
    seen: dict[Entry, int] = {}  # keyed by nodes._payload_key: 0.0 and -0.0 differ
    for n in topological_order(outputs):
        op, payload, inputs = n.op, n.payload, tuple(number[id(i)] for i in n.inputs)
        if inputs and all(entries[k][0] == "const" for k in inputs) and op in SCALAR:
            op, payload, inputs = "const", SCALAR[op](*(entries[k][1] for k in inputs)), ()
        if op == "const":
            payload = float(payload)
        same = alias(entries, op, inputs) if alias is not None else None
        if same is not None:
            number[id(n)] = same
            continue
        key = (op, _payload_key(payload), inputs)
        if key not in seen:
            seen[key] = len(entries)
            entries.append((op, payload, inputs))
        number[id(n)] = seen[key]
    return entries, [number[id(o)] for o in outputs]


def numpy_source(outputs: Sequence[Node], variables: Sequence[str]) -> tuple[str, int]:
    """Source of `def kernel(X, OUT, start, stop, B)` and the number of scratch buffers it uses."""
    entries, slots = linearize(outputs)
    last: dict[int, int] = {}
    for position, (_, _, inputs) in enumerate(entries):
        for k in inputs:
            last[k] = position
    home: dict[int, int] = {}  # entry -> the first output slot holding it: computed straight into it
    for slot, k in enumerate(slots):
        home.setdefault(k, slot)
    lines = ["def kernel(X, OUT, start, stop, B):", "    n = stop - start"]
    index = {name: k for k, name in enumerate(variables)}
    names: dict[int, str] = {}
    for slot in dict.fromkeys(home.values()):
        lines.append(f"    o{slot} = OUT[{slot}][start:stop]")
    free: list[int] = []
    owner: dict[int, int] = {}  # entry -> scratch buffer it lives in
    used = 0
    for position, (op, payload, inputs) in enumerate(entries):
        if op == "const":
            names[position] = _literal(payload)
            continue
        if op == "var":
            names[position] = f"v{index[payload]}"
            lines.append(f"    v{index[payload]} = X[{index[payload]}][start:stop]")
            continue
        dying = [owner[k] for k in inputs if k in owner and last[k] == position]
        if position in home and entries[position][0] not in ("const", "var"):
            target = f"o{home[position]}"
        else:
            if dying:
                buffer = dying[0]  # elementwise ufuncs may write over their own input
            elif free:
                buffer = free.pop()
            else:
                buffer, used = used, used + 1
                lines.append(f"    b{buffer} = B[{buffer}][:n]")
            owner[position] = buffer
            target = f"b{buffer}"
        lines.append("    " + _statement(op, [names[k] for k in inputs], target))
        names[position] = target
        for buffer in dying:
            if buffer != owner.get(position) and buffer not in free:
                free.append(buffer)
    for slot, k in enumerate(slots):
        if names[k] != f"o{slot}":
            lines.append(f"    OUT[{slot}][start:stop] = {names[k]}")
    return "\n".join(lines), used


def _statement(op: str, arguments: list[str], target: str) -> str:
    ufunc = UFUNC.get(op)
    if ufunc is not None:
        return f"{ufunc}({', '.join(arguments)}, out={target})"
    family = OPS[op].extra.get("variadic") if op in OPS else None
    if family is not None and target not in arguments[2:]:
        # max(a, b, c) as max(max(a, b), c) in place: a chain of binary ufuncs writing into the
        # target, safe unless the target is the buffer of an argument read after the first call
        binary = UFUNC[family]
        chain = [f"{binary}({arguments[0]}, {arguments[1]}, out={target})"]
        chain += [f"{binary}({target}, {a}, out={target})" for a in arguments[2:]]
        return "; ".join(chain)
    # ops without an out= form (where, sigmoid, softplus) go through the array value table
    return f"{target}[...] = _NUMPY[{op!r}]({', '.join(arguments)})"


def compile_numpy(outputs: Sequence[Node], variables: Sequence[str]) -> Kernel:
    """The block kernel for the outputs, as generated numpy code.

    >>> kernel = compile_numpy([x * y], ["x", "y"])
    >>> kernel.run([xs, ys], [out], 0, len(out), [np.empty(4096) for _ in range(kernel.buffers)])
    """
    source, buffers = numpy_source(outputs, variables)
    namespace: dict[str, Any] = {"np": np, "_NUMPY": NUMPY, "_nan": np.nan, "_inf": np.inf}
    exec(compile(source, "<adcalc-numpy>", "exec"), namespace)  # our own generated code
    return Kernel(namespace["kernel"], buffers, source)
