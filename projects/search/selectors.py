"""The search read: one query per searchable kind, each through the kind's ``objects.for_user(user)``.

Vectors are computed in the query on exactly the expressions of the GIN indexes (projects migration 0010; a test
checks each index is used); each query
filters the scoped rows by ``websearch_to_tsquery``, ranks them with ``ts_rank`` and returns the best few of the
kind with the total count (a window count over the matches), so the number of queries is fixed whatever matches.
"""

import re
from dataclasses import dataclass

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.exceptions import ValidationError
from django.db.models import Count, QuerySet, Window
from django.utils.translation import gettext as _

from projects.search.kinds import KINDS, SearchKind

#: The text search configuration: English stemming ("deviations" finds "deviation"); codes stay whole tokens.
CONFIG = "english"
MIN_LENGTH = 2
MAX_LENGTH = 200  # characters: a search is a few words, never a document
PER_KIND = 5  # results of each kind on the page of every kind
PER_KIND_ALONE = 25  # results when one kind is asked for (``?kind=``)
EXCERPT_LENGTH = 160  # characters

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_WORD = re.compile(r"\w\w", re.UNICODE)


def search_text_clean(raw: str) -> str:
    """The text as searched: control characters dropped, spaces collapsed; refused, with a sentence, when it
    holds a NUL, is too short or too long, or has no two letters or digits in a row."""
    if "\x00" in raw:  # PostgreSQL cannot take it; the API's fields refuse it with this sentence too
        raise ValidationError(_("Null characters are not allowed."), code="null_characters")
    text = " ".join(_CONTROL.sub(" ", raw).split())
    if len(text) > MAX_LENGTH:
        raise ValidationError(
            _("Search for at most %(max)s characters (this is %(length)s).") % {"max": MAX_LENGTH, "length": len(text)},
            code="too_long",
        )
    if len(text) < MIN_LENGTH or not _WORD.search(text):
        raise ValidationError(
            _("Type at least %(min)s letters or digits to search.") % {"min": MIN_LENGTH}, code="too_short"
        )
    return text


@dataclass(frozen=True)
class SearchHit:
    kind: str
    pk: int
    title: str
    context: str
    excerpt: str
    url: str
    api_url: str
    rank: float


@dataclass(frozen=True)
class SearchGroup:
    kind: str
    label: str
    count: int  # every match the searcher may see
    hits: tuple[SearchHit, ...]  # the best ``PER_KIND`` (or ``PER_KIND_ALONE``) by rank

    @property
    def more(self) -> int:
        return self.count - len(self.hits)


def _vector(kind: SearchKind) -> SearchVector:
    parts = [SearchVector(column, weight=weight, config=CONFIG) for column, weight in kind.fields]
    vector = parts[0]
    for part in parts[1:]:
        vector = vector + part
    return vector


def _excerpt(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= EXCERPT_LENGTH else text[: EXCERPT_LENGTH - 1].rstrip() + "…"


def kind_matches(kind: SearchKind, user, query: SearchQuery) -> QuerySet:
    """The kind's records in ``user``'s scope matching ``query``, best first, each with its rank and the total
    number of matches (the expression is the one the GIN index of the kind is built on: migration 0010)."""
    vector = _vector(kind)
    return (
        kind.model.objects.for_user(user)
        .select_related(*kind.select_related)
        .alias(search_document=vector)
        .filter(search_document=query)
        .annotate(search_rank=SearchRank(vector, query), search_total=Window(Count("pk")))
        .order_by("-search_rank", "-pk")
    )


def search_query(text: str) -> SearchQuery:
    return SearchQuery(text, search_type="websearch", config=CONFIG)


def _search_kind(kind: SearchKind, user, query: SearchQuery, limit: int) -> SearchGroup:
    rows = list(kind_matches(kind, user, query)[:limit])
    hits = tuple(
        SearchHit(
            kind=kind.key,
            pk=row.pk,
            title=kind.title(row),
            context=kind.context(row),
            excerpt=_excerpt(getattr(row, kind.excerpt_field)) if kind.excerpt_field else "",
            url=kind.page_url(row),
            api_url=kind.api_url(row),
            rank=float(row.search_rank),
        )
        for row in rows
    )
    return SearchGroup(kind=kind.key, label=str(kind.label), count=rows[0].search_total if rows else 0, hits=hits)


def search(*, user, text: str, kind: str = "") -> list[SearchGroup]:
    """What ``user`` may open that matches ``text`` (already cleaned by ``search_text_clean``), grouped by kind
    in the order of ``KINDS``, best rank first; one query per kind (only ``kind`` when given)."""
    query = search_query(text)
    kinds = [k for k in KINDS if k.key == kind] if kind else list(KINDS)
    limit = PER_KIND_ALONE if kind else PER_KIND
    return [_search_kind(k, user, query, limit) for k in kinds]
