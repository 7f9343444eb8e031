"""Money arithmetic (DOMAIN §7): integer fen, decimal rates, half-up per line, exact splits."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def apply_rate(rate: Decimal, amount_fen: int) -> int:
    """``rate × amount``, rounded half-up to the fen."""
    return int((rate * amount_fen).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"
