"""The positions of the rank slider: every rank to 16, then about four steps per doubling."""

from __future__ import annotations


def rank_options(r_max: int, current: int) -> list[int]:
    """Ranks 1…16, then 20, 24, 28, 32, 40, 48, … up to r_max, plus r_max and the current rank."""
    options = set(range(1, min(16, r_max) + 1))
    power = 16
    while power <= r_max:
        options.update(step for step in (power, power * 5 // 4, power * 3 // 2, power * 7 // 4) if step <= r_max)
        power *= 2
    options.update({r_max, min(max(current, 1), r_max)})
    return sorted(options)
