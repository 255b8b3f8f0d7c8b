"""Fuzz suites: a count of the inputs each one tried, printed at the end of the run."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

import pytest

_COUNTS: Counter[str] = Counter()


@pytest.fixture
def fuzz_count() -> Callable[[str, int], None]:
    """fuzz_count(name, n): n more inputs tried by the suite `name`."""

    def add(name: str, n: int) -> None:
        _COUNTS[name] += n

    return add


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for name, n in sorted(_COUNTS.items()):
        terminalreporter.write_line(f"fuzz: {name}: {n} inputs")
