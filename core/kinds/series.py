"""Taylor mode: truncated power series as a kind of value, so every op rule works on series.

A series holds x(t) = x_0 + x_1 t + ... + x_K t^K (x_k = k-th derivative / k!). Arithmetic uses
the Cauchy product and its inverse; exp, log, sin/cos, sinh/cosh and powers use their classic
recurrences (Griewank & Walther, ch. 13). Any other op f is generic: from y' = f'(x) x',
y_k = (1/k) sum_{j=1..k} j x_j (f'(x))_{k-j}, where the series of f'(x) comes from the op's own jvp
rule evaluated on series truncated to order k-1 (which is all that y_k needs).
"""

from __future__ import annotations

from typing import Any

from ..ops.registry import OPS, apply, register_kind, rules_of
from ..ops.scalar import SCALAR


class Series:
    """A truncated power series; arithmetic goes through the op registry like any value."""

    __slots__ = ("c",)

    def __init__(self, coefficients: list[float]) -> None:
        self.c = coefficients

    def __repr__(self) -> str:
        return f"Series({self.c})"

    def __add__(self, other: Any) -> Any:
        return apply("add", self, other)

    def __radd__(self, other: Any) -> Any:
        return apply("add", other, self)

    def __sub__(self, other: Any) -> Any:
        return apply("sub", self, other)

    def __rsub__(self, other: Any) -> Any:
        return apply("sub", other, self)

    def __mul__(self, other: Any) -> Any:
        return apply("mul", self, other)

    def __rmul__(self, other: Any) -> Any:
        return apply("mul", other, self)

    def __truediv__(self, other: Any) -> Any:
        return apply("div", self, other)

    def __rtruediv__(self, other: Any) -> Any:
        return apply("div", other, self)

    def __pow__(self, other: Any) -> Any:
        return apply("pow", self, other)

    def __rpow__(self, other: Any) -> Any:
        return apply("pow", other, self)

    def __neg__(self) -> Any:
        return apply("neg", self)


def lift(value: Any, size: int) -> list[float]:
    """The first `size` coefficients of a series, or of a number as a constant series."""
    return value.c[:size] if isinstance(value, Series) else [value] + [0.0] * (size - 1)


def _value(value: Any) -> float:
    return value.c[0] if isinstance(value, Series) else value


# --- recurrences -------------------------------------------------------------------------------
def _mul(a: list[float], b: list[float]) -> list[float]:
    return [sum(a[j] * b[k - j] for j in range(k + 1)) for k in range(len(a))]


def _div(a: list[float], b: list[float]) -> list[float]:
    # q = a/b  <=>  a = q b  =>  q_k = (a_k - sum_{j>=1} b_j q_{k-j}) / b_0
    q: list[float] = []
    for k in range(len(a)):
        q.append(SCALAR["div"](a[k] - sum(b[j] * q[k - j] for j in range(1, k + 1)), b[0]))
    return q


def _exp(x: list[float]) -> list[float]:
    y = [SCALAR["exp"](x[0])]  # y' = y x'
    for k in range(1, len(x)):
        y.append(sum(j * x[j] * y[k - j] for j in range(1, k + 1)) / k)
    return y


def _log(x: list[float]) -> list[float]:
    y = [SCALAR["log"](x[0])]  # x y' = x'
    for k in range(1, len(x)):
        y.append(SCALAR["div"](x[k] - sum(j * y[j] * x[k - j] for j in range(1, k)) / k, x[0]))
    return y


def _sin_cos(x: list[float], hyperbolic: bool) -> tuple[list[float], list[float]]:
    # s' = c x', c' = -s x' (hyperbolic: c' = s x')
    s = [SCALAR["sinh" if hyperbolic else "sin"](x[0])]
    c = [SCALAR["cosh" if hyperbolic else "cos"](x[0])]
    sign = 1.0 if hyperbolic else -1.0
    for k in range(1, len(x)):
        s.append(sum(j * x[j] * c[k - j] for j in range(1, k + 1)) / k)
        c.append(sign * sum(j * x[j] * s[k - j] for j in range(1, k + 1)) / k)
    return s, c


def _power(x: list[float], p: float) -> list[float]:
    if x[0] == 0:
        if p == int(p) and 0 <= p <= 64:  # x0 = 0: repeated products, exact
            result = [1.0] + [0.0] * (len(x) - 1)
            for _ in range(int(p)):
                result = _mul(result, x)
            return result
        return _exp(_mul([p] + [0.0] * (len(x) - 1), _log(x)))
    # y = x^p  =>  x y' = p x' y  =>  y_k = sum_{j=1..k} ((p+1) j - k) x_j y_{k-j} / (k x_0)
    y = [SCALAR["pow"](x[0], p)]
    for k in range(1, len(x)):
        y.append(sum(((p + 1) * j - k) * x[j] * y[k - j] for j in range(1, k + 1)) / (k * x[0]))
    return y


def _generic(name: str, args: list[list[float]]) -> list[float]:
    """y_k = (1/k) sum_i sum_j j a_ij (partial_i)_{k-j}, partials from the op's jvp rules."""
    rules = rules_of(name, "jvp")
    y = [SCALAR[name](*(a[0] for a in args))]
    for k in range(1, len(args[0])):
        truncated = [Series(a[:k]) for a in args]
        one = Series([1.0] + [0.0] * (k - 1))
        total = 0.0
        for a, rule in zip(args, rules, strict=True):
            if rule is None:
                continue
            partial = lift(rule(*truncated, Series(y[:k]), one), k)
            total += sum(j * a[j] * partial[k - j] for j in range(1, k + 1))
        y.append(total / k)
    return y


def _select(name: str, args: tuple[Any, ...], size: int) -> list[float]:
    if name == "where":
        return lift(args[1] if _value(args[0]) else args[2], size)
    lifted = [lift(x, size) for x in args]
    if len(lifted) > 2:
        # min/max of k: the mean of the series tied at the extreme (1/k each, as the rules split)
        extreme = SCALAR[name](*(a[0] for a in lifted))
        tied = [a for a in lifted if a[0] == extreme] or [[extreme] * size]  # none tied: NaN
        return [sum(column) / len(tied) for column in zip(*tied, strict=True)]
    a, b = lifted
    if a[0] == b[0]:  # a tie splits evenly, as the min/max rules do
        return [(p + q) / 2 for p, q in zip(a, b, strict=True)]
    pick_a = (a[0] < b[0]) == (name == "min")
    return a if pick_a else b


def apply_series(name: str, *args: Any) -> Any:
    """Op `name` on series (and numbers)."""
    if name in ("lt", "le", "gt", "ge", "eq", "ne"):  # comparisons look at the values only
        return SCALAR[name](*(_value(a) for a in args))
    size = max(len(a.c) for a in args if isinstance(a, Series))
    if name == "where" or OPS[name].extra.get("variadic"):  # min, max, min3, max4, ...
        return Series(_select(name, args, size))
    lifted = [lift(a, size) for a in args]
    return Series(_arithmetic(name, lifted, args))


def _arithmetic(name: str, lifted: list[list[float]], args: tuple[Any, ...]) -> list[float]:
    x = lifted[0]
    simple = {
        "add": lambda: [a + b for a, b in zip(x, lifted[-1], strict=True)],
        "sub": lambda: [a - b for a, b in zip(x, lifted[-1], strict=True)],
        "neg": lambda: [-a for a in x],
        "mul": lambda: _mul(x, lifted[-1]),
        "div": lambda: _div(x, lifted[-1]),
        "exp": lambda: _exp(x),
        "log": lambda: _log(x),
        "sin": lambda: _sin_cos(x, False)[0],
        "cos": lambda: _sin_cos(x, False)[1],
        "sinh": lambda: _sin_cos(x, True)[0],
        "cosh": lambda: _sin_cos(x, True)[1],
        "sqrt": lambda: _power(x, 0.5),
        "abs": lambda: [SCALAR["sign"](x[0]) * a for a in x],
    }
    if name in simple:
        return simple[name]()
    if name == "pow":
        exponent = lifted[1]
        if not any(exponent[1:]):
            return _power(x, exponent[0])
        return _exp(_mul(exponent, _log(x)))  # x^y = exp(y log x)
    if OPS[name].zero_derivative:  # floor, ceil, sign: locally constant
        return [SCALAR[name](*(a[0] for a in lifted))] + [0.0] * (len(x) - 1)
    return _generic(name, lifted)


register_kind(Series, 50, apply_series)
