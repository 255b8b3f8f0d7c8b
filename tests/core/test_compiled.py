"""adcalc.compile: one point (floats) and arrays that broadcast, against hand-derived formulas."""

from __future__ import annotations

import math
from pathlib import Path

import adcalc
import numpy as np
import pytest


def test_point_value_gradient_hessian() -> None:
    f = adcalc.compile("sin(x)*y")
    assert f.variables == ("x", "y")
    assert f.value(x=1.0, y=2.0) == math.sin(1) * 2
    value, gradient = f.grad(x=1.0, y=2.0)
    assert value == math.sin(1) * 2
    assert gradient == {"x": math.cos(1) * 2, "y": math.sin(1)}
    value, gradient, hessian = f.hessian(x=1.0, y=2.0)
    assert hessian == {
        "x": {"x": -math.sin(1) * 2, "y": math.cos(1)},
        "y": {"x": math.cos(1), "y": 0.0},
    }
    assert f.grad_at(1.0, 2.0) == (math.sin(1) * 2, math.cos(1) * 2, math.sin(1))


def test_arrays_broadcast_and_gradients_stay_per_row() -> None:
    f = adcalc.compile("x^2 * y")
    x = np.arange(6.0).reshape(2, 3)
    y = np.array([1.0, 2.0, 3.0])
    value, gradient = f.grad(x=x, y=y)
    assert value.shape == (2, 3)
    np.testing.assert_array_equal(value, x**2 * y)
    np.testing.assert_array_equal(gradient["x"], 2 * x * y)
    np.testing.assert_array_equal(gradient["y"], x**2)  # per element, not summed over the broadcast
    _, gradient = f.grad(x=x, y=2.0)
    np.testing.assert_array_equal(gradient["y"], x**2)


def test_array_hessian_is_symmetric_and_correct() -> None:
    # f = exp(x*y): f_xx = y² e^{xy}, f_xy = (1 + xy) e^{xy}, f_yy = x² e^{xy}
    f = adcalc.compile("exp(x*y)")
    x, y = np.linspace(-1, 1, 7), np.linspace(0, 2, 7)
    _, _, hessian = f.hessian(x=x, y=y)
    e = np.exp(x * y)
    np.testing.assert_allclose(hessian["x"]["x"], y**2 * e, rtol=1e-14)
    np.testing.assert_allclose(hessian["x"]["y"], (1 + x * y) * e, rtol=1e-14)
    np.testing.assert_array_equal(hessian["x"]["y"], hessian["y"]["x"])
    np.testing.assert_allclose(hessian["y"]["y"], x**2 * e, rtol=1e-14)


def test_integers_numpy_scalars_and_nan_outside_the_domain() -> None:
    f = adcalc.compile("log(x) * y")
    assert f.grad(x=1, y=2) == (0.0, {"x": 2.0, "y": 0.0})
    assert f.value(x=np.float64(math.e), y=1.0) == pytest.approx(1.0, rel=1e-15)
    assert math.isnan(f.value(x=-1.0, y=1.0))  # numpy semantics: NaN, no exception
    value, gradient = f.grad(x=np.array([-1.0, 1.0]), y=np.array([1.0, 1.0]))
    assert math.isnan(value[0]) and value[1] == 0.0 and gradient["x"][1] == 1.0


def test_missing_variable_is_an_adcalc_error() -> None:
    f = adcalc.compile("x + y")
    with pytest.raises(adcalc.AdcalcError, match="y"):
        f.value(x=1.0)
    with pytest.raises(adcalc.AdcalcError, match="y"):
        f.grad(x=1.0)
    assert f.grad(x=1.0, y=2.0, unused=3.0) == (3.0, {"x": 1.0, "y": 1.0})  # extra names are ignored


def test_wrt_subset_and_keyword_named_variables() -> None:
    f = adcalc.compile("x*y*z", wrt=["z", "x"])
    assert f.grad(x=2.0, y=3.0, z=5.0) == (30.0, {"z": 6.0, "x": 15.0})
    g = adcalc.compile("lambda * 2 + class")  # Python keywords as variable names: the generic path
    assert g.grad(**{"lambda": 1.0, "class": 3.0}) == (5.0, {"lambda": 2.0, "class": 1.0})


def test_constant_expression() -> None:
    f = adcalc.compile("2 + 3")
    assert f.value() == 5.0 and f.grad() == (5.0, {})


def test_adl_program_path(tmp_path: Path) -> None:
    program = tmp_path / "model.adl"
    program.write_text("input x, y\ndef sq(t) = t*t\nz = sq(x) + y\nf = log(z)\noutput f\n")
    f = adcalc.compile(str(program))
    value, gradient = f.grad(x=1.0, y=2.0)
    assert value == math.log(3) and gradient == {"x": 2 / 3, "y": 1 / 3}
    values, gradients = f.grad(x=np.array([1.0, 2.0]), y=np.array([2.0, 3.0]))
    np.testing.assert_allclose(gradients["x"], [2 / 3, 4 / 7], rtol=1e-15)
    with pytest.raises(adcalc.AdcalcError, match="no such file"):
        adcalc.compile(str(tmp_path / "absent.adl"))


def test_variable_names_like_generated_temporaries() -> None:
    # t0/v1 are also the generated code's own names; exceptions fall back to IEEE values
    f = adcalc.compile("t0 * v1 + log(t0) + sqrt(v0)", wrt=["v1", "t0", "v0"])
    value, gradient = f.grad(t0=2.0, v1=3.0, v0=4.0)
    assert value == 6 + math.log(2) + 2
    assert gradient == {"v1": 2.0, "t0": 3.5, "v0": 0.25}
    value, gradient = f.grad(t0=0.0, v1=3.0, v0=4.0)  # math.log(0) raises: IEEE gives -inf
    assert value == -math.inf and gradient["t0"] == math.inf
    g = adcalc.compile("exp(x)")
    assert g.grad(x=0.0) == (1.0, {"x": 1.0})
