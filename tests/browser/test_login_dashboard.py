import pytest

from tests.browser.conftest import login
from tests.clients.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_client_user_logs_in_and_sees_exactly_their_projects(world, live_server, page, screenshot):
    login(page, live_server, "viewer_a", PASSWORD)

    assert page.url.endswith("/dashboard/")
    codes = page.locator("table.table tbody a.code").all_inner_texts()
    assert codes == [world.project_a.code]
    body = page.content()
    assert world.project_b.code not in body
    assert world.client_b.name not in body
    screenshot("client-dashboard")
    assert page.console_errors == []  # no CSP violation, no script error


def test_wrong_password_keeps_the_user_on_the_login_page(world, live_server, page, screenshot):
    login(page, live_server, "viewer_a", "not-the-password")
    assert "/accounts/login/" in page.url
    assert page.locator(".error").is_visible()
    screenshot("login-error")
