"""Tenancy for every admin page of a school-scoped model, read from admin.site._registry.

adam is a school admin at school A and a Django staff user with every model permission (from
a Group, the way a deployment would grant them). For each registered model that belongs to a
school: his change list shows A's row and never B's; B's object answers 404 on its change,
history and delete pages, a POST to them changes nothing, the delete action skips it; and the
add form offers no school, student or other school-owned object of school B.

Objects are made by helpers.build(), generically for most models, so a new model is usually
covered without an edit; when it cannot be built, the test fails and says what to add.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.forms.models import model_to_dict

from schools.models import ClosureDay, Membership, School, Student, Term
from tests.factories import MembershipFactory, UserFactory

from .helpers import PROJECT_APPS, build, unique


def _is_school_scoped(model) -> bool:
    return model is School or hasattr(model, "SCHOOL_PATH")


SCOPED_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if _is_school_scoped(model)
    ),
    key=lambda pair: pair[0]._meta.label,
)


def _url(model, view, pk=None):
    base = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    return {
        "changelist": base,
        "add": f"{base}add/",
        "change": f"{base}{pk}/change/",
        "history": f"{base}{pk}/history/",
        "delete": f"{base}{pk}/delete/",
    }[view]


def _snapshot(obj):
    fresh = type(obj)._default_manager.filter(pk=obj.pk).first()
    return None if fresh is None else model_to_dict(fresh)


@pytest.fixture
def staff_admin(adam):
    """adam, as a Django staff user with every permission on the project's models."""
    group = Group.objects.create(name="School admins")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=PROJECT_APPS))
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    adam.groups.add(group)
    return adam


@pytest.fixture
def admin_client_for(client):
    def login(user):
        client.force_login(user)
        return client

    return login


def test_the_admin_registry_is_read():
    models_seen = {model for model, _ in SCOPED_ADMINS}
    assert {School, Student, Membership, Term, ClosureDay} <= models_seen


def test_every_model_has_an_admin_page():
    """Django admin for every model (an inline on its parent's page counts)."""
    registered = set(admin.site._registry)
    inlined = {
        inline.model
        for model_admin in admin.site._registry.values()
        for inline in model_admin.inlines
    }
    missing = [
        model._meta.label
        for app in PROJECT_APPS
        for model in apps.get_app_config(app).get_models()
        if model not in registered | inlined
    ]
    assert not missing, f"Models without an admin page or inline: {missing}"


def test_every_school_scoped_admin_uses_the_shared_scope():
    from schools.admin import SchoolScopedAdmin

    unscoped = [
        model._meta.label
        for model, model_admin in SCOPED_ADMINS
        if not isinstance(model_admin, SchoolScopedAdmin)
    ]
    assert not unscoped, f"Admin pages not built on SchoolScopedAdmin: {unscoped}"


@pytest.mark.parametrize(
    ("model", "model_admin"), SCOPED_ADMINS, ids=[m._meta.label for m, _ in SCOPED_ADMINS]
)
def test_admin_pages_never_show_another_school(
    admin_client_for, staff_admin, bella, school_a, school_b, model, model_admin
):
    own = build(model, school_a, staff_admin)
    foreign = build(model, school_b, bella)
    client = admin_client_for(staff_admin)

    response = client.get(_url(model, "changelist"))
    assert response.status_code == 200
    assert foreign.pk not in {obj.pk for obj in response.context["cl"].queryset}
    # The page may filter by default (the outbox shows failures first); its queryset may not.
    scoped = {obj.pk for obj in model_admin.get_queryset(response.wsgi_request)}
    assert own.pk in scoped
    assert foreign.pk not in scoped

    before = _snapshot(foreign)
    for view in ("change", "history", "delete"):
        assert client.get(_url(model, view, foreign.pk)).status_code == 404, view
    assert client.post(_url(model, "delete", foreign.pk), {"post": "yes"}).status_code == 404
    assert client.post(_url(model, "change", foreign.pk), {}).status_code == 404
    client.post(
        _url(model, "changelist"),
        {"action": "delete_selected", "_selected_action": [foreign.pk], "post": "yes"},
    )
    assert _snapshot(foreign) == before


@pytest.mark.parametrize(
    ("model", "model_admin"), SCOPED_ADMINS, ids=[m._meta.label for m, _ in SCOPED_ADMINS]
)
def test_admin_add_form_offers_nothing_of_another_school(
    admin_client_for, staff_admin, bella, school_a, school_b, model, model_admin
):
    client = admin_client_for(staff_admin)
    response = client.get(_url(model, "add"))
    if response.status_code == 403:
        assert not model_admin.has_add_permission(response.wsgi_request)
        return
    assert response.status_code == 200
    form = response.context["adminform"].form
    for name, form_field in form.fields.items():
        queryset = getattr(form_field, "queryset", None)
        if queryset is None:
            continue
        related = queryset.model
        if related is get_user_model():
            bella_only = UserFactory(email=f"only-south{unique()}@school.test")
            MembershipFactory(user=bella_only, school=school_b)
            assert not form_field.queryset.filter(pk=bella_only.pk).exists(), name
        elif _is_school_scoped(related):
            foreign = build(related, school_b, bella)
            assert not form_field.queryset.filter(pk=foreign.pk).exists(), name


def test_a_student_cannot_be_added_to_another_school(admin_client_for, staff_admin, school_b):
    client = admin_client_for(staff_admin)
    response = client.post(
        _url(Student, "add"), {"school": school_b.pk, "code": "S-9001", "is_active": "on"}
    )
    assert response.status_code == 200  # the form again, with an error on the school
    assert "school" in response.context["adminform"].form.errors
    assert not Student.objects.filter(code="S-9001").exists()


def test_a_staff_user_who_is_not_a_school_admin_sees_no_rows(
    admin_client_for, carol, school_a, student_a
):
    """The admin scope is school admins only: a counsellor given staff rights sees nothing."""
    group = Group.objects.create(name="Everything")
    group.permissions.set(Permission.objects.filter(content_type__app_label__in=PROJECT_APPS))
    carol.is_staff = True
    carol.save(update_fields=["is_staff"])
    carol.groups.add(group)
    response = admin_client_for(carol).get(_url(Student, "changelist"))
    assert response.status_code == 200
    assert list(response.context["cl"].queryset) == []
    assert admin_client_for(carol).get(_url(Student, "change", student_a.pk)).status_code == 404


def test_a_superuser_sees_every_school(admin_client_for, student_a, student_b):
    root = get_user_model().objects.create_superuser(email="ops@service.test", password="x")
    response = admin_client_for(root).get(_url(Student, "changelist"))
    assert {s.pk for s in response.context["cl"].queryset} >= {student_a.pk, student_b.pk}


def test_only_operations_open_or_close_a_school(admin_client_for, staff_admin, school_a):
    client = admin_client_for(staff_admin)
    assert client.get(_url(School, "add")).status_code == 403
    assert client.post(_url(School, "add"), {"code": "new", "name": "New"}).status_code == 403
    assert client.get(_url(School, "delete", school_a.pk)).status_code == 403
    assert not School.objects.filter(code="new").exists()
    assert School.objects.filter(pk=school_a.pk).exists()
    # ...while the school admin still edits their own school.
    assert client.get(_url(School, "change", school_a.pk)).status_code == 200

    root = get_user_model().objects.create_superuser(email="ops@service.test", password="x")
    assert admin_client_for(root).get(_url(School, "add")).status_code == 200


def test_the_staff_inline_of_a_school_is_for_operations_only(
    admin_client_for, staff_admin, school_a, bob
):
    # bob works at school B; a raw user id in the inline would show his e-mail to adam.
    client = admin_client_for(staff_admin)
    response = client.get(_url(School, "change", school_a.pk))
    assert response.status_code == 200
    assert b"memberships-TOTAL_FORMS" not in response.content
    assert bob.email.encode() not in response.content

    root = get_user_model().objects.create_superuser(email="ops@service.test", password="x")
    response = admin_client_for(root).get(_url(School, "change", school_a.pk))
    assert b"memberships-TOTAL_FORMS" in response.content


# --- admin pages of models that belong to no school ----------------------------------------

UNSCOPED_ADMINS = sorted(
    (
        (model, model_admin)
        for model, model_admin in admin.site._registry.items()
        if not _is_school_scoped(model)
    ),
    key=lambda pair: pair[0]._meta.label,
)


@pytest.fixture
def admin_with_every_permission(adam):
    """adam, a school admin whose group was given every permission there is: a deployment
    that granted too much must still not open what belongs to no school."""
    group = Group.objects.create(name="Every permission")
    group.permissions.set(Permission.objects.all())
    adam.is_staff = True
    adam.save(update_fields=["is_staff"])
    adam.groups.add(group)
    return adam


def test_the_unscoped_admin_pages_are_read():
    labels = {model._meta.label for model, _ in UNSCOPED_ADMINS}
    assert {
        "core.User",
        "core.AuditEvent",
        "core.ApiToken",
        "auth.Group",
        "axes.AccessAttempt",
    } <= labels


@pytest.mark.parametrize(
    ("model", "model_admin"), UNSCOPED_ADMINS, ids=[m._meta.label for m, _ in UNSCOPED_ADMINS]
)
def test_a_page_of_no_school_is_for_operations_only(
    admin_client_for, admin_with_every_permission, model, model_admin
):
    """Accounts, API tokens, permission groups and the audit trail span schools: only a
    superuser opens them, whatever permissions a school admin's group holds."""
    client = admin_client_for(admin_with_every_permission)
    for view in ("changelist", "add"):
        assert client.get(_url(model, view)).status_code == 403, view
    index = client.get("/admin/")
    assert _url(model, "changelist").encode() not in index.content

    root = get_user_model().objects.create_superuser(email="ops@service.test", password="x")
    assert admin_client_for(root).get(_url(model, "changelist")).status_code == 200


def test_another_schools_api_token_is_never_shown(
    admin_client_for, admin_with_every_permission, school_b
):
    from core.credentials import token_create
    from core.models import ApiToken

    integration = UserFactory(email="sis@south.test")
    MembershipFactory(user=integration, school=school_b, role="integration")
    token, _ = token_create(user=integration, name="South MIS")
    client = admin_client_for(admin_with_every_permission)
    for url in ("/admin/core/apitoken/", f"/admin/core/apitoken/{token.pk}/change/"):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert b"South MIS" not in response.content, url
    assert client.post(f"/admin/core/apitoken/{token.pk}/delete/", {"post": "yes"})
    assert ApiToken.objects.filter(pk=token.pk).exists()


def test_a_school_admin_cannot_grant_themselves_a_permission(
    admin_client_for, admin_with_every_permission
):
    group = Group.objects.create(name="Teachers")
    client = admin_client_for(admin_with_every_permission)
    everything = list(Permission.objects.values_list("pk", flat=True))
    response = client.post(
        f"/admin/auth/group/{group.pk}/change/", {"name": "Teachers", "permissions": everything}
    )
    assert response.status_code == 403
    assert not group.permissions.exists()


def test_the_admin_refuses_a_mark_dated_in_the_future(admin_client_for, staff_admin, student_a):
    """The admin's forms meet the same rule as the API: records are of what has happened, by
    the school's own date."""
    import datetime as dt

    from schools.models import AttendanceRecord

    client = admin_client_for(staff_admin)
    today = student_a.school.today()
    body = {"student": student_a.pk, "session": "AM", "status": "late", "source": "register"}

    refused = client.post(
        _url(AttendanceRecord, "add"), body | {"date": (today + dt.timedelta(days=1)).isoformat()}
    )
    assert refused.status_code == 200
    assert "future" in " ".join(refused.context["adminform"].form.errors["date"])
    assert not AttendanceRecord.objects.exists()

    accepted = client.post(_url(AttendanceRecord, "add"), body | {"date": today.isoformat()})
    assert accepted.status_code == 302, accepted.context["adminform"].form.errors
    assert AttendanceRecord.objects.get().date == today


def test_the_admin_refuses_an_observation_without_a_sign(
    admin_client_for, staff_admin, student_a, alice
):
    import datetime as dt

    from schools.models import Observation

    client = admin_client_for(staff_admin)
    body = {
        "student": student_a.pk,
        "observed_on": (student_a.school.today() - dt.timedelta(days=1)).isoformat(),
        "recorded_by": alice.pk,
        "note": "",
        "signs-INITIAL_FORMS": "0",
        "signs-MIN_NUM_FORMS": "1",
        "signs-MAX_NUM_FORMS": "1000",
    }
    refused = client.post(_url(Observation, "add"), body | {"signs-TOTAL_FORMS": "0"})
    assert refused.status_code == 200
    assert not Observation.objects.exists()

    accepted = client.post(
        _url(Observation, "add"),
        body | {"signs-TOTAL_FORMS": "1", "signs-0-sign": "ISOLATION"},
    )
    assert accepted.status_code == 302
    assert Observation.objects.get().sign_codes == ["ISOLATION"]
