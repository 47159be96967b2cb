"""Search (issue 14, part 3): never a record the searcher cannot open, a fixed number of queries, sane ranking.

The corpus declares, independently of the access layer, which client owns each record and whether that client
may see it; the property searches random words drawn from the records' own texts (and random strings) as every
role and checks each result against that declaration and by opening it (its page and its API record, 200).
"""

import re
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client as PageClient
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from projects.models import ChangeRequestStatus, Document, Visibility
from projects.search.kinds import BY_KEY, KINDS
from projects.search.selectors import MAX_LENGTH, PER_KIND, PER_KIND_ALONE, search, search_text_clean
from tests.conftest import World, api_as
from tests.projects.factories import (
    ChangeRequestFactory,
    IssueFactory,
    MilestoneFactory,
    ProjectFactory,
    QualityEventFactory,
    RiskFactory,
)

ROLES = ("pm", "leadership", "approver_a", "viewer_a", "approver_b", "viewer_b")


@dataclass
class Corpus:
    world: World
    owner: dict[tuple[str, int], tuple[int, bool]] = field(default_factory=dict)  # (kind, pk) -> (client, shown)
    words: list[str] = field(default_factory=list)

    def add(self, kind: str, record, *, shown: bool) -> None:
        client_id = record.client_id if kind == "project" else record.project.client_id
        self.owner[(kind, record.pk)] = (client_id, shown)

    def client_may_see(self, user, kind: str, pk: int) -> bool:
        client_id, shown = self.owner[(kind, pk)]
        return shown and client_id == user.client_id


def _build(world: World) -> Corpus:
    corpus = Corpus(world)
    w, pm = world, world.pm
    b = w.b
    for project, shown in ((w.project_a, True), (w.project_b, True)):
        corpus.add("project", project, shown=shown)
    corpus.add("milestone", w.milestone_a, shown=True)
    corpus.add("milestone", w.internal_milestone_a, shown=False)
    corpus.add("milestone", w.milestone_b, shown=True)
    corpus.add("change_request", b.change_request, shown=True)
    corpus.add("quality_event", b.quality_event, shown=True)
    corpus.add("risk", b.risk, shown=True)
    corpus.add("issue", b.issue, shown=True)
    for project, name in ((w.project_a, "Aurora"), (w.project_b, "Borealis")):
        a = project == w.project_a
        corpus.add(
            "risk",
            RiskFactory(
                project=project, title=f"{name} cleaning validation risk", mitigation="Second filter supplier qualified"
            ),
            shown=True,
        )
        corpus.add(
            "risk",
            RiskFactory(project=project, title=f"Internal cleaning margin risk {name}", visibility=Visibility.INTERNAL),
            shown=False,
        )
        corpus.add(
            "quality_event",
            QualityEventFactory(
                project=project, reference=f"{name[:3].upper()}-DEV-7", title="Cleaning deviation on filter line"
            ),
            shown=True,
        )
        corpus.add(
            "quality_event",
            QualityEventFactory(
                project=project,
                reference=f"{name[:3].upper()}-CAPA-9",
                title="Internal cleaning CAPA overdue",
                visibility=Visibility.INTERNAL,
            ),
            shown=False,
        )
        corpus.add(
            "change_request",
            ChangeRequestFactory(
                project=project,
                created_by=pm,
                title=f"{name} filter line change",
                description="Move the cleaning step to line seven",
            ),
            shown=True,
        )
        corpus.add(
            "change_request",
            ChangeRequestFactory(
                project=project, created_by=pm, title="Draft cleaning margin change", status=ChangeRequestStatus.DRAFT
            ),
            shown=False,
        )
        corpus.add(
            "issue",
            IssueFactory(
                project=project,
                title=f"{name} label question",
                description="Which cleaning label version applies?",
                raised_by=w.approver_a if a else w.approver_b,
            ),
            shown=True,
        )
        corpus.add(
            "issue",
            IssueFactory(
                project=project, title="Internal staffing gap cleaning", visibility=Visibility.INTERNAL, raised_by=pm
            ),
            shown=False,
        )
        corpus.add(
            "milestone",
            MilestoneFactory(project=project, name=f"{name} filter validation report", sequence=9010),
            shown=True,
        )
        corpus.add(
            "milestone",
            MilestoneFactory(
                project=project, name="Internal margin checkpoint filter", sequence=9011, client_visible=False
            ),
            shown=False,
        )
        corpus.add(
            "document",
            Document.objects.create(
                project=project, title=f"{name} filter CoA", visibility=Visibility.SHARED, created_by=pm
            ),
            shown=True,
        )
        corpus.add(
            "document",
            Document.objects.create(project=project, title="Internal cleaning margin memo", created_by=pm),
            shown=False,
        )
    corpus.words = _vocabulary(corpus)
    return corpus


def _texts(kind: str, pk: int) -> str:
    search_kind = BY_KEY[kind]
    record = search_kind.model.objects.get(pk=pk)
    return " ".join(str(getattr(record, column)) for column, _weight in search_kind.fields)


def _tokens(text: str) -> set[str]:
    return {token.lower() for token in re.findall(r"[A-Za-z0-9]+", text)}


def _vocabulary(corpus: Corpus) -> list[str]:
    """Every word of the searched columns that PostgreSQL does not drop as a stop word."""
    words = sorted(set().union(*(_tokens(_texts(kind, pk)) for kind, pk in corpus.owner)))
    with connection.cursor() as cursor:
        cursor.execute("SELECT w FROM unnest(%s::text[]) w WHERE numnode(plainto_tsquery('english', w)) > 0", [words])
        return sorted(row[0] for row in cursor.fetchall())


@pytest.fixture
def corpus(world, records_b) -> Corpus:
    return _build(world)


def _opens(cache: dict, user, url: str, *, api: bool) -> int:
    key = (user.pk, url, api)
    if key not in cache:
        if api:
            cache[key] = api_as(user).get(url).status_code
        else:
            page = PageClient()
            page.force_login(user)
            cache[key] = page.get(url).status_code
    return cache[key]


def _queries(corpus_words):
    word = st.sampled_from(corpus_words)
    noise = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=0, max_size=12)
    return st.one_of(
        word,
        st.lists(word, min_size=2, max_size=3).map(" ".join),
        st.tuples(word, word).map(lambda pair: f'"{pair[0]} {pair[1]}"'),
        st.tuples(word, word).map(lambda pair: f"{pair[0]} -{pair[1]}"),
        st.tuples(word, word).map(lambda pair: f"{pair[0]} or {pair[1]}"),
        st.tuples(word, noise).map(" ".join),
        noise,
    )


def test_every_result_is_openable_and_never_another_tenants_or_internal(corpus):
    """The property: for random queries and every role, each result is declared visible to the searcher,
    opens with 200 (its page and its API record), and a visible record holding the word is found."""
    w = corpus.world
    opened: dict = {}
    checked = {"results": 0, "found": 0}

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(text=_queries(corpus.words), role=st.sampled_from(ROLES))
    def check(text, role):
        user = getattr(w, role)
        try:
            cleaned = search_text_clean(text)
        except ValidationError as refused:  # too short, too long, no word: a sentence, never a search
            messages = refused.messages
            assert messages[0].endswith((".", ")."))
            return
        groups = search(user=user, text=cleaned)
        assert [g.kind for g in groups] == [k.key for k in KINDS]
        for group in groups:
            assert len(group.hits) <= PER_KIND
            assert group.count >= len(group.hits)
            ranks = [hit.rank for hit in group.hits]
            assert ranks == sorted(ranks, reverse=True)
            for hit in group.hits:
                checked["results"] += 1
                assert (hit.kind, hit.pk) in corpus.owner, f"{hit} is not a record of the corpus"
                if user.is_client_user:
                    assert corpus.client_may_see(user, hit.kind, hit.pk), f"{role} found {hit}"
                assert _opens(opened, user, hit.url, api=False) == 200, f"{role} cannot open {hit.url}"
                assert _opens(opened, user, hit.api_url, api=True) == 200, f"{role} cannot open {hit.api_url}"
        if cleaned in corpus.words:  # one plain word: every visible record that holds it is counted
            for group in groups:
                holding = {
                    pk
                    for kind, pk in corpus.owner
                    if kind == group.kind
                    and cleaned in _tokens(_texts(kind, pk))
                    and (not user.is_client_user or corpus.client_may_see(user, kind, pk))
                }
                assert group.count >= len(holding), f"{role} searching {cleaned!r}: {group}"
                if group.count <= PER_KIND:
                    assert holding <= {hit.pk for hit in group.hits}, f"{role} searching {cleaned!r}: {group}"
                checked["found"] += len(holding)

    check()
    assert checked["results"] > 0, "the property never saw a result: it proves nothing"
    assert checked["found"] > 0, "no query was a word of the corpus: it proves nothing"


@pytest.mark.parametrize("role", ["approver_a", "viewer_b"])
def test_client_finds_own_shared_records_only(corpus, role, client):
    """Searching a word every tenant's records hold: a client user finds their own client's shared ones."""
    user = getattr(corpus.world, role)
    client.force_login(user)
    page = client.get(reverse("search"), {"q": "cleaning"})
    assert page.status_code == 200
    body = page.content.decode()
    own, other = ("Aurora", "Borealis") if role == "approver_a" else ("Borealis", "Aurora")
    assert f"{own} cleaning validation risk" in body
    assert f"{other} cleaning validation risk" not in body
    for internal in ("Internal cleaning", "Internal staffing", "Draft cleaning", "CAPA overdue"):
        assert internal not in body
    data = api_as(user).get(reverse("api:search"), {"q": "cleaning"}).json()
    found = {(hit["kind"], hit["id"]) for group in data["groups"] for hit in group["results"]}
    assert found
    assert all(corpus.client_may_see(user, kind, pk) for kind, pk in found)


def test_staff_find_internal_records_of_every_client(corpus, client):
    client.force_login(corpus.world.leadership)
    body = client.get(reverse("search"), {"q": "cleaning", "kind": "risk"}).content.decode()
    for title in ("Aurora cleaning validation risk", "Borealis cleaning validation risk", "Internal cleaning margin"):
        assert title in body


def _count_queries(user, url, params) -> tuple[int, dict]:
    api = api_as(user)
    api.get(url, params)  # warm
    with CaptureQueriesContext(connection) as queries:
        response = api.get(url, params)
    assert response.status_code == 200
    return len(queries), response.json()


def test_query_count_is_fixed_over_1_and_50_matches(world):
    """One query per kind (the count rides along as a window), whatever matches: 1 match and 50 cost the same."""
    RiskFactory(project=world.project_a, title="Omega lyophilizer risk 0")
    with CaptureQueriesContext(connection) as selector_queries:
        search(user=world.approver_a, text="omega")
    selector_count = len(selector_queries)  # before any request: a request resets Django's query log
    assert selector_count == len(KINDS)
    one, first = _count_queries(world.approver_a, reverse("api:search"), {"q": "omega"})
    for n in range(1, 50):
        RiskFactory(project=world.project_a, title=f"Omega lyophilizer risk {n}")
    fifty, then = _count_queries(world.approver_a, reverse("api:search"), {"q": "omega"})
    assert one == fifty
    risks = {g["kind"]: g for g in then["groups"]}["risk"]
    assert (risks["count"], len(risks["results"]), risks["more"]) == (50, PER_KIND, 50 - PER_KIND)
    assert {g["kind"]: g for g in first["groups"]}["risk"]["count"] == 1
    page = PageClient()
    page.force_login(world.approver_a)
    page.get(reverse("search"), {"q": "omega"})
    with CaptureQueriesContext(connection) as page_queries:
        body = page.get(reverse("search"), {"q": "omega"}).content.decode()
    page_count = len(page_queries)
    assert f"{50 - PER_KIND} more risks" in body
    alone = api_as(world.approver_a).get(reverse("api:search"), {"q": "omega", "kind": "risk"}).json()
    assert [g["kind"] for g in alone["groups"]] == ["risk"]
    assert len(alone["groups"][0]["results"]) == PER_KIND_ALONE
    print(f"search: {selector_count} queries in the selector, {one} for the API, {page_count} the page")


def test_ranking_prefers_the_title_and_more_matching_words(world):
    """A word in the title (weight A) outranks the same word in the mitigation (B); both words beat one."""
    in_title = RiskFactory(project=world.project_a, title="Lyophilizer shelf failure")
    in_text = RiskFactory(project=world.project_a, title="Vendor delay", mitigation="Spare lyophilizer shelf ordered")
    one_word = RiskFactory(project=world.project_a, title="Lyophilizer service contract")
    risks = {g.kind: g for g in search(user=world.pm, text="lyophilizer")}["risk"]
    order = [hit.pk for hit in risks.hits]
    assert order.index(in_title.pk) < order.index(in_text.pk)
    both = {g.kind: g for g in search(user=world.pm, text="lyophilizer shelf")}["risk"]
    assert [hit.pk for hit in both.hits][0] == in_title.pk
    assert one_word.pk not in [hit.pk for hit in both.hits]  # websearch: every word must match
    project = ProjectFactory(client=world.client_a, manager=world.pm, code="LYO-77", name="Lyophilizer transfer")
    projects = {g.kind: g for g in search(user=world.pm, text="LYO-77")}["project"]
    assert [hit.pk for hit in projects.hits] == [project.pk]


@pytest.mark.parametrize(
    ("q", "message"),
    [
        ("a", "at least 2"),
        ("  x  ", "at least 2"),
        ("!!!", "at least 2"),
        ("- ''", "at least 2"),
        ("\x00\x00\x00", "Null characters"),
        ("nul\x00inside", "Null characters"),
        ("x" * (MAX_LENGTH + 1), f"at most {MAX_LENGTH}"),
    ],
)
def test_bad_input_gets_a_sentence_never_a_500(world, client, q, message):
    client.force_login(world.viewer_a)
    page = client.get(reverse("search"), {"q": q})
    assert page.status_code == 400
    assert message in page.content.decode()
    api = api_as(world.viewer_a).get(reverse("api:search"), {"q": q})
    assert api.status_code == 400
    assert message in str(api.json())


@pytest.mark.parametrize(
    "q",
    [
        "'; DROP TABLE projects_project; --",
        '"unterminated phrase',
        "ab & cd | !ef <-> gh:*",
        "OR OR -",
        "tab\tand\nnew line",
        "the and of",  # stop words only: nothing to find, no error
        "Ünïcödé 漢字 🙂",
        "x" * MAX_LENGTH,
    ],
)
def test_hostile_queries_are_searched_safely(world, client, q):
    client.force_login(world.approver_a)
    assert client.get(reverse("search"), {"q": q}).status_code == 200
    response = api_as(world.approver_a).get(reverse("api:search"), {"q": q})
    assert response.status_code == 200
    assert [g["kind"] for g in response.json()["groups"]] == [k.key for k in KINDS]


def test_api_refuses_what_it_cannot_check(world, client):
    api = api_as(world.viewer_a)
    url = reverse("api:search")
    assert api.get(url).status_code == 400  # q is required
    assert api.get(url, {"q": ""}).status_code == 400
    assert api.get(url + "?q=omega&q=delta").status_code == 400
    assert api.get(url, {"q": "omega", "kind": "invoice"}).status_code == 400
    assert api_as(None).get(url, {"q": "omega"}).status_code in (401, 403)
    client.force_login(world.viewer_a)
    assert client.get(reverse("search"), {"q": "omega", "kind": "invoice"}).status_code == 400
    empty = client.get(reverse("search"))
    assert empty.status_code == 200
    assert "Search projects, milestones" in empty.content.decode()


def test_the_box_is_in_the_header(world, client):
    client.force_login(world.viewer_a)
    body = client.get(reverse("dashboard")).content.decode()
    assert f'action="{reverse("search")}"' in body
