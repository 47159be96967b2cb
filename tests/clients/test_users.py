import pytest
from django.db import IntegrityError
from django.urls import reverse

from clients.models import Role, User
from tests.clients.factories import PASSWORD, ClientFactory
from tests.conftest import api_as


@pytest.mark.django_db
def test_client_user_without_client_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        User.objects.create(username="orphan", role=Role.CLIENT_VIEWER, client=None)


@pytest.mark.django_db
def test_staff_user_with_a_client_is_refused_by_the_database():
    with pytest.raises(IntegrityError):
        User.objects.create(username="confused", role=Role.PROJECT_MANAGER, client=ClientFactory())


def test_admin_creates_a_client_user_through_the_api(world):
    response = api_as(world.admin).post(
        reverse("api:user-list"),
        {
            "username": "new.viewer",
            "role": "client_viewer",
            "client": world.client_a.pk,
            "password": "A-strong-pass-42",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    created = User.objects.get(username="new.viewer")
    assert created.client == world.client_a
    assert created.check_password("A-strong-pass-42")


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"username": "x1", "role": "wizard"}, "role"),
        ({"username": "x2", "role": "client_approver"}, "client"),
        ({"username": "x3", "role": "leadership", "client": "CLIENT"}, "client"),
        ({"username": "x4", "role": "client_viewer", "client": "CLIENT", "password": "123"}, "password"),
    ],
)
def test_users_api_answers_bad_input_with_a_field_map(world, payload, field):
    payload = {k: (world.client_a.pk if v == "CLIENT" else v) for k, v in payload.items()}
    before = User.objects.count()
    response = api_as(world.admin).post(reverse("api:user-list"), payload, format="json")
    assert response.status_code == 400
    assert field in response.json(), response.json()
    assert User.objects.count() == before


def test_only_admins_manage_users(world):
    for user in (world.pm, world.leadership, world.approver_a):
        response = api_as(user).post(reverse("api:user-list"), {"username": "x", "role": "admin"}, format="json")
        assert response.status_code == 403


def test_me_describes_the_caller(world):
    data = api_as(world.viewer_a).get(reverse("api:user-me")).json()
    assert data["username"] == "viewer_a"
    assert data["role"] == "client_viewer"
    assert data["client"]["name"] == world.client_a.name


def test_token_auth_round_trip(world, api):
    response = api.post(reverse("api:token"), {"username": "viewer_a", "password": PASSWORD}, format="json")
    assert response.status_code == 200
    token = response.json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(reverse("api:project-list")).json()["count"] == 1


def test_wrong_credentials_do_not_reveal_whether_the_user_exists(world, api):
    wrong_password = api.post(reverse("api:token"), {"username": "viewer_a", "password": "nope"}, format="json")
    unknown_user = api.post(reverse("api:token"), {"username": "ghost", "password": "nope"}, format="json")
    assert wrong_password.status_code == unknown_user.status_code == 400
    assert wrong_password.json() == unknown_user.json()
    assert "Unable to log in" in wrong_password.json()["non_field_errors"][0]


def test_token_request_without_fields_gives_field_map(api, db):
    response = api.post(reverse("api:token"), {}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"username", "password"}
