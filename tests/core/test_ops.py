"""Every scalar op's value and derivative rules against independent numerical derivatives."""

from __future__ import annotations

import cmath
import math

import adcalc  # noqa: F401  (fills the registry)
import pytest
from adcalc.ir.nodes import Node
from adcalc.ops.elementary import minmax_op, variadic_family
from adcalc.ops.registry import OPS, rules_of
from adcalc.ops.scalar import COMPLEX, SCALAR

from tests.conftest import central_difference, complex_step

# Sample points per op, inside its domain and away from kinks; every scalar op needs an entry.
DOMAIN: dict[str, list[tuple[float, ...]]] = {
    "add": [(1.5, -2.0), (0.3, 0.7)],
    "sub": [(1.5, -2.0), (0.3, 0.7)],
    "mul": [(1.5, -2.0), (-0.3, 0.7)],
    "div": [(1.5, -2.0), (-0.3, 0.7)],
    "neg": [(1.5,), (-0.25,)],
    "pow": [(1.5, 2.5), (0.7, -1.3), (2.0, 3.0)],
    "lt": [(1.0, 2.0)], "le": [(1.0, 2.0)], "gt": [(1.0, 2.0)],
    "ge": [(1.0, 2.0)], "eq": [(1.0, 2.0)], "ne": [(1.0, 2.0)],
    "where": [(1.0, 0.5, -2.0), (0.0, 0.5, -2.0)],
    "sin": [(0.3,), (-2.0,), (10.0,)],
    "cos": [(0.3,), (-2.0,), (10.0,)],
    "tan": [(0.3,), (-1.2,)],
    "asin": [(0.3,), (-0.9,)],
    "acos": [(0.3,), (-0.9,)],
    "atan": [(0.3,), (-20.0,)],
    "atan2": [(1.0, 2.0), (-1.0, -0.5), (0.5, -2.0)],
    "sinh": [(0.3,), (-3.0,)],
    "cosh": [(0.3,), (-3.0,)],
    "tanh": [(0.3,), (-3.0,)],
    "asinh": [(0.3,), (-30.0,)],
    "acosh": [(1.5,), (30.0,)],
    "atanh": [(0.3,), (-0.9,)],
    "exp": [(0.3,), (-3.0,), (5.0,)],
    "expm1": [(1e-6,), (-3.0,)],
    "log": [(0.3,), (30.0,)],
    "log1p": [(1e-6,), (3.0,)],
    "log2": [(0.3,), (30.0,)],
    "log10": [(0.3,), (30.0,)],
    "sqrt": [(0.3,), (30.0,)],
    "cbrt": [(0.3,), (-30.0,)],
    "sigmoid": [(0.3,), (-5.0,)],
    "softplus": [(0.3,), (-5.0,), (40.0,)],
    "hypot": [(3.0, 4.0), (-0.5, 2.0)],
    "abs": [(0.3,), (-2.0,)],
    "sign": [(0.3,), (-2.0,)],
    "floor": [(0.3,), (-2.5,)],
    "ceil": [(0.3,), (-2.5,)],
    "min": [(1.0, 2.0), (3.0, -1.0)],
    "max": [(1.0, 2.0), (3.0, -1.0)],
    # n-ary min/max are registered per argument count on first use: these two counts here
    **{minmax_op(f, 3): [(1.0, 2.0, 3.0), (3.0, -1.0, 0.5), (0.5, 4.0, -2.0)] for f in ("min", "max")},
    **{minmax_op(f, 4): [(1.0, 2.0, 3.0, 4.0), (4.0, -1.0, 2.5, 0.5)] for f in ("min", "max")},
}
# Counts that other test modules registered while being collected: distinct points, no ties.
for _name in [n for n in OPS if variadic_family(n) and n not in DOMAIN]:
    DOMAIN[_name] = [tuple(float((k + 1) * (-1) ** k) for k in range(OPS[_name].arity))]  # 1, -2, 3, ...
# Independent values: the math module directly, not adcalc's tables.
REFERENCE = {
    "sigmoid": lambda x: 1 / (1 + math.exp(-x)),
    "softplus": lambda x: math.log(1 + math.exp(x)),
    "cbrt": lambda x: math.copysign(abs(x) ** (1 / 3), x),
    "asin": math.asin, "acos": math.acos, "atan": math.atan, "asinh": math.asinh,
    "acosh": math.acosh, "atanh": math.atanh, "atan2": math.atan2,
    "sin": math.sin, "cos": math.cos, "tan": math.tan, "sinh": math.sinh,
    "cosh": math.cosh, "tanh": math.tanh, "exp": math.exp, "expm1": math.expm1,
    "log": math.log, "log1p": math.log1p, "log2": math.log2, "log10": math.log10,
    "sqrt": math.sqrt, "hypot": math.hypot, "pow": math.pow,
}
SCALAR_OPS = sorted(name for name in OPS if name in SCALAR and not OPS[name].extra.get("array"))
CASES = [(name, point) for name in SCALAR_OPS for point in DOMAIN.get(name, [()])]


def test_every_scalar_op_has_a_domain() -> None:
    assert sorted(DOMAIN) == SCALAR_OPS


def partial_by_rule(name: str, point: tuple[float, ...], index: int, mode: str) -> float:
    out = SCALAR[name](*point)
    rule = rules_of(name, mode)[index]
    if rule is None or OPS[name].zero_derivative:
        return 0.0
    return rule(*point, out, 1.0)


@pytest.mark.parametrize(("name", "point"), CASES)
def test_value_matches_reference(name: str, point: tuple[float, ...]) -> None:
    reference = REFERENCE.get(name)
    if reference is not None:
        assert SCALAR[name](*point) == pytest.approx(reference(*point), rel=1e-14)


@pytest.mark.parametrize(("name", "point"), CASES)
def test_rules_match_central_differences(name: str, point: tuple[float, ...]) -> None:
    for index in range(len(point)):
        def along(t: float, index: int = index) -> float:
            moved = list(point)
            moved[index] = t
            return SCALAR[name](*moved)

        expected = central_difference(along, point[index])
        for mode in ("vjp", "jvp"):
            got = partial_by_rule(name, point, index, mode)
            assert got == pytest.approx(expected, rel=1e-7, abs=1e-9), (name, mode, index)


@pytest.mark.parametrize(("name", "point"), [c for c in CASES if c[0] in COMPLEX and c[0] != "where"])
def test_rules_match_complex_step(name: str, point: tuple[float, ...]) -> None:
    for index in range(len(point)):
        def along(z: complex, index: int = index) -> complex:
            moved: list[complex] = [complex(p) for p in point]
            moved[index] = z
            return COMPLEX[name](*moved)

        expected = complex_step(along, point[index])
        got = partial_by_rule(name, point, index, "vjp")
        assert got == pytest.approx(expected, rel=1e-12, abs=1e-14), (name, index)


@pytest.mark.parametrize("name", [n for n in SCALAR_OPS if not OPS[n].zero_derivative])
def test_rules_build_graphs(name: str) -> None:
    """The same rule run on graph nodes builds a derivative graph that evaluates to the number."""
    from adcalc.engine.forward import values_of
    from adcalc.ir.nodes import topological_order, var

    point = DOMAIN[name][0]
    inputs = [var(f"a{k}") for k in range(len(point))]
    out = Node(name, tuple(inputs))
    at = {f"a{k}": p for k, p in enumerate(point)}
    for index, rule in enumerate(rules_of(name, "vjp")):
        if rule is None:
            continue
        graph = rule(*inputs, out, 1.0)
        if not isinstance(graph, Node):
            continue
        value = values_of(topological_order(graph), at)[graph]
        assert value == pytest.approx(partial_by_rule(name, point, index, "vjp"), rel=1e-14)


def test_complex_table_is_analytic_only() -> None:
    for name in ("abs", "sign", "floor", "ceil", "min", "max", "min3", "max4"):
        assert name not in COMPLEX
    assert COMPLEX["sqrt"](4 + 0j) == cmath.sqrt(4)
