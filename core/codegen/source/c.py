"""C (C99, math.h only): one .c file and its header, or a block kernel over columns for `batch`.

    void f_grad(const double *x, double *value, double *grad);
    void f_hessian(const double *x, double *value, double *grad, double *hess);   /* n*n, row-major */
    void f_jacobian(const double *x, double *value, double *jac);                 /* m*n, row-major */

IEEE arithmetic throughout: outside a function's domain the result is inf or NaN, as in adcalc.
Compiled without -ffast-math and with -ffp-contract=off, +, -, *, / and sqrt give the same bits as
the generated Python (both correctly rounded; no fused multiply-add).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from ...ir.nodes import Node
from ...ops.elementary import COMPARISONS as COMPARE  # op -> its symbol, shared by every spelling
from .emit import CONVENTIONS, Spelling, describe, variables_text, wrapped
from .lower import Branch, Program, lower
from .outputs import Derivatives

C_KEYWORDS = frozenset(
    "auto break case char const continue default do double else enum extern float for goto if inline int "
    "long register restrict return short signed sizeof static struct switch typedef union unsigned void "
    "volatile while _Bool _Complex _Imaginary NAN INFINITY x value grad hess jac rows start stop in out r "
    "main".split()
)
MATH_H = frozenset(
    "sin cos tan asin acos atan atan2 sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10 sqrt "
    "cbrt hypot fabs floor ceil pow fmin fmax j0 j1 jn y0 y1 yn erf erfc gamma lgamma tgamma round trunc "
    "exp2 fma fmod ldexp frexp modf nan copysign".split()
)

SAME = (
    "sin cos tan asin acos atan sinh cosh tanh asinh acosh atanh exp expm1 log log1p log2 log10 sqrt".split()
)

HELPERS = {
    "ad_sign": "static double ad_sign(double x) { return x > 0 ? 1.0 : x < 0 ? -1.0 : x == 0 ? 0.0 : x; }"
    "  /* NaN stays NaN */",
    # max and min propagate NaN, as adcalc's (and numpy's maximum); fmax would drop it
    "ad_max": "static double ad_max(double x, double y) { return x != x || y != y ? NAN : x >= y ? x : y; }",
    "ad_min": "static double ad_min(double x, double y) { return x != x || y != y ? NAN : x <= y ? x : y; }",
    "ad_sigmoid": "static double ad_sigmoid(double x)  /* the two forms that never overflow */\n"
    "{\n    if (x >= 0) return 1.0 / (1.0 + exp(-x));\n    const double z = exp(x);\n"
    "    return z / (1.0 + z);\n}",
    "ad_softplus": "static double ad_softplus(double x)  /* log(1 + e^x) without overflow */\n"
    "{\n    return (x > 0 ? x : 0.0) + log1p(exp(-fabs(x)));\n}",
    "ad_cbrt": "static double ad_cbrt(double x)  /* libm's cbrt, one Newton step: perfect cubes exact */\n"
    "{\n    if (x == 0 || !isfinite(x)) return x;\n    const double y = cbrt(x);\n"
    "    return y - (y * y * y - x) / (3.0 * y * y);\n}",
}


def _templates() -> dict[str, str]:
    found = {
        "add": "{0} + {1}", "sub": "{0} - {1}", "neg": "-{0}", "mul": "{0} * {1}", "div": "{0} / {1}",
        "pow": "pow({0}, {1})", "atan2": "atan2({0}, {1})", "hypot": "hypot({0}, {1})", "abs": "fabs({0})",
        "floor": "floor({0})", "ceil": "ceil({0})", "sign": "ad_sign({0})", "max": "ad_max({0}, {1})",
        "min": "ad_min({0}, {1})", "sigmoid": "ad_sigmoid({0})", "softplus": "ad_softplus({0})",
        "cbrt": "ad_cbrt({0})", "where": "{0} != 0.0 ? {1} : {2}",
    }  # fmt: skip
    found.update({op: f"{{0}} {symbol} {{1}} ? 1.0 : 0.0" for op, symbol in COMPARE.items()})
    found.update({op: f"{op}({{0}})" for op in SAME})
    return found


class C(Spelling):
    language = "c"
    templates = _templates()
    binary_min_max = {"max": "ad_max({0}, {1})", "min": "ad_min({0}, {1})"}
    helpers = HELPERS
    reserved = C_KEYWORDS | MATH_H

    def helper_source(self) -> list[str]:
        """The helpers used, each guarded, so that several generated files can share one unit."""
        return [
            f"#ifndef ADCALC_{name.upper()}\n#define ADCALC_{name.upper()}\n{self.helpers[name]}\n#endif"
            for name in self.helpers
            if name in self.used
        ]

    def literal(self, value: float) -> str:
        if value != value:
            return "NAN"
        if math.isinf(value):
            return "INFINITY" if value > 0 else "(-INFINITY)"
        text = repr(float(value))
        return f"({text})" if text.startswith("-") else text

    def comment(self, text: str) -> str:
        return f"/* {text} */"

    def assign(self, target: str, expression: str, declare: bool) -> str:
        return f"{'const double ' if declare else ''}{target} = {expression};"

    def branch_lines(self, item: Branch, depth: int) -> list[str]:
        pad = self.indent * depth
        note = f"  {self.comment(item.note)}" if item.note else ""
        return [
            f"{pad}double t{item.temp};",
            f"{pad}if ({self.ref(item.condition)} != 0.0) {{{note}",
            *self.lines(item.then, depth + 1),
            f"{pad}{self.indent}t{item.temp} = {self.ref(item.then_value)};",
            f"{pad}}} else {{",
            *self.lines(item.otherwise, depth + 1),
            f"{pad}{self.indent}t{item.temp} = {self.ref(item.otherwise_value)};",
            f"{pad}}}",
        ]


def signature(name: str, derivatives: Derivatives) -> str:
    """The C prototype of the generated function."""
    arrays = ", ".join(f"double *{array}" for array in derivatives.sizes)
    return f"void {name}_{derivatives.kind}(const double *x, {arrays})"


def _sizes_text(derivatives: Derivatives) -> list[str]:
    n, m = len(derivatives.variables), len(derivatives.outputs)
    lines = [f"x     [{n}]  the point, in the order of the variables above"]
    if derivatives.kind == "jacobian":
        lines.append(f"value [{m}]  the outputs {', '.join(derivatives.outputs)}")
        lines.append(f"jac   [{m * n}]  jac[i*{n} + j] = d output i / d x[j] (row-major)")
        return lines
    lines.append("value [1]  the value")
    lines.append(f"grad  [{n}]  grad[j] = d f / d x[j]")
    if derivatives.kind == "hessian":
        lines.append(f"hess  [{n * n}]  hess[i*{n} + j] = d2 f / d x[i] d x[j] (row-major, symmetric)")
    return lines


def header_comment(
    label: str, name: str, derivatives: Derivatives, program: Program, spelling: C
) -> list[str]:
    where_note = ["where(c, a, b) computes only the branch taken"] if "where" in program.ops() else []
    text = [
        *wrapped(f"{name}: generated by adcalc codegen from {describe(label)}"),
        "",
        *wrapped(variables_text(derivatives.variables)),
        f"{signature(name, derivatives)};",
        *(f"  {line}" for line in _sizes_text(derivatives)),
        "",
        *wrapped("Conventions (as adcalc): " + "; ".join([*CONVENTIONS, *where_note]) + "."),
        "IEEE arithmetic: outside a function's domain the result is inf or NaN.",
        "Needs only math.h (link with -lm). Build without -ffast-math (it drops NaN and inf); with",
        "-ffp-contract=off the results are bit-identical to the generated Python for + - * / sqrt.",
    ]
    return ["/*", *(" * " + _safe(line) if line else " *" for line in text), " */"]


def _safe(text: str) -> str:
    return text.replace("*/", "* /")


def c_sources(
    graph_label: str, derivatives: Derivatives, name: str = "f", header_name: str | None = None
) -> dict[str, str]:
    """{"f.c": ..., "f.h": ...}: the function with its header (the .c includes `header_name`)."""
    header_name = header_name or f"{name}.h"
    program = lower(derivatives.nodes, derivatives.variables, branches=True)
    spelling = C(derivatives.variables)
    body = spelling.body(program)
    inputs = [f"    const double {v} = x[{k}];" for k, v in enumerate(spelling.inputs)]
    outputs = []
    position = 0
    for array, size in derivatives.sizes.items():
        for k in range(size):
            outputs.append(f"    {array}[{k}] = {spelling.ref(program.outputs[position])};")
            position += 1
    comment = header_comment(graph_label, name, derivatives, program, spelling)
    guard = f"{name.upper()}_H"
    header = [*comment, f"#ifndef {guard}", f"#define {guard}", "", f"{signature(name, derivatives)};", "",
              f"#endif  /* {guard} */", ""]  # fmt: skip
    helpers = spelling.helper_source()
    source = [
        *comment,
        "#include <math.h>",
        "",
        f'#include "{header_name}"',
        "",
        *([*helpers, ""] if helpers else []),
        signature(name, derivatives),
        "{",
        *inputs,
        *body,
        *outputs,
        "}",
        "",
    ]
    stem = header_name.removesuffix(".h")
    return {f"{stem}.c": "\n".join(source), header_name: "\n".join(header)}


# libm functions glibc's libmvec has vector forms of (x86_64): declared `simd`, a loop calling them
# is vectorized (4 or 8 rows at a time) with calls to _ZGVdN4v_sin and the like
VECTOR_MATH = (
    "sin cos tan exp log asin acos atan sinh cosh tanh asinh acosh atanh expm1 log1p log2 log10 cbrt".split()
)


def rows_source(
    nodes: Sequence[Node], variables: Sequence[str], name: str = "f", vector: bool = False
) -> str:
    """A block kernel for batch: `void name_rows(long start, long stop, const double *const *in,
    double *const *out)`, one column per variable in, one column per node out.

    Every node is computed (no branches inside the loop: where selects; the derivatives are
    masked, so the branch not taken cannot turn a selected 0 into NaN). With `vector`, the libm
    functions are declared with vector forms (glibc's libmvec, link with -lmvec) and the loop is
    marked `omp simd` (rows are independent), so the compiler vectorizes it (-fopenmp-simd)."""
    program = lower(nodes, variables, branches=False)
    spelling = C(variables)
    body = spelling.body(program, depth=2)
    count = len(program.outputs)
    columns = [f"    const double *restrict c{k} = in[{k}];" for k in range(len(spelling.inputs))]
    targets = [f"    double *restrict o{k} = out[{k}];" for k in range(count)]
    inputs = [f"        const double {v} = c{k}[r];" for k, v in enumerate(spelling.inputs)]
    writes = [f"        o{k}[r] = {spelling.ref(ref)};" for k, ref in enumerate(program.outputs)]
    helpers = spelling.helper_source()
    used = program.ops() | ({"exp"} if "sigmoid" in program.ops() else set())
    used |= {"exp", "log1p"} if "softplus" in used else set()
    declarations = [
        f'extern double {function}(double) __attribute__((__simd__("notinbranch")));'
        for function in VECTOR_MATH
        if vector and function in used
    ]
    return "\n".join(
        [
            f"/* {name}_rows: generated by adcalc for batch: every output over rows start..stop-1 */",
            "#include <math.h>",
            *declarations,
            "",
            *helpers,
            f"void {name}_rows(long start, long stop, const double *const *in, double *const *out)",
            "{",
            *columns,
            *targets,
            *(["#pragma omp simd"] if vector else []),
            "    for (long r = start; r < stop; r++) {",
            *inputs,
            *body,
            *writes,
            "    }",
            "}",
            "",
        ]
    )
