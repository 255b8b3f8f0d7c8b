"""Element-level Hessian sparsity: patterns per array element, their colouring, and soundness
against Hessians built one unit direction (one HVP) per element, which assume no pattern."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import adcalc
import numpy as np
import pytest
from adcalc.engine import reverse, sweeps
from adcalc.engine.bind import bind
from adcalc.engine.elements import shape_of
from adcalc.engine.sparsity import (
    colour_columns,
    element_dependencies,
    element_hessian_pattern,
    hessian_pattern,
)
from adcalc.ir.nodes import Node
from adcalc.ops import matrix as tensor


def gradient_graph(graph: Any, names: list[str]) -> dict[str, Node]:
    """The shape-aware gradient graph, as the engine builds it for a Hessian."""
    return sweeps.gradient_graph(graph.root, names, graph.shapes)


def program_values(graph: Any, at: dict[str, Any], roots: list[Node]) -> tuple[dict, list, dict]:
    """(the bound point, the order, every node's value) for the outputs and `roots`."""
    point = bind(graph, at)
    order, values = sweeps.values(point, roots)
    return point.at, order, values


def _input_shapes(names: list[str], point: dict[str, Any]) -> dict[str, tuple[int, ...]]:
    return {name: shape_of(point[name]) for name in names}


EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROSENBROCK = (EXAMPLES / "rosenbrock.adl").read_text()


def rosenbrock(n: int) -> str:
    assert "param n = 4" in ROSENBROCK
    return ROSENBROCK.replace("param n = 4", f"param n = {n}")


def element_pattern(text: str, at: dict[str, Any]) -> list[list[int]]:
    """The pattern over every input element, shapes read off the values at `at`."""
    expression = adcalc.parse(text)
    names = list(expression.inputs)
    graphs = gradient_graph(expression, names)
    point, _, values = program_values(expression, at, list(graphs.values()))
    inputs = list(_input_shapes(names, point).items())
    return element_hessian_pattern([graphs[n] for n in names], inputs, lambda n: shape_of(values[n]))


def gradient_rows(text: str, at: dict[str, Any]) -> list[int]:
    """The bit set of each gradient element, flat over the inputs (the pattern before mirroring)."""
    expression = adcalc.parse(text)
    names = list(expression.inputs)
    graphs = gradient_graph(expression, names)
    _, _, values = program_values(expression, at, list(graphs.values()))
    inputs = [(name, np.shape(at[name])) for name in names]
    found = element_dependencies([graphs[n] for n in names], inputs, lambda n: shape_of(values[n]))
    return [int(b) for bits, (_, shape) in zip(found, inputs, strict=True) for b in np.ravel(bits)]


def colours(pattern: list[list[int]]) -> int:
    return max(colour_columns(pattern), default=-1) + 1


def dense_hessian(text: str, at: dict[str, Any]) -> np.ndarray:
    """Column k = H e_k, one HVP per input element: no sparsity involved."""
    expression = adcalc.parse(text)
    names = list(expression.inputs)
    shapes = {name: np.shape(at[name]) for name in names}
    columns = []
    for name in names:
        for k in range(int(np.prod(shapes[name]))):
            unit = np.zeros(shapes[name])
            unit.flat[k] = 1.0
            direction = {name: unit if shapes[name] else 1.0}
            product = adcalc.hvp(expression, at, direction).derivative
            columns.append(np.concatenate([np.ravel(product[m]) for m in names]))
    return np.array(columns).T


def random_point(text: str, rng: np.random.Generator) -> dict[str, Any]:
    """Entries in [0.5, 1.5]; square matrices made diagonally dominant (det > 0 for logdet, solve)."""
    point: dict[str, Any] = {}
    for name, shape in adcalc.parse(text).inputs.items():
        point[name] = rng.uniform(0.5, 1.5, shape) if shape else rng.uniform(0.5, 1.5)
        if len(shape) == 2 and shape[0] == shape[1]:
            point[name] += 3 * shape[0] * np.eye(shape[0])
    return point


# --- rosenbrock: tridiagonal, 3 colours whatever n ------------------------------------------------
@pytest.mark.parametrize("n", [4, 10, 100])
def test_rosenbrock_pattern_is_tridiagonal_with_constant_colours(n: int) -> None:
    pattern = element_pattern(rosenbrock(n), {"x": np.linspace(-1, 1, n)})
    assert pattern == [[j for j in (i - 1, i, i + 1) if 0 <= j < n] for i in range(n)]
    # distance 2 on a path: columns j and j + 2 share row j + 1, so 3 colours and no fewer
    assert colours(pattern) == 3


@pytest.mark.parametrize("n", [4, 10])
def test_rosenbrock_hessian_takes_three_sweeps_and_matches_unit_directions(n: int) -> None:
    text, at = rosenbrock(n), {"x": np.random.default_rng(n).uniform(-2, 2, n)}
    result = adcalc.hessian(text, at)
    assert result.directions == 3
    matrix = np.array(result.matrix)
    assert np.array_equal(matrix, matrix.T)
    assert np.array_equal(matrix, np.tril(dense_hessian(text, at)) + np.tril(dense_hessian(text, at), -1).T)


def test_bit_sets_stay_python_ints() -> None:
    # n = 100 puts bits up to 2^99 in the sets: a float (or int64) would lose them
    expression = adcalc.parse(rosenbrock(100))
    graphs = gradient_graph(expression, ["x"])
    _, _, values = program_values(expression, {"x": np.ones(100)}, list(graphs.values()))
    (rows,) = element_dependencies([graphs["x"]], [("x", (100,))], lambda n: shape_of(values[n]))
    assert rows.dtype == object and all(type(b) is int for b in rows.flat)
    assert rows[99] == (1 << 98) | (1 << 99)


# --- shapes of patterns ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "input x[5]\nf = sum(x)^2\noutput f",
        "input x[4]\nA = [[2, 1, 0, 3], [1, 5, 2, 0], [0, 2, 4, 1], [3, 0, 1, 6]]\n"
        "f = dot(x, A @ x)\noutput f",
        "input x[3], A[3,3]\nf = dot(x, A @ x)\noutput f",
        "input A[3,3]\nf = logdet(A)\noutput f",
    ],
)
def test_coupled_cases_are_dense(text: str) -> None:
    at = random_point(text, np.random.default_rng(1))
    pattern = element_pattern(text, at)
    first = next(iter(adcalc.parse(text).inputs.values()))
    size = int(np.prod(first))
    assert all(set(range(size)) <= set(row) for row in pattern[:size])


def test_quadratic_form_couples_x_with_its_row_and_column_of_a() -> None:
    # ∂²/∂x_k∂A_ij of xᵀAx = δ_ki x_j + x_i δ_kj: x_k meets row k and column k of A, nothing else
    text = "input x[3], A[3,3]\nf = dot(x, A @ x)\noutput f"
    pattern = element_pattern(text, random_point(text, np.random.default_rng(2)))
    for k in range(3):
        touched = {3 + 3 * k + j for j in range(3)} | {3 + 3 * i + k for i in range(3)}
        assert pattern[k] == sorted({0, 1, 2} | touched)
    assert all(row == sorted({i for i in range(3) if i in row}) for row in pattern[3:])  # A is linear


@pytest.mark.parametrize(
    "text", ["input x[6]\nf = sum(x^3)\noutput f", "input X[2,3]\nf = sum(exp(X) * X)\noutput f"]
)
def test_elementwise_case_is_diagonal_with_one_colour(text: str) -> None:
    pattern = element_pattern(text, random_point(text, np.random.default_rng(3)))
    assert pattern == [[i] for i in range(len(pattern))]
    assert colours(pattern) == 1
    assert adcalc.hessian(text, random_point(text, np.random.default_rng(3))).directions == 1


# --- soundness: the pattern covers every non-zero, and the coloured Hessian is the dense one ----
SOUNDNESS = {
    "rosenbrock": rosenbrock(6),
    "mlp": (EXAMPLES / "mlp.adl").read_text(),
    "logdet": (EXAMPLES / "logdet.adl").read_text(),
    "least_squares": (EXAMPLES / "least_squares.adl").read_text(),
    "moves": (
        "input A[3,4], v[4]\n"
        "B = A[2:3, :]\n"
        "w = [v[1]*v[2], v[3], v[4]^2]\n"
        "f = sum(B' @ B) + sum(diag(A[:, 1:3]')) * w[1] + sum(reshape(A, 4, 3)[:, 2]^3)"
        " + sum(reshape(w^2, 3, 1) * w[2:3]) + sum(sin(A + v)^2)\n"
        "output f"
    ),
    "broadcast": (
        "input X[3,2], b[2], c\nH = tanh(X * b + c)\nf = sum(H^2) + mean(H[:, 1] * X[:, 2])\noutput f"
    ),
    "diag_vector": (
        "input v[3]\nD = diag(v^2)\nf = sum(D @ [1, 2, 3]) * v[1] + trace(outer(v, v^3))\noutput f"
    ),
    "solve_inv": "input A[2,2], b[2]\nf = dot(solve(A, b), b) + sum(inv(A)) * b[1]\noutput f",
    "matrix_products": (
        "input W[2,3], x[3], y[2]\n"
        "f = dot(y, W @ x)^2 + sum(W' @ (W @ x)) + sum(x @ W') * y[2] + norm(W @ x)\n"
        "output f"
    ),
    "where": "input x[4]\ny = x^2\nif x[1] > 0 { z = y * x[2] } else { z = y * x[3] }\nf = sum(z)\noutput f",
}


@pytest.mark.parametrize("name", sorted(SOUNDNESS))
def test_pattern_covers_the_nonzeros_of_the_hessian(name: str) -> None:
    text = SOUNDNESS[name]
    for seed in range(2):
        at = random_point(text, np.random.default_rng(seed))
        pattern = element_pattern(text, at)
        dense = dense_hessian(text, at)
        # each row before mirroring already covers its row of H (mirroring would hide a lost bit)
        for i, bits in enumerate(gradient_rows(text, at)):
            assert all(bits >> int(j) & 1 for j in np.flatnonzero(dense[i])), (i, np.flatnonzero(dense[i]))
        allowed = np.zeros(dense.shape, bool)
        for i, row in enumerate(pattern):
            allowed[i, row] = True
        assert not np.any(dense[~allowed]), np.argwhere(dense * ~allowed)
        coloured = np.array(adcalc.hessian(text, at).matrix)
        assert np.allclose(coloured, dense, rtol=1e-12, atol=1e-12)
        assert np.array_equal(coloured, coloured.T)


def test_structural_moves_are_exact_not_unions() -> None:
    # every op here moves or reduces elements exactly: the pattern is the true one at a generic point
    # (not so for products with constant structure: (eye · g) @ w is taken to touch all of w)
    text = SOUNDNESS["moves"]
    at = random_point(text, np.random.default_rng(7))
    dense = dense_hessian(text, at)
    pattern = element_pattern(text, at)
    assert pattern == [sorted(np.flatnonzero(row).tolist()) for row in dense]
    assert colours(pattern) < len(pattern)


def test_put_and_take_move_one_slot() -> None:
    # put and take appear in graphs only from third order on (the rules of literals): by hand
    a, v = Node("var", (), "a"), Node("var", (), "v")
    put, take = tensor.put(a, v, 1.0), tensor.take(v, 2.0)
    shapes = {v: (3,), put: (3,)}
    found = element_dependencies([put, take], [("a", ()), ("v", (3,))], lambda n: shapes.get(n, ()))
    assert found[0].tolist() == [0, 0b1, 0] and found[1] == 1 << 3  # v[3] is bit 1 + 2


# --- scalar inputs: exactly today's hessian_pattern -------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "x^2*y + sin(y*z) + exp(w)",
        "where(x > y, x*y, z^2) + floor(w) * x + abs(x - w)",
        " + ".join(f"100*(x{2 * i} - x{2 * i - 1}^2)^2 + (1 - x{2 * i - 1})^2" for i in range(1, 6)),
    ],
)
def test_scalar_formulas_reproduce_hessian_pattern(text: str) -> None:
    expression = adcalc.parse(text)
    names = sorted(expression.variables)
    graphs = reverse.gradient_graph(expression.root, names)
    gradient = [graphs[name] for name in names]
    inputs = [(name, ()) for name in names]
    assert element_hessian_pattern(gradient, inputs, lambda n: ()) == hessian_pattern(gradient, names)


def test_scalar_program_reproduces_hessian_pattern() -> None:
    text = "input a, b, c\nt = a * b\nfor k in 1..3 { t = sin(t) + c^k }\noutput t"
    expression = adcalc.parse(text)
    names = list(expression.inputs)
    graphs = gradient_graph(expression, names)
    gradient = [graphs[name] for name in names]
    pattern = element_hessian_pattern(gradient, [(name, ()) for name in names], expression.shape)
    assert pattern == hessian_pattern(gradient, names)
