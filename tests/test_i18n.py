"""Languages (issue 15): English, German and French through Django's i18n.

Every string marked for translation has a German and a French translation (makemessages leaves none untranslated or
fuzzy, and the committed .mo files are the compiled .po files); a user's language shows pages, dates and numbers in
that language while form inputs stay ISO; the language menu saves the choice on the account (audited); e-mails go out
in the recipient's language.
"""

import datetime as dt
import gettext
import os
import re
import shutil
import subprocess
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.core import mail
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from clients import services as client_services
from clients.models import User
from projects.change_requests import services as change_request_services
from projects.notifications.models import Notification
from projects.notifications.services import send_emails
from tests.projects.factories import MilestoneFactory

LANGUAGES = ("de", "fr")
# The same list as `make messages` (Makefile): what is not the portal's own source.
MAKEMESSAGES_IGNORE = ["var", "static", "staticfiles", "tests", "bench", "docs", "locale"]
BASE_DIR = Path(settings.BASE_DIR)


def _msgfmt_statistics(po_file: Path) -> str:
    result = subprocess.run(  # noqa: S603 -- fixed arguments, a file of this test
        ["msgfmt", "--check", "--statistics", "-o", os.devnull, str(po_file)],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stderr.strip()


def _catalog(mo_file: Path) -> dict:
    with mo_file.open("rb") as handle:
        return dict(gettext.GNUTranslations(handle)._catalog)  # type: ignore[attr-defined]


def _compile(po_file: Path, mo_file: Path) -> Path:
    subprocess.run(["msgfmt", "--check", "-o", str(mo_file), str(po_file)], check=True)  # noqa: S603, S607
    return mo_file


@pytest.fixture
def fresh_catalogs(tmp_path, settings, monkeypatch):
    """Run makemessages over the portal's source into a copy of the committed catalogs (never into the real ones).

    The source is reached through symlinks from a scratch directory that holds the copy, so makemessages writes
    every entry there (it writes beside the nearest ``locale`` directory above a source file).
    """
    if shutil.which("xgettext") is None or shutil.which("msgfmt") is None:
        pytest.fail("GNU gettext (xgettext, msgmerge, msgfmt) is needed: apt-get install gettext")
    scratch = tmp_path / "source"
    scratch.mkdir()
    for entry in BASE_DIR.iterdir():
        if entry.name.startswith(".") or entry.name in MAKEMESSAGES_IGNORE:
            continue
        (scratch / entry.name).symlink_to(entry)
    shutil.copytree(BASE_DIR / "locale", scratch / "locale")
    settings.LOCALE_PATHS = [scratch / "locale"]
    monkeypatch.chdir(scratch)
    call_command(
        "makemessages",
        locale=list(LANGUAGES),
        no_obsolete=True,
        symlinks=True,
        ignore_patterns=MAKEMESSAGES_IGNORE,
        verbosity=0,
    )
    return scratch / "locale"


def test_makemessages_leaves_no_untranslated_string_in_german_or_french(fresh_catalogs, tmp_path):
    for language in LANGUAGES:
        po_file = fresh_catalogs / language / "LC_MESSAGES" / "django.po"
        statistics = _msgfmt_statistics(po_file)
        assert re.fullmatch(r"\d+ translated messages\.", statistics), f"{language}: {statistics}"
        header = po_file.read_text(encoding="utf-8").split("\n\n", 1)[0]
        assert "#, fuzzy" not in header  # a fuzzy header is dropped by msgfmt: the charset and plurals with it
        plural_rule = {"de": "nplurals=2; plural=(n != 1);", "fr": "nplurals=2; plural=(n > 1);"}[language]
        assert f"Plural-Forms: {plural_rule}" in header
        # The committed catalog is what makemessages makes of today's source (nothing new, nothing stale) ...
        committed_po = BASE_DIR / "locale" / language / "LC_MESSAGES" / "django.po"
        fresh = _catalog(_compile(po_file, tmp_path / f"{language}-fresh.mo"))
        committed = _catalog(_compile(committed_po, tmp_path / f"{language}-committed.mo"))
        assert fresh == committed, f"{language}: run `make messages` and translate what is new"
        # ... and the committed .mo file is that catalog compiled (a checkout needs no gettext tools to run).
        assert _catalog(committed_po.with_suffix(".mo")) == committed, f"{language}: run `make messages`"


# --- Pages in the user's language --------------------------------------------------------------------------------


@pytest.fixture
def dated_project(world):
    project = world.project_a
    project.start_date = dt.date(2026, 12, 15)
    project.budget = Decimal("1234567")
    project.save(update_fields=["start_date", "budget"])
    return project


def _set_language(user: User, language: str) -> None:
    client_services.user_language_set(actor=user, user=user, language=language)


@pytest.mark.parametrize(
    ("language", "words", "date", "budget"),
    [
        ("de", ["Meine Projekte", "Meilensteine", "Übersicht", "Änderungsanträge"], "15 Dez 2026", "1.234.567"),
        (
            "fr",
            ["Mes projets", "Jalons", "Vue d’ensemble", "Demandes de modification"],
            "15 Déc 2026",
            "1\xa0234\xa0567",
        ),
        ("", ["My projects", "Milestones", "Overview", "Change requests"], "15 Dec 2026", "1,234,567"),
    ],
)
def test_the_project_page_speaks_the_users_language(world, client, dated_project, language, words, date, budget):
    _set_language(world.approver_a, language)
    client.force_login(world.approver_a)
    response = client.get(reverse("project-detail", args=[dated_project.pk]))
    body = response.content.decode()
    assert response.status_code == 200
    assert f'<html lang="{language or "en-gb"}">' in body
    for word in words:
        assert word in body
    assert date in body
    assert budget in body


def test_without_a_choice_the_browser_decides_and_a_choice_beats_the_browser(world, client):
    client.force_login(world.approver_a)
    assert "Meine Projekte" in client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de").content.decode()
    assert "My projects" in client.get(reverse("dashboard")).content.decode()  # no preference: English
    _set_language(world.approver_a, "en-gb")
    assert "My projects" in client.get(reverse("dashboard"), HTTP_ACCEPT_LANGUAGE="de").content.decode()


def test_date_inputs_stay_iso_in_german(world, client):
    milestone = MilestoneFactory(project=world.project_a, name="PPQ batch 1", forecast_date=dt.date(2026, 12, 15))
    _set_language(world.pm, "de")
    client.force_login(world.pm)
    body = client.get(reverse("project-detail", args=[world.project_a.pk])).content.decode()
    assert "Prognose" in body
    assert f'<input type="date" name="m{milestone.pk}-forecast_date" value="2026-12-15"' in body
    assert "15 Dez 2026" in body  # the same date, shown


# --- The language menu -------------------------------------------------------------------------------------------


def test_the_language_menu_saves_the_choice_audited_and_the_next_page_follows(world, client):
    client.force_login(world.approver_a)
    assert 'action="/accounts/language/"' in client.get(reverse("dashboard")).content.decode()
    response = client.post(reverse("language-set"), {"language": "fr", "next": reverse("dashboard")}, follow=True)
    assert response.redirect_chain[0] == (reverse("dashboard"), 302)
    body = response.content.decode()
    assert "Mes projets" in body
    assert "Langue modifiée." in body
    world.approver_a.refresh_from_db()
    assert world.approver_a.language == "fr"
    events = User.pgh_event_model.objects.filter(pgh_obj_id=world.approver_a.pk).order_by("pgh_id")
    assert events.last().language == "fr"
    assert events.last().pgh_context.metadata["reason"] == "Language changed"
    assert events.last().pgh_context.metadata["user"] == world.approver_a.pk
    count = events.count()
    client.post(reverse("language-set"), {"language": "fr", "next": reverse("dashboard")})  # the same again
    assert User.pgh_event_model.objects.filter(pgh_obj_id=world.approver_a.pk).count() == count


def test_the_choice_follows_the_user_to_another_device(world, client):
    client.force_login(world.approver_a)
    client.post(reverse("language-set"), {"language": "de"})
    from django.test import Client

    other_device = Client()
    other_device.force_login(world.approver_a)
    assert "Meine Projekte" in other_device.get(reverse("dashboard")).content.decode()


@pytest.mark.parametrize("bad", ["xx", "de-ch", "<script>", "e" * 300])
def test_a_language_the_portal_does_not_have_is_refused_and_nothing_changes(world, client, bad):
    client.force_login(world.approver_a)
    response = client.post(reverse("language-set"), {"language": bad, "next": reverse("dashboard")}, follow=True)
    assert response.status_code == 200
    assert "Choose one of the portal&#x27;s languages: nothing was changed." in response.content.decode()
    world.approver_a.refresh_from_db()
    assert world.approver_a.language == ""


def test_the_language_menu_only_posts_and_never_redirects_off_site(world, client):
    client.force_login(world.approver_a)
    assert client.get(reverse("language-set")).status_code == 405
    response = client.post(reverse("language-set"), {"language": "de", "next": "https://evil.example/"})
    assert response["Location"] == reverse("home")


def test_before_login_the_choice_is_a_cookie_and_the_login_page_follows(world, client):
    assert "Langue" not in client.get(reverse("login")).content.decode()
    response = client.post(reverse("language-set"), {"language": "fr", "next": reverse("login")}, follow=True)
    body = response.content.decode()
    assert "Se connecter" in body
    assert "Mot de passe oublié ?" in body
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME]["httponly"]


# --- E-mails in the recipient's language ---------------------------------------------------------------------


def test_a_change_request_reaches_each_approver_in_their_language(world):
    german = world.approver_a
    _set_language(german, "de")
    english = User.objects.create(
        username="approver_a2", role=german.role, client=world.client_a, email="a2@example.com"
    )
    change = change_request_services.change_request_create(
        actor=world.pm, project=world.project_a, title="Add a PPQ batch"
    )
    mail.outbox.clear()
    change_request_services.change_request_submit(actor=world.pm, change=change)
    stored = Notification.objects.get(recipient=german)
    with translation.override("de"):  # stored once, in neutral words: written in the reader's language when shown
        german_text = stored.shown_text()
    assert german_text == (
        f"{world.project_a.code}: Änderungsantrag CR-{change.number} „Add a PPQ batch“ wartet auf Ihre Entscheidung."
    )
    assert Notification.objects.get(recipient=english).shown_text().endswith("awaits your decision.")
    assert stored.text.endswith("awaits your decision.")  # the stored text is English, for records and fallbacks
    send_emails()
    by_recipient = {message.to[0]: message for message in mail.outbox}
    assert "Im Portal öffnen: " in by_recipient[german.email].body
    assert "Open in the portal: " in by_recipient[english.email].body


def test_the_password_reset_email_is_in_the_accounts_language(world, client):
    _set_language(world.approver_a, "fr")
    mail.outbox.clear()
    client.post(reverse("password_reset"), {"email": world.approver_a.email})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Portail CMO : réinitialisez votre mot de passe"
    assert mail.outbox[0].body.startswith(f"Bonjour {world.approver_a.display_name},")


# --- Every client page renders in both languages ------------------------------------------------------------------

# Words each translated client page shows in German and French (its heading or a tab), beside the shared menu.
TRANSLATED_CLIENT_PAGES = {
    "dashboard": ("Ihre Projekte", "Vos projets"),
    "project-detail": ("Zeitleiste", "Chronologie"),
    "change-request-detail": ("Elektronische Signatur", "Signature électronique"),
    "baseline-sign": ("Was sich ändert", "Ce qui change"),
    "notifications": ("Benachrichtigungen filtern", "Filtrer les notifications"),  # not the same word in English
    "project-documents": ("Dokumente filtern", "Filtrer les documents"),
    "document-detail": ("Versionsverlauf", "Historique des versions"),
    "project-status-report": ("Bewertungen und Gründe", "Scores et raisons"),
    "survey-answer": ("Meine Antworten senden", "Envoyer mes réponses"),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_client_page_renders_in_german_and_french(world, client, language):
    """Each page a client approver can open answers in the chosen language (none breaks on a translated string);
    the pages translated so far show their own words in it."""
    from tests.browser.test_phone_layout import CLIENT_PAGES, PAGE_QUERIES
    from tests.test_invisibility import ROUTES, _build_shared

    shared = _build_shared(world)
    _set_language(world.approver_a, language)
    client.force_login(world.approver_a)
    menu = {"de": "Meine Projekte", "fr": "Mes projets"}[language]
    for name in CLIENT_PAGES:
        route = ROUTES[name]
        url = reverse(name, kwargs=route.kwargs(shared) if route.kwargs else None) + PAGE_QUERIES.get(name, "")
        response = client.get(url)
        body = response.content.decode()
        assert response.status_code == 200, name
        assert f'<html lang="{language}">' in body, name
        assert menu in body, name
        if name in TRANSLATED_CLIENT_PAGES:
            words = TRANSLATED_CLIENT_PAGES[name][LANGUAGES.index(language)]
            assert words in body, (name, words)
    pdf = client.get(reverse("project-status-report-pdf", kwargs={"pk": shared.project.pk}))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
