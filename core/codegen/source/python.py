"""Python (the math module only): `f_grad(x) -> (value, grad)` and its Hessian and Jacobian forms.

Plain floats at the speed of hand-written Python. The math module raises where IEEE arithmetic
gives inf or NaN (log(0), 1/0): outside a function's domain the generated Python raises
ValueError or ZeroDivisionError where adcalc, the NumPy and the C versions give inf or NaN.
"""

from __future__ import annotations

from ...ops.elementary import COMPARISONS as COMPARE  # op -> its symbol, shared by every spelling
from .emit import (
    CONVENTIONS,
    PYTHON_RESERVED,
    Spelling,
    describe,
    docstring_text,
    python_literal,
    variables_text,
    wrapped,
)
from .lower import Branch, lower
from .outputs import Derivatives

SAME = (
    "sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10 sqrt".split()
)

HELPERS = {
    "_sign": "def _sign(x):  # NaN stays NaN\n"
    "    return 1.0 if x > 0 else -1.0 if x < 0 else 0.0 if x == 0 else x",
    # max and min propagate NaN, as adcalc's; Python's built-in max(1.0, nan) is 1.0
    "_max": "def _max(x, y):\n    return math.nan if x != x or y != y else x if x >= y else y",
    "_min": "def _min(x, y):\n    return math.nan if x != x or y != y else x if x <= y else y",
    "_floor": "def _floor(x):\n    return float(math.floor(x)) if math.isfinite(x) else x",
    "_ceil": "def _ceil(x):\n    return float(math.ceil(x)) if math.isfinite(x) else x",
    "_sigmoid": "def _sigmoid(x):  # the two forms that never overflow\n"
    "    if x >= 0:\n        return 1.0 / (1.0 + math.exp(-x))\n"
    "    z = math.exp(x)\n    return z / (1.0 + z)",
    "_softplus": "def _softplus(x):  # log(1 + e^x) without overflow\n"
    "    return max(x, 0.0) + math.log1p(math.exp(-abs(x)))",
    "_cbrt": "def _cbrt(x):  # libm's cbrt, one Newton step: perfect cubes exact\n"
    "    if x == 0 or not math.isfinite(x):\n        return x\n    y = math.cbrt(x)\n"
    "    return y - (y * y * y - x) / (3.0 * y * y)",
}


def _templates() -> dict[str, str]:
    found = {
        "add": "{0} + {1}", "sub": "{0} - {1}", "neg": "-{0}", "mul": "{0} * {1}", "div": "{0} / {1}",
        "pow": "math.pow({0}, {1})", "atan2": "math.atan2({0}, {1})", "hypot": "math.hypot({0}, {1})",
        "abs": "abs({0})", "floor": "_floor({0})", "ceil": "_ceil({0})", "sign": "_sign({0})",
        "max": "_max({0}, {1})", "min": "_min({0}, {1})", "sigmoid": "_sigmoid({0})",
        "softplus": "_softplus({0})", "cbrt": "_cbrt({0})", "where": "{1} if {0} else {2}",
    }  # fmt: skip
    found.update({op: f"1.0 if {{0}} {symbol} {{1}} else 0.0" for op, symbol in COMPARE.items()})
    found.update({op: f"math.{op}({{0}})" for op in SAME})
    return found


class Python(Spelling):
    language = "python"
    templates = _templates()
    binary_min_max = {"max": "_max({0}, {1})", "min": "_min({0}, {1})"}
    helpers = HELPERS
    reserved = PYTHON_RESERVED

    def literal(self, value: float) -> str:
        return python_literal(value, "math")

    def comment(self, text: str) -> str:
        return f"# {text}"

    def assign(self, target: str, expression: str, declare: bool) -> str:
        return f"{target} = {expression}"

    def branch_lines(self, item: Branch, depth: int) -> list[str]:
        pad = self.indent * depth
        note = f"  {self.comment(item.note)}" if item.note else ""
        return [
            f"{pad}if {self.ref(item.condition)}:{note}",
            *self.lines(item.then, depth + 1),
            f"{pad}{self.indent}t{item.temp} = {self.ref(item.then_value)}",
            f"{pad}else:",
            *self.lines(item.otherwise, depth + 1),
            f"{pad}{self.indent}t{item.temp} = {self.ref(item.otherwise_value)}",
        ]


def returns(derivatives: Derivatives, values: list[str]) -> str:
    """The return expression: (value, grad), (value, grad, hess) or (values, jac) as lists."""
    n, m = len(derivatives.variables), len(derivatives.outputs)

    def rows(flat: list[str], width: int) -> str:
        return (
            "["
            + ", ".join("[" + ", ".join(flat[i : i + width]) + "]" for i in range(0, len(flat), width))
            + "]"
        )

    if derivatives.kind == "grad":
        return f"{values[0]}, [{', '.join(values[1:])}]"
    if derivatives.kind == "hessian":
        return f"{values[0]}, [{', '.join(values[1 : 1 + n])}], {rows(values[1 + n :], n)}"
    return f"[{', '.join(values[:m])}], {rows(values[m:], n)}"


def describe_function(derivatives: Derivatives, name: str, array: str = "a list") -> list[str]:
    """The lines of the function's docstring: variables, what it returns, the conventions."""
    n, m = len(derivatives.variables), len(derivatives.outputs)
    kind = derivatives.kind
    if kind == "grad":
        result = f"(value, grad): grad[j] = d f / d x[j], {array} of {n}"
    elif kind == "hessian":
        result = f"(value, grad, hess): hess[i][j] = d2 f / d x[i] d x[j], {n} x {n}, symmetric"
    else:
        outputs = ", ".join(derivatives.outputs)
        result = f"(values, jac): the {m} outputs {outputs}; jac[i][j] = d output i / d x[j]"
    return [f"{name}_{kind}(x) -> {result}.", *wrapped(variables_text(derivatives.variables) + ".")]


def python_source(graph_label: str, derivatives: Derivatives, name: str = "f") -> str:
    """The source of a module defining `name_grad(x)` (or `_hessian`, `_jacobian`)."""
    program = lower(derivatives.nodes, derivatives.variables, branches=True)
    spelling = Python(derivatives.variables)
    body = spelling.body(program)
    values = [spelling.ref(r) for r in program.outputs]
    inputs = [f"    {v} = float(x[{k}])" for k, v in enumerate(spelling.inputs)]
    where_note = ["where(c, a, b) computes only the branch taken."] if "where" in program.ops() else []
    doc = [
        f"{name}: generated by adcalc codegen from {describe(graph_label)}",
        "",
        *describe_function(derivatives, name),
        *wrapped("Conventions (as adcalc): " + "; ".join(CONVENTIONS) + "."),
        *where_note,
        "Outside a function's domain the math module raises (ValueError, ZeroDivisionError) where",
        "adcalc gives inf or NaN; the NumPy and C versions follow IEEE arithmetic.",
    ]
    helpers = spelling.helper_source()
    lines = [
        '"""' + docstring_text(doc[0]),
        *(docstring_text(line) for line in doc[1:]),
        '"""',
        "",
        "import math",
        "",
        *(part for helper in helpers for part in ("", helper, "")),
        "",
        f"def {name}_{derivatives.kind}(x):",
        *inputs,
        *body,
        f"    return {returns(derivatives, values)}",
        "",
    ]
    return "\n".join(lines)
