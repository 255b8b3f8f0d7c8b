"""Generated Python, NumPy and C (adcalc codegen) against adcalc's own gradient and Hessian.

Truth is adcalc's reverse-mode gradient and forward-over-reverse Hessian at the same points (an
independent path: evaluators at a point, not generated code), and closed forms for the kinks.
The C is compiled with the system compiler (skipped cleanly without one); many expressions share
one translation unit, so a few hundred cost one compiler run.
"""

from __future__ import annotations

import ctypes
import math
import os
import random
import stat
import subprocess
from pathlib import Path

import adcalc
import numpy as np
import pytest
from adcalc.codegen.source import generate
from adcalc.codegen.source.run import CFLAGS, compiler, expected, flatten, load
from adcalc.errors import EvaluationError, UsageError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
needs_cc = pytest.mark.skipif(compiler() is None, reason="no C compiler on PATH")


# --- random expressions -------------------------------------------------------------------------
EXACT_UNARY = ["abs({})", "-({})", "sqrt(abs({}) + 1)"]
EXACT_BINARY = ["({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / (abs({}) + 1)", "max({}, {})",
                "min({}, {})", "where({} > {}, x, y)"]  # fmt: skip
LIBM = ["sin({})", "exp(({}) / 4)", "tanh({})", "log(abs({}) + 1)", "atan({})", "sigmoid({})"]
VARIADIC = ["max({}, {}, z)", "min(x, {}, {})"]


def expression(rng: random.Random, depth: int, exact: bool) -> str:
    if depth == 0 or rng.random() < 0.2:
        return rng.choice(["x", "y", "z", "x", "y", "2", "0.5"])
    unary = EXACT_UNARY + ([] if exact else LIBM)
    if rng.random() < 0.4:
        return rng.choice(unary).format(expression(rng, depth - 1, exact))
    template = rng.choice(EXACT_BINARY + ([] if exact else VARIADIC))
    if "where" in template:  # where(a > b, f, g): branches that are themselves expressions
        a, b = expression(rng, depth - 1, exact), expression(rng, depth - 1, exact)
        f, g = expression(rng, depth - 1, exact), expression(rng, depth - 1, exact)
        return f"where({a} > {b}, {f}, {g})"
    return template.format(expression(rng, depth - 1, exact), expression(rng, depth - 1, exact))


def graphs(count: int, seed: int, exact: bool) -> list[adcalc.Expression]:
    rng = random.Random(seed)
    found = []
    while len(found) < count:
        text = expression(rng, 4, exact) + " + 0*x + 0*y + 0*z"  # every function takes x, y, z
        found.append(adcalc.parse(text))
    return found


POINTS = [
    [0.3, -1.2, 0.7],
    [-0.8, 0.4, 1.9],
    [0.0, 0.0, 0.0],  # abs at 0, ties of max/min, where at equality
    [1.0, 1.0, -1.0],  # x = y: ties
    [0.5, -0.5, 0.5],
]


def c_unit(generated: list) -> ctypes.CDLL:
    """Every generated C function in one shared library, built with the system compiler."""
    import tempfile

    parts = ["#include <math.h>"]
    for g in generated:
        source = next(text for file, text in g.files.items() if file.endswith(".c"))
        parts.append("\n".join(line for line in source.splitlines() if not line.startswith('#include "')))
    directory = tempfile.mkdtemp(prefix="adcalc-test-")
    path = os.path.join(directory, "all.c")
    Path(path).write_text("\n".join(parts))
    subprocess.run([compiler(), *CFLAGS, "-o", path + ".so", path, "-lm"], check=True)
    return ctypes.CDLL(path + ".so")


def call_c(library: ctypes.CDLL, g, point: list[float]) -> list[float]:
    function = getattr(library, g.function)
    function.restype = None
    arrays = [(ctypes.c_double * size)() for size in g.derivatives.sizes.values()]
    function((ctypes.c_double * 3)(*point), *arrays)
    return [v for array in arrays for v in array]


def truth(graph, kind: str, point: list[float]) -> list[float] | None:
    try:
        return expected(graph, kind, point)
    except EvaluationError:
        return None


def close(a: float, b: float) -> bool:
    return (a != a and b != b) or a == b or math.isclose(a, b, rel_tol=1e-11, abs_tol=1e-11)


@pytest.mark.parametrize("kind", ["grad", "hessian"])
def test_generated_python_and_numpy_match_adcalc_on_random_expressions(kind: str) -> None:
    for graph in graphs(60, 1 if kind == "grad" else 2, exact=False):
        python, numpy = load(generate(graph, "python", kind)), load(generate(graph, "numpy", kind))
        for point in POINTS:
            want = truth(graph, kind, point)
            if want is None:
                continue
            got = numpy(point)
            assert all(close(a, b) for a, b in zip(got, want, strict=True)), (graph.source, point, got, want)
            try:
                got = python(point)
            except (ValueError, ZeroDivisionError):  # math raises where IEEE gives inf/NaN
                continue
            assert all(close(a, b) for a, b in zip(got, want, strict=True)), (graph.source, point, got, want)


@needs_cc
@pytest.mark.parametrize("kind", ["grad", "hessian"])
def test_generated_c_matches_adcalc_on_random_expressions(kind: str) -> None:
    found = graphs(90, 3 if kind == "grad" else 4, exact=False)
    generated = [generate(g, "c", kind, name=f"e{k}") for k, g in enumerate(found)]
    library = c_unit(generated)
    for graph, g in zip(found, generated, strict=True):
        for point in POINTS:
            want = truth(graph, kind, point)
            if want is None:
                continue
            got = call_c(library, g, point)
            assert all(close(a, b) for a, b in zip(got, want, strict=True)), (graph.source, point, got, want)


@needs_cc
def test_c_and_python_are_bit_identical_where_the_operations_are_correctly_rounded() -> None:
    # + - * / sqrt, abs, max/min, where and comparisons: IEEE-exact in both languages
    found = graphs(100, 5, exact=True)
    generated = [generate(g, "c", "hessian", name=f"e{k}") for k, g in enumerate(found)]
    library = c_unit(generated)
    rng = random.Random(6)
    for graph, g in zip(found, generated, strict=True):
        python = load(generate(graph, "python", "hessian"))
        for point in [*POINTS, [rng.uniform(-3, 3) for _ in range(3)]]:
            try:
                expected_bits = python(point)
            except ZeroDivisionError:
                continue
            got = call_c(library, g, point)
            assert [v.hex() for v in got] == [v.hex() for v in expected_bits], (graph.source, point)


# --- kinks, against closed forms ------------------------------------------------------------------
@pytest.mark.parametrize("language", ["python", "numpy", "c"])
def test_kink_conventions_are_adcalcs(language: str) -> None:
    if language == "c" and compiler() is None:
        pytest.skip("no C compiler on PATH")
    cases = [
        ("abs(x)", [0.0], [0.0, 0.0]),  # abs'(0) = 0
        ("max(x, y)", [1.0, 1.0], [1.0, 0.5, 0.5]),  # a tie splits evenly
        ("min(x, y, z)", [2.0, 2.0, 2.0], [2.0, 1 / 3, 1 / 3, 1 / 3]),  # three tied: a third each
        ("where(x > 0, log(x), -x)", [-1.0], [1.0, -1.0]),  # log(-1) never computed
        ("where(x > 0, sqrt(x), 0)", [0.0], [0.0, 0.0]),  # sqrt'(0) = inf not taken
    ]
    for text, point, want in cases:
        got = load(generate(adcalc.parse(text), language))(point)
        assert got == want, (text, got)


def test_where_computes_only_the_branch_taken_in_python() -> None:
    source = generate(adcalc.parse("where(x > 0, log(x), 0)"), "python").files["f.py"]
    assert "if " in source and "# where: only the branch taken counts" in source
    assert load(generate(adcalc.parse("where(x > 0, log(x), 0)"), "python"))([-2.0]) == [0.0, 0.0]


def test_numpy_code_is_vectorised_over_points() -> None:
    g = generate(adcalc.parse("x^2*y + sin(x)"), "numpy", "hessian")
    namespace: dict = {}
    exec(g.files["f.py"], namespace)
    xs = np.random.default_rng(0).uniform(-1, 1, (5, 7, 2))
    value, grad, hess = namespace["f_hessian"](xs)
    assert value.shape == (5, 7) and grad.shape == (5, 7, 2) and hess.shape == (5, 7, 2, 2)
    x, y = xs[..., 0], xs[..., 1]
    np.testing.assert_allclose(grad[..., 0], 2 * x * y + np.cos(x), rtol=1e-14)
    np.testing.assert_allclose(hess[..., 0, 0], 2 * y - np.sin(x), rtol=1e-14)
    np.testing.assert_array_equal(hess[..., 0, 1], hess[..., 1, 0])


def test_shared_subexpressions_are_computed_once() -> None:
    source = generate(adcalc.parse("sin(x*y) + cos(x*y) + exp(sin(x*y))"), "c").files["f.c"]
    code = source.split("*/", 1)[1]  # after the header comment, which quotes the expression
    assert code.count("x_ * y") == 1 and code.count("sin(") == 1 and code.count("exp(") == 1
    assert "adcalc" not in generate(adcalc.parse("x*y"), "python").files["f.py"].split('"""')[2]  # no import


def test_jacobian_of_several_outputs() -> None:
    graph = adcalc.parse("x^2 + y^2 - 4, x - y")
    for language in ["python", "numpy"] + (["c"] if compiler() else []):
        got = load(generate(graph, language, "jacobian"))([1.5, 0.5])
        assert got == [1.5**2 + 0.25 - 4, 1.0, 3.0, 1.0, 1.0, -1.0], language


# --- the examples -------------------------------------------------------------------------------
def example(name: str, text: str | None = None):
    path = EXAMPLES / name
    return adcalc.parse(text or path.read_text(), str(path))


@pytest.mark.parametrize("kind", ["grad", "hessian"])
def test_the_scalar_examples(kind: str) -> None:
    pendulum = (EXAMPLES / "pendulum.adl").read_text().replace("param steps = 1000", "param steps = 40")
    programs = [example("custom_op.adl"), example("pendulum.adl", pendulum), example("rosenbrock.adl")]
    languages = ["python", "numpy"] + (["c"] if compiler() else [])
    points = {
        "custom_op.adl": [[0.7], [-1.3], [0.0]],
        "pendulum.adl": [[0.3, 1.1], [1.2, 0.6]],
        "rosenbrock.adl": [[-1.2, 1.0, -1.2, 1.0], [1.0, 1.0, 1.0, 1.0]],
    }
    for graph in programs:
        for language in languages:
            call = load(generate(graph, language, kind))
            for point in points[Path(graph.name).name]:
                want = expected(graph, kind, point)
                got = call(point)
                assert all(close(a, b) for a, b in zip(got, want, strict=True)), (graph.name, language, point)


def test_array_programs_are_refused_in_one_line() -> None:
    for name in ("least_squares.adl", "mlp.adl", "logdet.adl"):  # matrix products, whole arrays
        with pytest.raises(UsageError, match="only elements x\\[i\\] of array inputs"):
            generate(example(name), "c")


def test_elements_of_array_inputs_are_variables_in_flat_order() -> None:
    # the Rosenbrock program reads x[1] ... x[n]: the function takes the flat vector, as
    # adcalc.gradient_function does; truth: the closed-form gradient of the Rosenbrock function
    call = load(generate(example("rosenbrock100.adl"), "numpy"))
    x = np.random.default_rng(2).uniform(-2, 2, 100)
    got = call(list(x))
    odd, even = x[0::2], x[1::2]
    want = np.empty(100)
    want[0::2] = -400 * odd * (even - odd**2) - 2 * (1 - odd)
    want[1::2] = 200 * (even - odd**2)
    assert got[0] == pytest.approx(np.sum(100 * (even - odd**2) ** 2 + (1 - odd) ** 2), rel=1e-13)
    np.testing.assert_allclose(got[1:], want, rtol=1e-12, atol=1e-12)
    names = generate(adcalc.parse("input x[2], x_1\nf = x[1]*x[2]*x_1\noutput f"), "python").files["f.py"]
    assert "x_1 = float(x[0])" in names and "x_2 = float(x[1])" in names and "x_1_ = float(x[2])" in names


# --- the C batch engine ------------------------------------------------------------------------
@needs_cc
def test_c_engine_matches_numpy_engine_and_caches_privately(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    text = "sin(x)*y + where(x > 0, log(x), x^2) + max(x, y) + abs(y)"
    rng = np.random.default_rng(0)
    arrays = {"x": rng.uniform(-2, 2, 70000), "y": rng.uniform(-2, 2, 70000)}
    arrays["x"][:5] = [0.0, 1.0, -1.0, 0.5, 2.0]
    arrays["y"][:5] = [0.0, 1.0, 0.3, 0.5, 2.0]  # ties and kinks
    c_value, c_grad = adcalc.compile(text, engine="c").grad(**arrays)
    n_value, n_grad = adcalc.compile(text, engine="numpy").grad(**arrays)
    np.testing.assert_allclose(c_value, n_value, rtol=1e-14, atol=1e-15)
    for name in ("x", "y"):
        np.testing.assert_allclose(c_grad[name], n_grad[name], rtol=1e-14, atol=1e-15)
    kernels = tmp_path / "cache" / "adcalc" / "kernels"
    assert stat.S_IMODE(os.stat(kernels).st_mode) == 0o700
    assert stat.S_IMODE(os.stat(tmp_path / "cache" / "adcalc").st_mode) == 0o700
    (library,) = kernels.glob("*.so")
    os.chmod(library, 0o777)  # writable by others: not trusted, rebuilt
    adcalc.compile(text, engine="c").plan(1)
    assert stat.S_IMODE(os.stat(library).st_mode) == 0o700


def test_c_engine_without_a_compiler_is_a_usage_error(monkeypatch) -> None:
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("CC", raising=False)
    with pytest.raises(UsageError, match="no cc, gcc or clang"):
        adcalc.compile("x*y", engine="c").plan(1)
    value, gradient = adcalc.compile("x*y", engine="auto").grad(x=np.ones(3), y=np.full(3, 2.0))
    assert list(gradient["x"]) == [2.0, 2.0, 2.0]
    assert flatten((1.0, [2.0])) == [1.0, 2.0]


@needs_cc
def test_c_engine_special_values_and_accuracy_match_numpy(tmp_path: Path, monkeypatch) -> None:
    # vectorized libm (libmvec) in the C engine, numpy's own in the numpy engine: NaN and inf in
    # the same places, finite values within a few ulp (expm1's rule out + 1 cancels for x << 0,
    # in both engines alike, so it is left out here)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    functions = (
        "sin cos tan exp log asin acos atan sinh cosh tanh asinh acosh atanh log1p log2 log10 cbrt".split()
    )
    text = ", ".join(f"{f}(x)" for f in [*functions, "sigmoid", "softplus", "sqrt"])
    rng = np.random.default_rng(1)
    special = [0.0, -0.0, -1.0, 1.0, 1000.0, -1000.0, np.inf, -np.inf, np.nan, 1e-310, 710.0, -745.5]
    xs = np.concatenate([special, rng.uniform(-3, 3, 3000), 10 ** rng.uniform(-20, 2, 3000)])
    c = adcalc.compile(text, engine="c").table(1, [xs])
    n = adcalc.compile(text, engine="numpy").table(1, [xs])
    np.testing.assert_array_equal(np.isnan(c), np.isnan(n))
    np.testing.assert_array_equal(np.isinf(c), np.isinf(n))
    finite = np.isfinite(n)
    # atol: rules such as tanh' = 1 - out², which cancel, turn one ulp of a value into 2e-16 absolute
    np.testing.assert_allclose(c[finite], n[finite], rtol=2e-14, atol=1e-15)
