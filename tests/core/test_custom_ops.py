"""Custom ops (`op f(x) = value grad rule`) in every mode, and scoped to the program defining them.

Truth is independent of adcalc: hand-derived gradients and Hessians (closed forms), and central
differences of the op's value where no closed form is simpler.
"""

from __future__ import annotations

import gc

import adcalc
import numpy as np
import pytest
from adcalc.errors import AdcalcError, UnknownFunction
from adcalc.grammar.program import parse_program
from adcalc.ir.shapes import RULES
from adcalc.ops import custom
from adcalc.ops.registry import OPS
from adcalc.ops.scalar import SCALAR

from tests.cli.helpers import run_inprocess

MV = "op mv(M, v) = M @ v grad outer(g, v), M' @ g\n"
A = np.array([[1.0, 2.0], [3.0, 4.0]])
X = np.array([0.5, -0.25])


def sum_sin_mv() -> adcalc.Expression:
    return adcalc.parse(MV + "input A[2, 2], x[2]\nf = sum(sin(mv(A, x)))\noutput f\n")


def sum_sin_truth(a: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """f = Σ sin(Ax): gradient blocks and the Hessian over (A row-major, x), by hand.

    With u = Ax, c = cos u, s = -sin u: ∂f/∂A = c xᵀ, ∂f/∂x = Aᵀc; ∂²f/∂Aᵢⱼ∂Aₖₗ = δᵢₖ sᵢ xⱼ xₗ,
    ∂²f/∂Aᵢⱼ∂xₗ = δⱼₗ cᵢ + sᵢ xⱼ Aᵢₗ, ∂²f/∂x∂x = Aᵀ diag(s) A.
    """
    u = a @ x
    c, s = np.cos(u), -np.sin(u)
    m, n = a.shape
    h = np.zeros((m * n + n, m * n + n))
    for i in range(m):
        for j in range(n):
            for k in range(m):
                for l_ in range(n):
                    h[i * n + j, k * n + l_] = (i == k) * s[i] * x[j] * x[l_]
            for l_ in range(n):
                h[i * n + j, m * n + l_] = h[m * n + l_, i * n + j] = (j == l_) * c[i] + s[i] * x[j] * a[
                    i, l_
                ]
    h[m * n :, m * n :] = a.T @ np.diag(s) @ a
    return np.outer(c, x), a.T @ c, h


# --- 1. forward mode of a cotangent (g) rule on arrays: the transpose, not a silent zero ------------
def test_forward_gradient_of_a_cotangent_rule_on_arrays() -> None:
    found = adcalc.gradient_forward(sum_sin_mv(), at={"A": A.tolist(), "x": X.tolist()}).gradient
    d_a, d_x, _ = sum_sin_truth(A, X)
    np.testing.assert_allclose(found["A"], d_a, rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(found["x"], d_x, rtol=1e-14)
    assert np.abs(found["A"]).max() > 0.4  # not the zeros of a dropped tangent


def test_jvp_of_a_cotangent_rule_with_an_array_output() -> None:
    program = adcalc.parse(MV + "input A[2, 2], x[2]\ny = mv(A, x)\noutput y\n")
    d_a, d_x = np.array([[0.3, -1.0], [2.0, 0.5]]), np.array([1.5, -0.7])
    found = adcalc.jvp(program, at={"A": A, "x": X}, direction={"A": d_a, "x": d_x}).derivative
    np.testing.assert_allclose(found, d_a @ X + A @ d_x, rtol=1e-14)  # d(Ax) = dA x + A dx


# --- 2. partial (no g) rules on arrays: element-wise ∂out/∂x, multiplied element-wise --------------
def test_partial_rule_of_a_reduction_in_forward_mode() -> None:
    program = adcalc.parse("op ss(u) = sum(u*u) grad 2*u\ninput x[3]\nf = ss(x)\noutput f\n")
    x = np.array([1.0, 2.0, -3.0])
    np.testing.assert_allclose(adcalc.gradient_forward(program, at={"x": x}).gradient["x"], 2 * x)
    v = np.array([0.5, -1.0, 2.0])
    assert adcalc.jvp(program, at={"x": x}, direction={"x": v}).derivative == pytest.approx(2 * x @ v)


def test_partial_rules_of_a_two_parameter_array_op() -> None:
    # ∂(w·v)/∂wᵢ = vᵢ and ∂(w·v)/∂vᵢ = wᵢ, each multiplied by the scalar g
    source = "op wdot(w, v) = dot(w, v) grad v, w\ninput a[3], b[3]\nf = sin(wdot(a, b))\noutput f\n"
    program = adcalc.parse(source)
    a, b = np.array([0.1, 0.2, 0.3]), np.array([1.0, -1.0, 0.5])
    for found in (
        adcalc.gradient(program, at={"a": a, "b": b}),
        adcalc.gradient_forward(program, at={"a": a, "b": b}),
    ):
        np.testing.assert_allclose(found.gradient["a"], np.cos(a @ b) * b, rtol=1e-14)
        np.testing.assert_allclose(found.gradient["b"], np.cos(a @ b) * a, rtol=1e-14)


def test_elementwise_partial_rule_of_a_broadcast_scalar() -> None:
    # scale(s, v) = s v with s a scalar: ∂outᵢ/∂s = vᵢ, so s̄ = Σ gᵢvᵢ and ds gives the tangent v ds
    source = "op scale(s, v) = s * v grad v, s\ninput a, x[3]\nf = sum(sin(scale(a, x)))\noutput f\n"
    program = adcalc.parse(source)
    a, x = 0.8, np.array([0.5, -1.0, 2.0])
    at = {"a": a, "x": x}
    for found in (adcalc.gradient(program, at=at), adcalc.gradient_forward(program, at=at)):
        assert found.gradient["a"] == pytest.approx(np.cos(a * x) @ x, rel=1e-14)
        np.testing.assert_allclose(found.gradient["x"], a * np.cos(a * x), rtol=1e-14)
    hessian = adcalc.hessian(program, at=at).hessian
    assert hessian["a"]["a"] == pytest.approx(-np.sin(a * x) @ x**2, rel=1e-13)
    # ∂²f/∂a∂xᵢ = cos(a xᵢ) - a xᵢ sin(a xᵢ)
    np.testing.assert_allclose(hessian["a"]["x"], np.cos(a * x) - a * x * np.sin(a * x), rtol=1e-13)


def test_scalar_partial_rule_of_a_vector_parameter_is_spread() -> None:
    # ∂(Σv)/∂vᵢ = 1 for every i: the scalar rule 1 stands for all of them
    program = adcalc.parse("op tot(v) = sum(v) grad 1\ninput x[3]\nf = tot(x)^2\noutput f\n")
    x = np.array([1.0, 2.0, 4.0])
    for found in (adcalc.gradient(program, at={"x": x}), adcalc.gradient_forward(program, at={"x": x})):
        np.testing.assert_allclose(found.gradient["x"], 2 * x.sum() * np.ones(3))
    np.testing.assert_allclose(np.array(adcalc.hessian(program, at={"x": x}).matrix), 2 * np.ones((3, 3)))


def test_elementwise_partial_rule_on_vectors() -> None:
    source = "op sq(v) = v*v grad 2*v\ninput x[2]\nf = sum(sin(sq(x))) + sum(3 * sq(x))\noutput f\n"
    program = adcalc.parse(source)
    x = np.array([0.5, 1.0])
    truth = np.cos(x**2) * 2 * x + 6 * x
    for found in (adcalc.gradient(program, at={"x": x}), adcalc.gradient_forward(program, at={"x": x})):
        np.testing.assert_allclose(found.gradient["x"], truth, rtol=1e-14)


# --- 3. Hessians and HVPs need the op's tangent (forward over reverse) ----------------------------
def test_hessian_of_a_matrix_op_matches_the_closed_form() -> None:
    found = adcalc.hessian(sum_sin_mv(), at={"A": A, "x": X})
    _, _, truth = sum_sin_truth(A, X)
    assert found.labels == ["A[1,1]", "A[1,2]", "A[2,1]", "A[2,2]", "x[1]", "x[2]"]
    np.testing.assert_allclose(np.array(found.matrix), truth, rtol=1e-13, atol=1e-15)


def test_hvp_of_a_matrix_op_matches_the_closed_form() -> None:
    d_a, d_x = np.array([[0.2, -0.1], [0.4, 1.0]]), np.array([-1.0, 0.5])
    found = adcalc.hvp(sum_sin_mv(), at={"A": A, "x": X}, direction={"A": d_a, "x": d_x}).derivative
    _, _, h = sum_sin_truth(A, X)
    product = h @ np.concatenate([d_a.ravel(), d_x])
    np.testing.assert_allclose(found["A"], product[:4].reshape(2, 2), rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(found["x"], product[4:], rtol=1e-13)


def test_hessian_of_a_partial_rule_reduction() -> None:
    # f = (Σx²)²: H = 4(Σx²) I + 8 x xᵀ
    program = adcalc.parse("op ss(u) = sum(u*u) grad 2*u\ninput x[3]\nf = ss(x)^2\noutput f\n")
    x = np.array([1.0, -2.0, 0.5])
    found = np.array(adcalc.hessian(program, at={"x": x}).matrix)
    np.testing.assert_allclose(found, 4 * (x @ x) * np.eye(3) + 8 * np.outer(x, x), rtol=1e-14)


def test_hessian_of_element_wise_ops_with_out_and_g() -> None:
    # y = Σ (e^x)² = Σ e^{2x}: H = diag(4 e^{2x})
    source = """op ex(x) = exp(x) grad g * out
    op vsq(v) = dot(v, v) grad 2 * g * v
    input x[2]
    y = vsq(ex(x))
    output y"""
    x = np.array([0.1, -0.4])
    found = np.array(adcalc.hessian(adcalc.parse(source), at={"x": x}).matrix)
    np.testing.assert_allclose(found, np.diag(4 * np.exp(2 * x)), rtol=1e-14)


def test_hessian_and_hvp_of_scalar_custom_ops() -> None:
    # h = f(x, y)² with f = x sin y: ∇h = 2f (sin y, x cos y), H by hand below
    source = "op f(x, y) = x * sin(y) grad sin(y), x * cos(y)\ninput x, y\nh = f(x, y)^2\noutput h\n"
    program = adcalc.parse(source)
    x, y = 0.7, -1.3
    s, c = np.sin(y), np.cos(y)
    truth = np.array([[2 * s * s, 4 * x * s * c], [4 * x * s * c, 2 * x * x * (c * c - s * s)]])
    found = adcalc.hessian(program, at={"x": x, "y": y}).hessian
    np.testing.assert_allclose(
        [[found["x"]["x"], found["x"]["y"]], [found["y"]["x"], found["y"]["y"]]], truth
    )
    product = adcalc.hvp(program, at={"x": x, "y": y}, direction={"x": 1.0, "y": -2.0}).derivative
    np.testing.assert_allclose([product["x"], product["y"]], truth @ [1.0, -2.0], rtol=1e-14)
    # a cotangent rule: cube'' = 6t
    cube = adcalc.parse("op cube(x) = x * x * x grad 3 * g * x^2\ninput t\ny = cube(t)\noutput y")
    assert adcalc.hessian(cube, at={"t": 0.3}).hessian["t"]["t"] == pytest.approx(1.8, rel=1e-15)


def test_forward_mode_on_graph_nodes_of_an_array_op() -> None:
    # forward mode run on nodes (as Hessian graphs are built) gives the graph of J·dx
    from adcalc.engine.forward import tangents_of, values_of
    from adcalc.ir.nodes import Node, topological_order

    program = parse_program(MV + "input A[2, 2], x[2]\ny = mv(A, x)\noutput y\n")
    (_, root), order = program.outputs[0], list(program.order)
    tangents = tangents_of(
        order, {n: n for n in order}, {"A": Node("var", (), "dA"), "x": Node("var", (), "dx")}
    )
    graph = tangents[root]
    d_a, d_x = np.array([[0.3, -1.0], [2.0, 0.5]]), np.array([1.5, -0.7])
    at = {"A": A, "x": X, "dA": d_a, "dx": d_x}
    np.testing.assert_allclose(values_of(topological_order(graph), at)[graph], d_a @ X + A @ d_x, rtol=1e-14)


# --- 4. one op at two shapes ------------------------------------------------------------------------
def test_one_op_at_two_shapes_in_one_program() -> None:
    source = (
        MV
        + "input A[2, 2], x[2], B[3, 3], y[3]\nf = sum(sin(mv(A, x))) + sum(mv(B, y) * mv(B, y))\noutput f\n"
    )
    program = adcalc.parse(source)
    b, y = np.array([[1.0, 2.0, 0.0], [0.5, -1.0, 1.0], [0.0, 1.0, 3.0]]), np.array([0.3, -0.2, 1.0])
    at = {"A": A, "x": X, "B": b, "y": y}
    entries = {n.op for n in program.order if custom.is_custom(n.op)}
    assert len(entries) == 2 and {custom.shown_name(op) for op in entries} == {"mv"}
    d_a, d_x, h_ax = sum_sin_truth(A, X)
    # g = ‖By‖²: ∇_B = 2 (By) yᵀ, ∇_y = 2 BᵀBy
    for found in (adcalc.gradient(program, at=at), adcalc.gradient_forward(program, at=at)):
        np.testing.assert_allclose(found.gradient["A"], d_a, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(found.gradient["x"], d_x, rtol=1e-14)
        np.testing.assert_allclose(found.gradient["B"], 2 * np.outer(b @ y, y), rtol=1e-14)
        np.testing.assert_allclose(found.gradient["y"], 2 * b.T @ b @ y, rtol=1e-14)
    v_x, v_y = np.array([1.0, -2.0]), np.array([0.5, 0.25, -1.0])
    direction = {"x": v_x, "y": v_y}
    product = adcalc.hvp(program, at=at, direction=direction).derivative
    first = h_ax @ np.concatenate([np.zeros(4), v_x])
    np.testing.assert_allclose(product["A"], first[:4].reshape(2, 2), rtol=1e-13)
    np.testing.assert_allclose(product["x"], first[4:], rtol=1e-13)
    # ∂∇_B/∂y · v = 2 (Bv) yᵀ + 2 (By) vᵀ,  ∂∇_y/∂y · v = 2 BᵀB v
    np.testing.assert_allclose(product["B"], 2 * np.outer(b @ v_y, y) + 2 * np.outer(b @ y, v_y), rtol=1e-13)
    np.testing.assert_allclose(product["y"], 2 * b.T @ b @ v_y, rtol=1e-13)


# --- 5. scoping: an op is its program's, built-in names are reserved ---------------------------------
def test_two_programs_with_different_ops_of_one_name() -> None:
    first = adcalc.parse("op f(x) = x * x grad 2 * x\ninput t\ny = f(t)\noutput y\n")
    second = adcalc.parse("op f(x) = 3 * x grad 3\ninput t\ny = f(t)\noutput y\n")
    for _ in range(2):  # interleaved: neither definition replaces the other
        assert adcalc.evaluate(first, at={"t": 1.5}).value == pytest.approx(2.25)
        assert adcalc.gradient(first, at={"t": 1.5}).gradient["t"] == pytest.approx(3.0)
        assert adcalc.evaluate(second, at={"t": 1.5}).value == pytest.approx(4.5)
        assert adcalc.gradient(second, at={"t": 1.5}).gradient["t"] == pytest.approx(3.0 * 1.0)
        assert adcalc.gradient_forward(second, at={"t": 1.5}).gradient["t"] == pytest.approx(3.0)
    assert adcalc.hessian(first, at={"t": 1.5}).hessian["t"]["t"] == pytest.approx(2.0)
    assert adcalc.hessian(second, at={"t": 1.5}).hessian["t"]["t"] == 0.0


def test_a_formula_cannot_call_a_programs_op() -> None:
    program = adcalc.parse("op sq(x) = x * x grad 2 * x\ninput t\ny = sq(t)\noutput y\n")
    with pytest.raises(UnknownFunction):
        adcalc.parse("sq(2)")
    (internal,) = program.definitions.names
    with pytest.raises(UnknownFunction):
        adcalc.parse(f"{internal}(2)")


@pytest.mark.parametrize(
    "name", ["add", "mul", "sin", "sum", "matmul", "where", "ln", "sum_like", "unbroadcast"]
)
def test_built_in_names_are_reserved(name: str) -> None:
    import adcalc.ops.matrix  # noqa: F401  (registers unbroadcast and sum_like)

    with pytest.raises(custom.ReservedName) as raised:
        parse_program(f"op {name}(a, b) = a * b grad b, a\ninput x\ny = x + 2\noutput y\n", "p.adl")
    assert isinstance(raised.value, AdcalcError)
    assert (raised.value.span.line, raised.value.span.column) == (1, 4)  # the name's span
    assert f"'{name}' is a built-in" in str(raised.value.detail)


def test_rejected_add_leaves_add_alone() -> None:
    with pytest.raises(custom.ReservedName):
        adcalc.parse("op add(a, b) = a*b grad b, a\ninput x\ny = x\noutput y\n")
    assert adcalc.evaluate("1+2", at={}).value == 3.0
    assert adcalc.evaluate(adcalc.parse("input x\ny = x + 2\noutput y\n"), at={"x": 1.0}).value == 3.0
    assert not OPS["add"].extra.get("custom")


def test_reserved_name_in_the_cli_is_exit_code_2(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(
        ["eval", "-", "--at", "x=1"], capsys, stdin="op add(a, b) = a*b grad b, a\ninput x\ny = x\noutput y\n"
    )
    assert done.code == 2
    assert "1:4" in done.stderr and "Reserved name: 'add' is a built-in" in done.stderr


def test_entries_go_with_their_program() -> None:
    program = parse_program(
        MV + "input A[2, 2], x[2], B[3, 3], y[3]\nf = sum(mv(A, x)) + sum(mv(B, y))\noutput f\n"
    )
    names = list(program.definitions.names)
    assert len(names) == 2 and all(name in OPS and name in SCALAR and name in RULES for name in names)
    del program
    gc.collect()
    assert not any(name in OPS or name in SCALAR or name in RULES for name in names)


def test_printed_derivatives_show_the_name_written() -> None:
    from adcalc.answers.diff import diff

    program = adcalc.parse("op sq(x) = x * x grad 2 * x\ninput t\ny = sin(sq(t))\noutput y\n")
    text = diff(program, ["t"]).text["t"]
    assert "sq(t)" in text and "__op" not in text
