"""`diff --simplify sympy`: derivative graphs through SymPy's simplify and back (optional dependency).

SymPy is imported here only, when asked for. Inputs become real symbols; adcalc's functions map to
SymPy's where SymPy has them (log is ln, ceil is ceiling, where(c, a, b) a Piecewise) and to their
definitions where it does not (sigmoid, softplus, log1p, hypot; cbrt as sign(x)*|x|^(1/3), the real
cube root adcalc computes). Back again, the result is built by the same op rules, so the local
rewrites tidy SymPy's -1*y into -y and the printer binds what is shared. Anything without a faithful
translation (a custom op, an array) is a UsageError: a form that silently meant something else
would be worse than none.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from fractions import Fraction
from typing import Any

from ..errors import UsageError
from ..ir.nodes import Node, const, node, topological_order, var
from ..ops.registry import apply

INSTALL = "pip install 'adcalc[sympy]'"


def _sympy() -> Any:
    try:
        import sympy
    except ImportError:
        raise UsageError(f"simplify sympy needs SymPy, which is not installed: {INSTALL}") from None
    return sympy


def simplified(graphs: Mapping[str, Node]) -> dict[str, Node]:
    """Each graph through sympy.simplify, rebuilt as an adcalc graph."""
    sympy = _sympy()
    to = _ToSympy(sympy)
    back = _FromSympy(sympy)
    return {name: back.build(sympy.simplify(to.convert(g))) for name, g in graphs.items()}


def to_sympy(root: Node) -> Any:
    """The SymPy expression of an adcalc graph (real symbols)."""
    return _ToSympy(_sympy()).convert(root)


def from_sympy(expression: Any) -> Node:
    """The adcalc graph of a SymPy expression (UsageError for what adcalc cannot write)."""
    return _FromSympy(_sympy()).build(expression)


class _ToSympy:
    def __init__(self, sympy: Any) -> None:
        s = sympy
        self.sympy = s
        self.unary: dict[str, Callable[[Any], Any]] = {
            "neg": lambda a: -a, "sin": s.sin, "cos": s.cos, "tan": s.tan, "asin": s.asin, "acos": s.acos,
            "atan": s.atan, "sinh": s.sinh, "cosh": s.cosh, "tanh": s.tanh, "asinh": s.asinh,
            "acosh": s.acosh, "atanh": s.atanh, "exp": s.exp, "log": s.log, "sqrt": s.sqrt,
            "abs": s.Abs, "sign": s.sign, "floor": s.floor, "ceil": s.ceiling,
            "log2": lambda a: s.log(a, 2), "log10": lambda a: s.log(a, 10), "log1p": lambda a: s.log(1 + a),
            "expm1": lambda a: s.exp(a) - 1, "sigmoid": lambda a: 1 / (1 + s.exp(-a)),
            "softplus": lambda a: s.log(1 + s.exp(a)),
            "cbrt": lambda a: s.sign(a) * s.Abs(a) ** s.Rational(1, 3),
        }  # fmt: skip
        self.binary: dict[str, Callable[[Any, Any], Any]] = {
            "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
            "div": lambda a, b: a / b, "pow": lambda a, b: a**b, "atan2": s.atan2,
            "hypot": lambda a, b: s.sqrt(a**2 + b**2), "lt": s.Lt, "le": s.Le, "gt": s.Gt, "ge": s.Ge,
            "eq": lambda a, b: s.Eq(a, b, evaluate=False), "ne": lambda a, b: s.Ne(a, b, evaluate=False),
        }  # fmt: skip

    def number(self, value: float) -> Any:
        if not math.isfinite(value):
            return self.sympy.nan if value != value else (self.sympy.oo if value > 0 else -self.sympy.oo)
        near = Fraction(value).limit_denominator(10**6)
        if float(near) == value:  # 0.5 -> 1/2, 3 -> 3: exact numbers simplify exactly
            return self.sympy.Rational(near.numerator, near.denominator)
        return self.sympy.Float(value, 17)

    def convert(self, root: Node) -> Any:
        s = self.sympy
        done: dict[Node, Any] = {}
        for n in topological_order(root):
            args = [done[i] for i in n.inputs]
            if n.op == "const" and isinstance(n.payload, float | int):
                done[n] = self.number(float(n.payload))
            elif n.op == "var":
                done[n] = s.Symbol(n.payload, real=True)
            elif n.op in self.unary and len(args) == 1:
                done[n] = self.unary[n.op](args[0])
            elif n.op in self.binary and len(args) == 2:
                done[n] = self.binary[n.op](*args)
            elif n.op in ("min", "max") or n.op.startswith(("min", "max")) and n.op[3:].isdigit():
                done[n] = (s.Min if n.op.startswith("min") else s.Max)(*args)
            elif n.op == "where":
                condition = args[0] if isinstance(args[0], s.logic.boolalg.Boolean) else s.Ne(args[0], 0)
                done[n] = s.Piecewise((args[1], condition), (args[2], True))
            else:
                from ..ops.registry import OPS

                definition = OPS.get(n.op)
                called = (definition.extra.get("shown") if definition is not None else None) or n.op
                raise UsageError(f"simplify sympy cannot take {called!r}: SymPy has no such function")
        return done[root]


class _FromSympy:
    def __init__(self, sympy: Any) -> None:
        s = sympy
        self.sympy = s
        self.functions: dict[Any, str] = {
            s.sin: "sin", s.cos: "cos", s.tan: "tan", s.asin: "asin", s.acos: "acos", s.atan: "atan",
            s.sinh: "sinh", s.cosh: "cosh", s.tanh: "tanh", s.asinh: "asinh", s.acosh: "acosh",
            s.atanh: "atanh", s.exp: "exp", s.log: "log", s.Abs: "abs", s.sign: "sign", s.floor: "floor",
            s.ceiling: "ceil", s.atan2: "atan2",
        }  # fmt: skip
        self.reciprocal = {s.sec: "cos", s.csc: "sin", s.cot: "tan"}
        self.relations = {s.StrictLessThan: "lt", s.LessThan: "le", s.StrictGreaterThan: "gt",
                          s.GreaterThan: "ge", s.Equality: "eq", s.Unequality: "ne"}  # fmt: skip
        self.memo: dict[Any, Node] = {}

    def build(self, e: Any) -> Node:
        found = self.memo.get(e)
        if found is None:
            found = self.memo[e] = _as_node(self._build(e))
        return found

    def _build(self, e: Any) -> Any:  # noqa: C901  (one case per kind of SymPy expression)
        s = self.sympy
        if e.is_Symbol:
            return var(e.name)
        if e.is_Rational:
            if _exact(e):
                return const(float(e.p) / float(e.q))  # 3, 0.5
            return node("div", const(float(e.p)), const(float(e.q)))  # 1/3 as written, not 0.333...
        if e.is_Number or e in (s.pi, s.E):
            value = complex(e)
            if value.imag:
                raise UsageError(f"SymPy's simplified form is complex ({e}): adcalc computes in real numbers")
            return const(value.real)
        if e is s.zoo or e is s.nan:
            return const(math.nan)
        if e.is_Add:
            return self._sum(e)
        if e.is_Mul:
            return self._product(e)
        if e.is_Pow:
            return self._power(e.base, e.exp)
        if isinstance(e, s.Piecewise):
            return self._piecewise(e.args)
        if type(e) in self.relations:
            return apply(self.relations[type(e)], self.build(e.lhs), self.build(e.rhs))
        if e.func in (s.Min, s.Max):
            return self._fold("min" if e.func is s.Min else "max", [self.build(a) for a in e.args])
        if isinstance(e, s.And):
            return self._fold("mul", [self.build(a) for a in e.args])
        if isinstance(e, s.Or):
            return self._fold("max", [self.build(a) for a in e.args])
        if isinstance(e, s.Not):
            return apply("eq", self.build(e.args[0]), 0.0)
        if e is s.true or e is s.false:
            return const(1.0 if e is s.true else 0.0)
        if e.func is s.Abs and e.args[0].is_Pow and not e.args[0].exp.is_integer:
            # |x^(2/3)| is |x|^(2/3) for real x: SymPy's principal power of a negative x is
            # complex, adcalc's x^(2/3) there is NaN, so the power goes outside the abs
            inner = e.args[0]
            return self._power(s.Abs(inner.base), inner.exp)
        if e.func in self.functions:
            return apply(self.functions[e.func], *(self.build(a) for a in e.args))
        if e.func in self.reciprocal:
            return apply("div", 1.0, apply(self.reciprocal[e.func], self.build(e.args[0])))
        raise UsageError(f"SymPy's simplified form uses {e.func}, which adcalc has no function for")

    def _fold(self, op: str, items: list[Node]) -> Node:
        result = items[0]
        for item in items[1:]:
            result = apply(op, result, item)
        return result

    def _sum(self, e: Any) -> Node:
        terms = sorted(e.args, key=lambda t: (t.is_Number, t.could_extract_minus_sign()))  # a - b + 2
        result = self.build(terms[0])
        for term in terms[1:]:
            if term.could_extract_minus_sign():
                result = apply("sub", result, self.build(-term))
            else:
                result = apply("add", result, self.build(term))
        return result

    def _product(self, e: Any) -> Node:
        numerator, denominator = [], []
        for factor in e.args:
            if factor.is_Pow and factor.exp.is_negative:
                denominator.append(self._power(factor.base, -factor.exp))
            elif factor.is_Rational and factor.q != 1:  # x/2, 2*x/3: SymPy's coefficient as a fraction
                if factor.p != 1:
                    numerator.append(const(float(factor.p)))
                denominator.append(const(float(factor.q)))
            else:
                numerator.append(self.build(factor))
        top = self._fold("mul", numerator) if numerator else const(1.0)
        return apply("div", top, self._fold("mul", denominator)) if denominator else top

    def _power(self, base: Any, exponent: Any) -> Node:
        s = self.sympy
        if exponent == s.Rational(1, 2):
            return apply("sqrt", self.build(base))
        if exponent.is_negative:
            return apply("div", 1.0, self._power(base, -exponent))
        return apply("pow", self.build(base), self.build(exponent))

    def _piecewise(self, pieces: tuple[Any, ...]) -> Node:
        value, condition = pieces[0]
        if condition is self.sympy.true:
            return self.build(value)
        rest = self._piecewise(pieces[1:]) if len(pieces) > 1 else const(math.nan)
        return apply("where", self.build(condition), self.build(value), rest)


def _exact(rational: Any) -> bool:
    """True when the float of p/q is p/q exactly (3, 0.5, 0.375; not 1/3)."""
    return Fraction(float(rational.p) / float(rational.q)) == Fraction(int(rational.p), int(rational.q))


def _as_node(value: Any) -> Node:
    return value if isinstance(value, Node) else const(value)
