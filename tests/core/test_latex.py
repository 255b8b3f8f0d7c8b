"""LaTeX of graphs and of diff's derivatives: exact strings for a table, and (with SymPy) the LaTeX
read back by SymPy's own LaTeX reader equals the derivative worked out by hand."""

from __future__ import annotations

import math
import re

import adcalc
import pytest
from adcalc.answers.latex import expression_latex, name_latex, number_latex


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("2*x^3", "2 x^{3}"),
        ("1/(1+x^2)", r"\frac{1}{1 + x^{2}}"),
        ("sqrt(x)*ln(x)", r"\sqrt{x} \ln\left(x\right)"),
        ("exp(-x^2)", r"\exp\left(-x^{2}\right)"),
        ("abs(x)^3", r"\left|x\right|^{3}"),
        ("(x/y)^2", r"\left(\frac{x}{y}\right)^{2}"),
        ("x - (y - z)", r"x - \left(y - z\right)"),
        ("x*(-y)", r"x \cdot \left(-y\right)"),
        ("2*3^x", r"2 \cdot 3^{x}"),
        ("cbrt(x) + log10(x)", r"\sqrt[3]{x} + \log_{10}\left(x\right)"),
        ("atan2(y, x)", r"\operatorname{atan2}\left(y, x\right)"),
        ("max(x, y, z)", r"\max\left(x, y, z\right)"),
        ("where(x < y, x, y)", r"\begin{cases} x & \text{if } x < y \\ y & \text{otherwise} \end{cases}"),
        ("x1*theta_max", r"x_{1} \theta_{\mathrm{max}}"),
        ("1e-20*x", "10^{-20} x"),
    ],
)
def test_expression_latex(source: str, expected: str) -> None:
    assert expression_latex(adcalc.parse(source).root) == expected


def test_matrix_functions() -> None:
    text = "logdet(A) + x'*A*x + trace(inv(A)) + norm(x) + x[2]"
    graph = adcalc.parse(text, shapes={"A": (2, 2), "x": (2,)})
    assert expression_latex(graph.root) == (
        r"\log\det\left(A\right) + x^{\top} A x + \operatorname{tr}\left(A^{-1}\right)"
        r" + \left\lVert x \right\rVert + x_{2}"
    )


def test_names_and_numbers() -> None:
    assert [name_latex(n) for n in ("x", "x12", "alpha", "rate", "Omega3")] == [
        "x", "x_{12}", r"\alpha", r"\mathrm{rate}", r"\Omega_{3}",
    ]  # fmt: skip
    assert [number_latex(v)[0] for v in (2.0, 0.5, -3.0, 1.5e300, math.inf, math.nan)] == [
        "2", "0.5", "-3", r"1.5 \times 10^{300}", r"\infty", r"\mathrm{NaN}",
    ]  # fmt: skip


def test_diff_latex_one_equation_and_bindings() -> None:
    assert adcalc.diff("2*x^3").latex() == r"\frac{\partial f}{\partial x} = 6 x^{2}"
    assert adcalc.diff("x^4", order=2).latex() == r"\frac{\partial^{2} f}{\partial x^{2}} = 12 x^{2}"
    assert adcalc.diff("tanh(x)*sigmoid(x)").latex().splitlines() == [
        r"\begin{aligned}",
        r"  t_{1} &= \operatorname{sigmoid}\left(x\right) \\",
        r"  t_{2} &= \tanh\left(x\right) \\",
        r"  \frac{\partial f}{\partial x} &= t_{1} \cdot \left(1 - t_{1}\right) t_{2}"
        r" + \left(1 - t_{2}^{2}\right) t_{1}",
        r"\end{aligned}",
    ]


# derivative by hand, in Python, for the table read back by SymPy
BY_HAND = {
    "2*x^3": lambda x, y: 6 * x**2,
    "1/(1+x^2)": lambda x, y: -2 * x / (1 + x**2) ** 2,
    "sin(x)^2 + y": lambda x, y: 2 * math.sin(x) * math.cos(x),
    "exp(-x^2)*x": lambda x, y: math.exp(-(x**2)) * (1 - 2 * x**2),
    "sqrt(x)*ln(x)": lambda x, y: (math.log(x) + 2) / (2 * math.sqrt(x)),
    "x^4/4 + x/y": lambda x, y: x**3 + 1 / y,
    "x^3*y^2 - x*y": lambda x, y: 3 * x**2 * y**2 - y,
}


def readings(latex: str, bound: dict[object, object]) -> list[object]:
    """SymPy's readings of one LaTeX expression (its lark reader lists several for a few products
    it finds ambiguous, such as 2 \\cdot \\cos(x) \\cdot \\sin(x) read also as 2 cos(x sin(x)))."""
    from sympy.parsing.latex import parse_latex

    read = parse_latex(latex.strip(), backend="lark")
    found = list(read.children) if getattr(read, "data", None) == "_ambig" else [read]  # type: ignore[attr-defined]
    return [expression.subs(bound) for expression in found]  # type: ignore[attr-defined]


def read_back(latex: str) -> list[object]:
    """The readings of the last row `left &= right` (or of the one `left = right`), bindings
    t_{k} of the rows before substituted."""
    from sympy.parsing.latex import parse_latex

    lines = latex.splitlines()
    if len(lines) == 1:
        return readings(latex.split(" = ", 1)[1], {})
    rows = [line.strip().removesuffix("\\\\").split(" &= ") for line in lines[1:-1]]
    bound: dict[object, object] = {}
    for left, right in rows[:-1]:
        bound[parse_latex(left, backend="lark")] = readings(right, bound)[0]
    return readings(rows[-1][1], bound)


@pytest.mark.parametrize("source", sorted(BY_HAND))
def test_diff_latex_read_back_by_sympy(source: str) -> None:
    pytest.importorskip("sympy")
    pytest.importorskip("lark")

    derivative = adcalc.diff(source, wrt=["x"])

    def agrees(read: object) -> bool:
        symbols = {s.name: s for s in read.free_symbols}  # type: ignore[attr-defined]
        for x, y in [(0.7, 1.3), (2.5, -0.4)]:
            point = {symbols[n]: v for n, v in (("x", x), ("y", y)) if n in symbols}
            value = complex(read.subs(point))  # type: ignore[attr-defined]
            if abs(value - BY_HAND[source](x, y)) > 1e-12 * max(1.0, abs(value)):
                return False
        return True

    assert any(agrees(read) for read in read_back(derivative.latex(r" \cdot "))), derivative.latex()


def test_every_binding_name_is_defined_before_use() -> None:
    rows = adcalc.diff("log(1+x^2)*atan2(y,x)").latex().splitlines()[1:-1]
    defined: set[str] = set()
    for row in rows:
        left, right = row.strip().rstrip("\\").split(" &= ")
        assert set(re.findall(r"t_\{\d+\}", right)) <= defined, row
        defined.add(left)
