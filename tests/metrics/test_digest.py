import datetime as dt

from django.core import mail

from metrics.portfolio.digest import weekly_digest_send
from metrics.scores import services

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
