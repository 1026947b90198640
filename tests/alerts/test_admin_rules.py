"""Editing a rule in the Django admin goes through rule_update: the version rises, the edit
is audited, and an unchanged save makes no new version."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from alerts.models import WarningRule
from core.models import AuditEvent

from .conftest import rule

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_adam(client, adam):
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    adam.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="alerts", codename__endswith="warningrule"
        )
    )
    client.force_login(adam)
    return client


def _form_data(client, url) -> dict:
    form = client.get(url).context["adminform"].form
    # What the browser would post back: each field as the form rendered it.
    return {name: form[name].value() for name in form.fields if form[name].value() is not None}


def test_an_admin_edit_raises_the_version_once(admin_adam, north, adam):
    sleep = rule(north, "irregular_sleep")
    url = f"/admin/alerts/warningrule/{sleep.pk}/change/"

    unchanged = admin_adam.post(url, _form_data(admin_adam, url))
    assert unchanged.status_code == 302, unchanged.content
    assert WarningRule.objects.get(pk=sleep.pk).version == 1

    data = _form_data(admin_adam, url) | {"min_events_per_window": 4}
    response = admin_adam.post(url, data)
    assert response.status_code == 302, response.content
    sleep.refresh_from_db()
    assert (sleep.min_events_per_window, sleep.version, sleep.updated_by) == (4, 2, adam)
    audit = AuditEvent.objects.get(action="rule.update", object_id=sleep.pk)
    # The description is generated from the settings, so it changes with them.
    assert audit.detail == {"fields": ["description", "min_events_per_window"], "version": 2}
    assert "at least 4 days" in sleep.description
