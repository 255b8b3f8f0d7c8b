"""The threads batch plans run their blocks on (numpy's kernels and the C kernel release the GIL)."""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from functools import cache

THREADS = min(2, os.cpu_count() or 1)


@cache
def pool() -> ThreadPoolExecutor:
    """The threads besides the caller's, one pool for both engines."""
    return ThreadPoolExecutor(THREADS, thread_name_prefix="adcalc-batch")
