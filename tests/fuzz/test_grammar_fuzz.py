"""Programs generated from adcalc's own grammar (grammar/adcalc.lark) through the Python API.

The invariant: whatever the text and the point, the API answers or raises adcalc.AdcalcError,
nothing else (no NameError from generated code, no OverflowError, no IndexError), and answers
in bounded time.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import adcalc
import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from .fuzzing import NUMBERS, PROGRAMS, bounded, fuzz_settings, point_for


def parsed(text: str) -> Any:
    """The graph of text, or None when adcalc refuses it (as it may: most texts are nonsense)."""
    try:
        with bounded():
            return adcalc.parse(text)
    except adcalc.AdcalcError:
        return None


def answers_or_refuses(call: Callable[[], Any]) -> None:
    try:
        with bounded():
            call()
    except adcalc.AdcalcError:
        pass


BATCH = 8  # programs per hypothesis example: drawing a list costs less per program than examples do
BATCHES = st.lists(PROGRAMS, min_size=BATCH, max_size=BATCH)


@fuzz_settings(80)
@given(BATCHES, st.data())
def test_point_answers_raise_nothing_but_adcalc_errors(
    fuzz_count: Callable[[str, int], None], texts: list[str], data: st.DataObject
) -> None:
    """parse, then evaluate, gradient, hessian and jacobian at a random point."""
    fuzz_count("grammar: parse, evaluate, gradient, hessian, jacobian", len(texts))
    for text in texts:
        graph = parsed(text)
        if graph is None:
            continue
        at = data.draw(point_for(dict(graph.inputs)))
        answers_or_refuses(lambda: adcalc.evaluate(graph, at))  # noqa: B023  (called at once)
        answers_or_refuses(lambda: adcalc.gradient(graph, at))  # noqa: B023
        answers_or_refuses(lambda: adcalc.hessian(graph, at))  # noqa: B023
        answers_or_refuses(lambda: adcalc.jacobian(graph, at))  # noqa: B023


@fuzz_settings(60)
@given(BATCHES, st.data())
def test_compiled_forms_raise_nothing_but_adcalc_errors(
    fuzz_count: Callable[[str, int], None], texts: list[str], data: st.DataObject
) -> None:
    """compile, gradient_function and hessian_function generate Python source from the program:
    whatever names it uses, that source must compile and run."""
    fuzz_count("grammar: compile, gradient_function, hessian_function", len(texts))
    for text in texts:
        graph = parsed(text)
        if graph is None:
            continue
        at = data.draw(point_for(dict(graph.inputs)))
        check_compiled(text, at, data)


def check_compiled(text: str, at: dict[str, Any], data: st.DataObject) -> None:
    def compiled() -> None:
        f = adcalc.compile(text)
        f.value(**at)
        f.grad(**at)

    answers_or_refuses(compiled)
    for make in (adcalc.gradient_function, adcalc.hessian_function):

        def prepared(make: Any = make) -> None:
            g = make(text)
            n = len(g.variables)
            g(np.array(data.draw(st.lists(NUMBERS, min_size=n, max_size=n)), dtype=float))

        answers_or_refuses(prepared)
