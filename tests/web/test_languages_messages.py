"""What a page says after a step (flash messages and refusals of the case follow-up and the
students page) in the reader's language, with Italian plurals picked by count."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import formats, translation

from schools.importers.pseudonym import Pseudonymiser
from schools.models import Membership, Role
from tests.factories import StudentFactory, UserFactory
from tests.languages import speaking

pytestmark = pytest.mark.django_db


def test_the_case_follow_up_speaks_japanese(as_user, carol, school_a, case_a):
    dora = UserFactory(email="dora@north.test")
    Membership.objects.create(user=dora, school=school_a, role=Role.COUNSELLOR)
    client = as_user(speaking(carol, "ja"))

    html = client.post(
        reverse("case-owner", args=[case_a.pk]), {"owner-owner": dora.pk}, follow=True
    ).content.decode()
    assert "このケースの担当者は dora@north.test になりました。" in html
    assert "now owns the case" not in html

    today = school_a.today()
    html = client.post(
        reverse("case-review", args=[case_a.pk]),
        {"review-review_on": (today - dt.timedelta(days=1)).isoformat()},
        follow=True,
    ).content.decode()
    assert "見直しの日には、今日以降の日付を選んでください。" in html
    assert "Choose today or a later date" not in html

    day = today + dt.timedelta(days=7)
    html = client.post(
        reverse("case-review", args=[case_a.pk]), {"review-review_on": day.isoformat()}, follow=True
    ).content.decode()
    with translation.override("ja"):
        shown = formats.date_format(day, "Y年n月j日(D)")
    assert f"見直しの日は {shown} です。当日、担当者にお知らせします。" in html
    assert "the owner is reminded" not in html


@pytest.mark.parametrize(
    ("students", "message"),
    [
        (1, "1 studente è passato alla classe successiva."),
        (3, "3 studenti sono passati alla classe successiva."),
    ],
    ids=["one", "several"],
)
def test_moving_students_up_counts_them_in_italian(as_user, adam, school_a, students, message):
    for n in range(students):
        StudentFactory(school=school_a, code=f"S-09{n:02d}", year_group=9)
    html = (
        as_user(speaking(adam, "it"))
        .post(reverse("students-move-up"), follow=True)
        .content.decode()
    )
    assert message in html
    assert "moved up a year group" not in html


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        (["A17,fine,2026-02-02"], "1 problema."),
        (["A17,fine,2026-02-02", ",concern_confirmed,2026-02-02"], "2 problemi."),
    ],
    ids=["one", "several"],
)
def test_a_refused_outcomes_upload_reads_in_italian(as_user, adam, school_a, rows, message):
    """The web page's upload: the refusal, its count and each problem's line in Italian."""
    body = ("student_ref,outcome,date\n" + "".join(f"{r}\n" for r in rows)).encode()
    html = (
        as_user(speaking(adam, "it"))
        .post(reverse("outcomes-import"), {"file": SimpleUploadedFile("o.csv", body)})
        .content.decode()
    )
    assert 'data-testid="outcomes-refused"' in html
    refused = "Il file degli esiti è stato rifiutato e non è stato scritto nulla"
    assert f"{refused}: {message}" in html
    assert "riga 2: esito sconosciuto (usa uno tra:" in html
    assert "problem(s)" not in html and "line 2" not in html


@pytest.mark.parametrize(
    ("lang", "refs", "read", "created"),
    [
        ("en", ["A17"], "Read 1 row.", "1 new outcome, 0 already recorded."),
        ("en", ["A17", "A18"], "Read 2 rows.", "2 new outcomes, 0 already recorded."),
        ("it", ["A17"], "Letta 1 riga.", "1 esito nuovo, 0 già registrati."),
        ("it", ["A17", "A18"], "Lette 2 righe.", "2 esiti nuovi, 0 già registrati."),
    ],
    ids=["en-one", "en-several", "it-one", "it-several"],
)
def test_an_accepted_outcomes_upload_counts_in_the_readers_plural(
    as_user, adam, school_a, lang, refs, read, created
):
    """The summary of an accepted upload: one row and one outcome in the singular, more in the
    plural, in English and in Italian (not "row(s)")."""
    for ref in refs:
        StudentFactory(school=school_a, code=Pseudonymiser().code(school_a.code, ref))
    body = "student_ref,outcome,date\n" + "".join(
        f"{r},concern_confirmed,2026-02-02\n" for r in refs
    )
    html = (
        as_user(speaking(adam, lang))
        .post(reverse("outcomes-import"), {"file": SimpleUploadedFile("o.csv", body.encode())})
        .content.decode()
    )
    assert 'data-testid="outcomes-report"' in html
    assert read in html and created in html
    assert "(s)" not in html
