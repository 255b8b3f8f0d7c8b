"""Structural sparsity of Hessians and the column colouring that compresses them.

Which variables can gradient component i depend on? Propagate dependency sets (Python ints used
as bit sets) through the gradient graph, along exactly the edges a tangent can travel: an input
with no jvp rule (the condition of `where`) or a piecewise-constant op (`floor`, comparisons)
passes nothing on. Row i's set is the pattern of Hessian row i.

Columns that never share a row (distance-2 colouring of the pattern, as in CasADi and
Curtis-Powell-Reid) can be seeded together: one forward sweep over the gradient graph with the
direction d = sum of their unit vectors gives H d, whose row i holds H[i, j] for the one column j
of that colour that row i touches. The extended Rosenbrock needs 2 directions for any n.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..ir.nodes import Node, topological_order
from ..ops.registry import OPS, rules_of


def dependencies(roots: Sequence[Node], variables: Sequence[str]) -> list[int]:
    """For each root, a bit set of the variables (by index) a tangent can reach it from."""
    index = {name: k for k, name in enumerate(variables)}
    bits: dict[Node, int] = {}
    for n in topological_order(roots):
        if n.op == "var":
            bits[n] = 1 << index[n.payload] if n.payload in index else 0
        elif not n.inputs or OPS[n.op].zero_derivative:
            bits[n] = 0
        else:
            total = 0
            for child, rule in zip(n.inputs, rules_of(n.op, "jvp", n.span), strict=True):
                if rule is not None:
                    total |= bits[child]
            bits[n] = total
    return [bits[r] for r in roots]


def hessian_pattern(gradient: Sequence[Node], variables: Sequence[str]) -> list[list[int]]:
    """Row i: the sorted column indices j where H[i, j] may be non-zero (made symmetric)."""
    rows = dependencies(gradient, variables)
    count = len(variables)
    symmetric = [set(_indices(rows[i])) for i in range(count)]
    for i in range(count):
        for j in list(symmetric[i]):
            symmetric[j].add(i)
    return [sorted(row) for row in symmetric]


def _indices(bits: int) -> list[int]:
    found = []
    while bits:
        low = bits & -bits
        found.append(low.bit_length() - 1)
        bits ^= low
    return found


def colour_columns(pattern: Sequence[Sequence[int]]) -> list[int]:
    """A colour per column such that no two columns of one colour share a row (greedy, distance 2).

    Columns are coloured densest first (Welsh-Powell order); the pattern is symmetric, so the
    rows of column j are pattern[j].
    """
    colours = [-1] * len(pattern)
    for j in sorted(range(len(pattern)), key=lambda k: -len(pattern[k])):
        forbidden = {colours[k] for i in pattern[j] for k in pattern[i] if colours[k] >= 0}
        colour = 0
        while colour in forbidden:
            colour += 1
        colours[j] = colour
    return colours


def colour_groups(colours: Sequence[int]) -> list[list[int]]:
    """Columns grouped by colour: one forward sweep (one direction) per group."""
    groups: list[list[int]] = [[] for _ in range(max(colours, default=-1) + 1)]
    for column, colour in enumerate(colours):
        groups[colour].append(column)
    return groups


def lower_entries(pattern: Sequence[Sequence[int]], colours: Sequence[int]) -> list[tuple[int, int, int]]:
    """(i, j, colour of j) for each structurally non-zero entry with i >= j: the triangle to compute."""
    return [(i, j, colours[j]) for i, row in enumerate(pattern) for j in row if j <= i]
