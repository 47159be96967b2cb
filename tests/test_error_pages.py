"""Users meet the portal's own error pages, under the test settings and under `make run`'s settings."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import reverse
from django.views import defaults

from cmo_portal import errors

ROOT = Path(__file__).resolve().parent.parent
DEBUG_PAGE_MARKERS = ("URLconf", "Django tried these URL patterns", "DEBUG = True", "Traceback")


def assert_portal_page(body: str, title: str) -> None:
    assert f"<h1>{title}</h1>" in body
    assert "◆</span> CMO Portal" in body, "the portal's top bar"
    assert "css/portal.css" in body, "the portal's look"
    for marker in DEBUG_PAGE_MARKERS:
        assert marker not in body


@pytest.mark.django_db
def test_a_client_opening_another_clients_project_gets_the_portals_404(world, client):
    client.force_login(world.viewer_a)

    response = client.get(reverse("project-detail", args=[world.project_b.pk]))

    assert response.status_code == 404
    assert "404.html" in [t.name for t in response.templates]
    body = response.content.decode()
    assert_portal_page(body, "Page not found")
    assert world.viewer_a.display_name in body, "the page keeps the user's own top bar"
    for secret in (world.project_b.code, world.project_b.name, world.client_b.name):
        assert secret not in body


@pytest.mark.django_db
def test_an_unknown_page_gets_the_portals_404_and_an_unknown_api_path_json(client):
    page = client.get("/no-such-page/")
    assert page.status_code == 404
    assert_portal_page(page.content.decode(), "Page not found")

    api = client.get("/api/no-such-endpoint/")
    assert (api.status_code, api.json()) == (404, {"detail": "Not found."})


@pytest.mark.django_db
def test_permission_denied_renders_the_portals_403_with_the_reason(world):
    request = RequestFactory().get("/projects/1/")
    request.user = world.viewer_a

    response = defaults.permission_denied(request, PermissionDenied("Only approvers sign for the client."))

    assert response.status_code == 403
    body = response.content.decode()
    assert_portal_page(body, "Not allowed")
    assert "Only approvers sign for the client." in body


def test_a_server_error_renders_the_portals_500_without_touching_the_database():
    # No database fixture: the 500 page must render even when the database is what failed.
    response = errors.server_error(RequestFactory().get("/projects/1/"))

    assert response.status_code == 500
    assert_portal_page(response.content.decode(), "Something went wrong")


def test_a_bad_request_renders_the_portals_400():
    response = defaults.bad_request(RequestFactory().get("/"), Exception("bad"))

    assert response.status_code == 400
    assert_portal_page(response.content.decode(), "Bad request")


RUN_CONFIGURATION_PROBE = """
import json
import django
django.setup()
from django.conf import settings
from django.test import Client
client = Client()
page = client.get("/no-such-page/")
css = client.get("/static/css/portal.css")
htmx = client.get("/static/django_htmx/htmx-2.min.js")
print(json.dumps({
    "debug": settings.DEBUG,
    "page_status": page.status_code,
    "page": page.content.decode(),
    "css_status": css.status_code,
    "htmx_status": htmx.status_code,
}))
"""


def test_make_run_settings_serve_the_portals_404_and_the_static_files():
    # Given: the settings `make run` uses (manage.py's default), with no DJANGO_DEBUG in the environment.
    assert "runserver" in (ROOT / "Procfile").read_text()
    assert 'setdefault("DJANGO_SETTINGS_MODULE", "cmo_portal.settings.dev")' in (ROOT / "manage.py").read_text()
    environment = {k: v for k, v in os.environ.items() if k != "DJANGO_DEBUG"}
    environment["DJANGO_SETTINGS_MODULE"] = "cmo_portal.settings.dev"

    # When: a visitor opens a page that does not exist, and the page's stylesheet and script.
    probe = subprocess.run(
        [sys.executable, "-c", RUN_CONFIGURATION_PROBE],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result = json.loads(probe.stdout.strip().splitlines()[-1])

    # Then: the portal's own 404 page, not Django's debug page listing every URL; static files still served.
    assert result["debug"] is False
    assert result["page_status"] == 404
    assert_portal_page(result["page"], "Page not found")
    assert (result["css_status"], result["htmx_status"]) == (200, 200)
