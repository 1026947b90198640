"""The in-app notices API: a user sees only their own notices, and only of their schools."""

from __future__ import annotations

import pytest

from alerts.models import Notice
from schools.models import Membership, Role
from tests.factories import CaseFactory, MembershipFactory, NoticeFactory

pytestmark = pytest.mark.django_db

URL = "/api/notices/"


def _ids(response):
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def inbox(case_a, carol, adam, student_b, cora):
    case_b = CaseFactory(student=student_b)
    return {
        "carol_unread": NoticeFactory(user=carol, case=case_a),
        "carol_read": NoticeFactory(user=carol, case=case_a, read=True),
        "adam": NoticeFactory(user=adam, case=case_a),
        "cora": NoticeFactory(user=cora, case=case_b),
    }


def test_a_user_lists_only_their_own_notices(api, inbox, carol, adam, cora):
    assert set(_ids(api.as_(carol).get(URL))) == {inbox["carol_unread"].pk, inbox["carol_read"].pk}
    assert _ids(api.as_(adam).get(URL)) == [inbox["adam"].pk]
    assert _ids(api.as_(cora).get(URL)) == [inbox["cora"].pk]


def test_the_unread_filter(api, inbox, carol):
    assert _ids(api.as_(carol).get(URL, {"unread": "true"})) == [inbox["carol_unread"].pk]
    assert _ids(api.as_(carol).get(URL, {"unread": "false"})) == [inbox["carol_read"].pk]


def test_a_teacher_has_an_empty_inbox(api, inbox, alice):
    assert _ids(api.as_(alice).get(URL)) == []


def test_someone_elses_notice_is_a_404_and_stays_unread(api, inbox, carol):
    theirs = inbox["adam"]
    assert api.as_(carol).get(f"{URL}{theirs.pk}/").status_code == 404
    assert api.as_(carol).post(f"{URL}{theirs.pk}/read/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_notices_of_a_school_the_user_left_are_no_longer_shown(api, inbox, carol, school_b):
    # carol moves to school B and is a teacher at A now: A's case notices are not hers to read.
    Membership.objects.filter(user=carol).update(role=Role.TEACHER)
    MembershipFactory(user=carol, school=school_b, role=Role.COUNSELLOR)
    assert _ids(api.as_(carol).get(URL)) == []


def test_mark_one_read_keeps_the_first_time(api, inbox, carol):
    notice = inbox["carol_unread"]
    first = api.as_(carol).post(f"{URL}{notice.pk}/read/")
    assert first.status_code == 200
    assert first.json()["is_read"] is True
    notice.refresh_from_db()
    read_at = notice.read_at
    assert read_at is not None

    api.as_(carol).post(f"{URL}{notice.pk}/read/")
    notice.refresh_from_db()
    assert notice.read_at == read_at


def test_mark_all_read_touches_only_the_callers_unread_notices(api, inbox, carol):
    response = api.as_(carol).post(f"{URL}read-all/")

    assert response.status_code == 200
    assert response.json() == {"marked": 1}
    assert not Notice.objects.filter(user=carol, read_at__isnull=True).exists()
    for other in ("adam", "cora"):
        inbox[other].refresh_from_db()
        assert inbox[other].read_at is None


def test_mark_all_read_for_another_school_is_refused(api, inbox, carol):
    response = api.as_(carol).post(f"{URL}read-all/", {"school": "south"}, format="json")
    assert response.status_code == 400
    assert Notice.objects.filter(user=carol, read_at__isnull=True).count() == 1


def test_mark_all_read_for_one_of_the_users_schools(api, inbox, carol, school_a):
    response = api.as_(carol).post(f"{URL}read-all/", {"school": school_a.code}, format="json")
    assert response.json() == {"marked": 1}


def test_anonymous_callers_are_refused(api, inbox):
    assert api.get(URL).status_code in (401, 403)
