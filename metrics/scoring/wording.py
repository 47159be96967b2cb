"""Figures and sentences of the factors, as people read them on the score panel.

A factor's words are built once as **language-neutral phrases** (plain JSON data, stored in the snapshot's result
as each factor's ``words``) and written out in English here (the factor's ``text`` and ``figure``, kept for readers
and rows that predate the phrases). ``core.phrases.render`` writes the same phrases in the reader's language when
they are shown. The JSON shape (docs/scoring.md, "Reasons in the reader's language"):

- a ``str`` is shown as it is, an ``int`` as a localised whole number;
- ``{"msg": msgid, "params": {...}}`` a message, translated at display, its ``%(name)s`` placeholders filled with
  the params (each itself a phrase); with ``"plural": msgid_plural, "n": count`` the plural form for ``count``;
  with ``"ctx": context`` the message in that context;
- ``{"num": "0.90"}`` a decimal number as computed (its places kept), ``"sign": true`` with a ``+`` when not
  negative, ``"group": true`` with thousands separators (money);
- ``{"list": [...], "sep": ", "}`` phrases joined;
- ``{"sentence": [...], "on_plan": bool}`` a factor's sentence: the parts joined by "; ", "On plan: …." or
  capitalised with a full stop.

The functions named after gettext's (``gettext_noop``, ``ngettext``, ``pgettext``, ``npgettext``) translate
nothing: their names let ``makemessages`` extract the messages, which are translated where they are shown. This
package stays free of Django (pyproject.toml, "Pure modules import no framework").
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from metrics.scoring.arithmetic import MONEY_QUANTUM, quantize

#: A language-neutral phrase (see the module's docstring): plain JSON data.
Words = Any


_PLACES = {places: Decimal(1).scaleb(-places) for places in range(4)}


def number(value: Decimal, places: int) -> str:
    quantum = _PLACES.get(places)
    return format(quantize(value, quantum if quantum is not None else Decimal(1).scaleb(-places)), "f")


# --- language-neutral phrases ---------------------------------------------------------------------------------


def gettext_noop(message: str) -> dict[str, Any]:
    """A message to translate at display (marked for makemessages by this name)."""
    return {"msg": message}


def pgettext(context: str, message: str) -> dict[str, Any]:
    """A message in ``context`` (the same English reads differently in German or French there)."""
    return {"msg": message, "ctx": context}


def ngettext(singular: str, plural: str, count: int) -> dict[str, Any]:
    """A message whose form follows ``count``."""
    return {"msg": singular, "plural": plural, "n": count}


def npgettext(context: str, singular: str, plural: str, count: int) -> dict[str, Any]:
    """A message in ``context`` whose form follows ``count``."""
    return {"msg": singular, "plural": plural, "n": count, "ctx": context}


def say(message: dict[str, Any], **params: Words) -> dict[str, Any]:
    """``message`` (from the functions above) with its placeholders' values."""
    return message | {"params": params} if params else message


def num(value: Decimal, places: int) -> dict[str, Any]:
    return {"num": number(value, places)}


def signed_num(value: Decimal, places: int) -> dict[str, Any]:
    return {"num": number(value, places), "sign": True}


def money_num(value: Decimal) -> dict[str, Any]:
    return {"num": format(quantize(value, MONEY_QUANTUM), "f"), "group": True}


def joined(items: list[Words], sep: str = ", ") -> dict[str, Any]:
    return {"list": items, "sep": sep}


def sentence(parts: list[Words], *, on_plan: bool) -> dict[str, Any]:
    return {"sentence": parts, "on_plan": on_plan}


def english(words: Words) -> str:
    """``words`` written in English (the messages as they are), as stored beside the phrases."""
    if isinstance(words, str):
        return words
    if isinstance(words, int) and not isinstance(words, bool):
        return str(words)
    if not isinstance(words, dict):
        raise TypeError(f"not a phrase: {words!r}")
    if "msg" in words:
        message: str = words["msg"] if words.get("n", 1) == 1 or "plural" not in words else words["plural"]
        params = words.get("params")
        return message % {k: english(v) for k, v in params.items()} if params else message
    if "num" in words:
        value = Decimal(words["num"])
        text = format(value, ",") if words.get("group") else words["num"]
        return "+" + text if words.get("sign") and not text.startswith("-") else text
    if "list" in words:
        return str(words.get("sep", ", ")).join(english(item) for item in words["list"])
    if "sentence" in words:
        body = "; ".join(english(part) for part in words["sentence"])
        if words.get("on_plan"):
            return f"On plan: {body}."
        return body[:1].upper() + body[1:] + "."
    raise ValueError(f"not a phrase: {words!r}")
