from django.urls import reverse

from tests.clients.factories import PASSWORD


def test_login_lands_client_users_on_their_dashboard(world, client):
    response = client.post(reverse("login"), {"username": "viewer_a", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("dashboard")
    assert world.project_a.code in response.content.decode()


def test_login_lands_staff_on_the_project_list(world, client):
    response = client.post(reverse("login"), {"username": "pm", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("project-list")
    body = response.content.decode()
    assert world.project_a.code in body
    assert world.project_b.code in body


def test_wrong_password_shows_a_form_error(world, client):
    response = client.post(reverse("login"), {"username": "viewer_a", "password": "wrong"})
    assert response.status_code == 200
    assert "correct username and password" in response.content.decode()


def test_logout_ends_the_session(world, client):
    client.force_login(world.viewer_a)
    client.post(reverse("logout"))
    assert client.get(reverse("dashboard")).status_code == 302


def test_password_change(world, client):
    client.force_login(world.viewer_a)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Brand-new-pass-77", "new_password2": "Brand-new-pass-77"},
    )
    assert response.status_code == 302
    world.viewer_a.refresh_from_db()
    assert world.viewer_a.check_password("Brand-new-pass-77")


def test_staff_get_404_on_the_client_dashboard(world, client):
    client.force_login(world.pm)
    assert client.get(reverse("dashboard")).status_code == 404


def test_dashboard_lists_change_requests_awaiting_the_clients_decision(world, client):
    from projects.change_requests import services as change_request_services

    change = change_request_services.change_request_create(
        actor=world.pm, project=world.project_a, title="Add a PPQ batch"
    )
    client.force_login(world.approver_a)
    assert "Add a PPQ batch" not in client.get(reverse("dashboard")).content.decode()  # drafts are the CMO's
    change_request_services.change_request_submit(actor=world.pm, change=change)
    page = client.get(reverse("dashboard")).content.decode()
    assert "Add a PPQ batch" in page
    assert "Review and sign" in page
    client.force_login(world.viewer_b)
    assert "Add a PPQ batch" not in client.get(reverse("dashboard")).content.decode()


def test_repeated_wrong_passwords_lock_the_login(world, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "viewer_a", "password": "wrong"})
    locked = client.post(reverse("login"), {"username": "viewer_a", "password": PASSWORD})
    assert locked.status_code in (403, 429)
    assert "_auth_user_id" not in client.session
