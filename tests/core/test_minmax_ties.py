"""n-ary min/max: at a tie the derivative is split evenly among ALL tied arguments, 1/k each.

Whatever the order or nesting of the call (max(max(x, y), z), max(x, max(y, z)), max(x, y, z)),
and through every path that computes a derivative: reverse and forward mode, compiled scalar
code, the batch numpy kernel, and `diff` printed then parsed back and evaluated. The truth is
independent of adcalc: the extreme by Python's max/min, and 1/|tied| for each tied argument.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator

import adcalc
import numpy as np
import pytest
from adcalc.answers.printer import parse_bindings
from adcalc.codegen.batch import derivative_outputs, plan
from adcalc.engine.forward import values_of
from adcalc.ir.nodes import topological_order
from adcalc.ops.registry import OPS
from adcalc.ops.scalar import SCALAR

NAMES = ["a", "b", "c", "d"]
EXTREME = {"max": max, "min": min}


def nestings(leaves: list[str], family: str) -> Iterator[str]:
    """Every way to write the leaves, in this order, as nested calls of 2 or more arguments."""
    if len(leaves) == 1:
        yield leaves[0]
        return
    # split the leaves into 2 or more consecutive groups; each group is a leaf or a nested call
    for cuts in range(1, len(leaves)):
        for positions in itertools.combinations(range(1, len(leaves)), cuts):
            bounds = [0, *positions, len(leaves)]
            groups = [leaves[i:j] for i, j in zip(bounds, bounds[1:], strict=False)]
            for parts in itertools.product(*(list(nestings(g, family)) for g in groups)):
                yield f"{family}({', '.join(parts)})"


def points(k: int) -> list[dict[str, float]]:
    """Every pattern of ties among k arguments (each 1 or 2), and distinct values, each first once."""
    names = NAMES[:k]
    found = [dict(zip(names, values, strict=True)) for values in itertools.product([1.0, 2.0], repeat=k)]
    rotations = [[float((i + shift) % k + 1) for i in range(k)] for shift in range(k)]
    return found + [dict(zip(names, values, strict=True)) for values in rotations]


def expected(family: str, point: dict[str, float]) -> tuple[float, dict[str, float]]:
    """The value and the convention's gradient: 1/|tied| for each argument equal to the extreme."""
    extreme = EXTREME[family](point.values())
    tied = [name for name, value in point.items() if value == extreme]
    return extreme, {name: (1.0 / len(tied) if name in tied else 0.0) for name in point}


def cases(k: int) -> list[tuple[str, str]]:
    """(family, expression) for every order of the k variables and every nesting."""
    return [
        (family, text)
        for family in ("max", "min")
        for order in itertools.permutations(NAMES[:k])
        for text in nestings(list(order), family)
    ]


def test_nestings_cover_every_bracketing() -> None:
    # Schröder's little numbers: 1, 3, 11 trees of 2, 3, 4 ordered leaves
    assert [len(list(nestings(NAMES[:k], "max"))) for k in (2, 3, 4)] == [1, 3, 11]
    assert "max(max(a, b), c)" in nestings(NAMES[:3], "max")
    assert "max(a, max(b, c))" in nestings(NAMES[:3], "max")


@pytest.mark.parametrize("k", [2, 3, 4])
def test_every_nesting_builds_one_op(k: int) -> None:
    # max(max(a, b), c) is built as max3(a, b, c): the flattening that makes the split fair
    for family, text in cases(k):
        root = adcalc.parse(text).root
        assert OPS[root.op].extra.get("variadic") == family, text
        assert len(root.inputs) == k and {i.payload for i in root.inputs} == set(NAMES[:k]), text


def _close(got: dict[str, float], want: dict[str, float]) -> bool:
    return got.keys() == want.keys() and all(math.isclose(got[n], want[n], rel_tol=1e-15) for n in want)


@pytest.mark.parametrize("k", [2, 3, 4])
@pytest.mark.parametrize("mode", ["reverse", "forward"])
def test_gradient_splits_ties_evenly(k: int, mode: str) -> None:
    compute = adcalc.gradient if mode == "reverse" else adcalc.gradient_forward
    for family, text in cases(k):
        expression = adcalc.parse(text)
        for point in points(k):
            value, gradient = expected(family, point)
            result = compute(expression, at=point)
            assert result.value == value, (text, point)
            assert _close(result.gradient, gradient), (text, point, result.gradient)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_compiled_grad_splits_ties_evenly(k: int) -> None:
    for family, text in cases(k):
        compiled = adcalc.compile(text)
        for point in points(k):
            value, gradient = expected(family, point)
            got_value, got = compiled.grad(**point)
            assert got_value == value and _close(got, gradient), (text, point, got)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_batch_kernel_splits_ties_evenly(k: int) -> None:
    # every point is one row of one generated numpy kernel run
    rows = points(k)
    columns = [np.array([p[n] for p in rows]) for n in NAMES[:k]]
    for family, text in cases(k):
        names, nodes = derivative_outputs(adcalc.parse(text).outputs, NAMES[:k])
        out = plan(nodes, names, NAMES[:k]).run(columns)
        for row, point in enumerate(rows):
            value, gradient = expected(family, point)
            got = {n: float(out[1 + j, row]) for j, n in enumerate(NAMES[:k])}
            assert out[0, row] == value and _close(got, gradient), (text, point, got)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_diff_prints_parseable_text_that_splits_ties(k: int) -> None:
    checked: set[tuple[str, ...]] = set()  # nestings of one order print the same text: check it once
    for family, text in cases(k):
        derivative = adcalc.diff(text)
        printed = tuple(derivative.text[n] for n in NAMES[:k])
        if k > 2:  # internal names never reach the text: max(a, c, b), one call of k arguments
            call = re.compile(rf"\b{family}\((\w+, ){{{k - 1}}}\w+\)")
            assert all(f"{family}{k}" not in t and call.search(t) for t in printed), printed
        if printed in checked:
            continue
        checked.add(printed)
        graphs = {n: parse_bindings(t)[0] for n, t in zip(NAMES[:k], printed, strict=True)}
        for point in points(k):
            _, gradient = expected(family, point)
            got = {n: float(values_of(topological_order(g), point)[g]) for n, g in graphs.items()}
            assert _close(got, gradient), (text, point, got)


def test_partial_ties_of_three() -> None:
    # two of three tied at the extreme: 1/2, 1/2, 0; the third tied below the max: no share
    at = {"a": 3.0, "b": 3.0, "c": 1.0}
    assert adcalc.gradient("max(a, b, c)", at=at).gradient == {"a": 0.5, "b": 0.5, "c": 0.0}
    assert adcalc.gradient("max(max(c, a), b)", at=at).gradient == {"c": 0.0, "a": 0.5, "b": 0.5}
    assert adcalc.gradient("min(a, min(b, c))", at=at).gradient == {"a": 0.0, "b": 0.0, "c": 1.0}
    assert adcalc.gradient("min(a, c, b)", at={"a": 1.0, "b": 5.0, "c": 1.0}).gradient == {
        "a": 0.5, "c": 0.5, "b": 0.0,
    }


def test_values_against_math() -> None:
    at = {"a": math.pi, "b": -math.e, "c": math.sqrt(2), "d": 1e-300}
    for text, want in [
        ("max(a, b, c, d)", max(at.values())),
        ("min(max(a, b), c, min(d, b))", min(max(at["a"], at["b"]), at["c"], at["d"], at["b"])),
        ("max(a, min(b, c), d)", max(at["a"], min(at["b"], at["c"]), at["d"])),
        ("min(a, b, c) * max(c, d, a)", min(at["a"], at["b"], at["c"]) * max(at["c"], at["d"], at["a"])),
    ]:
        assert adcalc.evaluate(text, at=at).value == want, text
        assert adcalc.compile(text).grad(**at)[0] == want, text


def test_mixed_kinds_do_not_flatten() -> None:
    # max(min(a, b), c) is two ops: at a = b = c, min splits 1/2 to a and b, max 1/2 to min and c
    at = {"a": 1.0, "b": 1.0, "c": 1.0}
    assert adcalc.gradient("max(min(a, b), c)", at=at).gradient == {"a": 0.25, "b": 0.25, "c": 0.5}


def test_repeated_argument_counts_once() -> None:
    # max(max(a, b), max(a, c)) = max(a, b, c): a's share of the tie is 1/3, not 2/4
    at = {"a": 1.0, "b": 1.0, "c": 1.0}
    third = {"a": 1 / 3, "b": 1 / 3, "c": 1 / 3}
    assert _close(adcalc.gradient("max(max(a, b), max(a, c))", at=at).gradient, third)
    assert adcalc.gradient("max(a, a)", at={"a": 2.0}).gradient == {"a": 1.0}


def test_constants_take_their_share_of_a_tie() -> None:
    # max(x, 1, 2*y): at x = 1, y = 0.5 three arguments tie; the constant's third goes nowhere
    got = adcalc.gradient("max(x, 1, 2*y)", at={"x": 1.0, "y": 0.5}).gradient
    assert _close(got, {"x": 1 / 3, "y": 2 / 3})


def test_hessian_at_a_tie() -> None:
    # f = m², m = max(a, b, c): ∇f = 2m ∇m = 2/3 each; H = 2 ∇m ∇mᵀ + 2m ∇²m = 2/9 everywhere
    result = adcalc.hessian("max(a, b, c)^2", at={"a": 1.0, "b": 1.0, "c": 1.0})
    assert all(math.isclose(result.gradient[n], 2 / 3) for n in "abc")
    assert all(math.isclose(result.hessian[i][j], 2 / 9) for i in "abc" for j in "abc")
    names, nodes = derivative_outputs(adcalc.parse("max(a, max(b, c))^2").outputs, ["a", "b", "c"], 2)
    out = plan(nodes, names, ["a", "b", "c"]).run([np.ones(3), np.ones(3), np.array([1.0, 0.0, 2.0])])
    np.testing.assert_allclose(out[names.index("d2_a_b")], [2 / 9, 0.5, 0.0])


def test_taylor_series_average_tied_arguments() -> None:
    # max(x, 1, 2 - x) at x = 1: all three tie; the series is the mean of 1 + t, 1 and 1 - t
    assert adcalc.taylor("max(x, 1, 2 - x)", at={"x": 1.0}, order=2).coefficients == [1.0, 0.0, 0.0]
    assert adcalc.taylor("max(x, 1, 2 - x)", at={"x": 2.0}, order=2).coefficients == [2.0, 1.0, 0.0]


def test_program_front_end_flattens_too() -> None:
    source = "input x\ninput y\ninput z\nm = max(x, y)\nf = max(m, z) - min(x, min(y, z))\noutput f"
    at = {"x": 1.0, "y": 1.0, "z": 1.0}
    got = adcalc.gradient(adcalc.parse(source, "t.adl"), at=at).gradient
    assert got == {"x": 0.0, "y": 0.0, "z": 0.0}  # 1/3 - 1/3 each
    plus = adcalc.gradient(adcalc.parse(source.replace("- min", "+ min"), "t.adl"), at=at).gradient
    assert _close(plus, {"x": 2 / 3, "y": 2 / 3, "z": 2 / 3})


def test_element_wise_on_arrays() -> None:
    # element by element: tie of 3, tie of 2, no tie; a scalar argument broadcasts and sums its shares
    source = "input x[3]\ninput y[3]\ninput s\nf = sum(max(max(x, y), s))\noutput f"
    x, y = np.array([1.0, 2.0, 3.0]), np.array([1.0, 2.0, 0.0])
    got = adcalc.gradient(adcalc.parse(source, "t.adl"), at={"x": x, "y": y, "s": 1.0}).gradient
    np.testing.assert_allclose(got["x"], [1 / 3, 0.5, 1.0])
    np.testing.assert_allclose(got["y"], [1 / 3, 0.5, 0.0])
    assert math.isclose(got["s"], 1 / 3)


def test_nan_propagates_from_any_position() -> None:
    nan = math.nan
    for args in [(nan, 1.0, 2.0), (1.0, nan, 2.0), (1.0, 2.0, nan)]:
        assert math.isnan(SCALAR[adcalc.parse("max(a, b, c)").root.op](*args))
        from adcalc.ops.numpy_values import NUMPY

        assert np.isnan(NUMPY["min3"](*(np.array([a]) for a in args))[0])


def test_kernel_writing_over_a_later_argument() -> None:
    # the target buffer may be a dying argument's: max(x, y, sin(z)) must not overwrite sin(z) early
    names, nodes = derivative_outputs(adcalc.parse("max(x, y, sin(z))").outputs, ["x", "y", "z"])
    z = np.array([0.0, 1.0, 2.0, -1.0])
    x, y = np.array([0.5, -1.0, 0.0, 0.0]), np.array([-1.0, 0.5, 0.0, 0.0])
    out = plan(nodes, names, ["x", "y", "z"]).run([x, y, z])
    np.testing.assert_array_equal(out[0], np.maximum(np.maximum(x, y), np.sin(z)))
    np.testing.assert_allclose(out[3], [0.0, math.cos(1.0), math.cos(2.0), 0.0])


def test_cli_agrees(tmp_path: pytest.TempPathFactory, capsys: pytest.CaptureFixture[str]) -> None:
    import json

    from tests.cli.helpers import run_inprocess

    for mode in ("reverse", "forward"):
        outcome = run_inprocess(
            ["grad", "max(x,y,z)", "--at", "x=1,y=1,z=1", "--json", "--mode", mode], capsys
        )
        assert outcome.code == 0, outcome.stderr
        assert _close(json.loads(outcome.stdout)["gradient"], {"x": 1 / 3, "y": 1 / 3, "z": 1 / 3})
    table = tmp_path / "points.csv"  # type: ignore[operator]
    table.write_text("x,y,z\n1,1,1\n2,2,1\n1,2,3\n")
    outcome = run_inprocess(["batch", "min(min(x,y),z)", "-i", str(table), "--grad", "-f", "jsonl"], capsys)
    assert outcome.code == 0, outcome.stderr
    rows = [json.loads(line) for line in outcome.stdout.splitlines()]
    assert [(r["d_x"], r["d_y"], r["d_z"]) for r in rows] == [
        pytest.approx((1 / 3, 1 / 3, 1 / 3)), (0.0, 0.0, 1.0), (1.0, 0.0, 0.0),
    ]
    outcome = run_inprocess(["diff", "max(max(x,y),z)"], capsys)
    assert outcome.code == 0 and "max(x, y, z)" in outcome.stdout and "max3" not in outcome.stdout
