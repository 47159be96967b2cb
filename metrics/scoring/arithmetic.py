"""Fixed-point arithmetic of the scores: quanta, the decimal context, clipping and the probabilistic OR.

All rounding is ROUND_HALF_UP (docs/scoring.md); the context never depends on the caller's.
"""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow
from typing import Final

MONEY_QUANTUM: Final = Decimal("0.01")
INDEX_QUANTUM: Final = Decimal("0.001")
STRESS_QUANTUM: Final = Decimal("0.001")
SCORE_QUANTUM: Final = Decimal("0.01")

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
HUNDRED: Final = Decimal(100)
# A fixed arithmetic context: results never depend on whatever decimal context the caller set.
CONTEXT: Final = Context(prec=34, rounding=ROUND_HALF_EVEN, traps=[InvalidOperation, DivisionByZero, Overflow])


def clip(value: Decimal, low: Decimal = ZERO, high: Decimal = ONE) -> Decimal:
    """max(low, min(high, value)), spelled out (called some 30 times per score); returns the same object."""
    bounded = value if value < high else high
    return bounded if bounded > low else low


def quantize(value: Decimal, quantum: Decimal) -> Decimal:
    return value.quantize(quantum, ROUND_HALF_UP)


def as_stress(value: Decimal) -> Decimal:
    return quantize(clip(value), STRESS_QUANTUM)


def either(*components: Decimal) -> Decimal:
    """Probabilistic OR, 1 - prod(1 - c): monotone in every component, stays in [0, 1]."""
    remaining = ONE
    for component in components:
        remaining *= ONE - clip(component)
    return ONE - remaining
