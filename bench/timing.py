"""Latency summaries shared by the benchmarks."""

import statistics


def latency_stats(seconds: list[float]) -> dict[str, float]:
    """Samples in seconds -> n, p50, p95, p99, mean and max in milliseconds."""
    ms = sorted(s * 1000 for s in seconds)
    quantiles = statistics.quantiles(ms, n=100, method="inclusive")
    return {
        "n": len(ms),
        "p50": round(quantiles[49], 3),
        "p95": round(quantiles[94], 3),
        "p99": round(quantiles[98], 3),
        "mean": round(statistics.fmean(ms), 3),
        "max": round(ms[-1], 3),
    }
