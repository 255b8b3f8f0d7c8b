"""Local algebraic rewrites for derivative graphs: each looks at a node and its inputs, no deeper.

They run while reverse mode builds a derivative graph (see graphs.graph_apply), after constant
folding and the exact identities, so `2*x^3` differentiates to `6*x^2`, not `3*x^2*2`:

- products carry one numeric coefficient, on the left: c1*(c2*u) -> (c1*c2)*u, u*c -> c*u,
  u*(c*v) -> c*u*v, -(c*u) -> (-c)*u, (c1*u)/c2 -> (c1/c2)*u when c1/c2 is exact;
- like terms combine, looking one sum deep: u + u -> 2*u, c1*u + c2*u -> (c1+c2)*u,
  (a + c1*u) + c2*u -> a + (c1+c2)*u, u - u -> 0; 2 + u -> u + 2; a negative coefficient
  becomes a minus sign: a + (-2)*u -> a - 2*u;
- powers of one node: u*u -> u^2, u^a*u -> u^(a+1), u^a*u^b -> u^(a+b) for a, b > 0 with at least
  one an integer (so a NaN of a negative base with a fractional power stays NaN), a/u/u -> a/u^2;
- quotients come out of products: a*(b/c) -> a*b/c (b not a number other than ±1);
  where(c, a, b) + where(c, d, e) -> where(c, a + d, b + e) (the same branch is taken in both).

Each is O(1) and makes O(1) new nodes, so a derivative DAG stays linear in size. All are exact
identities of real arithmetic: the values stay the same up to rounding (and overflow of a
reassociated product, u^2 beyond 1e154 where a/u/u was finite), NaN and inf included, with one
deliberate exception inherited from the symbolic-zero convention: a term that cancels (u - u,
2*u - 2*u, like 0*u) is 0 even where u is inf or NaN. Every rewrite is element-wise, so it is
shape-safe on array nodes (the coefficients are scalar constants).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..ir.nodes import Node, const, node

Build = Callable[..., Node]  # graph_apply: the simplified node for op(name, *inputs)
ONE: Any = None  # the "rest" of a plain number: the term c*ONE is the constant c


def _number(n: Node) -> float | None:
    return n.payload if n.op == "const" and isinstance(n.payload, float) else None


DEPTH = 4  # how far down a product's left spine a coefficient is looked for: c*u*v*w*s


def coefficient(n: Node) -> tuple[float, Node | None]:
    """(c, rest) with n = c*rest, c a number: c*u*v (c on the left spine, DEPTH deep at most), -u,
    (c*u)/v, a number (rest None); n itself with c = 1 otherwise."""
    value = _number(n)
    if value is not None:
        return value, ONE
    if n.op == "neg":
        inner, rest = _spine(n.inputs[0])
        return -inner, rest
    if n.op == "div":
        inner, rest = _spine(n.inputs[0])
        if inner != 1 and rest is not ONE:  # (c*u)/v = c*(u/v); c/v stays whole: it may be shared
            return inner, node("div", rest, n.inputs[1])
        return 1.0, n
    return _spine(n)


def _spine(n: Node) -> tuple[float, Node | None]:
    value = _number(n)
    if value is not None:
        return value, ONE
    rights: list[Node] = []
    m = n
    for _ in range(DEPTH):
        if m.op != "mul":
            break
        left = m.inputs[0]
        if _number(left) is not None:
            rest = m.inputs[1]
            for right in reversed(rights):  # the same product without its number, as interned
                rest = node("mul", rest, right)
            return left.payload, rest
        rights.append(m.inputs[1])
        m = left
    return 1.0, n


def scaled(c: float, rest: Node | None, build: Build, depth: int = DEPTH) -> Node:
    """The node c*rest (the number c when rest is None), c on the left end: c*u*v, not c*(u*v)."""
    if rest is ONE:
        return const(c)
    if rest.op == "mul":
        if depth > 1 and _number(rest.inputs[0]) is None:
            return build("mul", scaled(c, rest.inputs[0], build, depth - 1), rest.inputs[1])
        return node("mul", const(c), rest)  # too deep to reach the left end: c*(...), as it is
    return build("mul", const(c), rest)


def _exact_quotient(a: float, b: float) -> float | None:
    """a/b when the float quotient is exact (6/3, 1/4; not 1/3), in integers: no fractions import
    on the start-up path."""
    if b == 0 or not (abs(a) < float("inf") and abs(b) < float("inf")):
        return None
    quotient = a / b
    (pa, qa), (pb, qb), (pc, qc) = a.as_integer_ratio(), b.as_integer_ratio(), quotient.as_integer_ratio()
    return quotient if pc * qa * pb == qc * pa * qb else None


# --- products and quotients ---------------------------------------------------------------------


def product(a: Node, b: Node, build: Build) -> Node | None:
    """a*b with one coefficient on the left, powers of one node merged, quotients pulled out."""
    (ca, ra), (cb, rb) = coefficient(a), coefficient(b)
    if cb != 1 or (ca != 1 and a.op not in ("const", "mul")):
        if ra is ONE or rb is ONE:
            rest = ra if rb is ONE else rb
        else:
            rest = build("mul", ra, rb)
        return scaled(ca * cb, rest, build)
    if a.op == "const" and b.op == "mul":  # c*(u*v) -> c*u*v
        return scaled(ca, b, build)
    if ca != 1 and a.op == "mul":  # c*u*v times b: merge b with the last factor v
        merged = _powers(a.inputs[1], b, build)
        if merged is not None:
            return build("mul", a.inputs[0], merged)
    elif ca == 1:
        merged = _powers(a, b, build)
        if merged is not None:
            return merged
    return _quotient_out(a, b, build)


def _base_exponent(n: Node) -> tuple[Node, float]:
    if n.op == "pow" and _number(n.inputs[1]) is not None:
        return n.inputs[0], n.inputs[1].payload
    return n, 1.0


def _powers(a: Node, b: Node, build: Build) -> Node | None:
    # u^a*u^b -> u^(a+b) only where both sides give the same value, NaN and inf included: a, b > 0
    # (u = 0 gives 0 either way, never 0*inf) and one an integer (a negative u with two fractional
    # exponents is NaN on the left and may not be on the right: u^0.5*u^0.5 vs u^1)
    (base_a, p), (base_b, q) = _base_exponent(a), _base_exponent(b)
    if base_a is not base_b or not (p > 0 and q > 0) or not (p.is_integer() or q.is_integer()):
        return None
    return build("pow", base_a, const(p + q))


def _quotient_out(a: Node, b: Node, build: Build) -> Node | None:
    # a*(n/d) -> (a*n)/d, (n/d)*b -> (n*b)/d: `2*x*y/t1` instead of `2*x*(1/t1*y)`. Not for a
    # number n other than 1: c/d is often shared (dt*g/L in a loop), and its uses would each
    # print c again instead of the one binding
    if b.op == "div" and _pulls(b.inputs[0]):
        return build("div", build("mul", a, b.inputs[0]), b.inputs[1])
    if a.op == "div" and _pulls(a.inputs[0]):
        return build("div", build("mul", a.inputs[0], b), a.inputs[1])
    return None


def _pulls(numerator: Node) -> bool:
    value = _number(numerator)
    return value is None or abs(value) == 1


def quotient(a: Node, b: Node, build: Build) -> Node | None:
    """a/b: an exact numeric quotient folded into the coefficient, a/u/u as a/u^2."""
    divisor = _number(b)
    if divisor is not None:
        c, rest = coefficient(a)
        folded = _exact_quotient(c, divisor) if rest is not ONE else None
        if folded is not None and c != 1:
            return scaled(folded, rest, build)
        return None
    if a.op == "div":  # a/u^p/u^q -> a/u^(p+q)
        merged = _powers(a.inputs[1], b, build)
        if merged is not None:
            return build("div", a.inputs[0], merged)
    return None


def negation(a: Node, build: Build) -> Node | None:
    """-(c*u) -> (-c)*u, -(c*u/v) -> (-c)*u/v: the sign joins the number."""
    if a.op == "div" and _number(a.inputs[0]) is not None:
        return build("div", const(-a.inputs[0].payload), a.inputs[1])
    c, rest = coefficient(a)
    if c != 1 and a.op != "neg":
        return scaled(-c, rest, build)
    return None


# --- sums ---------------------------------------------------------------------------------------


def total(name: str, a: Node, b: Node, build: Build) -> Node | None:
    """a + b or a - b with like terms combined (a one sum deep), the number last, signs outside."""
    sign = 1.0 if name == "add" else -1.0
    (ca, ra), (cb, rb) = coefficient(a), coefficient(b)
    if ra is rb:
        return scaled(ca + sign * cb, ra, build)
    if a.op in ("add", "sub"):
        combined = _into_sum(a, sign * cb, rb, build)
        if combined is not None:
            return combined
    if a.op == "where" and b.op == "where" and a.inputs[0] is b.inputs[0]:
        branches = (build(name, x, y) for x, y in zip(a.inputs[1:], b.inputs[1:], strict=True))
        return build("where", a.inputs[0], *branches)
    if cb < 0:  # a + (-2)*u -> a - 2*u; a - (-3) -> a + 3
        return build("sub" if name == "add" else "add", a, scaled(-cb, rb, build))
    if b.op == "div" and (_number(b.inputs[0]) or 0) < 0:  # a + -3/u -> a - 3/u
        flipped = build("div", const(-b.inputs[0].payload), b.inputs[1])
        return build("sub" if name == "add" else "add", a, flipped)
    if name == "add" and ca < 0:  # (-2)*u + b -> b - 2*u
        return build("sub", b, scaled(-ca, ra, build))
    if name == "add" and ra is ONE:  # 2 + u -> u + 2: the number last, as polynomials are written
        return build("add", b, a)
    return None


def _into_sum(a: Node, c: float, rest: Node | None, build: Build) -> Node | None:
    # (p ± q) + c*rest: combine with q or p when one of them is a multiple of rest. (Moving a number
    # to the end of a longer sum, (p + 2) + u -> (p + u) + 2, would make a node per step where the
    # sum p + 2 is shared, as in an unrolled loop: the text grew by a sixth on examples/pendulum.adl.)
    p, q = a.inputs
    inner = 1.0 if a.op == "add" else -1.0
    cq, rq = coefficient(q)
    if rq is rest:
        return build("add", p, scaled(inner * cq + c, rest, build))
    cp, rp = coefficient(p)
    if rp is rest:
        return build(a.op, scaled(cp + c, rest, build), q)
    return None
