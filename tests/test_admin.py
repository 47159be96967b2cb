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
