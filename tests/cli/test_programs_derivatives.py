"""Issue-3 commands (jacobian, hessian, hvp, jvp, check, explain, diff, taylor, graph) on .adl programs.

Numbers are checked against hand-derived formulas or central differences of the AD gradient.
"""

from __future__ import annotations

import json
from pathlib import Path

import adcalc
import numpy as np
import pytest

from tests.cli.helpers import run_inprocess, run_subprocess

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
ROSENBROCK_AT = [-1.2, 1.0, -1.2, 1.0]
MLP_AT = "W1=[[0.5,-0.4],[0.3,0.8],[-0.6,0.2]],b1=[0,0.1,-0.1],W2=[[0.7,-0.5,0.4]],b2=[0.05]"
LOGDET_A = [[4.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 2.0]]
POINTS = {
    "rosenbrock": f"x={ROSENBROCK_AT}",
    "mlp": MLP_AT,
    "least_squares": "x1=0.5,x2=-1",
    "pendulum": "theta0=0.5,L=1",
    "logdet": f"A={LOGDET_A}",
    "custom_op": "t=0.7",
}


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def run_json(args: list[str], capsys: pytest.CaptureFixture[str]) -> dict:
    done = run_inprocess([*args, "--json"], capsys)
    assert done.code == 0, done.stderr
    return json.loads(done.stdout)


# --- jacobian ----------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["forward", "reverse"])
def test_jacobian_of_two_named_outputs(tmp_path: Path, mode: str, capsys: pytest.CaptureFixture[str]) -> None:
    program = write(tmp_path, "two.adl", "input x, y\nu = x*y\nv = sin(x) + y\noutput u, v\n")
    document = run_json(["jacobian", program, "--at", "x=1,y=2", "--mode", mode], capsys)
    assert document["outputs"] == ["u", "v"] and document["variables"] == ["x", "y"]
    assert document["value"] == pytest.approx({"u": 2.0, "v": np.sin(1) + 2})
    # ∂(xy) = (y, x); ∂(sin x + y) = (cos x, 1)
    assert document["jacobian"] == {"u": {"x": 2.0, "y": 1.0}, "v": {"x": pytest.approx(np.cos(1)), "y": 1.0}}
    assert document["mode"] == mode


def test_jacobian_blocks_have_output_shape_plus_input_shape(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write(tmp_path, "affine.adl", "input A[2, 2], x[2], s\ny = A @ x * s\nz = s^2\noutput y, z\n")
    A, x, s = np.array([[1.0, 2.0], [3.0, 4.0]]), np.array([5.0, -1.0]), 1.5
    for mode in ("forward", "reverse"):
        at = f"A={A.tolist()},x={x.tolist()},s={s}"
        blocks = run_json(["jacobian", program, "--at", at, "--mode", mode], capsys)["jacobian"]
        # y_i = s Σ_k A_ik x_k: ∂y_i/∂A_jk = s δ_ij x_k, ∂y/∂x = s A, ∂y/∂s = A x
        expected_a = np.einsum("ij,k->ijk", np.eye(2), x) * s
        assert np.array(blocks["y"]["A"]).shape == (2, 2, 2)
        assert np.allclose(blocks["y"]["A"], expected_a, rtol=1e-15, atol=0)
        assert np.allclose(blocks["y"]["x"], s * A) and np.allclose(blocks["y"]["s"], A @ x)
        assert blocks["z"]["s"] == pytest.approx(2 * s)
        assert np.allclose(blocks["z"]["A"], 0) and np.allclose(blocks["z"]["x"], 0)


def test_jacobian_of_a_vector_output_table_rows_per_element(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    program = write(tmp_path, "polar.adl", "input p[2]\ny = [p[1]*cos(p[2]), p[1]*sin(p[2])]\noutput y\n")
    r, t = 2.0, 0.5
    document = run_json(["jacobian", program, "--at", f"p=[{r},{t}]"], capsys)
    expected = [[np.cos(t), -r * np.sin(t)], [np.sin(t), r * np.cos(t)]]  # ∂(r cos t, r sin t)/∂(r, t)
    assert np.allclose(document["jacobian"]["y"]["p"], expected, rtol=1e-15)
    done = run_inprocess(["jacobian", program, "--at", f"p=[{r},{t}]"], capsys)
    assert done.code == 0 and "y[2]" in done.stdout and "∂/∂p[1]" in done.stdout


def test_jacobian_program_on_standard_input_through_the_console_script() -> None:
    done = run_subprocess(
        ["jacobian", "-", "--at", "x=3", "--json"], stdin="input x\na = x^2\nb = 1/x\noutput a, b\n"
    )
    assert done.code == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["jacobian"] == {"a": {"x": 6.0}, "b": {"x": pytest.approx(-1 / 9)}}


# --- hessian -----------------------------------------------------------------------------------
def rosenbrock_hessian(x: list[float]) -> np.ndarray:
    """Hand-derived: tridiagonal, from f = Σ 100 (x_{i+1} − x_i²)² + (1 − x_i)²."""
    n = len(x)
    h = np.zeros((n, n))
    for i in range(n - 1):
        h[i, i] += 1200 * x[i] ** 2 - 400 * x[i + 1] + 2
        h[i + 1, i + 1] += 200
        h[i, i + 1] = h[i + 1, i] = -400 * x[i]
    return h


def rosenbrock_gradient(x: list[float]) -> np.ndarray:
    n, g = len(x), np.zeros(len(x))
    for i in range(n - 1):
        g[i] += -400 * x[i] * (x[i + 1] - x[i] ** 2) - 2 * (1 - x[i])
        g[i + 1] += 200 * (x[i + 1] - x[i] ** 2)
    return g


def test_rosenbrock_hessian_is_the_hand_derived_tridiagonal(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["hessian", str(EXAMPLES / "rosenbrock.adl"), "--at", POINTS["rosenbrock"]], capsys)
    assert np.allclose(document["hessian"]["x"]["x"], rosenbrock_hessian(ROSENBROCK_AT), rtol=1e-14, atol=0)
    assert np.allclose(document["gradient"]["x"], rosenbrock_gradient(ROSENBROCK_AT), rtol=1e-14)
    assert document["directions"] == 3  # colours of the tridiagonal pattern, not one sweep per element
    table = run_inprocess(["hessian", str(EXAMPLES / "rosenbrock.adl"), "--at", POINTS["rosenbrock"]], capsys)
    assert table.code == 0 and "1330.0" in table.stdout and "x[4]" in table.stdout
    assert (
        table.stdout.splitlines()[0].strip() == f"f = {EXAMPLES / 'rosenbrock.adl'}"
    )  # the label, not the text


def test_least_squares_hessian_is_twice_a_transpose_a(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["hessian", str(EXAMPLES / "least_squares.adl"), "--at", "x1=0.5,x2=-1"], capsys)
    A, b, x = (
        np.array([[1, 1], [1, 2], [1, 3], [1, 4]], float),
        np.array([6, 5, 7, 10.0]),
        np.array([0.5, -1]),
    )
    h = 2 * A.T @ A  # [[8, 20], [20, 60]]
    assert document["hessian"] == {"x1": {"x1": h[0, 0], "x2": h[0, 1]}, "x2": {"x1": h[1, 0], "x2": h[1, 1]}}
    assert list(document["gradient"].values()) == pytest.approx(2 * A.T @ (A @ x - b), rel=1e-15)


def test_hessian_sums_broadcast_cotangents_back(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # f = Σ_ij (M_ij a + b_j)², b added to every row of M a
    program = write(
        tmp_path, "bcast.adl", "input a, b[2]\nM = [[1, 2], [3, 4]]\nv = M*a + b\nf = sum(v^2)\noutput f\n"
    )
    M, a, b = np.array([[1.0, 2.0], [3.0, 4.0]]), 0.7, np.array([-0.3, 2.0])
    document = run_json(["hessian", program, "--at", f"a={a},b={b.tolist()}"], capsys)
    hess, grad = document["hessian"], document["gradient"]
    v = M * a + b
    assert grad["a"] == pytest.approx(2 * np.sum(v * M)) and np.allclose(grad["b"], 2 * v.sum(axis=0))
    assert hess["a"]["a"] == pytest.approx(2 * np.sum(M**2))
    assert np.allclose(hess["a"]["b"], 2 * M.sum(axis=0)) and np.allclose(hess["b"]["a"], 2 * M.sum(axis=0))
    assert np.allclose(hess["b"]["b"], 4 * np.eye(2))  # 2 per row, two rows


def gradient_vector(path: Path, point: dict[str, np.ndarray]) -> np.ndarray:
    result = adcalc.gradient(adcalc.parse(path.read_text(), str(path)), at=point)
    return np.concatenate([np.ravel(result.gradient[name]) for name in point])


def test_mlp_hessian_matches_central_differences_of_the_gradient(capsys: pytest.CaptureFixture[str]) -> None:
    path = EXAMPLES / "mlp.adl"
    document = run_json(["hessian", str(path), "--at", MLP_AT], capsys)
    point = {k: np.array(v, dtype=float) for k, v in document["at"].items()}
    names, shapes = list(point), [point[k].shape for k in point]
    flat = np.concatenate([point[k].ravel() for k in names])

    def unflatten(vector: np.ndarray) -> dict[str, np.ndarray]:
        parts, start = {}, 0
        for name, shape in zip(names, shapes, strict=True):
            size = int(np.prod(shape))
            parts[name] = vector[start : start + size].reshape(shape)
            start += size
        return parts

    h = 1e-5
    columns = []
    for k in range(flat.size):
        step = np.zeros(flat.size)
        step[k] = h
        up, down = (
            gradient_vector(path, unflatten(flat + step)),
            gradient_vector(path, unflatten(flat - step)),
        )
        columns.append((up - down) / (2 * h))
    truth = np.array(columns).T
    blocks = document["hessian"]
    ours = np.block(
        [[np.reshape(blocks[a][b], (point[a].size, point[b].size)) for b in names] for a in names]
    )
    assert np.array_equal(ours, ours.T)  # exactly symmetric
    assert np.allclose(ours, truth, rtol=1e-6, atol=1e-8)


def test_logdet_hessian_is_minus_inverse_products(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["hessian", str(EXAMPLES / "logdet.adl"), "--at", POINTS["logdet"]], capsys)
    inverse = np.linalg.inv(np.array(LOGDET_A))
    # ∂² log det A / ∂A_ij ∂A_kl = −(A⁻¹)_li (A⁻¹)_jk
    expected = -np.einsum("li,jk->ijkl", inverse, inverse)
    assert np.allclose(document["hessian"]["A"]["A"], expected, rtol=1e-12, atol=1e-15)


# --- directional derivatives ---------------------------------------------------------------------
def test_hvp_and_jvp_with_array_directions(capsys: pytest.CaptureFixture[str]) -> None:
    path, v = str(EXAMPLES / "rosenbrock.adl"), [1.0, 0.5, 0.0, -2.0]
    hvp = run_json(["hvp", path, "--at", POINTS["rosenbrock"], "--dir", f"x={v}"], capsys)
    assert np.allclose(hvp["hvp"]["x"], rosenbrock_hessian(ROSENBROCK_AT) @ v, rtol=1e-14)
    assert hvp["direction"]["x"] == v
    jvp = run_json(["jvp", path, "--at", POINTS["rosenbrock"], "--dir", f"x={v}"], capsys)
    assert jvp["directional"] == pytest.approx(rosenbrock_gradient(ROSENBROCK_AT) @ v, rel=1e-14)
    table = run_inprocess(["hvp", path, "--at", POINTS["rosenbrock"], "--dir", f"x={v}"], capsys)
    assert table.code == 0 and "x[4]" in table.stdout


def test_direction_of_the_wrong_shape_is_one_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    done = run_inprocess(
        ["jvp", str(EXAMPLES / "rosenbrock.adl"), "--at", POINTS["rosenbrock"], "--dir", "x=[1,0]"], capsys
    )
    assert done.code == 2 and done.stderr.count("\n") <= 2
    assert "--dir x has shape [2] but x is [4]" in done.stderr and "Traceback" not in done.stderr


def test_forward_mode_gradient_of_a_matrix_input(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(
        ["grad", str(EXAMPLES / "logdet.adl"), "--at", POINTS["logdet"], "--mode", "forward"], capsys
    )
    assert np.allclose(document["gradient"]["A"], np.linalg.inv(np.array(LOGDET_A)).T, rtol=1e-13)


# --- check -------------------------------------------------------------------------------------
def test_check_reveals_a_wrong_custom_rule(capsys: pytest.CaptureFixture[str]) -> None:
    # the rule says eˣ, but d/dx log(1 + eˣ) = sigmoid(x)
    text = "op softplus2(x) = log(1 + exp(x)) grad exp(x)\ninput t\ny = softplus2(t)\noutput y\n"
    done = run_inprocess(["check", "-", "--at", "t=0.7", "--json"], capsys, stdin=text)
    assert done.code == 1, done.stderr  # check is a gate: the rule disagrees with differences
    assert "check failed: central differences disagrees with reverse AD at t" in done.stderr
    methods = {m["method"]: m for m in json.loads(done.stdout)["methods"]}
    assert methods["reverse AD"]["gradient"]["t"] == pytest.approx(np.exp(0.7))  # the user's (wrong) rule
    assert methods["central differences"]["gradient"]["t"] == pytest.approx(1 / (1 + np.exp(-0.7)), rel=1e-8)
    assert methods["central differences"]["max_error"] > 0.5
    assert methods["central differences"]["passed"] is False and methods["forward AD"]["passed"] is True


def test_check_of_the_correct_custom_ops_agrees(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["check", str(EXAMPLES / "custom_op.adl"), "--at", "t=0.7"], capsys)
    methods = {m["method"]: m for m in document["methods"]}
    assert methods["central differences"]["max_error"] < 1e-8
    assert document["expression"] == str(EXAMPLES / "custom_op.adl")


def test_check_of_array_inputs_element_by_element(capsys: pytest.CaptureFixture[str]) -> None:
    document = run_json(["check", str(EXAMPLES / "rosenbrock.adl"), "--at", POINTS["rosenbrock"]], capsys)
    assert document["elements"] == ["x[1]", "x[2]", "x[3]", "x[4]"] and document["variables"] == ["x"]
    methods = {m["method"]: m for m in document["methods"]}
    truth = rosenbrock_gradient(ROSENBROCK_AT)
    for name in ("reverse AD", "forward AD", "central differences"):
        assert methods[name]["gradient"]["x"] == pytest.approx(truth, rel=1e-7)  # shaped as grad's
    assert methods["central differences"]["evaluations"] == 8
    assert methods["complex step"]["gradient"] is None and "not applicable" in methods["complex step"]["note"]


def test_check_of_a_wrong_rule_on_a_vector(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # the cotangent rule forgets the factor 2 of d(Σ u²) = 2 u·du
    program = write(
        tmp_path, "sq.adl", "op sumsq(u) = sum(u*u) grad g*u\ninput x[3]\nf = sumsq(x)\noutput f\n"
    )
    done = run_inprocess(["check", program, "--at", "x=[1,2,3]", "--json"], capsys)
    assert done.code == 1 and "central differences disagrees with reverse AD at x[1]" in done.stderr
    methods = {m["method"]: m for m in json.loads(done.stdout)["methods"]}
    assert methods["central differences"]["gradient"]["x"] == pytest.approx([2, 4, 6], rel=1e-8)
    assert methods["central differences"]["max_error"] == pytest.approx(1.0, rel=1e-6)
    assert methods["central differences"]["failed"] == ["x[1]", "x[2]", "x[3]"]


# --- commands that need scalars: one clear line, exit 2 ----------------------------------------------
@pytest.mark.parametrize(
    ("command", "example", "extra"),
    [
        ("explain", "rosenbrock", ["--at", POINTS["rosenbrock"]]),
        ("diff", "mlp", []),
        ("taylor", "logdet", ["--at", POINTS["logdet"]]),
        ("explain", "least_squares", ["--at", "x1=0,x2=0"]),
    ],
)
def test_array_programs_where_a_scalar_is_needed(
    command: str, example: str, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    done = run_inprocess([command, str(EXAMPLES / f"{example}.adl"), *extra], capsys)
    assert done.code == 2 and done.stdout == ""
    assert (
        done.stderr.count("\n") == 1
        and "vector/matrix values" in done.stderr
        and "try `adcalc" in done.stderr
    )


def test_several_outputs_where_one_is_needed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    program = write(tmp_path, "two.adl", "input x, y\nu = x*y\nv = sin(x) + y\noutput u, v\n")
    for args in (
        ["explain", program, "--at", "x=1,y=2"],
        ["diff", program],
        ["jvp", program, "--at", "x=1,y=2", "--dir", "x=1"],
    ):
        done = run_inprocess(args, capsys)
        assert done.code == 2 and "u, v" in done.stderr and "adcalc jacobian" in done.stderr
    graph = run_json(["graph", program], capsys)
    assert set(graph["output_nodes"]) == {"u", "v"} and graph["count"] == 5


def test_scalar_program_taylor_and_hessian_agree(capsys: pytest.CaptureFixture[str]) -> None:
    path = str(EXAMPLES / "custom_op.adl")
    hess = run_json(["hessian", path, "--at", "t=0.7"], capsys)["hessian"]["t"]["t"]
    series = run_json(["taylor", path, "--at", "t=0.7", "--order", "2"], capsys)["derivatives"]
    t, s = 0.7, 1 / (1 + np.exp(-0.7))
    # (softplus(t) t³)'' = softplus'' t³ + 6 softplus' t² + 6 softplus t, softplus' = σ, softplus'' = σ(1 − σ)
    expected = s * (1 - s) * t**3 + 6 * s * t**2 + 6 * np.log1p(np.exp(t)) * t
    assert hess == pytest.approx(expected, rel=1e-13) and series[2] == pytest.approx(expected, rel=1e-13)


# --- every command on every example: a result or one clear line, never an internal error -------------
COMMANDS = [
    ["grad"], ["grad", "--mode", "forward"], ["jacobian"], ["hessian"], ["check"], ["explain"], ["taylor"],
    ["diff"], ["graph"], ["graph", "--format", "dot"],
]  # fmt: skip


@pytest.mark.parametrize("example", sorted(POINTS))
@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_on_every_example(
    example: str, command: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    path = str(EXAMPLES / f"{example}.adl")
    at = [] if command[0] in ("diff", "graph") else ["--at", POINTS[example]]
    as_json = [] if "dot" in command else ["--json"]
    done = run_inprocess([command[0], path, *command[1:], *at, *as_json], capsys)
    assert "internal error" not in done.stderr and "Traceback" not in done.stderr
    assert done.code in (0, 2), done.stderr
    if done.code == 0 and as_json:
        document = json.loads(done.stdout)
        assert document.get("expression", path) == path  # named by the file, not its text
    elif done.code == 2:  # one line, then under --json the error object for scripts
        assert done.stderr.count("\n") == 1 + bool(as_json) and done.stderr.startswith("error:")
        assert not as_json or json.loads(done.stderr.splitlines()[-1])["error"]["exit_code"] == 2
