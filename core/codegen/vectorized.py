"""Many outputs of one shape computed as a few numpy operations (structure-vectorized code).

Derivatives of sums of similar terms come out as many small graphs of the same shape: the 2x2
Hessian block of each pair in the extended Rosenbrock, for instance. Outputs whose graphs are
identical up to which variables they read form one *template*; the template runs once on numpy
vectors gathered from x (one gather per distinct index list), and its result is scattered into
the output positions. The cost is then proportional to the number of templates, not of entries,
as in SLP vectorisation or CasADi's `map`. Outputs in small groups go through straight-line
scalar code (codegen.compile_python), which is faster than numpy for a handful of values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from ..codegen.python import PYTHON, _literal, compile_python
from ..ir.nodes import Node, _payload_key, topological_order
from ..ops.numpy_values import NUMPY

Code = tuple[tuple[Any, ...], ...]
INFIX = {name: PYTHON[name] for name in ("add", "sub", "mul", "div", "neg")}  # read the same on vectors


def canonical(root: Node) -> tuple[Code, list[str]]:
    """The graph's shape (variables as numbered slots, sharing kept) and the variable in each slot."""
    local: dict[Node, int] = {}
    code: list[tuple[Any, ...]] = []
    slots: list[str] = []
    for n in topological_order(root):
        local[n] = len(code)
        if n.op == "var":
            code.append(("var", len(slots)))
            slots.append(n.payload)
        elif n.op == "const":
            code.append(("const", _payload_key(n.payload)))
        else:
            code.append((n.op, n.payload, *(local[i] for i in n.inputs)))
    return tuple(code), slots


def _template_lines(root: Node, arrays: Sequence[str], prefix: str) -> tuple[list[str], str]:
    """Lines computing one template on gathered vectors; returns (lines, name of the result)."""
    names: dict[Node, str] = {}
    lines: list[str] = []
    slot = 0
    for n in topological_order(root):
        if n.op == "var":
            names[n] = arrays[slot]
            slot += 1
        elif n.op == "const":
            names[n] = _literal(n.payload)
        else:
            template = (
                INFIX.get(n.op) or f"_f_{n.op}(" + ", ".join(f"{{{k}}}" for k in range(len(n.inputs))) + ")"
            )
            name = f"{prefix}_{len(lines)}"
            lines.append(f"    {name} = {template.format(*(names[i] for i in n.inputs))}")
            names[n] = name
    return lines, names[root]


class Plan:
    """How outputs are grouped: templates (vectorized), constants, and the scalar rest."""

    def __init__(self, outputs: Sequence[Node], minimum_group: int) -> None:
        groups: dict[Code, list[tuple[int, list[str]]]] = {}
        shapes: dict[Code, Node] = {}
        for position, output in enumerate(outputs):
            code, slots = canonical(output)
            groups.setdefault(code, []).append((position, slots))
            shapes.setdefault(code, output)
        self.constants = [(p, o.payload) for p, o in enumerate(outputs) if o.op == "const"]
        self.templates = [
            (shapes[code], members)
            for code, members in groups.items()
            if len(members) >= minimum_group and shapes[code].op != "const"
        ]
        vectorized = {p for _, members in self.templates for p, _ in members}
        done = vectorized | {p for p, _ in self.constants}
        self.rest = [p for p in range(len(outputs)) if p not in done]


def compile_outputs(
    outputs: Sequence[Node],
    variables: Sequence[str],
    targets: Sequence[Sequence[int]],
    minimum_group: int = 4,
) -> Callable[[Any, Any], Any]:
    """fill(x, out): writes output k's value at every flat index in targets[k] of out; returns out.

    x is a float array in the order of `variables`; out is a preallocated flat float array.
    """
    plan = Plan(outputs, minimum_group)
    index = {name: k for k, name in enumerate(variables)}
    namespace: dict[str, Any] = {f"_f_{op}": f for op, f in NUMPY.items()}
    namespace.update(_errstate=np.errstate, np=np)
    gathers: dict[tuple[int, ...], str] = {}
    body: list[str] = []

    def constant(value: Any) -> str:
        name = f"_c{len(namespace)}"
        namespace[name] = value
        return name

    for number, (shape, members) in enumerate(plan.templates):
        arrays = []
        for slot in range(len(members[0][1])):
            positions = tuple(index[slots[slot]] for _, slots in members)
            if positions not in gathers:
                gathers[positions] = f"g{len(gathers)}"
            arrays.append(gathers[positions])
        lines, result = _template_lines(shape, arrays, f"t{number}")
        body += lines
        for copy in range(max(len(targets[p]) for p, _ in members)):
            flat = [targets[p][copy] for p, _ in members if copy < len(targets[p])]
            picked = [k for k, (p, _) in enumerate(members) if copy < len(targets[p])]
            value = result if len(picked) == len(members) else f"{result}[{constant(np.array(picked))}]"
            body.append(f"    out[{constant(np.array(flat, dtype=np.intp))}] = {value}")
    gather_lines = [
        f"    {name} = x[{constant(np.array(key, dtype=np.intp))}]" for key, name in gathers.items()
    ]
    tail = _constants_and_rest(plan, outputs, variables, targets, constant)
    source = "\n".join(
        [
            "def fill(x, out):",
            "  with _errstate(all='ignore'):",
            "      pass",  # the block is empty when every output is structurally zero
            *("  " + line for line in gather_lines + body),
        ]
        + ["  " + line for line in tail]
        + ["  return out"]
    )
    exec(compile(source, "<adcalc-vectorized>", "exec"), namespace)  # our own generated code
    fill = namespace["fill"]
    fill.source = source  # type: ignore[attr-defined]
    fill.templates = len(plan.templates)  # type: ignore[attr-defined]
    fill.scalar_outputs = len(plan.rest)  # type: ignore[attr-defined]
    return fill


def _constants_and_rest(
    plan: Plan,
    outputs: Sequence[Node],
    variables: Sequence[str],
    targets: Sequence[Sequence[int]],
    constant: Callable[[Any], str],
) -> list[str]:
    lines = []
    if plan.constants:
        flat = [t for p, _ in plan.constants for t in targets[p]]
        values = [v for p, v in plan.constants for _ in targets[p]]
        lines.append(f"    out[{constant(np.array(flat, dtype=np.intp))}] = {constant(np.array(values))}")
    if plan.rest:
        scalar = compile_python([outputs[p] for p in plan.rest], list(variables))
        flat = [t for p in plan.rest for t in targets[p]]
        spread = np.array([k for k, p in enumerate(plan.rest) for _ in targets[p]], dtype=np.intp)
        lines.append(f"    _r = np.asarray({constant(scalar)}(*x.tolist()))")
        lines.append(f"    out[{constant(np.array(flat, dtype=np.intp))}] = _r[{constant(spread)}]")
    return lines
