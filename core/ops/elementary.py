"""The scalar operations: one registry entry each, with both derivative rules.

Conventions at points where a derivative does not exist follow JAX and PyTorch where they agree:
abs'(0) = 0, sign' = floor' = ceil' = 0, and min/max split the cotangent evenly at a tie.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

from ..ops.registry import (
    OPS,
    OpDef,
    Rule,
    cos,
    cosh,
    elementwise,
    eq,
    gt,
    hypot,
    linear,
    log,
    lt,
    register,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    where,
    zero_derivative,
)
from ..ops.scalar import SCALAR, fold

# --- arithmetic --------------------------------------------------------------------------------
linear("add", +1, +1, symbol="+", doc="x + y")
linear("sub", +1, -1, symbol="-", doc="x - y")
linear("neg", -1, symbol="-", doc="-x")
elementwise("mul", lambda x, y, out: y, lambda x, y, out: x, symbol="*", doc="x * y")
register(
    OpDef(
        "div",
        2,
        jvp=(lambda x, y, out, dx: dx / y, lambda x, y, out, dy: -(out * dy) / y),
        vjp=(lambda x, y, out, g: g / y, lambda x, y, out, g: -(g * out) / y),
        symbol="/",
        doc="x / y",
    )
)
elementwise(
    "pow",
    # d/dx x^y = y x^(y-1); exactly 0 when y = 0 (so 0^0 has no 0*inf)
    lambda x, y, out: where(eq(y, 0), 0.0, y * x ** (y - 1.0)),
    # d/dy x^y = x^y log x; 0 at x = 0, the one-sided limit (log 0 = -inf would give NaN)
    lambda x, y, out: where(eq(x, 0), 0.0, out * log(x)),
    symbol="^",
    doc="x ^ y (also x ** y, pow(x, y))",
)

# --- comparisons and selection -----------------------------------------------------------------
COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}  # op -> symbol
for _name, _symbol in COMPARISONS.items():
    zero_derivative(_name, 2, symbol=_symbol, doc=f"x {_symbol} y: 1 if true else 0")
register(
    OpDef(
        "where",
        3,
        # the branch not taken receives an exact zero, never 0 * (its NaN derivative)
        jvp=(None, lambda c, a, b, out, da: where(c, da, 0.0), lambda c, a, b, out, db: where(c, 0.0, db)),
        vjp=(None, lambda c, a, b, out, g: where(c, g, 0.0), lambda c, a, b, out, g: where(c, 0.0, g)),
        doc="where(c, a, b): a where c is non-zero, else b",
    )
)

# --- trigonometric -----------------------------------------------------------------------------
elementwise("sin", lambda x, out: cos(x), doc="sine")
elementwise("cos", lambda x, out: -sin(x), doc="cosine")
elementwise("tan", lambda x, out: 1.0 + out * out, doc="tangent")  # sec² x = 1 + tan² x
elementwise("asin", lambda x, out: 1.0 / sqrt(1.0 - x * x), doc="arcsine")
elementwise("acos", lambda x, out: -1.0 / sqrt(1.0 - x * x), doc="arccosine")
elementwise("atan", lambda x, out: 1.0 / (1.0 + x * x), doc="arctangent")
elementwise(
    "atan2",
    lambda y, x, out: x / (x * x + y * y),
    lambda y, x, out: -y / (x * x + y * y),
    doc="atan2(y, x): angle of the point (x, y)",
)

# --- hyperbolic --------------------------------------------------------------------------------
elementwise("sinh", lambda x, out: cosh(x), doc="hyperbolic sine")
elementwise("cosh", lambda x, out: sinh(x), doc="hyperbolic cosine")
elementwise("tanh", lambda x, out: 1.0 - out * out, doc="hyperbolic tangent")  # exact 0 at ±1000
elementwise("asinh", lambda x, out: 1.0 / hypot(x, 1.0), doc="inverse hyperbolic sine")
elementwise("acosh", lambda x, out: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)), doc="inverse cosh")
elementwise("atanh", lambda x, out: 1.0 / (1.0 - x * x), doc="inverse hyperbolic tangent")

# --- exponential and logarithmic ---------------------------------------------------------------
elementwise("exp", lambda x, out: out, doc="e ^ x")
elementwise("expm1", lambda x, out: out + 1.0, doc="e ^ x - 1, accurate near 0")
elementwise("log", lambda x, out: 1.0 / x, doc="natural logarithm (also ln)")
elementwise("log1p", lambda x, out: 1.0 / (1.0 + x), doc="log(1 + x), accurate near 0")
elementwise("log2", lambda x, out: 1.0 / (x * math.log(2.0)), doc="base-2 logarithm")
elementwise("log10", lambda x, out: 1.0 / (x * math.log(10.0)), doc="base-10 logarithm")
elementwise("sqrt", lambda x, out: 0.5 / out, doc="square root")
elementwise("cbrt", lambda x, out: 1.0 / (3.0 * out * out), doc="cube root (real, odd)")
elementwise("sigmoid", lambda x, out: out * (1.0 - out), doc="logistic 1 / (1 + e^-x)")
elementwise("softplus", lambda x, out: sigmoid(x), doc="log(1 + e^x), overflow-free")
elementwise(
    "hypot",
    # x / hypot, with 0 at the origin (a subgradient) instead of 0/0
    lambda x, y, out: where(eq(out, 0), 0.0, x / out),
    lambda x, y, out: where(eq(out, 0), 0.0, y / out),
    doc="hypot(x, y) = sqrt(x² + y²) without overflow",
)

# --- piecewise ---------------------------------------------------------------------------------
elementwise("abs", lambda x, out: sign(x), smooth=False, doc="absolute value; abs'(0) = 0")
zero_derivative("sign", smooth=False, doc="sign: -1, 0 or 1")
zero_derivative("floor", smooth=False, doc="largest integer <= x")
zero_derivative("ceil", smooth=False, doc="smallest integer >= x")


elementwise(
    "min",
    lambda x, y, out: where(eq(x, y), 0.5, where(lt(x, y), 1.0, 0.0)),
    lambda x, y, out: where(eq(x, y), 0.5, where(lt(y, x), 1.0, 0.0)),
    smooth=False,
    doc="min(a, b, ...); a tie splits the derivative evenly",
    extra={"variadic": "min"},
)
elementwise(
    "max",
    lambda x, y, out: where(eq(x, y), 0.5, where(gt(x, y), 1.0, 0.0)),
    lambda x, y, out: where(eq(x, y), 0.5, where(gt(y, x), 1.0, 0.0)),
    smooth=False,
    doc="max(a, b, ...); a tie splits the derivative evenly",
    extra={"variadic": "max"},
)


# --- min and max of 3 or more arguments --------------------------------------------------------
# One op per argument count, registered on first use like the literal [x1, ..., xk] (stack_op):
# OpDef's rules are one per input, so a k-argument op is a k-ary registry entry. The builder
# flattens nested calls of one kind (max(max(x, y), z) is max3(x, y, z)), so a tie is shared
# among all tied arguments whatever the nesting, which pairwise binary ops cannot do: binary
# max gives ½·½ = ¼ to x in max(max(x, y), z) at x = y = z.


def variadic_family(op: str) -> str | None:
    """'min' or 'max' for the ops min, max, min3, max4, ... (their printed name), else None."""
    definition = OPS.get(op)
    return None if definition is None else definition.extra.get("variadic")


def _tie_share(position: int) -> Rule:
    """Rule for argument i, in both modes: d·[xᵢ = out] / Σⱼ [xⱼ = out].

    The extreme argument alone gets all of d, each of k tied arguments d/k (JAX, PyTorch). The
    count is ≥ 1 unless out is NaN; then every argument gets where's exact 0 (0/0 is not taken).
    Written in op functions, so it runs on floats, arrays, series and graph nodes alike.
    """

    def rule(*args: Any) -> Any:
        *xs, out, d = args
        count = eq(xs[0], out)
        for x in xs[1:]:
            count = count + eq(x, out)
        return where(eq(xs[position], out), d / count, 0.0)

    return rule


@functools.cache
def minmax_op(family: str, count: int) -> str:
    """Registry name of min or max of `count` ≥ 2 arguments: 'max' for 2, 'max3', 'max4', ...

    The first call for a count registers the op with its rules and its value functions (floats,
    arrays, generated code read the family); complex step does not apply, as for binary max.
    """
    if family not in VARIADIC or count < 2:
        raise ValueError(f"no {family} of {count} arguments")
    if count == 2:
        return family
    # imported here, not at start-up: one-point commands without such a call never load them
    from ..ir.shapes import RULES, broadcast
    from .late_values import add_values

    name = f"{family}{count}"
    rules = tuple(_tie_share(i) for i in range(count))
    register(
        OpDef(
            name,
            count,
            rules,
            rules,
            smooth=False,
            doc=f"{family} of {count} arguments; a tie of k splits the derivative d/k each",
            extra={"variadic": family},
        )
    )
    SCALAR[name] = fold(SCALAR[family])
    add_values({name: _numpy_value(family)})
    # element-wise: broadcast like the binary op, and a shape error names what the user wrote
    RULES[name] = lambda shapes, statics, span: broadcast(family, shapes, span) if any(shapes) else ()
    return name


def _numpy_value(family: str) -> Callable[..., Any]:
    def value(*xs: Any) -> Any:
        from .numpy_values import NUMPY  # loaded by then: arrays are what this function receives

        return fold(NUMPY[family])(*xs)

    return value


# Names a user can call as functions; `min` and `max` take two or more arguments.
ALIASES = {"ln": "log"}
FUNCTIONS = sorted([name for name, d in OPS.items() if d.symbol is None] + ["pow", "ln"])
VARIADIC = {"min", "max"}
CONSTANTS = {"pi": math.pi, "e": math.e}
