"""One bad e-mail never blocks or repeats the others (issue 12 item 3)."""

import pytest
from django.core import mail

from clients.models import User
from projects.issues import services as issue_services
from projects.notifications.models import Notification
from projects.notifications.services import MAX_EMAIL_ATTEMPTS, notify, send_emails

pytestmark = pytest.mark.django_db


def test_a_newline_in_a_client_issue_title_is_mailed_on_one_line(world):
    issue_services.issue_raise(actor=world.viewer_a, project=world.project_a, title="a\nb")
    assert send_emails() >= 1
    assert any(m.subject.endswith("raised an issue — a b.") for m in mail.outbox)
    assert all("\n" not in m.subject for m in mail.outbox)


def test_a_poisoned_message_is_counted_and_the_others_go_once(world):
    poisoned = world.viewer_b
    User.objects.filter(pk=poisoned.pk).update(email="victim@example.com\nBcc: evil@example.com")
    notify(recipients=[world.pm, poisoned, world.approver_a], kind="test", project=world.project_a, text="Hello")
    assert send_emails() == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([world.pm.email, world.approver_a.email])
    assert send_emails() == 0  # the two are never sent again
    assert len(mail.outbox) == 2
    stuck = Notification.objects.get(recipient=poisoned)
    assert (stuck.emailed_at, stuck.email_attempts) == (None, 2)
    for _ in range(MAX_EMAIL_ATTEMPTS):
        send_emails()
    assert Notification.objects.get(recipient=poisoned).email_attempts == MAX_EMAIL_ATTEMPTS  # then it stops
