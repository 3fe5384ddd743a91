"""Statistics for pass@1 reports: Wilson intervals and an exact paired test between runs."""

from __future__ import annotations

import math
from dataclasses import dataclass

Z95 = 1.959963984540054


@dataclass(frozen=True)
class Interval:
    low: float
    high: float


def wilson_interval(passed: int, total: int, z: float = Z95) -> Interval:
    """95% Wilson score interval for a pass rate; well-behaved at 0 and at small n."""
    if total == 0:
        return Interval(0.0, 1.0)
    rate = passed / total
    denominator = 1 + z * z / total
    center = (rate + z * z / (2 * total)) / denominator
    half = z * math.sqrt(rate * (1 - rate) / total + z * z / (4 * total * total)) / denominator
    return Interval(max(0.0, center - half), min(1.0, center + half))


@dataclass(frozen=True)
class PairedComparison:
    shared: int
    only_first: int
    only_second: int
    p_value: float


def mcnemar_exact(first: dict[str, bool], second: dict[str, bool]) -> PairedComparison:
    """Exact two-sided McNemar test on the problems both runs judged.

    Only discordant problems (solved by one run, not the other) carry information; under the null
    hypothesis each is equally likely to go either way.
    """
    shared = sorted(first.keys() & second.keys())
    only_first = sum(1 for key in shared if first[key] and not second[key])
    only_second = sum(1 for key in shared if second[key] and not first[key])
    discordant = only_first + only_second
    smaller = min(only_first, only_second)
    tail = sum(math.comb(discordant, i) for i in range(smaller + 1)) / 2**discordant if discordant else 1.0
    return PairedComparison(len(shared), only_first, only_second, min(1.0, 2 * tail))
