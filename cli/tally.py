"""What every batch engine shares: which input columns pass through, and the tally of rows."""

from __future__ import annotations

import time

from adcalc.errors import UsageError


class Tally:
    """Rows read, written and failed, the first failure, and the start time."""

    def __init__(self) -> None:
        self.read = self.written = self.failed = 0
        self.first: str | None = None
        self.started = time.perf_counter()

    def summary(self, command: str = "adcalc batch") -> str:
        """One line for stderr: counts, time and rate, and the first failure if any."""
        seconds = max(time.perf_counter() - self.started, 1e-9)
        text = (
            f"{command}: {self.read} rows read, {self.written} written, {self.failed} failed "
            f"in {seconds:.2f} s ({self.read / seconds:,.0f} rows/s)"
        )
        return text + (f"; first failure: {self.first}" if self.first else "")


def keep_names(keep: str) -> list[str]:
    """The column names a --keep value lists (none: no column)."""
    if keep.strip().lower() == "none":
        return []
    return [name.strip() for name in keep.split(",") if name.strip()]


def kept_columns(keep: str | None, columns: list[str], variables: tuple[str, ...]) -> list[str]:
    """Names of the input columns written to the output, in input order."""
    if keep is None:
        return [name for name in columns if name not in variables]
    wanted = keep_names(keep)
    unknown = [name for name in wanted if name not in columns]
    if unknown:
        from .chunks import shown_names  # (numpy: not imported at start-up)

        raise UsageError(
            f"--keep names unknown column(s) {shown_names(unknown)} (columns: {shown_names(columns)})"
        )
    return wanted
