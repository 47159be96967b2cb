"""Hostile bodies get a clear 4xx, never a 500 (issue 12 item 7)."""

import json

import pytest
from django.urls import reverse

from tests.conftest import api_as

pytestmark = pytest.mark.django_db


def test_deeply_nested_json_on_the_token_endpoint_is_a_400(client):
    body = "[" * 100_000 + "]" * 100_000
    response = client.post(reverse("api:token"), body, content_type="application/json")
    assert response.status_code == 400
    assert "nested" in response.json()["detail"]


def test_a_megabyte_body_is_refused_and_writes_nothing(world):
    from projects.issues.models import Issue

    before = Issue.objects.count()
    response = api_as(world.viewer_a).post(
        reverse("api:issue-list"),
        json.dumps({"project": world.project_a.pk, "title": "Big", "description": "x" * 1_000_000}),
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Issue.objects.count() == before


def test_rebaseline_answers_alike_for_a_missing_and_another_clients_project(world):
    """Issue 12 item 9: no existence oracle."""
    api = api_as(world.pm)
    url = reverse("api:baseline-rebaseline")
    missing = api.post(url, {"project": 987654321, "reason": "x"}, format="json")
    api_b = api_as(world.approver_a)
    other = api_b.post(url, {"project": world.project_b.pk, "reason": "x"}, format="json")
    mine_missing = api_b.post(url, {"project": 987654321, "reason": "x"}, format="json")
    assert missing.status_code == 404
    assert other.status_code == mine_missing.status_code
    assert other.json() == mine_missing.json()
