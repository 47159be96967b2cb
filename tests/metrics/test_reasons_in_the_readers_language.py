"""Score reasons and notifications are stored once and read in each reader's language (issue 15).

A score is computed (and a notification written) by a worker whose language is English, then read by people with
other languages. Each is stored in English *and* as a language-neutral phrase (``core.phrases``), which the pages, the
API and the e-mails write in the reader's language; rows written before the phrases show their English text.
"""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django.utils.translation import trans_real
from hypothesis import given, settings

from clients import services as client_services
from core import phrases
from metrics.lean.models import KpiMetric
from metrics.scores import services
from metrics.scores.models import ScoreSnapshot
from metrics.scores.selectors import visible_result
from metrics.scoring import compute_scores
from metrics.surveys import services as survey_services
from projects.milestones import services as milestone_services
from projects.notifications.models import Notification
from projects.notifications.services import notify, send_emails
from tests.conftest import api_as
from tests.metrics.factories import make_invitation
from tests.metrics.test_recompute_equivalence import project_inputs
from tests.metrics.test_scoring import worked_example

NOW = dt.datetime(2026, 11, 24, 10, 0, tzinfo=dt.UTC)


def _set_language(user, language: str) -> None:
    client_services.user_language_set(actor=user, user=user, language=language)


def _late_milestone_scores(world) -> None:
    """Scores of project A with one client-visible milestone 176 days late, computed in English (a worker's)."""
    milestone_services.milestone_update(
        actor=world.pm, milestone=world.milestone_a, forecast_date=dt.date(2026, 6, 25), reason="Late resin"
    )
    assert translation.get_language() == "en-gb"
    services.scores_recompute(project_ids=[world.project_a.pk], now=NOW)


# --- The stored form -------------------------------------------------------------------------------------------------


def test_a_factor_is_stored_in_english_and_as_a_phrase_that_writes_the_same_english():
    for factor in compute_scores(worked_example()).to_dict()["factors"]:
        assert phrases.english(factor["words"]["text"]) == factor["text"]
        assert phrases.english(factor["words"]["figure"]) == factor["figure"]
    cost = next(f for f in compute_scores(worked_example()).to_dict()["factors"] if f["constraint"] == "cost")
    assert json.loads(json.dumps(cost["words"])) == cost["words"]  # plain JSON: stored in the snapshot as it is


def test_numbers_of_a_reason_are_written_in_the_readers_format():
    cost = next(f for f in compute_scores(worked_example()).to_dict()["factors"] if f["constraint"] == "cost")
    assert "1,111,111.11" in cost["text"]
    german = phrases.render_in("de", cost["words"]["text"])
    french = phrases.render_in("fr", cost["words"]["text"])
    assert german.startswith("CPI 0,90: Prognose 1.111.111,11 bei Abschluss")
    assert "1\xa0111\xa0111,11" in french
    assert "5,3" in german  # the budget growth, one decimal place kept
    assert phrases.render_in("de", cost["words"]["figure"]) == "CPI 0,90, Budget +5,3 %"


def _messages(words):
    """Every message node of a phrase."""
    if isinstance(words, dict):
        if "msg" in words:
            yield words
        for value in words.values():
            yield from _messages(value)
    elif isinstance(words, list):
        for value in words:
            yield from _messages(value)


@settings(max_examples=300, deadline=None, database=None)
@given(project_inputs())
def test_every_message_of_a_reason_is_in_the_catalogs_and_reads_the_same_in_english(inputs):
    """A message that makemessages cannot extract (say, a context held in a variable) would show in English; and the
    display's English (Django's formats) is the stored English (the pure writer's), whatever the figures."""
    for factor in compute_scores(inputs).to_dict()["factors"]:
        assert phrases.english(factor["words"]["text"]) == factor["text"]
        assert phrases.english(factor["words"]["figure"]) == factor["figure"]
        for message in _messages(factor["words"]):
            key = f"{message['ctx']}\x04{message['msg']}" if "ctx" in message else message["msg"]
            for language in ("de", "fr"):
                catalog = trans_real.translation(language)._catalog
                assert (key, 0) in catalog if "plural" in message else key in catalog, (language, key)


# --- Pages and API ---------------------------------------------------------------------------------------------------


def test_a_german_reader_reads_the_reasons_of_a_snapshot_computed_in_english(world, client):
    _late_milestone_scores(world)
    snapshot = ScoreSnapshot.objects.get(project=world.project_a, lens="client")
    (time,) = [f for f in snapshot.result["factors"] if f["constraint"] == "time"]
    assert time["text"].startswith("1 milestone late by 176 days")  # the English, as stored

    _set_language(world.viewer_a, "de")
    client.force_login(world.viewer_a)
    panel = client.get(reverse("project-detail", kwargs={"pk": world.project_a.pk})).content.decode()
    scores = client.get(reverse("project-scores", kwargs={"pk": world.project_a.pk})).content.decode()

    for page in (panel, scores):
        assert "1 Meilenstein 176 Tage verspätet" in page
        assert "1 milestone late" not in page
    # The dimension's label, where it is shown (not "Zeitleiste", the timeline tab)
    assert 'dim-time">Zeit</span>' in panel
    assert '<td class="card-head">Zeit</td>' in scores
    assert phrases.render_in("de", time["words"]["text"]) in scores


def test_a_snapshot_stored_before_the_phrases_shows_its_english_text(world, client):
    _late_milestone_scores(world)
    snapshot = ScoreSnapshot.objects.get(project=world.project_a, lens="client")
    old = dict(
        snapshot.result, factors=[{k: v for k, v in f.items() if k != "words"} for f in snapshot.result["factors"]]
    )
    ScoreSnapshot.objects.filter(pk=snapshot.pk).update(result=old)

    _set_language(world.viewer_a, "de")
    client.force_login(world.viewer_a)
    page = client.get(reverse("project-scores", kwargs={"pk": world.project_a.pk})).content.decode()
    assert "1 milestone late by 176 days" in page


@pytest.mark.parametrize(
    ("language", "accept", "expected"),
    [
        ("fr", "", "1 jalon en retard de 176 jours"),  # the account's language, though the API has no session
        ("", "de", "1 Meilenstein 176 Tage verspätet"),  # else the request's Accept-Language
        ("", "", "1 milestone late by 176 days"),
    ],
)
def test_the_scores_api_gives_the_reasons_in_the_requesters_language(world, language, accept, expected):
    _late_milestone_scores(world)
    if language:
        _set_language(world.viewer_a, language)
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}
    body = api_as(world.viewer_a).get(reverse("api:score-list"), {"project": world.project_a.pk}, **headers).json()
    (time,) = [f for f in body["results"][0]["factors"] if f["constraint"] == "time"]
    assert time["text"].startswith(expected)
    assert all("words" not in f for f in body["results"][0]["factors"])  # words on screen, never the phrases


def test_the_client_fence_holds_in_every_language(world):
    """A CMO result that reached a client would lose its cost words in German too, phrases included."""
    _late_milestone_scores(world)
    cmo = ScoreSnapshot.objects.get(project=world.project_a, lens="cmo").result
    (cost,) = [f for f in cmo["factors"] if f["constraint"] == "cost"]
    cmo = dict(cmo, factors=[f | {"figure": "CPI 0.80"} if f is cost else f for f in cmo["factors"]])
    with translation.override("de"):
        shown = visible_result(world.viewer_a, cmo)
    (cost,) = [f for f in shown["factors"] if f["constraint"] == "cost"]
    assert cost["text"] == "Die Kostenleistung wird vom CMO gegen das vereinbarte Budget verfolgt."
    assert cost["figure"] == ""
    assert "CPI" not in json.dumps(shown["factors"])
    assert all("words" not in f for f in shown["factors"])


# --- Notifications ---------------------------------------------------------------------------------------------------


def _propose_priorities(world):
    return services.tradeoff_propose(
        actor=world.pm,
        project=world.project_a,
        matrix={"time": "constrain", "scope": "accept", "quality": "constrain", "cost": "optimize"},
        reason="Launch date is fixed",
    )


def test_a_french_users_notification_list_shows_french(world, client):
    _propose_priorities(world)  # written in English (the PM's request), for a reader who reads French
    note = Notification.objects.get(recipient=world.approver_a, kind="tradeoff_proposed")
    assert note.text.endswith(
        "proposes new priorities (time constrain, scope accept, quality constrain, cost optimize)."
    )
    assert note.message["msg"].startswith("%(code)s: %(name)s proposes new priorities")

    _set_language(world.approver_a, "fr")
    client.force_login(world.approver_a)
    page = client.get(reverse("notifications")).content.decode()
    assert "propose de nouvelles priorités (délais contraindre, périmètre accepter" in page
    assert "proposes new priorities" not in page

    listed = api_as(world.approver_a).get(reverse("api:notification-list")).json()["results"]
    assert "propose de nouvelles priorités" in listed[0]["text"]


def test_a_notification_follows_its_reader_into_another_language(world, client):
    _propose_priorities(world)
    _set_language(world.approver_a, "de")
    client.force_login(world.approver_a)
    assert "schlägt neue Prioritäten vor" in client.get(reverse("notifications")).content.decode()


def test_the_email_of_a_notification_is_written_in_its_recipients_language(world):
    _set_language(world.approver_a, "fr")
    _propose_priorities(world)
    mail.outbox.clear()
    send_emails()
    (message,) = [m for m in mail.outbox if m.to == [world.approver_a.email]]
    assert "propose de nouvelles priorités" in message.subject
    assert "propose de nouvelles priorités" in message.body
    assert "Ouvrir dans le portail : " in message.body


def test_dates_of_a_notification_are_written_for_the_reader(world):
    invitation = make_invitation(world.project_a, world.viewer_a, sent_at=NOW - dt.timedelta(days=8))
    invitation.expires_at = dt.datetime(2026, 12, 15, 10, 0, tzinfo=dt.UTC)
    invitation.save(update_fields=["expires_at"])
    assert survey_services.survey_reminders_send(now=NOW) == 1
    note = Notification.objects.get(recipient=invitation.recipient, kind="survey_reminder")
    assert note.text.endswith("your one-minute survey closes on 15 Dec 2026.")
    with translation.override("de"):
        assert note.shown_text().endswith("Ihre einminütige Umfrage endet am 15 Dez 2026.")


def test_a_notification_written_before_the_phrases_keeps_its_text(world, client):
    notify(recipients=[world.approver_a], kind="test", project=world.project_a, text="Written before issue 15")
    assert Notification.objects.get(recipient=world.approver_a).message is None
    _set_language(world.approver_a, "fr")
    client.force_login(world.approver_a)
    assert "Written before issue 15" in client.get(reverse("notifications")).content.decode()


# --- A phrase that cannot be written never breaks a page ------------------------------------------------------------


def test_a_phrase_that_cannot_be_written_falls_back(monkeypatch):
    assert phrases.render({"nonsense": True}, "stored text") == "stored text"
    assert phrases.render(None, "stored text") == "stored text"
    assert phrases.render({"num": "not a number"}, "stored text") == "stored text"
    monkeypatch.setattr(phrases, "gettext", lambda message: "kaputt %(missing)s")  # a translation gone wrong
    assert phrases.render(phrases.phrase("%(code)s is late", code="AAA")) == "AAA is late"


def test_a_phrase_keeps_values_raw_and_labels_translatable():
    built = phrases.phrase(
        "%(a)s %(b)s %(c)s %(d)s %(e)s",
        a="AAA",
        b=3,
        c=Decimal("2.50"),
        d=dt.date(2026, 12, 15),
        e=KpiMetric.OTIF.label,
    )
    assert built["params"] == {
        "a": "AAA",
        "b": 3,
        "c": {"num": "2.50"},
        "d": {"date": "2026-12-15"},
        "e": {"msg": "OTIF batches (%)"},
    }
    assert phrases.render_in("fr", built) == "AAA 3 2,50 15 Déc 2026 Lots OTIF (%)"
