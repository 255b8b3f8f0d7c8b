"""Graphs as LaTeX: \\frac for quotients, braced powers, \\sin and \\ln, \\partial names, bindings.

The same precedence levels as the text printer (printer.py), so parentheses appear where the
text has them, except that a fraction needs none (its bar groups both sides). A shared
subexpression is bound once, as the text binds it, `t_{1} = ...` rows of an `aligned`
environment before the results, so a derivative DAG never swells into a tree here either.
Variable names: trailing digits become a subscript (x1 -> x_{1}), Greek letter names their letter
(theta -> \\theta), other names \\mathrm{...}.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from ..ir.nodes import Node, topological_order
from .printer import bindings

COMPARE, SUM, PRODUCT, UNARY, FRACTION, POWER, ATOM = range(7)
Piece = tuple[str, int]

GREEK = set(
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi pi rho sigma tau upsilon "
    "phi chi psi omega Gamma Delta Theta Lambda Xi Pi Sigma Upsilon Phi Psi Omega".split()
)
NAMED = {  # ops LaTeX has a command for
    "sin": r"\sin", "cos": r"\cos", "tan": r"\tan", "asin": r"\arcsin", "acos": r"\arccos",
    "atan": r"\arctan", "sinh": r"\sinh", "cosh": r"\cosh", "tanh": r"\tanh", "log": r"\ln",
    "exp": r"\exp",  # not e^{x}: a program may have an input named e
    "log2": r"\log_{2}", "log10": r"\log_{10}", "det": r"\det", "min": r"\min", "max": r"\max",
    "logdet": r"\log\det", "trace": r"\operatorname{tr}",
}  # fmt: skip
RELATIONS = {"lt": "<", "le": r"\le", "gt": ">", "ge": r"\ge", "eq": "=", "ne": r"\ne"}


def name_latex(name: str) -> str:
    """x -> x, x1 -> x_{1}, theta2 -> \\theta_{2}, rate -> \\mathrm{rate}, x_max -> x_{\\mathrm{max}}."""
    if "_" in name.strip("_"):
        head, _, tail = name.partition("_")
        return f"{name_latex(head)}_{{{name_latex(tail)}}}"
    found = re.fullmatch(r"([A-Za-z]+)(\d+)", name)
    if found:
        return f"{name_latex(found.group(1))}_{{{found.group(2)}}}"
    if len(name) == 1:
        return name
    if name in GREEK:
        return "\\" + name
    return r"\mathrm{" + name.replace("_", r"\_") + "}"


def number_latex(value: float) -> Piece:
    """2, 0.5, -3, 1.5 \\times 10^{300}, \\infty, \\mathrm{NaN}."""
    if value != value:
        return r"\mathrm{NaN}", ATOM
    if math.isinf(value):
        return (r"\infty", ATOM) if value > 0 else (r"-\infty", UNARY)
    text = repr(float(value)).removesuffix(".0")
    if "e" in text:
        mantissa, exponent = text.split("e")
        mantissa = mantissa.removesuffix(".0")
        power = f"10^{{{int(exponent)}}}"
        text = power if mantissa == "1" else f"{mantissa} \\times {power}"
        return text, (UNARY if text.startswith("-") else PRODUCT)
    return text, (UNARY if text.startswith("-") else ATOM)


def _group(piece: Piece, minimum: int) -> str:
    return piece[0] if piece[1] >= minimum else rf"\left({piece[0]}\right)"


def _call(command: str, pieces: Sequence[Piece]) -> Piece:
    return rf"{command}\left({', '.join(p[0] for p in pieces)}\right)", ATOM


def _product(a: Piece, b: Piece, times: str) -> Piece:
    left, right = _group(a, PRODUCT), _group(b, PRODUCT + 1)
    if b[1] == UNARY:  # x \cdot (-y), as the text writes x*(-y)
        right = rf"\left({b[0]}\right)"
    # juxtapose (2 x \sin(x)); a \cdot where two numbers would run together (2 \cdot 3^{x}) or a
    # parenthesis would read as a call: t_{1} \cdot \left(1 - t_{1}\right), not t_{1}(1 - t_{1})
    joint = r" \cdot " if right[:1].isdigit() or right.startswith(("-", r"\left(")) else times
    return f"{left}{joint}{right}", PRODUCT


def op_latex(n: Node, pieces: Sequence[Piece], times: str = " ") -> Piece:
    r"""The LaTeX of node n whose inputs printed as `pieces`; `times` between juxtaposed factors
    (r" \cdot " for readers that want every product marked, such as SymPy's LaTeX reader)."""
    op = n.op
    if op in ("add", "sub"):
        right = _group(pieces[1], SUM + 1)
        if pieces[1][1] == UNARY:
            right = rf"\left({pieces[1][0]}\right)"
        return f"{_group(pieces[0], SUM)} {'+' if op == 'add' else '-'} {right}", SUM
    if op == "mul":
        return _product(pieces[0], pieces[1], times)
    if op == "div":
        return rf"\frac{{{pieces[0][0]}}}{{{pieces[1][0]}}}", FRACTION
    if op == "neg":
        return "-" + _group(pieces[0], UNARY), UNARY
    if op == "pow":
        return f"{_group(pieces[0], ATOM)}^{{{pieces[1][0]}}}", POWER
    if op in RELATIONS:
        return f"{_group(pieces[0], SUM)} {RELATIONS[op]} {_group(pieces[1], SUM)}", COMPARE
    special = SPECIAL.get(op)
    if special is not None:
        return special(n, pieces)
    if op in NAMED:
        return _call(NAMED[op], pieces)
    from ..ops.registry import OPS

    definition = OPS.get(op)
    extra = definition.extra if definition is not None else {}
    called = extra.get("shown") or extra.get("variadic") or op
    return _call(NAMED.get(called) or r"\operatorname{" + called.replace("_", r"\_") + "}", pieces)


CASES = (r"\begin{cases} ", r" \end{cases}")


def _where(n: Node, pieces: Sequence[Piece]) -> Piece:
    condition, taken, other = (p[0] for p in pieces)
    if other.startswith(CASES[0]) and other.endswith(CASES[1]):  # where(c, a, where(d, b, e)): one brace
        rest = other[len(CASES[0]) : -len(CASES[1])]
    else:
        rest = rf"{other} & \text{{otherwise}}"
    return rf"{CASES[0]}{taken} & \text{{if }} {condition} \\ {rest}{CASES[1]}", ATOM


def _index(n: Node, pieces: Sequence[Piece]) -> Piece:
    items = [f"{k[0] + 1}:{k[1]}" if isinstance(k, tuple) else str(k + 1) for k in n.inputs[1].payload]
    return f"{_group(pieces[0], ATOM)}_{{{', '.join(items)}}}", POWER


def _array(n: Node, pieces: Sequence[Piece]) -> Piece:
    values = n.inputs[0].payload
    rows = values if values and isinstance(values[0], tuple | list) else [[v] for v in values]
    return matrix_latex(rows), ATOM


def _stack(n: Node, pieces: Sequence[Piece]) -> Piece:
    return r"\begin{pmatrix} " + r" \\ ".join(p[0] for p in pieces[1:]) + r" \end{pmatrix}", ATOM


SPECIAL = {
    "where": _where,
    "index": _index,
    "array": _array,
    "sqrt": lambda n, p: (rf"\sqrt{{{p[0][0]}}}", ATOM),
    "cbrt": lambda n, p: (rf"\sqrt[3]{{{p[0][0]}}}", ATOM),
    "abs": lambda n, p: (rf"\left|{p[0][0]}\right|", ATOM),
    "floor": lambda n, p: (rf"\left\lfloor {p[0][0]} \right\rfloor", ATOM),
    "ceil": lambda n, p: (rf"\left\lceil {p[0][0]} \right\rceil", ATOM),
    "norm": lambda n, p: (rf"\left\lVert {p[0][0]} \right\rVert", ATOM),
    "matmul": lambda n, p: (f"{_group(p[0], PRODUCT)} {_group(p[1], PRODUCT + 1)}", PRODUCT),
    "dot": lambda n, p: (rf"{_group(p[0], PRODUCT + 1)} \cdot {_group(p[1], PRODUCT + 1)}", PRODUCT),
    "transpose": lambda n, p: (f"{_group(p[0], ATOM)}^{{\\top}}", POWER),
    "inv": lambda n, p: (f"{_group(p[0], ATOM)}^{{-1}}", POWER),
    "eye": lambda n, p: (f"I_{{{n.inputs[0].payload[0]}}}", ATOM),
    "reshape": lambda n, p: _call(r"\operatorname{reshape}", [p[0], (str(n.inputs[1].payload), ATOM)]),
}


def _leaf(n: Node) -> Piece:
    if n.op == "const":
        if isinstance(n.payload, float | int):
            return number_latex(float(n.payload))
        return str(list(n.payload)), ATOM
    return name_latex(str(n.payload)), ATOM


def _piece(n: Node, pieces: Mapping[Node, Piece], times: str = " ") -> Piece:
    if not n.inputs:
        return _leaf(n)
    if n.op.startswith("stack") and n.op[5:].isdigit():
        return _stack(n, [pieces[i] for i in n.inputs])
    return op_latex(n, [pieces[i] for i in n.inputs], times)


def expression_latex(root: Node, names: Mapping[Node, str] | None = None, times: str = " ") -> str:
    """One LaTeX expression for the graph, shared nodes repeated; nodes in `names` print as that."""
    names = names or {}
    pieces: dict[Node, Piece] = {}
    for n in topological_order(root):
        pieces[n] = (names[n], ATOM) if n in names else _piece(n, pieces, times)
    return pieces[root][0]


def derivative_latex(output: str, name: str, order: int = 1) -> str:
    """\\frac{\\partial f}{\\partial x}; \\frac{\\partial^{2} f}{\\partial x^{2}} for order 2."""
    power = "" if order == 1 else f"^{{{order}}}"
    return rf"\frac{{\partial{power} {name_latex(output)}}}{{\partial {name_latex(name)}{power}}}"


def to_latex(
    roots: Sequence[Node], labels: Sequence[str], taken: set[str] | None = None, times: str = " "
) -> str:
    """`label = root` equations, shared subexpressions bound first as t_{1} = ... (printer.to_text's
    names); one equation alone when nothing is bound, else rows of an aligned environment."""
    bound, pieces = bindings(
        roots, taken, lambda n, done: _piece(n, done, times), lambda prefix, k: (f"{prefix}_{{{k}}}", ATOM)
    )
    rows = [(name, _group(piece, SUM)) for name, piece in bound]  # t_{1} = (x = y), not t_{1} = x = y
    rows += [(label, pieces[r][0]) for label, r in zip(labels, roots, strict=True)]
    if len(rows) == 1:
        return f"{rows[0][0]} = {rows[0][1]}"
    body = " \\\\\n".join(f"  {left} &= {right}" for left, right in rows)
    return f"\\begin{{aligned}}\n{body}\n\\end{{aligned}}"


# --- answers as LaTeX -------------------------------------------------------------------------------


def matrix_latex(rows: Sequence[Sequence[float]]) -> str:
    """A pmatrix of numbers in full (their round-trip digits)."""
    body = r" \\ ".join(" & ".join(number_latex(float(v))[0] for v in row) for row in rows)
    return rf"\begin{{pmatrix}} {body} \end{{pmatrix}}"


def hessian_latex(result: Any) -> str:
    """The value, gradient (a column) and Hessian of a Hessian answer as one aligned environment,
    after comments naming the function, the point and the order of the rows; amsmath's limit of
    10 matrix columns raised when there are more."""
    if result.elementwise:
        labels, gradient, matrix = list(result.labels), list(result.flat_gradient), result.matrix
    else:
        labels = list(result.hessian)
        gradient = [result.gradient[name] for name in labels]
        matrix = [[result.hessian[name][other] for other in labels] for name in labels]
    point = ", ".join(f"{name} = {_shown(value)}" for name, value in result.at.items())
    lines = [f"% f = {result.expression}" + (f" at {point}" if point else "")]
    lines.append(f"% rows and columns: {', '.join(labels)}")
    if len(labels) > 10:
        lines.append(rf"\setcounter{{MaxMatrixCols}}{{{len(labels)}}}")
    lines += [
        r"\begin{aligned}",
        rf"  f &= {number_latex(float(result.value))[0]} \\",
        rf"  \nabla f &= {matrix_latex([[g] for g in gradient])} \\",
        rf"  \nabla^{{2}} f &= {matrix_latex(matrix)}",
        r"\end{aligned}",
    ]
    return "\n".join(lines)


def _shown(value: Any) -> str:
    if not hasattr(value, "ndim"):
        return repr(value)
    return str(value.tolist()) if value.size <= 10 else f"({'×'.join(map(str, value.shape))} array)"


def trace_latex(result: Any) -> str:
    """An explain trace made with latex=True as one array: the primal rows, then the adjoint (or
    tangent) rows, each `name = expression = value`, as Baydin et al. set theirs."""
    point = ", ".join(f"{name} = {_shown(value)}" for name, value in result.at.items())
    second = "Reverse adjoint trace" if result.mode == "reverse" else "Forward tangent trace"
    lines = [f"% f = {result.expression}" + (f" at {point}" if point else ""), r"\begin{array}{lll}"]
    lines.append(r"  \multicolumn{3}{l}{\text{Forward primal trace}} \\")
    lines += [_trace_row(row["name"], row["expression"], row["value"]) for row in result.primal]
    lines += [r"  \hline", rf"  \multicolumn{{3}}{{l}}{{\text{{{second}}}}} \\"]
    lines += [_trace_row(row["name"], row["rule"], row["value"]) for row in result.derivative]
    lines[-1] = lines[-1].removesuffix(r" \\")
    return "\n".join([*lines, r"\end{array}"])


def _trace_row(name: str, middle: str, value: float) -> str:
    return rf"  {name} & = {middle} & = {number_latex(value)[0]} \\"
