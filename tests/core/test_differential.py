"""Differential testing: every derivative path of adcalc against the others, and against mpmath.

Random expressions over the scalar functions (kinks included: abs, sign, floor, ceil, min, max,
where) at random points. At each point these must agree:

- `adcalc.gradient` (reverse mode on floats), `adcalc.gradient_forward` (forward mode),
  `adcalc.jvp` along a random direction, `adcalc.vjp` with cotangent 2;
- `adcalc.compile(...).grad(**point)` (generated straight-line Python) and the same call on numpy
  arrays of all the points at once (generated numpy kernels), and `.hessian`;
- `adcalc.hessian`, and the same expression as an array program (`sum(f(x, y))` with x, y vectors
  of all the points: the engine's graph path, one Hessian block per point);
- the complex step, where every op on the path is complex-analytic;
- and, as independent truth, central differences computed by mpmath at 40 digits from a
  graph evaluator written here (no adcalc rule is used), wherever mpmath says the function is
  real, finite and differentiable at the point (one-sided differences agree).

Tolerances: the AD paths agree with each other to 1e-9 relative (max(1, |a|, |b|) scale), and
with the mpmath truth to 1e-6 relative where the float64 value itself agrees with mpmath to
1e-9 (else the point is ill-conditioned for float64 and only NaN-ness is compared). NaN (or a
DomainError) where mpmath finds a finite value and derivative is always a failure.

`ADCALC_FUZZ_EXAMPLES=N` sets the number of expressions (default 400, 8 points each);
`ADCALC_FUZZ_SEED` the first seed. Each failure names the expression and point to reproduce.
"""

from __future__ import annotations

import math
import os
import random
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import adcalc
import mpmath
import numpy as np
import pytest
from adcalc.engine.forward import values_of
from adcalc.errors import AdcalcError, DomainError, NotApplicable

EXPRESSIONS = int(os.environ.get("ADCALC_FUZZ_EXAMPLES", "400"))
FIRST_SEED = int(os.environ.get("ADCALC_FUZZ_SEED", "0"))
POINTS = 8
AD_TOLERANCE = 1e-9
TRUTH_TOLERANCE = 1e-6
VALUE_TOLERANCE = 1e-9  # float64 value against mpmath: beyond this the point is ill-conditioned
DIGITS = 50

UNARY = [
    "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
    "exp", "expm1", "log", "log1p", "log2", "log10", "sqrt", "cbrt", "sigmoid", "softplus",
    "abs", "sign", "floor", "ceil",
]  # fmt: skip
BINARY_FUNCTIONS = ["atan2", "hypot", "min", "max", "pow"]
INFIX = ["+", "-", "*", "/", "^"]
COMPARE = ["<", "<=", ">", ">=", "==", "!="]
VARIABLES = ("x", "y")


# --- the generator -----------------------------------------------------------------------------
def constant(rng: random.Random) -> str:
    choice = rng.random()
    if choice < 0.3:
        return str(rng.choice([0, 1, 2, 3, 0.5, -1, -2]))
    return repr(round(rng.uniform(-3, 3), 2))


def expression(rng: random.Random, depth: int) -> str:
    """A random expression in x and y with about 2^depth leaves."""
    if depth <= 0 or rng.random() < 0.2:
        return rng.choice(VARIABLES) if rng.random() < 0.75 else constant(rng)
    kind = rng.random()
    if kind < 0.45:
        return f"{rng.choice(UNARY)}({expression(rng, depth - 1)})"
    if kind < 0.75:
        left, right = expression(rng, depth - 1), expression(rng, depth - 1)
        return f"({left}) {rng.choice(INFIX)} ({right})"
    if kind < 0.9:
        name = rng.choice(BINARY_FUNCTIONS)
        count = rng.choice([2, 2, 3]) if name in ("min", "max") else 2
        return f"{name}({', '.join(expression(rng, depth - 1) for _ in range(count))})"
    condition = f"{expression(rng, depth - 2)} {rng.choice(COMPARE)} {expression(rng, depth - 2)}"
    return f"where({condition}, {expression(rng, depth - 1)}, {expression(rng, depth - 1)})"


def point(rng: random.Random) -> dict[str, float]:
    """A random point; one in four coordinates is a special value (0, ±1, an integer, ½)."""
    def coordinate() -> float:
        if rng.random() < 0.25:
            return float(rng.choice([0.0, 1.0, -1.0, 2.0, 0.5, -0.5, 3.0]))
        return rng.uniform(-3, 3)

    return {name: coordinate() for name in VARIABLES}


# --- mpmath: an evaluator of the graph that uses no adcalc rule -------------------------------
class Undefined(Exception):
    """The function is not real (or not finite) here."""


def _real(value: Any) -> Any:
    if isinstance(value, mpmath.mpc):
        if value.imag != 0:
            raise Undefined
        value = value.real
    if not mpmath.isfinite(value):
        raise Undefined
    return value


def _cbrt(x: Any) -> Any:
    return mpmath.sign(x) * mpmath.cbrt(abs(x))


def _pow(x: Any, y: Any) -> Any:
    if x == 0:
        if y > 0:
            return mpmath.mpf(0)
        if y == 0:
            return mpmath.mpf(1)
        raise Undefined
    if x < 0 and y != mpmath.floor(y):
        raise Undefined
    return mpmath.power(x, y)


MP: dict[str, Callable[..., Any]] = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "neg": lambda a: -a, "pow": _pow,
    "sin": mpmath.sin, "cos": mpmath.cos, "tan": mpmath.tan, "asin": mpmath.asin, "acos": mpmath.acos,
    "atan": mpmath.atan, "atan2": mpmath.atan2, "sinh": mpmath.sinh, "cosh": mpmath.cosh,
    "tanh": mpmath.tanh, "asinh": mpmath.asinh, "acosh": mpmath.acosh, "atanh": mpmath.atanh,
    "exp": mpmath.exp, "expm1": mpmath.expm1, "log": mpmath.log, "log1p": mpmath.log1p,
    "log2": lambda x: mpmath.log(x, 2), "log10": mpmath.log10, "sqrt": mpmath.sqrt, "cbrt": _cbrt,
    "sigmoid": lambda x: 1 / (1 + mpmath.exp(-x)), "softplus": lambda x: mpmath.log1p(mpmath.exp(x)),
    "hypot": mpmath.hypot, "abs": abs, "sign": mpmath.sign, "floor": mpmath.floor, "ceil": mpmath.ceil,
    "min": min, "max": max,
    "lt": lambda a, b: int(a < b), "le": lambda a, b: int(a <= b), "gt": lambda a, b: int(a > b),
    "ge": lambda a, b: int(a >= b), "eq": lambda a, b: int(a == b), "ne": lambda a, b: int(a != b),
}  # fmt: skip
_DOMAIN = {  # where mpmath returns a value (or raises something else) outside the real domain
    "log": lambda x: x > 0, "log2": lambda x: x > 0, "log10": lambda x: x > 0, "log1p": lambda x: x > -1,
    "sqrt": lambda x: x >= 0, "asin": lambda x: abs(x) <= 1, "acos": lambda x: abs(x) <= 1,
    "acosh": lambda x: x >= 1, "atanh": lambda x: abs(x) < 1,
}  # fmt: skip


def mp_value(graph: adcalc.Graph, at: Mapping[str, Any]) -> Any:
    """The graph's value in mpmath, or Undefined; a branch of `where` not taken is not evaluated."""
    root = graph.outputs[0][1]
    memo: dict[Any, Any] = {}
    stack = [root]
    while stack:  # iterative, lazy in where's untaken branch
        n = stack[-1]
        if n in memo:
            stack.pop()
            continue
        if n.op == "const":  # the parser folds constants: asin(-2.43) is a NaN constant
            memo[n] = mpmath.mpf(n.payload) if math.isfinite(n.payload) else None
        elif n.op == "var":
            memo[n] = mpmath.mpf(at[n.payload])
        elif n.op == "where":
            c, a, b = n.inputs
            if c not in memo:
                stack.append(c)
                continue
            chosen = a if _defined(memo[c]) and memo[c] != 0 else b
            if not _defined(memo[c]):
                memo[n] = memo[c]
            elif chosen not in memo:
                stack.append(chosen)
                continue
            else:
                memo[n] = memo[chosen]
        else:
            missing = [i for i in n.inputs if i not in memo]
            if missing:
                stack.extend(missing)
                continue
            memo[n] = _apply(n.op, [memo[i] for i in n.inputs])
        stack.pop()
    found = memo[root]
    if not _defined(found):
        raise Undefined
    return found


def _defined(value: Any) -> bool:
    return value is not None


def _apply(op: str, args: list[Any]) -> Any:
    if any(a is None for a in args):
        return None
    family = op.rstrip("0123456789") if op.startswith(("min", "max")) else op
    try:
        if family in _DOMAIN and not _DOMAIN[family](args[0]):
            return None
        return _real(MP[family](*args))
    except (Undefined, ZeroDivisionError, ValueError):
        return None


def truth(graph: adcalc.Graph, at: Mapping[str, float], names: Sequence[str]) -> dict[str, Any] | None:
    """mpmath's value, gradient and Hessian (None entries where not differentiable), or None."""
    with mpmath.workdps(DIGITS):
        base = {name: mpmath.mpf(v) for name, v in at.items()}

        def f(**moved: Any) -> Any:
            return mp_value(graph, {**base, **moved})

        try:
            value = f()
        except Undefined:
            return None
        gradient: dict[str, Any] = {}
        for name in names:
            gradient[name] = _first(f, base, value, name)
        hessian: dict[tuple[str, str], Any] = {}
        for i, first in enumerate(names):
            for second in names[i:]:
                smooth = gradient[first] is not None and gradient[second] is not None
                hessian[first, second] = _second(f, base, value, first, second) if smooth else None
        return {"value": value, "gradient": gradient, "hessian": hessian}


def _first(f: Callable[..., Any], base: Mapping[str, Any], value: Any, name: str) -> Any:
    """∂f/∂name by central differences at steps 1e-18 and 1e-21 (relative); None at a kink (the
    one-sided differences' gap does not shrink with the step) or a vertical tangent (the central
    difference does not converge: cbrt at 0)."""
    scale = max(1, abs(base[name]))
    found = []
    for exponent in (18, 21):
        h = mpmath.mpf(10) ** -exponent * scale
        try:
            up, down = f(**{name: base[name] + h}), f(**{name: base[name] - h})
        except Undefined:
            return None
        found.append(((up - down) / (2 * h), abs((up - value) / h - (value - down) / h)))
    (coarse, coarse_gap), (fine, fine_gap) = found
    smooth = fine_gap <= coarse_gap / 100 + mpmath.mpf(10) ** -15 * max(1, abs(fine))
    converged = abs(coarse - fine) <= 1e-9 * max(1, abs(fine))
    return fine if smooth and converged else None


def _second(f: Callable[..., Any], base: Mapping[str, Any], value: Any, a: str, b: str) -> Any:
    ha = mpmath.mpf(10) ** -10 * max(1, abs(base[a]))
    hb = mpmath.mpf(10) ** -10 * max(1, abs(base[b]))
    try:
        if a == b:
            up, down = f(**{a: base[a] + ha}), f(**{a: base[a] - ha})
            small = (f(**{a: base[a] + ha / 2}) - 2 * value + f(**{a: base[a] - ha / 2})) / (ha / 2) ** 2
            found = (up - 2 * value + down) / ha**2
        else:
            def mixed(sa: Any, sb: Any) -> Any:
                return (f(**{a: base[a] + sa, b: base[b] + sb}) - f(**{a: base[a] + sa, b: base[b] - sb})
                        - f(**{a: base[a] - sa, b: base[b] + sb}) + f(**{a: base[a] - sa, b: base[b] - sb})
                        ) / (4 * sa * sb)  # fmt: skip

            found, small = mixed(ha, hb), mixed(ha / 2, hb / 2)
    except Undefined:
        return None
    # a kink or jump within h shows as disagreement between the two step sizes
    return found if abs(found - small) <= 1e-6 * max(1, abs(found)) else None


# --- adcalc's paths ----------------------------------------------------------------------------
def _number(value: Any) -> float:
    return float(value)


def complex_step(graph: adcalc.Graph, at: Mapping[str, float], name: str) -> float | None:
    """Im f(x + ih) / h by adcalc's complex evaluation, or None where an op is not analytic."""
    h = 1e-30
    moved = {k: complex(v, h) if k == name else complex(v) for k, v in at.items()}
    try:
        found = values_of(list(graph.order), moved)[graph.outputs[0][1]]
    except (NotApplicable, ZeroDivisionError, OverflowError, ValueError):
        return None
    return complex(found).imag / h


def singular(graph: adcalc.Graph, at: Mapping[str, float], order: int = 1) -> bool:
    """True when some node's own derivative is infinite or undefined at the point (sqrt at 0, the
    exponent's partial of a negative base, acosh at 1): the chain rule then meets inf * 0 or
    inf - inf, and whether a path gives NaN or a limit depends on where the zero sits. With
    order 2, the nodes of the gradient graph too (second derivatives: x^1.5 at 0)."""
    from adcalc.engine.reverse import gradient_graph
    from adcalc.ir.nodes import topological_order

    nodes = list(graph.order)
    if order == 2:
        gradient = gradient_graph(graph.outputs[0][1], list(graph.variables))
        nodes = topological_order([graph.outputs[0][1], *gradient.values()])
    return _singular_nodes(nodes, at)


def _singular_nodes(order: list[Any], at: Mapping[str, float]) -> bool:
    from adcalc.ops.registry import OPS, call_rule

    found = values_of(order, dict(at))
    for n in _live(order, found):
        if not n.inputs or OPS[n.op].zero_derivative or OPS[n.op].jvp is None:
            continue
        args = [found[i] for i in n.inputs]
        if not math.isfinite(found[n]):
            return True
        for rule in OPS[n.op].jvp:
            if rule is not None:
                part = call_rule(rule, args, found[n], 1.0)
                if isinstance(part, float) and not math.isfinite(part):
                    return True
    return False


def _live(order: list[Any], found: Mapping[Any, Any]) -> list[Any]:
    """The nodes the outputs read through the branches `where` takes (the untaken one is dead:
    its NaN is the README's exact zero, which no tolerance here may excuse)."""
    live: set[Any] = set()
    used = {o for o in order if not any(o in n.inputs for n in order)}  # the roots
    for n in reversed(order):
        if n not in used:
            continue
        live.add(n)
        if n.op == "where":
            c, a, b = n.inputs
            used.update((c, a if found[c] else b))
        else:
            used.update(n.inputs)
    return [n for n in order if n in live]


KINKS = {"abs": "zero", "sign": "zero", "floor": "integer", "ceil": "integer"}


def at_kink(graph: adcalc.Graph, at: Mapping[str, float]) -> bool:
    """True when a non-smooth op sits exactly at its kink (abs at 0, floor at an integer, a min or
    max tie): the derivative there is a convention (README), not the function's."""
    found = values_of(list(graph.order), dict(at))
    for n in graph.order:
        family = n.op.rstrip("0123456789")
        if KINKS.get(n.op) == "zero" and found[n.inputs[0]] == 0:
            return True
        if KINKS.get(n.op) == "integer" and float(found[n.inputs[0]]).is_integer():
            return True
        if n.op == "hypot" and found[n] == 0:  # the origin: gradient 0 by convention
            return True
        if n.op == "atan2" and found[n.inputs[0]] == 0 and found[n.inputs[1]] <= 0:  # origin or cut:
            return True  # atan2(±0, x < 0) is ±π by the sign of the zero (IEEE), which mpmath has not
        if family in ("min", "max") and n.inputs:
            if sum(found[i] == found[n] for i in n.inputs) >= 2:
                return True
    return False


COMPARISONS = {"lt", "le", "gt", "ge", "eq", "ne"}


def tied(graph: adcalc.Graph, at: Mapping[str, float]) -> bool:
    """True when a comparison holds with equality at the point: `where(x == y, a, b)` differentiates
    the branch chosen there, which can differ from the function around it (a measure-zero set)."""
    found = values_of(list(graph.order), dict(at))
    return any(n.op in COMPARISONS and found[n.inputs[0]] == found[n.inputs[1]] for n in graph.order)


def close(a: float, b: float, tolerance: float) -> bool:
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= tolerance * max(1.0, abs(a), abs(b))


class Case:
    """One expression at several points: each path's answers, and the failures found."""

    def __init__(self, text: str, points: list[dict[str, float]]) -> None:
        self.text = text
        self.graph = adcalc.parse(text)
        self.names = list(self.graph.variables)
        self.points = [{name: p[name] for name in self.names} for p in points]
        self.failures: list[str] = []
        self.checked = 0  # points where every path was compared
        self.against_truth = 0  # of them, points compared with mpmath
        self.limits = 0  # derivatives NaN by reverse mode where mpmath finds a limit (see singular)

    def fail(self, at: Mapping[str, float], what: str) -> None:
        self.failures.append(f"{self.text!r} at {dict(at)}: {what}")

    def run(self) -> None:
        compiled = adcalc.compile(self.graph)
        batch = self._batch(compiled)
        array = self._array_program()
        for k, at in enumerate(self.points):
            self._one(compiled, at, {name: float(v[k]) for name, v in batch[1].items()}, float(batch[0][k]),
                      array, k)  # fmt: skip
        if array is not None and len(array["sums"]) == len(array["rows"]):  # J·1 = Σ rows' ∂f/∂x + ∂f/∂y
            expected, got = sum(array["sums"]), float(array["jvp"])
            limit = math.isnan(expected) != math.isnan(got) and array["singular"]
            if not close(expected, got, array.get("slack", AD_TOLERANCE)) and not limit:
                self.fail({}, f"jvp of the array program {got}, sum of the points' gradients {expected}")

    def _batch(self, compiled: Any) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        if not self.names:
            return np.full(len(self.points), compiled.value()), {}
        columns = {name: np.array([p[name] for p in self.points]) for name in self.names}
        value, gradient = compiled.grad(**columns)
        return np.broadcast_to(value, (len(self.points),)), gradient

    def _array_program(self) -> dict[str, Any] | None:
        """sum(f(x, y)) with x, y vectors of the points where f is finite: graph-path gradient,
        jvp and Hessian, block by block."""
        if not self.names:
            return None
        finite = []
        for k, at in enumerate(self.points):
            try:
                if math.isfinite(adcalc.evaluate(self.graph, at).value):
                    finite.append(k)
            except AdcalcError:
                pass
        if not finite:
            return None
        at = {name: np.array([self.points[k][name] for k in finite]) for name in self.names}
        shapes = {name: (len(finite),) for name in self.names}
        try:
            program = adcalc.parse(f"sum({self.text})", shapes=shapes)
            gradient = adcalc.gradient(program, at).gradient
            hessian = np.array(adcalc.hessian(program, at).matrix)
            ones = {name: np.ones(len(finite)) for name in self.names}
            jvp = adcalc.jvp(program, at, ones).derivative
        except AdcalcError as problem:
            self.fail(at, f"array program raised {type(problem).__name__}: {problem}")
            return None
        return {"rows": finite, "gradient": gradient, "hessian": hessian, "jvp": jvp, "sums": []}

    def _one(self, compiled: Any, at: dict[str, float], batch_gradient: dict[str, float], batch_value: float,
             array: dict[str, Any] | None, k: int) -> None:  # fmt: skip
        names = self.names
        try:
            scalar = adcalc.gradient(self.graph, at)
            value, gradient = scalar.value, scalar.gradient
        except DomainError:
            value, gradient = math.nan, {}
        expected = truth(self.graph, at, names)
        compiled_value, compiled_gradient = compiled.grad(**at)
        if not math.isnan(value) and (tied(self.graph, at) or at_kink(self.graph, at)):
            expected = None  # the derivative is a convention there (README), not the function's
        if math.isnan(value):
            # undefined: every path says so; mpmath must agree (a NaN where the value is finite fails)
            if not math.isnan(compiled_value) or not math.isnan(batch_value):
                self.fail(at, f"value NaN by adcalc.gradient, {compiled_value} compiled, {batch_value} batch")
            if expected is not None and not at_kink(self.graph, at):
                self.fail(at, f"value NaN (DomainError), mpmath: {mpmath.nstr(expected['value'], 17)}")
            return
        slack = self._slack(value, scalar.gradient, expected)
        for label, other in (("compiled", compiled_value), ("batch", batch_value)):
            if not close(value, other, slack):
                self.fail(at, f"value {value} by adcalc.gradient, {other} {label}")
        if math.isinf(value):  # a pole: the paths agree on the value; derivatives there are not compared
            return
        self.checked += 1
        paths: dict[str, dict[str, float]] = {"compiled": compiled_gradient, "batch": batch_gradient}
        paths["forward"] = adcalc.gradient_forward(self.graph, at).gradient
        paths["vjp/2"] = {n: g / 2 for n, g in adcalc.vjp(self.graph, at, 2.0).gradient.items()}
        for name in names:  # where the function is analytic: the truth exists, and no kink is crossed
            step = None if expected is None or expected["gradient"][name] is None else complex_step(
                self.graph, at, name)
            if step is not None and math.isfinite(gradient[name]):
                paths.setdefault("complex step", {})[name] = step
        if array is not None and k in array["rows"]:
            row = array["rows"].index(k)
            paths["array program"] = {name: float(array["gradient"][name][row]) for name in names}
            array["sums"].append(sum(gradient[name] for name in names))
            array["slack"] = max(array.get("slack", AD_TOLERANCE), slack)
            array["singular"] = array.get("singular") or singular(self.graph, at)
        rough = None  # computed on first need: is a NaN against a number a limit met at a singular node?
        for label, other in paths.items():
            for name in other:
                a, b = gradient[name], float(other[name])
                if close(a, b, slack):
                    continue
                if math.isnan(a) != math.isnan(b):
                    rough = singular(self.graph, at) if rough is None else rough
                    if rough:
                        continue
                self.fail(at, f"d/d{name} {gradient[name]} by adcalc.gradient, {other[name]} by {label}")
        self._hessians(compiled, at, array, k, expected, slack)
        if expected is None:
            return
        self.against_truth += 1
        self._against_truth(at, value, gradient, expected)

    def _hessians(self, compiled: Any, at: dict[str, float], array: dict[str, Any] | None, k: int,
                  expected: dict[str, Any] | None, slack: float) -> None:  # fmt: skip
        names = self.names
        try:
            engine = adcalc.hessian(self.graph, at).hessian
        except DomainError as problem:
            self.fail(at, f"adcalc.hessian raised {problem}")
            return
        generated = compiled.hessian(**at)[2]
        for i, first in enumerate(names):
            for second in names[i:]:
                a, b = engine[first][second], generated[first][second]
                true = None if expected is None else expected["hessian"][first, second]
                tolerance = max(slack, 100 * _error(a, true))
                limit = math.isnan(a) != math.isnan(b) and singular(self.graph, at, 2)
                if not close(a, b, tolerance) and not limit:
                    self.fail(at, f"d2/d{first}d{second} {a} by adcalc.hessian, {b} compiled")
                if array is not None and k in array["rows"]:
                    count = len(array["rows"])
                    row = array["rows"].index(k)
                    c = array["hessian"][i * count + row, names.index(second) * count + row]
                    limit = math.isnan(a) != math.isnan(c) and singular(self.graph, at, 2)
                    if not close(a, float(c), tolerance) and not limit:
                        self.fail(at, f"d2/d{first}d{second} {a} by adcalc.hessian, {c} by the array program")
                if expected is not None and self._trusted(expected, at):
                    true = expected["hessian"][first, second]
                    if true is None or abs(true) > 1e300 or (math.isnan(a) and singular(self.graph, at, 2)):
                        continue
                    if not _agrees(a, true, 1e-5):
                        self.fail(at, f"d2/d{first}d{second} {a}, mpmath {mpmath.nstr(true, 12)}")

    @staticmethod
    def _slack(value: float, gradient: Mapping[str, float], expected: dict[str, Any] | None) -> float:
        """The tolerance between paths at this point: AD_TOLERANCE, or 100 times adcalc's own error
        against mpmath where that is larger (an ill-conditioned point: cos of a 1e9 argument, asin'
        near 1, where paths that round differently, as numpy's ufuncs and math's functions, the
        complex step, differ by as much). A wrong rule is off by O(1), far beyond it."""
        if expected is None:
            return AD_TOLERANCE
        errors = [_error(value, expected["value"])]
        errors += [_error(g, expected["gradient"][name]) for name, g in gradient.items()]
        return max(AD_TOLERANCE, 100 * max(errors))

    def _trusted(self, expected: dict[str, Any], at: dict[str, float]) -> bool:
        # the float64 value agrees with mpmath: the point is not ill-conditioned for float64
        value = adcalc.evaluate(self.graph, at).value
        return _agrees(value, expected["value"], VALUE_TOLERANCE)

    def _against_truth(self, at: dict[str, float], value: float, gradient: dict[str, float],
                       expected: dict[str, Any]) -> None:  # fmt: skip
        true_value = expected["value"]
        if not self._trusted(expected, at):
            return
        if not _agrees(value, true_value, VALUE_TOLERANCE):
            self.fail(at, f"value {value}, mpmath {mpmath.nstr(true_value, 17)}")
        for name in self.names:
            true = expected["gradient"][name]
            if true is None or abs(true) > 1e300:
                continue
            if math.isnan(gradient[name]):
                if singular(self.graph, at):  # the limit AD cannot take: counted, and in the README
                    self.limits += 1
                else:
                    self.fail(at, f"d/d{name} NaN where mpmath finds {mpmath.nstr(true, 12)}")
            elif not _agrees(gradient[name], true, TRUTH_TOLERANCE):
                self.fail(at, f"d/d{name} {gradient[name]}, mpmath {mpmath.nstr(true, 12)}")


def _error(got: float, true: Any) -> float:
    """|got - true| / max(1, |true|) against mpmath (0 where there is no truth)."""
    if true is None or not math.isfinite(got):
        return 0.0
    return float(abs(mpmath.mpf(got) - true) / max(1, abs(true)))


def _agrees(got: float, true: Any, tolerance: float) -> bool:
    if not math.isfinite(got):
        return False
    return abs(mpmath.mpf(got) - true) <= tolerance * max(1, abs(true))


def cases(count: int, first: int) -> list[Case]:
    """`count` seeded cases: seed k gives the same expression and points on every machine."""
    found = []
    for seed in range(first, first + count):
        rng = random.Random(seed)
        text = expression(rng, rng.choice([2, 3, 4]))
        found.append(Case(text, [point(rng) for _ in range(POINTS)]))
    return found


def campaign(count: int = EXPRESSIONS, first: int = FIRST_SEED) -> tuple[int, int, int, list[str]]:
    """(points compared on every path, of them against mpmath, expressions, failures)."""
    import warnings

    failures: list[str] = []
    checked = against = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for case in cases(count, first):
            try:
                case.run()
            except Exception as problem:  # a path refused the expression or crashed: report, do not hide
                case.failures.append(f"{case.text!r}: {type(problem).__name__}: {problem}")
            failures += case.failures
            checked, against = checked + case.checked, against + case.against_truth
    return checked, against, count, failures


def test_every_path_agrees_and_matches_mpmath() -> None:
    checked, against, count, failures = campaign()
    print(f"\ndifferential: {count} expressions, {checked} points on every path, {against} against mpmath")
    assert not failures, f"{len(failures)} failures:\n" + "\n".join(failures[:30])
    assert checked >= count  # the generator keeps most expressions defined somewhere


@pytest.mark.parametrize(
    ("text", "at", "derivative"),
    [
        ("sin(x)", {"x": 1.0}, math.cos(1.0)),
        ("x^3", {"x": -2.0}, 12.0),
        ("where(x > 0, log(x), x)", {"x": -1.0}, 1.0),
    ],
)
def test_the_truth_evaluator_itself(text: str, at: dict[str, float], derivative: float) -> None:
    # the independent evaluator must be right on closed forms, or the campaign proves nothing
    found = truth(adcalc.parse(text), at, ["x"])
    assert found is not None and abs(found["gradient"]["x"] - derivative) < 1e-14
