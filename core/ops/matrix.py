"""Vector and matrix ops: one registry entry each, with the matrix-calculus rules.

Every rule is the textbook identity for the whole matrix, never an element-by-element expansion:
d det(A) = tr(adj(A) dA) gives the cotangent g·C(A) with C = adj(A)ᵀ the cofactor matrix (det(A)
A⁻ᵀ away from singular A, but finite at it), d log det A = tr(A⁻¹ dA) gives g·A⁻ᵀ, d A⁻¹ =
−A⁻¹ dA A⁻¹ gives −A⁻ᵀ g A⁻ᵀ, and so on. Rules are written in op functions, so they run on numpy
arrays (the values of programs) and build graphs when given nodes; the helpers the rules use have
rules of their own, so Hessians (forward over the reverse-mode graph) work.

Conventions where a derivative does not exist (tests/core/test_matrix_hard_points.py checks each):
norm at x = 0 has gradient 0 (a subgradient) and Hessian 0 (‖tv‖ is linear along every ray);
inv, solve and the derivatives of logdet at a singular A are NaN (A⁻¹ does not exist; see
tensor_values.singular for "singular"), and logdet of a singular A is −inf.

Arguments known when the program is compiled (the n of eye(n), an index, a literal's numbers)
are `Static` tuples held by constant nodes. Numpy is imported only when an array op is evaluated
(ops/numpy_values.py loads them then), so scalar commands never load it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..errors import MissingRule
from ..ir.nodes import Node, const
from ..ir.shapes import RULES
from ..ops.registry import OpDef, apply, exp, register, register_kind, where
from ..ops.scalar import SCALAR
from .late_values import add_values

ARRAY = {"array": True}  # OpDef.extra: not element-wise (reverse mode must not mask per element)


class Static(tuple):
    """A compile-time argument (sizes, an index key, literal numbers): hashable, never differentiated."""

    __slots__ = ()


def _op(name: str) -> Callable[..., Any]:
    return lambda *args: apply(name, *args)


(matmul, transpose, dot, outer, inv, solve, diag, trace, reshape, index) = map(
    _op, "matmul transpose dot outer inv solve diag trace reshape index".split()
)
(ga, gb, expand, eye_like, reshape_as, unindex, count, put, take) = map(
    _op, "matmul_ga matmul_gb expand eye_like reshape_as unindex count put take".split()
)
undiag, cofactor, cofactor_jvp = map(_op, "undiag cofactor cofactor_jvp".split())
sum_ = _op("sum")


def define(name: str, arity: int, jvp: Any, vjp: Any, doc: str) -> OpDef:
    """Register a matrix op (arity counts static arguments, whose rules are None)."""
    return register(OpDef(name, arity, jvp, vjp, doc=doc, extra=ARRAY))


# --- products ----------------------------------------------------------------------------------
define(
    "matmul",
    2,
    (lambda a, b, out, da: matmul(da, b), lambda a, b, out, db: matmul(a, db)),
    # d(AB) = dA B + A dB, so Ā = G Bᵀ and B̄ = Aᵀ G (vector cases handled by ga, gb)
    (lambda a, b, out, g: ga(g, a, b), lambda a, b, out, g: gb(g, a, b)),
    "A @ B: matrix product (matrix-vector, vector-matrix and dot for vectors too)",
)
define(
    "matmul_ga",
    3,
    (lambda g, a, b, out, dg: ga(dg, a, b), None, lambda g, a, b, out, db: ga(g, a, db)),
    (lambda g, a, b, out, h: matmul(h, b), None, lambda g, a, b, out, h: gb(g, h, b)),
    "cotangent of A in A @ B: G Bᵀ",
)
define(
    "matmul_gb",
    3,
    (lambda g, a, b, out, dg: gb(dg, a, b), lambda g, a, b, out, da: gb(g, da, b), None),
    (lambda g, a, b, out, h: matmul(a, h), lambda g, a, b, out, h: ga(g, a, h), None),
    "cotangent of B in A @ B: Aᵀ G",
)
define(
    "dot",
    2,
    (lambda a, b, out, da: dot(da, b), lambda a, b, out, db: dot(a, db)),
    (lambda a, b, out, g: g * b, lambda a, b, out, g: g * a),
    "dot(a, b) = Σ aᵢ bᵢ",
)
define(
    "outer",
    2,
    (lambda a, b, out, da: outer(da, b), lambda a, b, out, db: outer(a, db)),
    (lambda a, b, out, g: matmul(g, b), lambda a, b, out, g: matmul(transpose(g), a)),
    "outer(a, b) = a bᵀ",
)
define(
    "transpose",
    1,
    (lambda a, out, da: transpose(da),),
    (lambda a, out, g: transpose(g),),
    "transpose(A), also A'",
)

# --- reductions --------------------------------------------------------------------------------
define("sum", 1, (lambda x, out, dx: sum_(dx),), (lambda x, out, g: expand(g, x),), "sum of all elements")
define(
    "mean",
    1,
    (lambda x, out, dx: sum_(dx) / count(x),),
    (lambda x, out, g: expand(g, x) / count(x),),
    "mean of all elements",
)
define(
    "prod",
    1,
    # ∂/∂xᵢ Π x = Π_{j≠i} xⱼ, computed without dividing (so zeros are fine)
    (lambda x, out, dx: sum_(prod_others(x) * dx),),
    (lambda x, out, g: g * prod_others(x),),
    "product of all elements",
)


def _norm_vjp(x: Any, out: Any, g: Any) -> Any:
    # x̄ = g x / ‖x‖, and 0 at x = 0 (a subgradient) instead of 0/0. Building a gradient graph, a
    # g that is a multiple of ‖x‖ (2‖x‖ from ‖x‖², from pow's rule) is divided out exactly,
    # giving x̄ = (g/‖x‖) x: equal for x ≠ 0 and continuous at 0, so forward mode over it gets the
    # Hessian 2I of ‖x‖² at 0, where the masked form would give a silent 0.
    if isinstance(g, Node) and isinstance(out, Node):
        quotient = _over(g, out, {}, 0)
        if quotient is not None:
            return quotient * x
    return where(out, g * x / where(out, out, 1.0), 0.0 * x)


def _over(g: Node, n: Node, seen: dict[Node, Node | None], depth: int) -> Node | None:
    """g / n as a graph without division, when g is structurally a multiple of n, else None.

    Exact algebra: n/n = 1, (a b)/n = (a/n) b, (a ± b)/n = a/n ± b/n, (n^p)/n = n^(p−1) for a
    constant p ≥ 1, where(c, a, b)/n = where(c, a/n, b/n), 0/n = 0.
    """
    if g is n:
        return const(1.0)
    if g in seen:
        return seen[g]
    found: Node | None = None
    if g.op == "const" and isinstance(g.payload, float | int) and g.payload == 0:
        found = g
    elif depth < 64 and g.inputs:
        parts = [_over(i, n, seen, depth + 1) if isinstance(i, Node) else None for i in g.inputs]
        a, *rest = g.inputs
        if g.op == "mul" and parts[0] is not None:
            found = parts[0] * rest[0]
        elif g.op == "mul" and parts[1] is not None:
            found = a * parts[1]
        elif g.op == "div" and parts[0] is not None:
            found = parts[0] / rest[0]
        elif g.op == "neg" and parts[0] is not None:
            found = -parts[0]
        elif g.op in ("add", "sub") and None not in parts:
            found = parts[0] + parts[1] if g.op == "add" else parts[0] - parts[1]
        elif g.op == "where" and parts[1] is not None and parts[2] is not None:
            found = where(a, parts[1], parts[2])
        elif g.op == "pow" and a is n and isinstance(rest[0].payload, float | int) and rest[0].payload >= 1:
            found = a ** (rest[0].payload - 1.0)
    seen[g] = found
    return found


define(
    "norm",
    1,
    # d‖x‖ = xᵀdx / ‖x‖; 0 at x = 0 (a subgradient) instead of 0/0
    (lambda x, out, dx: where(out, sum_(x * dx) / where(out, out, 1.0), 0.0),),
    (_norm_vjp,),
    "Euclidean (Frobenius) norm",
)
define(
    "logsumexp",
    1,
    # ∂/∂x log Σ eˣ = softmax(x) = e^(x − out)
    (lambda x, out, dx: sum_(exp(x - out) * dx),),
    (lambda x, out, g: g * exp(x - out),),
    "log Σ exp(xᵢ), without overflow",
)
define(
    "softmax",
    1,
    # J = diag(s) − s sᵀ, so J v = s ⊙ (v − sᵀv), and J is symmetric
    (lambda x, out, dx: out * (dx - dot(out, dx)),),
    (lambda x, out, g: out * (g - dot(out, g)),),
    "softmax(x) = eˣ / Σ eˣ",
)

# --- square matrices ---------------------------------------------------------------------------
define("trace", 1, (lambda a, out, da: trace(da),), (lambda a, out, g: g * eye_like(a),), "trace(A) = Σ Aᵢᵢ")
define(
    "det",
    1,
    # Jacobi's formula: d det A = tr(adj(A) dA) = Σ C(A) ⊙ dA, so Ā = g C(A), with C = adj(A)ᵀ the
    # cofactor matrix: det(A) A⁻ᵀ when A is invertible, and finite (exact) when it is not
    (lambda a, out, da: sum_(cofactor(a) * da),),
    (lambda a, out, g: g * cofactor(a),),
    "determinant",
)
define(
    "cofactor",
    1,
    # C(A) = ∂ det/∂A; its derivative is the second derivative of det, d C(A)[E] (cofactor_jvp),
    # a symmetric bilinear form: ⟨H, d C[E]⟩ = d² det[H, E] = ⟨d C[H], E⟩, so Ā = d C[H]
    (lambda a, out, da: cofactor_jvp(a, da),),
    (lambda a, out, h: cofactor_jvp(a, h),),
    "cofactor matrix adj(A)ᵀ = ∂ det A/∂A (exact at singular A)",
)


def _third_derivative_of_det(*args: Any) -> Any:
    raise MissingRule("third derivatives of det are not implemented (cofactor_jvp has no rule for A)")


define(
    "cofactor_jvp",
    2,
    # linear in E and self-adjoint (see cofactor); its derivative in A would be d³ det
    (_third_derivative_of_det, lambda a, e, out, de: cofactor_jvp(a, de)),
    (_third_derivative_of_det, lambda a, e, out, h: cofactor_jvp(a, h)),
    "d C(A)[E]: the second derivative of det as a matrix",
)
define(
    "logdet",
    1,
    # d log det A = tr(A⁻¹ dA), so Ā = g A⁻ᵀ
    (lambda a, out, da: trace(matmul(inv(a), da)),),
    (lambda a, out, g: g * transpose(inv(a)),),
    "log det A (NaN when det A < 0)",
)
define(
    "inv",
    1,
    # d A⁻¹ = −A⁻¹ dA A⁻¹, so Ā = −A⁻ᵀ G A⁻ᵀ
    (lambda a, out, da: -matmul(matmul(out, da), out),),
    (lambda a, out, g: -matmul(matmul(transpose(out), g), transpose(out)),),
    "matrix inverse",
)
define(
    "solve",
    2,
    # x = A⁻¹b: dx = A⁻¹(db − dA x), so b̄ = A⁻ᵀ g and Ā = −b̄ xᵀ
    (lambda a, b, out, da: -solve(a, matmul(da, out)), lambda a, b, out, db: solve(a, db)),
    (lambda a, b, out, g: -ga(solve(transpose(a), g), a, out), lambda a, b, out, g: solve(transpose(a), g)),
    "solve(A, b) = A⁻¹ b, without forming the inverse",
)
define(
    "diag",
    1,
    # linear: the cotangent of a vector v is the diagonal of G; of an m×n matrix A, the m×n
    # matrix with g on its diagonal (undiag), so a non-square A gets a cotangent of its shape
    (lambda a, out, da: diag(da),),
    (lambda a, out, g: undiag(g, a),),
    "diag(v), diag(A)",
)

# --- construction, shape and indexing: static arguments have no rules ---------------------------
register(OpDef("eye", 1, (None,), (None,), zero_derivative=True, doc="eye(n): identity matrix", extra=ARRAY))
register(OpDef("array", 1, (None,), (None,), zero_derivative=True, doc="literal numbers", extra=ARRAY))
define(
    "reshape",
    2,
    (lambda x, shape, out, dx: reshape(dx, shape), None),
    (lambda x, shape, out, g: reshape_as(g, x), None),
    "reshape(x, rows, columns)",
)
define(
    "index",
    2,
    (lambda x, key, out, dx: index(dx, key), None),
    (lambda x, key, out, g: unindex(g, x, key), None),
    "x[i], A[i, j], x[a:b], A[:, j] (1-based, ranges inclusive)",
)

# --- helpers that rules use (linear ones keep rules, so second derivatives work) ---------------
define(
    "expand",
    2,
    (lambda g, x, out, dg: expand(dg, x), None),
    (lambda g, x, out, h: sum_(h), None),
    "g spread over the shape of x",
)
define(
    "reshape_as",
    2,
    (lambda g, x, out, dg: reshape_as(dg, x), None),
    (lambda g, x, out, h: reshape_as(h, g), None),
    "g with the shape of x",
)
define(
    "unindex",
    3,
    (lambda g, x, key, out, dg: unindex(dg, x, key), None, None),
    (lambda g, x, key, out, h: index(h, key), None, None),
    "zeros shaped like x with g at key",
)
define(
    "put",
    3,
    (lambda d, like, i, out, dd: put(dd, like, i), None, None),
    (lambda d, like, i, out, h: take(h, i), None, None),
    "zeros shaped like `like` with d at slot i",
)
define(
    "undiag",
    2,
    # linear in g; its transpose reads the diagonal back: diag(h) in both cases
    (lambda g, a, out, dg: undiag(dg, a), None),
    (lambda g, a, out, h: diag(h), None),
    "cotangent of a in diag(a): diag of g (a vector a), g on the diagonal of a's shape (a matrix a)",
)
define(
    "take",
    2,
    (lambda g, i, out, dg: take(dg, i), None),
    (lambda g, i, out, h: put(h, g, i), None),
    "slot i of g",
)
for _name, _doc in [("eye_like", "identity of A's size"), ("count", "number of elements")]:
    register(OpDef(_name, 1, (None,), (None,), zero_derivative=True, doc=_doc, extra=ARRAY))


@functools.cache
def prod_op(m: int) -> str:
    """Registry name of yᵢ = D^(m+1) Π x [eᵢ, d₁, ..., dₘ] (m = 0: prod_others, Π_{j≠i} xⱼ).

    The derivatives of Π x form a symmetric multilinear family, so each member's rules are the
    next one: d/dx [dx] = prod_op(m+1)(x, d.., dx), d/d d_r [δ] = prod_op(m)(x, .., δ, ..), and
    the cotangents (⟨h, y'⟩ = D^(m+2) Π [h, d.., e]): x̄ = prod_op(m+1)(x, h, d..) and
    d̄_r = prod_op(m)(x, h, d without d_r). No division anywhere, so zeros are fine.
    """
    name = "prod_others" if m == 0 else f"prod_others{m}"

    def jvp_d(r: int) -> Callable[..., Any]:
        return lambda *args: apply(name, *args[: 1 + r], args[-1], *args[2 + r : m + 1])

    def vjp_d(r: int) -> Callable[..., Any]:
        return lambda *args: apply(name, args[0], args[-1], *args[1 : 1 + r], *args[2 + r : m + 1])

    jvp_x = lambda *args: apply(prod_op(m + 1), *args[: m + 1], args[-1])
    vjp_x = lambda *args: apply(prod_op(m + 1), args[0], args[-1], *args[1 : m + 1])
    jvps = (jvp_x, *map(jvp_d, range(m)))
    vjps = (vjp_x, *map(vjp_d, range(m)))
    define(name, m + 1, jvps, vjps, "Π_{j≠i} xⱼ for each i" if m == 0 else f"D^{m + 1} Π x [eᵢ, d₁..d{m}]")
    add_values({name: _prod_directions_value})
    return name


def _prod_directions_value(x: Any, *directions: Any) -> Any:
    from .matrix_values import prod_directions

    return prod_directions(x, *directions)


def prod_others(x: Any) -> Any:
    """Π_{j≠i} xⱼ for each i (the gradient of prod)."""
    return apply(prod_op(0), x)


# --- a broadcast cotangent summed back to its input's shape (reverse mode on shaped graphs) ----
unbroadcast = _op("unbroadcast")
define(
    "unbroadcast", 2,
    (lambda g, like, out, dg: unbroadcast(dg, like), None),
    # a sum over the broadcast axes: its transpose spreads h back over g's shape
    (lambda g, like, out, h: expand(h, g), None),
    "g summed over the axes along which it was broadcast from the shape of `like`",
)  # fmt: skip
SCALAR.setdefault("unbroadcast", lambda g, like: g)  # two scalars: nothing was broadcast


@functools.cache
def stack_op(items: int) -> str:
    """Registry name of the literal [x1, ..., xk] with k items: stackk(shape, x1, ..., xk).

    The first input is the Static shape of the result, which sends even a literal of plain
    numbers to numpy.
    """
    name = f"stack{items}"

    def jvp(i: int) -> Callable[..., Any]:
        return lambda *args: put(args[-1], args[-2], float(i))

    def vjp(i: int) -> Callable[..., Any]:
        return lambda *args: take(args[-1], float(i))

    slots = range(items)
    define(name, items + 1, (None, *map(jvp, slots)), (None, *map(vjp, slots)), f"[x1, ..., x{items}]")
    add_values({name: _stack_value})
    RULES[name] = lambda shapes, statics, span: tuple(statics[0])
    return name


def _stack_value(shape: Any, *items: Any) -> Any:
    from ..ops.matrix_values import stack

    return stack(shape, *items)


# Names a program may call, beyond the scalar functions: name -> arity (None: checked by the builder).
FUNCTIONS = {
    "transpose": 1, "sum": 1, "mean": 1, "prod": 1, "dot": 2, "outer": 2, "norm": 1, "trace": 1,
    "det": 1, "logdet": 1, "inv": 1, "solve": 2, "diag": 1, "eye": 1, "reshape": None,
    "logsumexp": 1, "softmax": 1,
}  # fmt: skip


for _m in range(3):  # prod's derivatives to third order exist from the start; higher ones on demand
    prod_op(_m)


def _apply_static(name: str, *args: Any) -> Any:
    from .numpy_values import apply_numpy

    return apply_numpy(name, *args)


register_kind(Static, 10, _apply_static)
