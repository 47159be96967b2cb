"""Figures and sentences of the factors, as people read them on the score panel."""

from __future__ import annotations

from decimal import Decimal

from metrics.scoring.arithmetic import MONEY_QUANTUM, quantize


def money(value: Decimal) -> str:
    return format(quantize(value, MONEY_QUANTUM), ",")


_PLACES = {places: Decimal(1).scaleb(-places) for places in range(4)}


def number(value: Decimal, places: int) -> str:
    quantum = _PLACES.get(places)
    return format(quantize(value, quantum if quantum is not None else Decimal(1).scaleb(-places)), "f")


def signed(value: Decimal, places: int) -> str:
    text = number(value, places)
    return text if text.startswith("-") else "+" + text


def plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def sentence(parts: list[str], *, on_plan: bool) -> str:
    body = "; ".join(parts)
    if on_plan:
        return f"On plan: {body}."
    return body[:1].upper() + body[1:] + "."
