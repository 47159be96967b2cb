import datetime as dt
import smtplib
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend

from metrics.periodic_runs.models import PeriodicRun
from metrics.periodic_runs.services import iso_week_start
from metrics.portfolio.digest import weekly_digest_send
from metrics.scores import services
from metrics.tasks import send_weekly_digest
from tests.clients.factories import ClientUserFactory
from tests.projects.factories import ProjectFactory

NOW = dt.datetime(2026, 11, 23, 7, 0, tzinfo=dt.UTC)


def test_weekly_digest_goes_to_leadership_and_clients_with_their_own_projects_only(world):
    services.scores_recompute(now=NOW)
    assert weekly_digest_send(now=NOW) >= 3
    by_recipient = {m.to[0]: m.body for m in mail.outbox}
    lead = by_recipient[world.leadership.email]
    assert world.project_a.code in lead
    assert world.project_b.code in lead
    client_a = by_recipient[world.viewer_a.email]
    assert world.project_a.code in client_a
    assert world.project_b.code not in client_a
    assert world.client_b.name not in client_a
    assert "CPI" not in client_a  # no internal cost figures
    assert world.pm.email not in by_recipient  # PMs work in the portal daily
    assert world.project_a.code not in by_recipient[world.viewer_b.email]


# --- Once per ISO week, whatever the number of dispatches (issue 12, item 5) ------------------------------------


class BrokenMailServer(BaseEmailBackend):
    """A mail server that refuses every message (the SMTP server is down)."""

    def send_messages(self, email_messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


def test_two_dispatches_of_the_digest_in_one_week_send_one_digest_per_recipient(world):
    services.scores_recompute(now=NOW)

    sent = weekly_digest_send(now=NOW)
    again = weekly_digest_send(now=NOW + dt.timedelta(seconds=3))  # the second dispatch of the issue
    later_that_week = weekly_digest_send(now=NOW + dt.timedelta(days=4))

    recipients = [m.to[0] for m in mail.outbox]
    assert sent == len(recipients) >= 3
    assert sorted(recipients) == sorted(set(recipients))  # nobody got it twice
    assert again is None
    assert later_that_week is None
    assert list(PeriodicRun.objects.values_list("job", "period_start")) == [
        ("weekly_digest", dt.datetime(2026, 11, 23, tzinfo=dt.UTC))
    ]
    # The next week's digest goes out again.
    assert weekly_digest_send(now=NOW + dt.timedelta(days=7)) == sent
    assert len(mail.outbox) == 2 * sent


def test_a_digest_that_could_not_be_sent_does_not_use_up_its_week(world, settings):
    settings.EMAIL_BACKEND = f"{__name__}.BrokenMailServer"
    with pytest.raises(smtplib.SMTPException):
        weekly_digest_send(now=NOW)
    assert not PeriodicRun.objects.exists()

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert weekly_digest_send(now=NOW + dt.timedelta(minutes=5)) == len(mail.outbox) >= 3  # the retry sends


def test_weeks_are_iso_weeks_in_utc():
    sunday_night = dt.datetime(2026, 11, 29, 23, 59, tzinfo=dt.UTC)
    monday_in_new_york = dt.datetime(2026, 11, 30, 1, 0, tzinfo=ZoneInfo("America/New_York"))  # 06:00 UTC Monday
    assert iso_week_start(sunday_night) == dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    assert iso_week_start(monday_in_new_york) == dt.datetime(2026, 11, 30, tzinfo=dt.UTC)
    assert iso_week_start(NOW) == iso_week_start(NOW + dt.timedelta(days=6, hours=16))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_digest_task_dispatched_twice_to_a_real_worker_sends_once(celery_worker):
    project = ProjectFactory()
    ClientUserFactory(client=project.client)

    first = send_weekly_digest.delay().get(timeout=90)
    second = send_weekly_digest.delay().get(timeout=90)

    assert first == 1  # the client user's digest
    assert second is None
    assert PeriodicRun.objects.filter(job="weekly_digest").count() == 1
