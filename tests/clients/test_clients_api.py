"""Onboarding through the API (issue 12, item 10): administrators create, rename and (de)activate clients."""

import pytest
from django.urls import reverse
from pghistory.models import Events

from clients.models import Client
from tests.conftest import api_as

LIST = "api:client-list"


def detail(client) -> str:
    return reverse("api:client-detail", kwargs={"pk": client.pk})


def events_of(client) -> list:
    return [e for e in Events.objects.references([client]).order_by("pgh_created_at") if e.pgh_label == "update"]


def test_an_admin_onboards_a_client_who_then_appears_in_the_list(world):
    response = api_as(world.admin).post(
        reverse(LIST), {"name": "Cascade Biologics", "slug": "cascade-bio"}, format="json"
    )

    assert response.status_code == 201, response.content
    created = Client.objects.get(slug="cascade-bio")
    assert response.json() == {"id": created.pk, "name": "Cascade Biologics", "slug": "cascade-bio", "active": True}
    listed = api_as(world.admin).get(reverse(LIST), {"slug": "cascade-bio"}).json()["results"]
    assert [c["name"] for c in listed] == ["Cascade Biologics"]


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": "Another Aurora", "slug": "aurora-test"}, "slug"),  # the slug of client A
        ({"name": "Aurora Test Bio", "slug": "aurora-two"}, "name"),  # the name of client A
        ({"name": "Bad slug", "slug": "not a slug!"}, "slug"),
        ({"name": "", "slug": "empty-name"}, "name"),
        ({"slug": "no-name"}, "name"),
    ],
)
def test_a_duplicate_or_invalid_client_is_a_400_with_the_field_and_nothing_is_written(world, payload, field):
    before = Client.objects.count()
    response = api_as(world.admin).post(reverse(LIST), payload, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert Client.objects.count() == before


def test_an_admin_renames_a_client_with_a_reason_recorded_in_the_audit_trail(world):
    response = api_as(world.admin).patch(
        detail(world.client_a), {"name": "Aurora Biologics", "reason": "Company renamed"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Aurora Biologics"
    world.client_a.refresh_from_db()
    assert (world.client_a.name, world.client_a.slug) == ("Aurora Biologics", "aurora-test")  # the slug stays
    (event,) = events_of(world.client_a)
    assert event.pgh_context["reason"] == "Company renamed"
    assert event.pgh_context["user"] == world.admin.pk


def test_a_change_without_a_reason_is_refused_and_an_unchanged_patch_writes_nothing(world):
    api = api_as(world.admin)
    refused = api.patch(detail(world.client_a), {"active": False}, format="json")
    assert refused.status_code == 400
    assert "reason" in refused.json()
    unchanged = api.patch(detail(world.client_a), {"name": world.client_a.name, "active": True}, format="json")
    assert unchanged.status_code == 200
    world.client_a.refresh_from_db()
    assert world.client_a.active is True
    assert events_of(world.client_a) == []


def test_renaming_to_another_clients_name_is_a_400_on_name(world):
    response = api_as(world.admin).patch(
        detail(world.client_a), {"name": world.client_b.name, "reason": "Typo"}, format="json"
    )
    assert response.status_code == 400
    assert "name" in response.json()
    world.client_a.refresh_from_db()
    assert world.client_a.name == "Aurora Test Bio"


def test_a_deactivated_client_s_users_see_nothing_and_reactivation_restores_it(world):
    viewer = api_as(world.viewer_a)
    assert viewer.get(reverse("api:project-list")).json()["count"] == 1

    response = api_as(world.admin).patch(
        detail(world.client_a), {"active": False, "reason": "Contract ended"}, format="json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["active"] is False
    assert viewer.get(reverse("api:project-list")).json()["count"] == 0
    assert viewer.get(detail(world.client_a)).status_code == 404
    api_as(world.admin).patch(detail(world.client_a), {"active": True, "reason": "Contract renewed"}, format="json")
    assert viewer.get(reverse("api:project-list")).json()["count"] == 1


@pytest.mark.parametrize("role", ["pm", "leadership", "viewer_a", "approver_a"])
def test_only_administrators_create_or_change_clients(world, role):
    api = api_as(getattr(world, role))
    assert api.post(reverse(LIST), {"name": "Sneaky", "slug": "sneaky"}, format="json").status_code == 403
    assert api.patch(detail(world.client_a), {"name": "Renamed", "reason": "why not"}, format="json").status_code == 403
    assert not Client.objects.filter(slug="sneaky").exists()
    world.client_a.refresh_from_db()
    assert world.client_a.name == "Aurora Test Bio"


def test_an_outsider_neither_sees_nor_changes_another_client(world):
    viewer = api_as(world.viewer_a)
    assert viewer.get(detail(world.client_b)).status_code == 404
    assert [c["slug"] for c in viewer.get(reverse(LIST)).json()["results"]] == ["aurora-test"]
    # A client user may not change clients at all: 403 whichever id, so the answer reveals nothing.
    assert viewer.patch(detail(world.client_b), {"active": False, "reason": "x"}, format="json").status_code == 403
    assert viewer.patch(detail(world.client_a), {"active": False, "reason": "x"}, format="json").status_code == 403
    world.client_b.refresh_from_db()
    assert world.client_b.active is True


def test_clients_are_never_deleted_or_replaced_through_the_api(world):
    api = api_as(world.admin)
    assert api.delete(detail(world.client_a)).status_code == 405
    assert api.put(detail(world.client_a), {"name": "X", "slug": "x", "active": True}, format="json").status_code == 405
    assert Client.objects.filter(pk=world.client_a.pk).exists()
