"""Value functions for Python floats (math) and complex numbers (cmath), IEEE style.

The math module raises where IEEE 754 arithmetic returns inf or NaN (`log(0)`, `1/0`,
`exp(1000)`). Evaluators want IEEE results instead: a branch of `where` that is not taken may
well be outside its domain, and a NaN that reaches the output is reported with the position of
the node that made it. No numpy here: this is the fast start-up path.
"""

from __future__ import annotations

import cmath
import math
from collections.abc import Callable

INF = math.inf
NAN = math.nan


def _div(x: float, y: float) -> float:
    try:
        return x / y
    except ZeroDivisionError:
        if x == 0 or x != x:
            return NAN
        return math.copysign(INF, x) * math.copysign(1.0, y)


def _pow(x: float, y: float) -> float:
    try:
        return math.pow(x, y)
    except ValueError:  # 0 ** negative (IEEE: ±inf), or a negative base with a fractional power
        if x == 0 and y < 0:
            odd = y.is_integer() and int(y) % 2 == 1
            return math.copysign(INF, x) if odd else INF
        return NAN
    except OverflowError:
        odd = y.is_integer() and int(y) % 2 == 1
        return -INF if x < 0 and odd else INF


def _log_base(log: Callable[[float], float]) -> Callable[[float], float]:
    def safe(x: float) -> float:
        if x > 0:
            return log(x)
        return -INF if x == 0 else NAN

    return safe


def _guard(function: Callable[[float], float], overflow: Callable[[float], float]) -> Callable:
    """`function` with a NaN for domain errors and `overflow(x)` when the result overflows."""

    def safe(x: float) -> float:
        try:
            return function(x)
        except ValueError:
            return NAN
        except OverflowError:
            return overflow(x)

    return safe


def _sign(x: float) -> float:
    if x != x:
        return NAN
    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0


def _sigmoid(x: float) -> float:
    # Two forms, so exp never overflows: 1/(1+e^-x) for x >= 0, e^x/(1+e^x) below.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


def _softplus(x: float) -> float:
    # log(1 + e^x) = max(x, 0) + log1p(e^-|x|): exact limits at ±1000, no overflow.
    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))


def _cbrt(x: float) -> float:
    # libm's cbrt is only faithful (cbrt(27) = 3.0000000000000004 here); one Newton step makes
    # perfect cubes exact and agrees with numpy's cbrt to the last bit or one ulp elsewhere
    if x == 0 or not math.isfinite(x):
        return x
    y = math.cbrt(x)
    return y - (y * y * y - x) / (3.0 * y * y)


# A tie gives the second argument, as numpy's minimum and maximum do: max(-0.0, 0.0) is 0.0 on
# every path, so 1/max(..) at a signed-zero tie has one sign of infinity
def _min(x: float, y: float) -> float:
    return NAN if x != x or y != y else (x if x < y else y)


def _max(x: float, y: float) -> float:
    return NAN if x != x or y != y else (x if x > y else y)


def fold(binary: Callable[[float, float], float]) -> Callable[..., float]:
    """The k-argument form of an associative binary function: f(a, b, c) = f(f(a, b), c).

    min and max of 3 or more arguments take their values this way (NaN still propagates); only
    their derivative rules need all k arguments at once, to share a tie among all tied ones.
    """

    def many(first: float, *rest: float) -> float:
        result = first
        for x in rest:
            result = binary(result, x)
        return result

    return many


def _where(c: float, a: float, b: float) -> float:
    return a if c else b


def _floor(x: float) -> float:
    # math.floor returns an int, which has no -0.0: floor(-0.0) is -0.0 in IEEE 754 and numpy
    return (float(math.floor(x)) or math.copysign(0.0, x)) if math.isfinite(x) else x


def _ceil(x: float) -> float:
    # ceil(-0.5) is -0.0 in IEEE 754 and numpy, so x / ceil(x) there is +inf on every path
    return (float(math.ceil(x)) or math.copysign(0.0, x)) if math.isfinite(x) else x


def _atanh(x: float) -> float:
    # math.atanh raises at ±1, where IEEE 754 (and numpy) give ±inf, the limit: a pole, not NaN
    if x == 1 or x == -1:
        return math.copysign(INF, x)
    return math.atanh(x) if -1 < x < 1 else NAN


def _sinh_overflow(x: float) -> float:
    return math.copysign(INF, x)


def _inf(x: float) -> float:
    return INF


# Filled by ops.registry.register from each op's `values` ("float"): the table the evaluators use.
SCALAR: dict[str, Callable[..., float]] = {}


def _complex_sigmoid(z: complex) -> complex:
    return 1 / (1 + cmath.exp(-z))


def _complex_softplus(z: complex) -> complex:
    # Real part stable as in _softplus; the complex-step derivative only needs analyticity.
    if z.real > 0:
        return z + cmath.log(1 + cmath.exp(-z))
    return cmath.log(1 + cmath.exp(z))


def _complex_pow(x: complex, y: complex) -> complex:
    # Python's complex power multiplies out integer exponents, so x^2 at x = -1.2 + ih keeps its
    # tiny imaginary part exact; exp(y log x) would bury it under rounding of log's branch. So
    # does a negative base with a stepped integer exponent n + iδ (the complex step in y): there
    # x^n · x^(iδ), whose imaginary part carries x^n δ log|x|, the real rule's derivative, where
    # e^(y log x) leaves sin(3π) ≈ 4e-16 in it, 1e4 times the step.
    x = complex(x)
    if x.real < 0 and type(y) is complex and y.imag != 0 and y.real == round(y.real) and abs(y.real) < 2**53:
        n = int(y.real)
        return x**n * cmath.exp((y - n) * cmath.log(x))
    return x**y


def _complex_atan2(y: complex, x: complex) -> complex:
    # atan2 is analytic wherever (x, y) is off the origin and the cut x < 0, y = 0, but atan(y/x)
    # blows up at x = 0: there the other form, ±π/2 - atan(x/y), keeps the complex step exact
    y, x = complex(y), complex(x)
    if x.real == 0 == y.real:  # the origin: not analytic; the real value as math.atan2 gives it
        return complex(math.atan2(y.real, x.real))
    if abs(y.real) > abs(x.real):
        return math.copysign(math.pi / 2, y.real) - cmath.atan(x / y)
    return cmath.atan(y / x) + (0 if x.real > 0 else math.copysign(math.pi, y.real))


def _complex_where(c: complex, a: complex, b: complex) -> complex:
    condition = c.real if isinstance(c, complex) else c
    return a if condition else b


def compare_real(test: Callable[[float, float], bool]) -> Callable[[complex, complex], float]:
    """A comparison of the real parts, so a complex step flows through branch conditions."""
    return lambda x, y: float(test(complex(x).real, complex(y).real))


# Filled from each op's `values` ("complex"): only complex-analytic functions, so the complex
# step through abs, sign, floor, min, max does not apply.
COMPLEX: dict[str, Callable[..., complex]] = {}


class IEEE(float):
    """A float whose arithmetic never raises: 1/0 is inf, 0/0 and (-8)**(1/3) are NaN.

    Rules run on plain floats, which is fast; at the rare point where Python raises (a
    derivative 0.5/sqrt(x) at x = 0), the evaluator runs the rule again on IEEE floats.
    """

    __slots__ = ()

    def __add__(self, other: float) -> IEEE:
        return IEEE(float(self) + float(other))

    __radd__ = __add__

    def __sub__(self, other: float) -> IEEE:
        return IEEE(float(self) - float(other))

    def __rsub__(self, other: float) -> IEEE:
        return IEEE(float(other) - float(self))

    def __mul__(self, other: float) -> IEEE:
        return IEEE(float(self) * float(other))

    __rmul__ = __mul__

    def __truediv__(self, other: float) -> IEEE:
        return IEEE(_div(float(self), float(other)))

    def __rtruediv__(self, other: float) -> IEEE:
        return IEEE(_div(float(other), float(self)))

    def __pow__(self, other: float) -> IEEE:  # type: ignore[override]
        return IEEE(_pow(float(self), float(other)))

    def __rpow__(self, other: float) -> IEEE:  # type: ignore[override]
        return IEEE(_pow(float(other), float(self)))

    def __neg__(self) -> IEEE:
        return IEEE(-float(self))


def apply_ieee(name: str, *args: float) -> IEEE:
    """Op `name` on IEEE floats, keeping them IEEE."""
    return IEEE(SCALAR[name](*(float(a) for a in args)))
