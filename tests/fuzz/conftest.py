"""Fuzz tests: how many inputs each tried, printed at the end of the run.

A fuzz test takes the `fuzz_count` fixture and calls it once per campaign: `fuzz_count(name, n)`
adds n inputs tried under that name (and `fuzz_count(name, n, defects=k)` the defects found,
normally 0: a defect fails the test). The terminal summary lists every name with its total, so
a CI log says how much was fuzzed. ADCALC_FUZZ_EXAMPLES sets how many inputs a campaign tries
(see `fuzz_examples`), for a long run: `ADCALC_FUZZ_EXAMPLES=100000 pytest tests/fuzz -s`.
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable

import pytest

_TRIED: Counter[str] = Counter()
_DEFECTS: Counter[str] = Counter()


def fuzz_examples(default: int) -> int:
    """Inputs per campaign: ADCALC_FUZZ_EXAMPLES when set (a long run), else the CI default."""
    given = os.environ.get("ADCALC_FUZZ_EXAMPLES", "").strip()
    return int(given) if given.isdigit() and int(given) > 0 else default


@pytest.fixture
def fuzz_count() -> Callable[..., None]:
    """Record inputs tried (and defects found) under a campaign name, for the terminal summary."""

    def record(name: str, tried: int, defects: int = 0) -> None:
        _TRIED[name] += tried
        _DEFECTS[name] += defects

    return record


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _TRIED:
        return
    terminalreporter.section("fuzz inputs tried")
    for name in sorted(_TRIED):
        terminalreporter.write_line(f"{name}: {_TRIED[name]} inputs, {_DEFECTS[name]} defects")
    terminalreporter.write_line(f"total: {sum(_TRIED.values())} inputs")
