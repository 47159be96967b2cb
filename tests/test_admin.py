"""Every model registered in the admin opens (changelist and add form) for an administrator."""

import pytest
from django.contrib import admin
from django.urls import reverse


@pytest.mark.parametrize(
    "model", sorted(admin.site._registry, key=lambda m: m._meta.label), ids=lambda m: m._meta.label
)
def test_admin_pages_open(world, client, model):
    client.force_login(world.admin)
    opts = model._meta
    assert client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")).status_code == 200
    add = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert add.status_code in (200, 403)  # 403 where the admin disallows adding (e.g. audit events)


def test_admin_never_deletes_a_tracked_record(world, rf):
    """Every audited model registered in the admin refuses deletion (archive instead); issue 11, finding 7."""
    from django.contrib import admin

    request = rf.get("/admin/")
    request.user = world.admin
    tracked = [m for m in admin.site._registry if hasattr(m, "pgh_event_model")]
    assert {m._meta.label for m in tracked} >= {"projects.Project", "clients.User", "clients.Client"}
    for model in tracked:
        model_admin = admin.site._registry[model]
        assert not model_admin.has_delete_permission(request), model._meta.label
        assert "delete_selected" not in model_admin.get_actions(request), model._meta.label


# --- Admin edits of tracked records need a reason (issue 11, finding 4) ----------------------------------------

#: One field an administrator changes on each tracked model's admin page, and the value.
ADMIN_CHANGES = {
    "clients.Client": ("name", "Aurora Biologics GmbH"),
    "clients.User": ("full_name", "Pat Manager-Lee"),
    "clients.PMCertification": ("issued", "2024-02-01"),
    "projects.Project": ("name", "Aurora renamed"),
    "projects.ProjectTemplate": ("description", "Updated best practice"),
    "projects.MilestoneTemplate": ("name", "Renamed step"),
    "clients.SecurityPolicy": ("require_2fa_client_approver", "True"),  # issue 15: who must use two-factor
    "integrations.WebhookEndpoint": ("name", "Aurora ERP (production)"),
    "sso.OidcProvider": ("oidc_client_id", "portal-aurora-2"),  # issue 15: single sign-on
}


def tracked_admin_models():
    return sorted((m for m in admin.site._registry if hasattr(m, "pgh_event_model")), key=lambda m: m._meta.label)


def admin_instance(world, label):
    from tests.metrics.factories import certification
    from tests.projects.factories import MilestoneTemplateFactory

    if label == "clients.PMCertification":
        return certification(world)
    if label == "projects.MilestoneTemplate":
        return MilestoneTemplateFactory(template=world.template)
    if label == "clients.SecurityPolicy":
        from clients.models import SecurityPolicy

        return SecurityPolicy.objects.get_or_create(pk=1)[0]
    if label == "integrations.WebhookEndpoint":
        from integrations.services import webhook_endpoint_create

        return webhook_endpoint_create(
            actor=world.admin,
            client=world.client_a,
            name="Aurora ERP",
            url="https://hooks.aurora.example/",
            events=["milestone.completed"],
        )[0]
    if label == "sso.OidcProvider":
        from sso.models import OidcProvider, SsoDomain

        provider = OidcProvider.objects.create(
            client=world.client_a,
            issuer="https://login.aurora.example",
            oidc_client_id="portal-aurora",
            oidc_client_secret="secret-1234",
        )
        SsoDomain.objects.create(provider=provider, domain="aurora.example")
        return provider
    return {
        "clients.Client": world.client_a,
        "clients.User": world.pm,
        "projects.Project": world.project_a,
        "projects.ProjectTemplate": world.template,
    }[label]


def test_every_tracked_model_in_the_admin_has_a_reason_scenario():
    """A new audited model registered in the admin must be added to ADMIN_CHANGES (and so be tested below)."""
    assert {m._meta.label for m in tracked_admin_models()} == set(ADMIN_CHANGES)


def last_event(record):
    return record.pgh_event_model.objects.filter(pgh_obj_id=record.pk).order_by("-pgh_id").first()


@pytest.mark.parametrize("label", sorted(ADMIN_CHANGES))
def test_an_admin_edit_needs_a_reason_and_the_trail_keeps_it(world, client, label):
    from django.apps import apps

    from tests.test_round_trip import audit_event_total, everything_written, form_on_page, record_state

    model = apps.get_model(label)
    record = admin_instance(world, label)
    field, value = ADMIN_CHANGES[label]
    client.force_login(world.admin)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_change", args=[record.pk])
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="reason"' in html, f"{label}: the change page asks for no reason"
    data = form_on_page(html, action="")
    data.pop("_addanother", None), data.pop("_continue", None)
    state, rows, events = record_state(record), everything_written(), audit_event_total()

    unchanged = client.post(url, data)
    assert unchanged.status_code == 302, unchanged.content.decode()[:2000]
    assert record_state(record) == state
    assert everything_written() == rows
    assert audit_event_total() == events

    no_reason = client.post(url, {**data, field: [value]})
    assert no_reason.status_code == 200
    assert "Say why" in no_reason.content.decode()
    assert record_state(record) == state
    assert everything_written() == rows
    assert audit_event_total() == events

    with_reason = client.post(url, {**data, field: [value], "reason": ["Client asked for the change (ticket 42)"]})
    assert with_reason.status_code == 302, with_reason.content.decode()[:2000]
    assert str(record_state(record)[field]) == value
    event = last_event(record)
    assert event.pgh_label == "update"
    assert str(getattr(event, field)) == value
    metadata = event.pgh_context.metadata
    assert metadata["reason"] == "Client asked for the change (ticket 42)"
    assert metadata["channel"] == "admin"
    assert metadata["username"] == world.admin.username


def test_an_inline_row_changed_in_the_admin_needs_the_reason_too(world, client):
    from projects.plan_templates.models import MilestoneTemplate
    from tests.projects.factories import MilestoneTemplateFactory
    from tests.test_round_trip import form_on_page

    step = MilestoneTemplateFactory(template=world.template, name="Process transfer")
    client.force_login(world.admin)
    url = reverse("admin:projects_projecttemplate_change", args=[world.template.pk])
    data = form_on_page(client.get(url).content.decode(), action="")
    index = next(k.split("-")[1] for k, v in data.items() if k.endswith("-id") and v == [str(step.pk)])
    renamed = {**data, f"milestones-{index}-name": ["Process transfer (2 sites)"]}

    refused = client.post(url, renamed)
    assert refused.status_code == 200
    assert "Say why" in refused.content.decode()
    assert MilestoneTemplate.objects.get(pk=step.pk).name == "Process transfer"

    accepted = client.post(url, {**renamed, "reason": ["Second site qualified"]})
    assert accepted.status_code == 302, accepted.content.decode()[:2000]
    event = last_event(step)
    assert event.pgh_label == "update"
    assert event.name == "Process transfer (2 sites)"
    assert event.pgh_context.metadata["reason"] == "Second site qualified"


def test_no_inline_of_a_tracked_model_deletes_rows(world, rf):
    request = rf.get("/admin/")
    request.user = world.admin
    for _model, model_admin in admin.site._registry.items():
        for inline in model_admin.get_inline_instances(request):
            if hasattr(inline.model, "pgh_event_model"):
                assert not inline.has_delete_permission(request), inline.model._meta.label


def test_a_user_deactivated_in_the_admin_loses_tokens_and_calendar_links_at_once(world, client):
    from rest_framework.authtoken.models import Token

    from clients.models import CalendarFeedToken
    from tests.test_round_trip import form_on_page

    Token.objects.create(user=world.viewer_a)
    CalendarFeedToken.objects.create(user=world.viewer_a, token_hash="a" * 64)
    client.force_login(world.admin)
    url = reverse("admin:clients_user_change", args=[world.viewer_a.pk])
    data = form_on_page(client.get(url).content.decode(), action="")
    data.pop("is_active", None)  # the box unticked
    response = client.post(url, {**data, "reason": ["Left Aurora Biologics"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    world.viewer_a.refresh_from_db()
    assert not world.viewer_a.is_active
    assert not Token.objects.filter(user=world.viewer_a).exists()
    assert not CalendarFeedToken.objects.filter(user=world.viewer_a, revoked_at__isnull=True).exists()
