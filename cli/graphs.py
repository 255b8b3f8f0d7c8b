"""The expression DAG for people (rich tree), for Graphviz (dot) and for programs (JSON).

Operations are numbered v1, v2, ... in evaluation order (inputs first). Every walk uses an
explicit stack, so a graph thousands of levels deep does not hit Python's recursion limit.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from adcalc.ir.nodes import Node, topological_order
from adcalc.ops.registry import OPS


def _labels(order: list[Node]) -> dict[Node, str]:
    labels, count = {}, 0
    for n in order:
        if n.inputs:
            count += 1
            labels[n] = f"v{count}"
    return labels


def _leaf(n: Node) -> str:
    if n.op == "var":
        return str(n.payload)
    value = n.payload
    return repr(value)[:-2] if repr(value).endswith(".0") else repr(value)


def _roots(expression: Any) -> list[Node]:
    """The program's outputs (all of them), or the expression's root."""
    return [n for _, n in getattr(expression, "outputs", ())] or [expression.root]


def _uses(order: list[Node]) -> Counter[Node]:
    return Counter(i for n in order for i in n.inputs)


def tree(expression: Any, width: int = 80, lines: int = 400) -> tuple[Any, int, int, int]:
    """(rich Tree, node count, shared operations, nodes drawn): each shared operation drawn once.

    Only what fits is drawn: each level indents 4 columns, so levels deeper than the width
    allows (and lines past `lines`) become one '…' line, and the caller says how many nodes
    were left out, rather than rich cropping labels at the right edge.
    """
    from rich.markup import escape
    from rich.tree import Tree

    roots = _roots(expression)
    order = topological_order(roots)
    labels, uses = _labels(order), _uses(order)

    def text(n: Node) -> str:
        if not n.inputs:
            return f"[cyan]{escape(_leaf(n))}[/cyan]" if n.op == "var" else escape(_leaf(n))
        symbol = OPS[n.op].symbol if n.op in OPS else None
        name = OPS[n.op].extra.get("shown", n.op) if n.op in OPS else n.op  # a custom op: as written
        shown = f"{name} {escape(symbol)}" if symbol else name
        mark = "  [yellow](shared)[/yellow]" if uses[n] > 1 else ""
        return f"[bold]{shown}[/bold]  [dim]{labels[n]}[/dim]{mark}"

    if len(roots) == 1:
        root = Tree(text(roots[0]))
        drawn = {roots[0]}
        stack = [(child, root) for child in reversed(roots[0].inputs)]
    else:  # several outputs: one branch each, sharing drawn once across them
        root, drawn = Tree("[bold]outputs[/bold]"), set()
        branches = [(n, root.add(f"[green]{escape(name)}[/green]")) for name, n in expression.outputs]
        stack = branches[::-1]
    deepest = max(1, (width - 32) // 4)  # room for a label of ~30 columns at the deepest level
    depth = {id(root): 0, **{id(branch): 1 for _, branch in stack if branch is not root}}
    count = 1
    cut: set[int] = set()
    while stack:
        n, parent = stack.pop()
        level = depth[id(parent)] + 1
        if level > deepest or count >= lines:
            if id(parent) not in cut:  # one '…' per parent whose inputs are left out
                cut.add(id(parent))
                parent.add("[dim]…[/dim]")
            continue
        count += 1
        if n.inputs and n in drawn:
            parent.add(f"[yellow]↑ {labels[n]} (shared)[/yellow]")
            continue
        drawn.add(n)
        branch = parent.add(text(n))
        depth[id(branch)] = level
        stack.extend((child, branch) for child in reversed(n.inputs))
    shared = sum(1 for n in order if n.inputs and uses[n] > 1)
    return root, len(order), shared, len(drawn)


def dot(expression: Any) -> str:
    """Graphviz source: one node statement per DAG node, one edge per input (root at the top)."""
    return "\n".join(dot_lines(expression))


def write_dot(expression: Any, stream: Any, batch: int = 10_000) -> None:
    """The Graphviz source written as it is made: a 10^6-node DAG is ~80 MB of text, never
    held whole (nor as a list of 3·10^6 lines)."""
    lines = []
    for line in dot_lines(expression):
        lines.append(line)
        if len(lines) >= batch:
            stream.write("\n".join(lines) + "\n")
            lines.clear()
    stream.write("\n".join(lines) + "\n")


def dot_lines(expression: Any) -> Iterator[str]:
    """The lines of `dot`, one at a time."""
    roots = _roots(expression)
    order = topological_order(roots)
    ids = {n: f"n{k}" for k, n in enumerate(order)}
    yield "digraph adcalc {"
    yield "  node [fontname=Helvetica];"
    labels = _labels(order)
    for n in order:
        if n.inputs:
            name = OPS[n.op].extra.get("shown", n.op) if n.op in OPS else n.op  # a custom op: as written
            label, shape = f"{name}\\n{labels[n]}", "box"
        else:
            label, shape = _leaf(n), "ellipse" if n.op == "var" else "plaintext"
        yield f'  {ids[n]} [label="{label}", shape={shape}];'
    del labels
    for n in order:
        for position, child in enumerate(n.inputs):
            extra = f' [label="{position}"]' if len(n.inputs) > 1 and n.op not in ("add", "mul") else ""
            yield f"  {ids[n]} -> {ids[child]}{extra};"
    if len(roots) > 1:  # name each output of a program
        for k, (name, n) in enumerate(expression.outputs):
            yield f'  out{k} [label="{name}", shape=plaintext];'
            yield f"  out{k} -> {ids[n]};"
    yield "}"


def as_dict(expression: Any) -> dict[str, Any]:
    """{"nodes": [{"id", "op", "value"|"name", "inputs"}], "root", "output_nodes",
    "count", "shared"} in evaluation order."""
    order = topological_order(_roots(expression))
    ids = {n: f"n{k}" for k, n in enumerate(order)}
    uses = _uses(order)
    nodes = []
    for n in order:
        op = OPS[n.op].extra.get("shown", n.op) if n.op in OPS else n.op  # a custom op: as written
        entry: dict[str, Any] = {"id": ids[n], "op": op, "inputs": [ids[i] for i in n.inputs]}
        if n.op == "const":
            entry["value"] = n.payload
        elif n.op == "var":
            entry["name"] = n.payload
        entry["uses"] = uses[n]
        nodes.append(entry)
    shared = sum(1 for n in order if n.inputs and uses[n] > 1)
    return {
        "expression": expression.label,
        "root": ids[expression.root],
        **({"output_nodes": {name: ids[n] for name, n in expression.outputs}} if expression.outputs else {}),
        "count": len(order),
        "shared": shared,
        "nodes": nodes,
    }
