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
