"""``clients.access.client_reader``: the one stand-in for "what this client's users see", used by the status report
issued to the client and by the payloads of the client's webhook endpoints."""

import pytest
from django.apps import apps

from clients import access
from clients.access import ScopedQuerySet
from integrations.payloads import viewer_for
from metrics.status_report import services as status_report_services
from tests.projects.factories import MilestoneFactory

pytestmark = pytest.mark.django_db


def scoped_models():
    """Every model whose reads go through the one access rule, but a person's own records (``owner_path``: their
    account, notifications, links), which are nobody else's to read."""
    return [
        m
        for m in apps.get_models()
        if isinstance(m._default_manager.all(), ScopedQuerySet) and not m._default_manager.all().owner_path
    ]


def test_the_reader_reads_exactly_what_each_of_the_clients_users_reads(world, records_b):
    MilestoneFactory(project=world.project_b, name="Borealis internal step", client_visible=False)
    reader = access.client_reader(world.client_b)
    assert reader.pk is None  # never saved, never logged in
    assert (reader.client, reader.is_active) == (world.client_b, True)
    assert access.is_client_user(reader)
    assert not access.can_sign_for_client(reader, world.project_b)  # the least privileged client role
    assert not access.can_edit_project(reader, world.project_b)
    compared = 0
    for model in scoped_models():
        seen = set(model._default_manager.all().for_user(reader).values_list("pk", flat=True))
        for person in (world.approver_b, world.viewer_b):
            assert seen == set(model._default_manager.all().for_user(person).values_list("pk", flat=True)), model
        compared += bool(seen)
    assert compared >= 5  # projects, milestones and the constraint records: not an empty comparison


def test_the_status_report_and_the_webhooks_read_as_the_same_reader(world):
    from integrations import payloads

    assert payloads.access.client_reader is access.client_reader
    assert status_report_services.access.client_reader is access.client_reader
    webhook = viewer_for(world.client_a)
    reader = access.client_reader(world.client_a)
    assert (webhook.role, webhook.client, webhook.username) == (reader.role, reader.client, reader.username)
    assert viewer_for(None).role == "leadership"  # the CMO's endpoints read everything
