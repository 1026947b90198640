"""Log an observation, my observations, correct and withdraw within the window."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from core.screening import SCREENING_HELP
from schools.models import Observation
from schools.signs import SIGNS
from tests.factories import ObservationFactory


def _post(client, student, **extra):
    data = {
        "student": student.code,
        "signs": ["ISOLATION", "DISTRESS"],
        "observed_on": student.school.today().isoformat(),
        "note": "",
        "client_id": str(uuid.uuid4()),
    }
    data.update(extra)
    return client.post(reverse("observe"), data)


@pytest.mark.django_db
def test_the_form_shows_signs_with_descriptions_todays_date_and_the_screening_help(
    as_user, alice, school_a
):
    page = as_user(alice).get(reverse("observe")).content.decode()
    for info in SIGNS.values():
        assert str(info.description) in page
    assert f'value="{school_a.today().isoformat()}"' in page
    assert str(SCREENING_HELP) in page


@pytest.mark.django_db
def test_saving_records_the_observation_once_per_client_id(as_user, alice, student_a):
    client = as_user(alice)
    client_id = str(uuid.uuid4())
    first = _post(client, student_a, client_id=client_id, note="Sat alone at lunch")
    again = _post(client, student_a, client_id=client_id, note="Sat alone at lunch")
    assert first.status_code == again.status_code == 302
    obs = Observation.objects.get(client_id=client_id)
    assert obs.recorded_by == alice and obs.student == student_a
    assert sorted(obs.sign_codes) == ["DISTRESS", "ISOLATION"]
    assert Observation.objects.count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("note", "what"),
    [
        ("mum is jo@example.org", "an e-mail address"),
        ("call 07700 900123 today", "a phone number"),
        ("ref 1234567", "a run of six or more digits"),
    ],
)
def test_a_note_with_an_identifier_is_refused_and_nothing_is_written(
    as_user, alice, student_a, note, what
):
    response = _post(as_user(alice), student_a, note=note)
    assert response.status_code == 200
    assert what in response.content.decode()
    assert not Observation.objects.exists()


@pytest.mark.django_db
def test_another_schools_student_or_a_future_date_is_refused(as_user, alice, student_a, school_b):
    from tests.factories import StudentFactory

    other = StudentFactory(school=school_b, code="S-7777")
    client = as_user(alice)
    assert "There is no student S-7777" in _post(client, other).content.decode()
    tomorrow = (student_a.school.today() + dt.timedelta(days=1)).isoformat()
    assert "in the future" in _post(client, student_a, observed_on=tomorrow).content.decode()
    assert "Choose at least one sign" in _post(client, student_a, signs=[]).content.decode()
    assert not Observation.objects.exists()


@pytest.mark.django_db
def test_a_correction_withdraws_the_original_and_records_the_corrected_one(
    as_user, alice, student_a
):
    original = ObservationFactory(student=student_a, recorded_by=alice, signs=["ISOLATION"])
    day = student_a.school.today() - dt.timedelta(days=2)
    response = as_user(alice).post(
        reverse("observation-correct", args=[original.pk]),
        {"signs": ["FATIGUE"], "observed_on": day.isoformat(), "note": "asleep in maths"},
    )
    assert response.status_code == 302
    original.refresh_from_db()
    assert original.withdrawn_at is not None  # kept, not deleted
    corrected = Observation.objects.exclude(pk=original.pk).get()
    assert corrected.sign_codes == ["FATIGUE"]
    assert corrected.observed_on == day and corrected.student == student_a
    page = as_user(alice).get(reverse("my-observations")).content.decode()
    # The original reads as corrected (not merely withdrawn), the new one as its correction.
    assert "Corrected" in page and "replaced by the entry of S-0042" in page
    assert "Correction of the entry of S-0042" in page
    assert corrected.replaces == original


@pytest.mark.django_db
def test_a_correction_can_move_the_entry_to_the_right_student(as_user, alice, student_a, bob):
    from tests.factories import StudentFactory

    right = StudentFactory(school=student_a.school, code="S-0043")
    elsewhere = StudentFactory(school=bob.memberships.get().school, code="S-0044")
    original = ObservationFactory(student=student_a, recorded_by=alice, signs=["ISOLATION"])
    client = as_user(alice)
    data = {"signs": ["ISOLATION"], "observed_on": original.observed_on.isoformat()}
    refused = client.post(
        reverse("observation-correct", args=[original.pk]), {**data, "student": "S-0044"}
    )
    assert "There is no student S-0044 at this school." in refused.content.decode()
    assert elsewhere.observations.count() == 0
    response = client.post(
        reverse("observation-correct", args=[original.pk]), {**data, "student": "s-0043"}
    )
    assert response.status_code == 302
    (moved,) = right.observations.all()
    assert moved.replaces == original
    page = client.get(reverse("my-observations")).content.decode()
    assert "replaced by the entry of S-0043" in page


@pytest.mark.django_db
def test_my_observations_sort_by_the_date_observed_and_filter(as_user, alice, student_a):
    from tests.factories import StudentFactory

    other = StudentFactory(school=student_a.school, code="T-0001")
    today = student_a.school.today()
    old = ObservationFactory(
        student=student_a, recorded_by=alice, observed_on=today - dt.timedelta(days=9)
    )
    new = ObservationFactory(
        student=other, recorded_by=alice, observed_on=today - dt.timedelta(days=1)
    )
    mid = ObservationFactory(
        student=student_a, recorded_by=alice, observed_on=today - dt.timedelta(days=4)
    )
    client = as_user(alice)

    def shown(**params):
        page = client.get(reverse("my-observations"), params)
        return [row["obs"].pk for row in page.context["rows"]]

    assert shown() == [new.pk, mid.pk, old.pk]
    assert shown(code="s-00") == [mid.pk, old.pk]
    start = (today - dt.timedelta(days=5)).isoformat()
    assert shown(start=start) == [new.pk, mid.pk]
    end = (today - dt.timedelta(days=2)).isoformat()
    assert shown(start=start, end=end, code="S-0042") == [mid.pk]


@pytest.mark.django_db
def test_withdraw_within_the_window_then_no_more(as_user, alice, student_a):
    obs = ObservationFactory(student=student_a, recorded_by=alice)
    client = as_user(alice)
    assert client.post(reverse("observation-withdraw", args=[obs.pk])).status_code == 302
    obs.refresh_from_db()
    first = obs.withdrawn_at
    assert first is not None
    client.post(reverse("observation-withdraw", args=[obs.pk]))
    obs.refresh_from_db()
    assert obs.withdrawn_at == first


@pytest.mark.django_db
def test_after_24_hours_an_observation_can_no_longer_be_changed(as_user, alice, student_a):
    obs = ObservationFactory(student=student_a, recorded_by=alice)
    Observation.objects.filter(pk=obs.pk).update(created_at=timezone.now() - dt.timedelta(hours=25))
    client = as_user(alice)
    client.post(reverse("observation-withdraw", args=[obs.pk]))
    response = client.post(
        reverse("observation-correct", args=[obs.pk]),
        {"signs": ["FATIGUE"], "observed_on": obs.observed_on.isoformat()},
    )
    assert response.status_code == 302
    obs.refresh_from_db()
    assert obs.withdrawn_at is None
    assert Observation.objects.count() == 1
    page = client.get(reverse("my-observations")).content.decode()
    assert reverse("observation-withdraw", args=[obs.pk]) not in page
