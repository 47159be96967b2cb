"""Tamper evidence: a superuser who deletes or alters one audit event is caught by ``audit_verify`` (issue 11).

The application role cannot do this at all (tests/test_db_roles.py); a superuser can, so the chain makes
it detectable, naming the event.
"""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cmo_portal.audit_chain import audit_seal, audit_verify, chain_head
from cmo_portal.models import AuditChainLink
from projects.milestones import services as milestone_services

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sealed(world):
    for percent in (10, 20, 30):
        milestone_services.milestone_update(actor=world.pm, milestone=world.milestone_a, percent_complete=percent)
    assert audit_seal() > 0
    assert audit_verify().ok
    return world


def milestone_events(world) -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pgh_id FROM projects_milestoneevent WHERE pgh_obj_id = %s ORDER BY pgh_id", [world.milestone_a.pk]
        )
        return [row[0] for row in cursor.fetchall()]


def as_superuser(sql: str, params=None) -> None:
    """What someone with a psql prompt can do: switch triggers off for the session and write."""
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        try:
            cursor.execute(sql, params)
        finally:
            cursor.execute("SET session_replication_role = DEFAULT")


def test_an_intact_trail_verifies_and_the_command_exits_zero(sealed, capsys):
    call_command("audit_verify")
    assert "Audit chain intact" in capsys.readouterr().out
    count, head = chain_head()
    assert count > 0
    assert len(head) == 64
    assert audit_seal() == 0  # nothing new: sealing again adds nothing


def test_deleting_one_event_is_detected_and_named(sealed):
    victim = milestone_events(sealed)[1]
    as_superuser("DELETE FROM projects_milestoneevent WHERE pgh_id = %s", [victim])
    report = audit_verify()
    assert not report.ok
    assert report.problem == f"audit event projects_milestoneevent #{victim} was deleted"
    with pytest.raises(CommandError, match=f"projects_milestoneevent #{victim}"):
        call_command("audit_verify")


def test_altering_one_event_is_detected_and_named(sealed):
    victim = milestone_events(sealed)[0]
    as_superuser("UPDATE projects_milestoneevent SET percent_complete = 99 WHERE pgh_id = %s", [victim])
    report = audit_verify()
    assert report.problem == f"audit event projects_milestoneevent #{victim} was altered"


def test_rewriting_who_and_why_is_detected(sealed):
    victim = milestone_events(sealed)[-1]  # made by a service: it carries its who/why context
    with connection.cursor() as cursor:
        cursor.execute("SELECT pgh_context_id FROM projects_milestoneevent WHERE pgh_id = %s", [victim])
        context_id = cursor.fetchone()[0]
    assert context_id is not None
    as_superuser(
        """UPDATE pghistory_context SET metadata = '{"user": 999999, "reason": "forged"}' WHERE id = %s""",
        [context_id],
    )
    report = audit_verify()
    assert not report.ok
    assert "was altered" in report.problem


def test_deleting_a_link_or_recomputing_one_breaks_the_chain(sealed):
    link = AuditChainLink.objects.order_by("pk")[1]
    as_superuser("DELETE FROM cmo_portal_auditchainlink WHERE id = %s", [link.pk])
    report = audit_verify()
    assert not report.ok
    assert "breaks the chain" in report.problem or "never sealed" in report.problem


def test_links_cannot_be_changed_through_the_application(sealed):
    from django.db import InternalError

    link = AuditChainLink.objects.order_by("pk").first()
    with pytest.raises(InternalError):
        AuditChainLink.objects.filter(pk=link.pk).update(chain_hash="0" * 64)


def test_the_audit_report_shows_the_chain_head(sealed, client):
    client.force_login(sealed.pm)
    page = client.get(f"/projects/{sealed.project_a.pk}/audit/").content.decode()
    count, head = chain_head()
    assert head in page
    assert f"{count} events sealed" in page
