"""Percentiles and the equity flag rule: plain Python, no database."""

import math
from collections.abc import Sequence


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Nearest-rank percentile (the smallest value with at least `fraction` of the values at
    or below it); None for no values. The same on SQLite and PostgreSQL."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]
