"""Money arithmetic (DOMAIN §7): integer fen, decimal rates, half-up per line, exact splits."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal


def apply_rate(rate: Decimal, amount_fen: int) -> int:
    """``rate × amount``, rounded half-up to the fen."""
    return int((rate * amount_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def ratio(part: int, whole: int) -> str | None:
    """``part ÷ whole`` to 4 decimals, half-up (away from zero for a negative part: a year whose refunds exceed
    its purchases); None when ``whole`` is 0. Shared by every reserved-share progress so the figures agree."""
    if not whole:
        return None
    return str((Decimal(part) / whole).quantize(Decimal("0.0001"), ROUND_HALF_UP))


def largest_remainder(total: int, weights: Sequence[tuple[str, int]]) -> list[int]:
    """Split ``total`` fen in proportion to ``weights`` (key, weight): floor each share, then one fen each to
    the largest remainders, ties by key ascending. The parts sum to ``total`` (all zero if no weight)."""
    whole = sum(w for _, w in weights)
    if whole <= 0:
        return [0 for _ in weights]
    floors = [total * w // whole for _, w in weights]
    left = total - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i][1] % whole), weights[i][0]))
    for i in order[:left]:
        floors[i] += 1
    return floors
