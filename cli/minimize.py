"""`adcalc minimize`: (being written)."""

from __future__ import annotations

from .app import app  # noqa: F401  (commands register on it)
