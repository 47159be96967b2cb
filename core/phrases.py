"""Language-neutral phrases: texts stored with a record and written in the reader's language when shown (issue 15).

A score's reasons are computed (and a notification written) once, but read later by people with different
languages. Such a text is stored twice: in English (``text``, what every old row has) and as a **phrase**, plain JSON
that names the messages and keeps the figures raw, so that ``render`` writes it at display in the active language
with its numbers and dates localised. The shape (``metrics/scoring/wording.py`` builds the score reasons' phrases
without Django and writes the English form):

- a ``str`` is shown as it is (a code, a title, a name); an ``int`` as a localised whole number;
- ``{"msg": msgid, "params": {...}}`` a message, translated, its ``%(name)s`` placeholders filled with the params
  (each a phrase); ``"plural": msgid_plural, "n": count`` picks the form for ``count``; ``"ctx"`` a context;
- ``{"num": "0.90"}`` a decimal number with its places (``"sign": true``: a ``+`` when not negative;
  ``"group": true``: thousands separators), ``{"date": "2026-12-15"}`` a date (``d M Y``);
- ``{"list": [...], "sep": ", "}`` phrases joined; ``{"sentence": [...], "on_plan": bool}`` a score factor's
  sentence.

Messages are marked where the phrase is built (``gettext_noop`` and friends), so ``makemessages`` extracts them.
A phrase that cannot be written (a malformed row, a translation whose placeholders are wrong) falls back to the
English message or to the stored text: a reader always sees words, never an error.
"""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.utils import formats, translation
from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext, npgettext, pgettext

from core.languages import LANGUAGE_CODES

logger = logging.getLogger(__name__)

Phrase = Any  # str | int | dict: the JSON shape above


def phrase(message: str, **params: Any) -> dict[str, Any]:
    """A message (marked with ``gettext_noop`` by the caller) with its values: strings stay as they are (codes,
    names, titles), ints, Decimals and dates are kept raw (localised at display), lazy labels (``gettext_lazy``, e.g.
    ``Status(value).label``; not ``get_FOO_display()``, which is already a string) and phrases are translated at
    display."""
    built: dict[str, Any] = {"msg": message}
    if params:
        built["params"] = {name: _raw(value) for name, value in params.items()}
    return built


def joined(items: list[Any], sep: str = ", ") -> dict[str, Any]:
    """Phrases (or values) shown one after the other, separated by ``sep``."""
    return {"list": [_raw(item) for item in items], "sep": sep}


def label(text: Any) -> dict[str, Any]:
    """A translatable label (a lazy ``gettext_lazy`` text such as a model choice's) as a phrase: its English words
    are its msgid, translated again at display. A label with a context (``pgettext_lazy``) would show in English."""
    with translation.override(settings.LANGUAGE_CODE):
        return {"msg": str(text)}


def _raw(value: Any) -> Phrase:
    if isinstance(value, Promise):  # a lazy label: translated at display, not in the writer's language
        return label(value)
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, str | int | dict):
        return value
    if isinstance(value, Decimal):
        return {"num": format(value, "f")}
    if isinstance(value, dt.datetime):
        return {"date": value.date().isoformat()}
    if isinstance(value, dt.date):
        return {"date": value.isoformat()}
    if isinstance(value, list | tuple):
        return {"list": [_raw(item) for item in value], "sep": ", "}
    return str(value)


def render(words: Phrase, fallback: str = "") -> str:
    """``words`` written in the active language; ``fallback`` (the stored text) when there are none or they
    cannot be written."""
    if words is None or words == {}:
        return fallback
    try:
        return _render(words)
    except (KeyError, ValueError, TypeError, InvalidOperation, IndexError, AttributeError):
        logger.warning("Phrase cannot be written, its stored text is shown: %r", words)
        return fallback


def render_in(language: str, words: Phrase, fallback: str = "") -> str:
    with translation.override(language):
        return render(words, fallback)


def english(words: Phrase, fallback: str = "") -> str:
    """The phrase in the portal's default language (English): the text stored beside it."""
    return render_in(settings.LANGUAGE_CODE, words, fallback)


def request_language(request) -> str:
    """The requester's language: their account's choice, else the request's (cookie or Accept-Language). An API
    call authenticated by token passes the middleware as anonymous, so its account's choice is applied here."""
    user = getattr(request, "user", None)
    chosen = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    return chosen if chosen in LANGUAGE_CODES else translation.get_language() or settings.LANGUAGE_CODE


def _render(words: Phrase) -> str:
    if isinstance(words, str):
        return words
    if isinstance(words, bool):
        raise TypeError(words)
    if isinstance(words, int):
        return str(formats.number_format(words))
    if "msg" in words:
        return _message(words)
    if "num" in words:
        value = Decimal(str(words["num"]))
        text = str(formats.number_format(value, force_grouping=bool(words.get("group"))))
        return "+" + text if words.get("sign") and not text.startswith("-") else text
    if "date" in words:
        return str(formats.date_format(dt.date.fromisoformat(words["date"]), "d M Y"))
    if "list" in words:
        return str(words.get("sep", ", ")).join(_render(item) for item in words["list"])
    if "sentence" in words:
        body = "; ".join(_render(part) for part in words["sentence"])
        if words.get("on_plan"):
            return gettext("On plan: %(reasons)s.") % {"reasons": body}
        return body[:1].upper() + body[1:] + "."
    raise ValueError(words)


def _message(words: dict[str, Any]) -> str:
    message, plural, context = str(words["msg"]), words.get("plural"), words.get("ctx")
    if not message:
        return ""
    if plural is not None:
        count = int(words["n"])
        text = npgettext(context, message, plural, count) if context else ngettext(message, plural, count)
        english_text = message if count == 1 else plural
    else:
        text = pgettext(context, message) if context else gettext(message)
        english_text = message
    params = words.get("params")
    if not params:
        return text
    values = {name: _render(value) for name, value in params.items()}
    try:
        return text % values
    except (KeyError, ValueError, TypeError):  # a translation with a wrong placeholder: the English words
        logger.warning("Translation of %r cannot be filled in; English shown", message)
        return english_text % values
