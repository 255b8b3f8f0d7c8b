"""Expression DAG: immutable, interned nodes and iterative walks over them.

A node is data only: an op name from the registry, its input nodes and a payload (the value of a
constant, the name of a variable). Evaluators keep their own per-node state, so one graph can be
differentiated any number of times, by any mode.

Structurally identical nodes are one object (hash-consing). The parser interns into a table of its
own (so each parse keeps its own source spans); everything else, such as the derivative graphs that
the op rules build, interns into one global weak table.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from ..errors import Span

Key = tuple[str, tuple[int, ...], Any]


class Node:
    """One operation applied to input nodes; compare and hash by identity."""

    __slots__ = ("op", "inputs", "payload", "span", "__weakref__")

    op: str
    inputs: tuple[Node, ...]
    payload: Any
    span: Span | None

    def __init__(
        self, op: str, inputs: tuple[Node, ...] = (), payload: Any = None, span: Span | None = None
    ) -> None:
        # the slots' own setters: object.__setattr__ would look each name up (twice the cost)
        _set_op(self, op)
        _set_inputs(self, inputs)
        _set_payload(self, payload)
        _set_span(self, span)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("Node is immutable")

    def __repr__(self) -> str:  # shallow on purpose: graphs can be 10^5 levels deep
        if self.op == "const":
            return f"Node(const {self.payload!r})"
        if self.op == "var":
            return f"Node(var {self.payload})"
        return f"Node({self.op}, {len(self.inputs)} inputs)"

    # --- arithmetic builds new nodes, so op rules can run on graphs (see ops.apply) ---
    def __add__(self, other: Any) -> Any:
        return _apply("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return _apply("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return _apply("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return _apply("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return _apply("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return _apply("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return _apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return _apply("div", other, self)

    def __pow__(self, other: Any) -> Any:
        return _apply("pow", self, other)

    def __rpow__(self, other: Any) -> Any:
        return _apply("pow", other, self)

    def __neg__(self) -> Any:
        return _apply("neg", self)

    def __pos__(self) -> Node:
        return self


_set_op, _set_inputs = Node.op.__set__, Node.inputs.__set__  # type: ignore[attr-defined]
_set_payload, _set_span = Node.payload.__set__, Node.span.__set__  # type: ignore[attr-defined]


_ARITHMETIC: list[Any] = []  # ops.registry.apply, installed by the registry: ir never imports ops


def install_arithmetic(apply: Any) -> None:
    """Let `+ - * / ** -` on nodes build nodes through `apply(name, *args)` (the op registry's)."""
    _ARITHMETIC[:] = [apply]


def _apply(name: str, *args: Any) -> Any:
    return _ARITHMETIC[0](name, *args)


class Interner:
    """Hands back the existing node for an (op, inputs, payload) already seen."""

    def __init__(self, weak: bool = False) -> None:
        self.table: dict[Key, Node] = weakref.WeakValueDictionary() if weak else {}  # type: ignore[assignment]

    def node(
        self, op: str, inputs: Sequence[Node] = (), payload: Any = None, span: Span | None = None
    ) -> Node:
        """The unique node for this structure; the first span seen is kept."""
        key = (op, tuple(map(id, inputs)), _payload_key(payload))
        found = self.table.get(key)
        if found is None:
            found = Node(op, tuple(inputs), payload, span)
            self.table[key] = found
        return found


def _payload_key(payload: Any) -> Any:
    # 0.0 and -0.0 compare equal but are different constants; NaN never equals itself.
    if isinstance(payload, float):
        return ("f", payload.hex())
    return payload


GLOBAL = Interner(weak=True)


def node(op: str, *inputs: Node, payload: Any = None) -> Node:
    """An interned node from the global table (used when rules build derivative graphs)."""
    return GLOBAL.node(op, inputs, payload)


def const(value: float) -> Node:
    """The constant node for a number."""
    return GLOBAL.node("const", (), float(value))


def var(name: str) -> Node:
    """The variable node for a name."""
    return GLOBAL.node("var", (), name)


def topological_order(roots: Node | Iterable[Node]) -> list[Node]:
    """Nodes reachable from the roots, every node after its inputs (explicit-stack post-order)."""
    if isinstance(roots, Node):
        roots = (roots,)
    order: list[Node] = []
    seen: set[int] = set()
    for root in roots:
        if id(root) in seen:
            continue
        seen.add(id(root))
        stack: list[tuple[Node, int]] = [(root, 0)]
        while stack:
            current, index = stack[-1]
            if index < len(current.inputs):
                stack[-1] = (current, index + 1)
                child = current.inputs[index]
                if id(child) not in seen:
                    seen.add(id(child))
                    stack.append((child, 0))
            else:
                stack.pop()
                order.append(current)
    return order


def variables(roots: Node | Iterable[Node]) -> list[str]:
    """Names of the variables the roots depend on, in order of first appearance."""
    return [n.payload for n in topological_order(roots) if n.op == "var"]
