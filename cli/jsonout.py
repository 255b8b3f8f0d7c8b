"""JSON that any RFC 8259 reader accepts: non-finite floats become strings."""

from __future__ import annotations

import json
import math
from typing import Any

# The one documented spelling of non-finite numbers (what float() and JavaScript's Number() read).
NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def plain(value: Any) -> Any:
    """A JSON-safe copy: floats stay floats unless NaN or ±inf, which become strings."""
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if value != value else NON_FINITE[value]
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return plain(value.tolist())
    return value


def dumps(document: Any) -> str:
    """One JSON document; floats in full round-trip precision (repr)."""
    return json.dumps(plain(document), allow_nan=False, ensure_ascii=False)
