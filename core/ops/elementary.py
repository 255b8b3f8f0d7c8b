"""The scalar operations: one registry entry each, with both derivative rules.

Conventions at points where a derivative does not exist follow JAX and PyTorch where they agree:
abs'(0) = 0, sign' = floor' = ceil' = 0, and min/max split the cotangent evenly at a tie.
"""

from __future__ import annotations

import cmath
import functools
import math
import operator
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
    exp,
    ge,
    hypot,
    le,
    linear,
    log,
    lt,
    power,
    register,
    sigmoid,
    sign,
    sin,
    sinh,
    sqrt,
    where,
    zero_derivative,
)
from ..ops.scalar import (
    INF,
    NAN,
    SCALAR,
    _atanh,
    _cbrt,
    _ceil,
    _complex_atan2,
    _complex_pow,
    _complex_sigmoid,
    _complex_softplus,
    _complex_where,
    _div,
    _floor,
    _guard,
    _inf,
    _log_base,
    _max,
    _min,
    _pow,
    _sigmoid,
    _sign,
    _sinh_overflow,
    _softplus,
    _where,
    compare_real,
    fold,
)


# Each op's value on every kind of value sits in its registration: a Python-float function
# (scalar.py's IEEE-style helpers where math raises), a complex one (None: not complex-analytic,
# so the complex step does not apply), a numpy name and the spelling of generated Python.
def kinds(
    float_: Callable[..., Any], complex_: Callable[..., Any] | None, numpy: str, python: str = ""
) -> dict:
    """OpDef.values: the op on floats, on complex numbers, its numpy function, its Python spelling."""
    found: dict[str, Any] = {"float": float_, "numpy": numpy}
    if complex_ is not None:
        found["complex"] = complex_
    if python:
        found["python"] = python
    return found


# --- arithmetic --------------------------------------------------------------------------------
linear(
    "add",
    +1,
    +1,
    symbol="+",
    doc="x + y",
    values=kinds(lambda x, y: x + y, lambda x, y: x + y, "add", "{0} + {1}"),
)
linear(
    "sub",
    +1,
    -1,
    symbol="-",
    doc="x - y",
    values=kinds(lambda x, y: x - y, lambda x, y: x - y, "subtract", "{0} - {1}"),
)
linear("neg", -1, symbol="-", doc="-x", values=kinds(lambda x: -x, lambda x: -x, "negative", "-{0}"))
elementwise(
    "mul",
    lambda x, y, out: y,
    lambda x, y, out: x,
    symbol="*",
    doc="x * y",
    values=kinds(lambda x, y: x * y, lambda x, y: x * y, "multiply", "{0} * {1}"),
)
register(
    OpDef(
        "div",
        2,
        jvp=(lambda x, y, out, dx: dx / y, lambda x, y, out, dy: -(out * dy) / y),
        vjp=(lambda x, y, out, g: g / y, lambda x, y, out, g: -(g * out) / y),
        symbol="/",
        doc="x / y",
        values=kinds(_div, lambda x, y: x / y, "divide", "{0} / {1}"),
    )
)
elementwise(
    "pow",
    # d/dx x^y = y x^(y-1), exactly 0 at y = 0 (so 0^0 has no 0*inf) as y/x, which has the right
    # derivative in y (a constant 0 made ∂²/∂x∂y of (0.72 + x)^(2y) at y = 0 zero, not 2/1.72)
    lambda x, y, out: where(eq(y, 0), where(eq(x, 0), 0.0, y / x), y * power(x, y - 1.0)),
    # d/dy x^y = x^y log x; 0 at x = 0, the one-sided limit (log 0 = -inf would give NaN). A
    # negative base has a real power only at integer y, where the derivative of the real part of
    # the principal x^y = |x|^y e^(iπy) is x^y log|x| (what the complex step finds): finite, so
    # atan(x)^tanh(x) at x = -97, where tanh rounds to -1, has the derivative of its float value
    # (log|x| as where(x < 0, log(-x), log(x)): an abs here would add its kink at 0 to the warnings)
    lambda x, y, out: where(eq(x, 0), 0.0, out * where(lt(x, 0), log(-x), log(x))),
    symbol="^",
    doc="x ^ y (also x ** y, pow(x, y))",
    values=kinds(_pow, _complex_pow, "power", "pow"),
)

# --- comparisons and selection -----------------------------------------------------------------
COMPARISONS = {"lt": "<", "le": "<=", "gt": ">", "ge": ">=", "eq": "==", "ne": "!="}  # op -> symbol
_TESTS = {
    "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge, "eq": operator.eq,
    "ne": operator.ne,
}  # fmt: skip
for _name, _symbol in COMPARISONS.items():
    zero_derivative(
        _name, 2, symbol=_symbol, doc=f"x {_symbol} y: 1 if true else 0",
        # 1.0 or 0.0; on complex numbers the real parts, so a complex step flows through conditions
        values=kinds(
            lambda x, y, test=_TESTS[_name]: float(test(x, y)), compare_real(_TESTS[_name]), _name,
            f"1.0 if {{0}} {_symbol} {{1}} else 0.0",
        ),
    )  # fmt: skip
register(
    OpDef(
        "where",
        3,
        # the branch not taken receives an exact zero, never 0 * (its NaN derivative)
        jvp=(None, lambda c, a, b, out, da: where(c, da, 0.0), lambda c, a, b, out, db: where(c, 0.0, db)),
        vjp=(None, lambda c, a, b, out, g: where(c, g, 0.0), lambda c, a, b, out, g: where(c, 0.0, g)),
        doc="where(c, a, b): a where c is non-zero, else b",
        values=kinds(_where, _complex_where, "where", "{1} if {0} else {2}"),
    )
)

# --- trigonometric -----------------------------------------------------------------------------
elementwise(
    "sin", lambda x, out: cos(x), doc="sine", values=kinds(_guard(math.sin, _inf), cmath.sin, "sin", "sin")
)
elementwise(
    "cos", lambda x, out: -sin(x), doc="cosine", values=kinds(_guard(math.cos, _inf), cmath.cos, "cos", "cos")
)
elementwise(
    "tan",
    lambda x, out: 1.0 + out * out,
    doc="tangent",  # sec² x = 1 + tan² x
    values=kinds(_guard(math.tan, _inf), cmath.tan, "tan", "tan"),
)
elementwise(
    "asin",
    # (1 - x)(1 + x), not 1 - x*x: exact near ±1 (Sterbenz), where x*x rounds away the digits that
    # remain of 1 - x² (asin(sigmoid(y^y)) at y = 3 lost 4 digits)
    lambda x, out: 1.0 / sqrt((1.0 - x) * (1.0 + x)),
    doc="arcsine",
    values=kinds(_guard(math.asin, _inf), cmath.asin, "arcsin", "asin"),
)
elementwise(
    "acos",
    lambda x, out: -1.0 / sqrt((1.0 - x) * (1.0 + x)),
    doc="arccosine",
    values=kinds(_guard(math.acos, _inf), cmath.acos, "arccos", "acos"),
)
elementwise(
    "atan",
    lambda x, out: 1.0 / (1.0 + x * x),
    doc="arctangent",
    values=kinds(math.atan, cmath.atan, "arctan", "atan"),
)
elementwise(
    "atan2",
    lambda y, x, out: x / (x * x + y * y),
    lambda y, x, out: -y / (x * x + y * y),
    doc="atan2(y, x): angle of the point (x, y)",
    values=kinds(math.atan2, _complex_atan2, "arctan2", "atan2"),
)

# --- hyperbolic --------------------------------------------------------------------------------
elementwise(
    "sinh",
    lambda x, out: cosh(x),
    doc="hyperbolic sine",
    values=kinds(_guard(math.sinh, _sinh_overflow), cmath.sinh, "sinh", "sinh"),
)
elementwise(
    "cosh",
    lambda x, out: sinh(x),
    doc="hyperbolic cosine",
    values=kinds(_guard(math.cosh, _inf), cmath.cosh, "cosh", "cosh"),
)
elementwise(
    "tanh",
    lambda x, out: 1.0 - out * out,
    doc="hyperbolic tangent",  # exact 0 at ±1000
    values=kinds(math.tanh, cmath.tanh, "tanh", "tanh"),
)
elementwise(
    "asinh",
    lambda x, out: 1.0 / hypot(x, 1.0),
    doc="inverse hyperbolic sine",
    values=kinds(math.asinh, cmath.asinh, "arcsinh", "asinh"),
)
elementwise(
    "acosh",
    lambda x, out: 1.0 / (sqrt(x - 1.0) * sqrt(x + 1.0)),
    doc="inverse cosh",
    values=kinds(_guard(math.acosh, _inf), cmath.acosh, "arccosh", "acosh"),
)
elementwise(
    "atanh",
    lambda x, out: 1.0 / ((1.0 - x) * (1.0 + x)),
    doc="inverse hyperbolic tangent",
    values=kinds(_atanh, cmath.atanh, "arctanh", "atanh"),
)

# --- exponential and logarithmic ---------------------------------------------------------------
elementwise(
    "exp", lambda x, out: out, doc="e ^ x", values=kinds(_guard(math.exp, _inf), cmath.exp, "exp", "exp")
)
elementwise(
    "expm1",
    lambda x, out: exp(x),  # not out + 1, which is 1 - 1 + tiny = 0 for x below about -37
    doc="e ^ x - 1, accurate near 0",
    values=kinds(
        _guard(math.expm1, _inf),
        lambda z: cmath.exp(z) - 1 if abs(z) > 1e-5 else z + z * z / 2 + z * z * z / 6,
        "expm1",
        "expm1",
    ),
)
elementwise(
    "log",
    lambda x, out: 1.0 / x,
    doc="natural logarithm (also ln)",
    values=kinds(_log_base(math.log), cmath.log, "log", "log"),
)
elementwise(
    "log1p",
    lambda x, out: 1.0 / (1.0 + x),
    doc="log(1 + x), accurate near 0",
    values=kinds(
        lambda x: math.log1p(x) if x > -1 else (-INF if x == -1 else NAN),
        lambda z: cmath.log(1 + z) if abs(z) > 1e-5 else z - z * z / 2 + z * z * z / 3,
        "log1p",
        "log1p",
    ),
)
elementwise(
    "log2",
    lambda x, out: 1.0 / (x * math.log(2.0)),
    doc="base-2 logarithm",
    values=kinds(_log_base(math.log2), lambda z: cmath.log(z) / math.log(2), "log2", "log2"),
)
elementwise(
    "log10",
    lambda x, out: 1.0 / (x * math.log(10.0)),
    doc="base-10 logarithm",
    values=kinds(_log_base(math.log10), cmath.log10, "log10", "log10"),
)
elementwise(
    "sqrt",
    lambda x, out: 0.5 / out,
    doc="square root",
    values=kinds(lambda x: math.sqrt(x) if x >= 0 else NAN, cmath.sqrt, "sqrt", "sqrt"),
)
elementwise(
    "cbrt",
    lambda x, out: 1.0 / (3.0 * out * out),
    doc="cube root (real, odd)",
    values=kinds(
        _cbrt, lambda z: cmath.exp(cmath.log(z) / 3) if z.real >= 0 else -cmath.exp(cmath.log(-z) / 3), "cbrt"
    ),
)
elementwise(
    "sigmoid",
    lambda x, out: out * (1.0 - out),
    doc="logistic 1 / (1 + e^-x)",
    values=kinds(_sigmoid, _complex_sigmoid, "sigmoid"),
)
elementwise(
    "softplus",
    lambda x, out: sigmoid(x),
    doc="log(1 + e^x), overflow-free",
    values=kinds(_softplus, _complex_softplus, "softplus"),
)
elementwise(
    "hypot",
    # x / hypot, with 0 at the origin (a subgradient) instead of 0/0
    lambda x, y, out: where(eq(out, 0), 0.0, x / out),
    lambda x, y, out: where(eq(out, 0), 0.0, y / out),
    doc="hypot(x, y) = sqrt(x² + y²) without overflow",
    values=kinds(math.hypot, lambda x, y: cmath.sqrt(x * x + y * y), "hypot", "hypot"),
)

# --- piecewise: not complex-analytic, so no complex value (the complex step does not apply) ----
elementwise(
    "abs",
    lambda x, out: sign(x),
    smooth=False,
    doc="absolute value; abs'(0) = 0",
    values=kinds(abs, None, "abs", "abs({0})"),
)
zero_derivative("sign", smooth=False, doc="sign: -1, 0 or 1", values=kinds(_sign, None, "sign"))
zero_derivative("floor", smooth=False, doc="largest integer <= x", values=kinds(_floor, None, "floor"))
zero_derivative("ceil", smooth=False, doc="smallest integer >= x", values=kinds(_ceil, None, "ceil"))


def _pick(wins: Callable[[Any, Any], Any], position: int) -> Rule:
    """Rule of min or max for one argument: all of d where it is the extreme, d/2 at a tie, else an
    exact 0 selected by `where` (never 0 * d: d may be inf or NaN in the argument not chosen, as
    pow(y, -2) at y = 0 is, and forward mode and compiled code would give NaN where reverse gives
    the other argument's derivative). d is multiplied in last, inside the outer `where`, so that a
    d masked by an enclosing where(c, 0, g) stays a mask on graphs (kinds/graphs.py pushes it)."""

    def rule(x: Any, y: Any, out: Any, d: Any) -> Any:
        mine, other = (x, y) if position == 0 else (y, x)
        return where(wins(mine, other), where(eq(x, y), 0.5, 1.0) * d, 0.0)

    return rule


for _family, _wins, _value, _numpy in (("min", le, _min, "minimum"), ("max", ge, _max, "maximum")):
    _rules = (_pick(_wins, 0), _pick(_wins, 1))
    register(
        OpDef(
            _family,
            2,
            _rules,
            _rules,
            smooth=False,
            doc=f"{_family}(a, b, ...); a tie splits the derivative evenly",
            extra={"variadic": _family},
            # NaN propagates, as numpy's minimum and maximum do
            values=kinds(_value, None, _numpy),
        )
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
        if type(out) is float and xs[position] != out:  # not an extreme (or out is NaN): exactly 0
            return 0.0  # without this, max of k numbers cost k² comparisons: 0.7 s for k = 1000
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
