"""Notices and e-mails go out in the recipient's language: the sender (the worker) runs in no
one's, and two recipients of the same case each read their own."""

from __future__ import annotations

import pytest
from django.core import mail

from alerts.models import Notice
from alerts.notifications import notifications_deliver_due
from schools.models import Membership, Role
from tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_each_recipient_reads_the_notice_and_the_email_in_their_own_language(
    case_a, carol, school_a
):
    school_a.default_language = "ja"
    school_a.save(update_fields=["default_language"])
    giulia = UserFactory(email="giulia@north.test", language="it")
    Membership.objects.create(user=giulia, school=school_a, role=Role.COUNSELLOR)
    NotificationFactory(case=case_a, recipient=carol)  # no choice of her own: the school's Japanese
    NotificationFactory(case=case_a, recipient=giulia)

    assert notifications_deliver_due().sent == 2

    by_recipient = {m.to[0]: m for m in mail.outbox}
    ja, it = by_recipient[carol.email], by_recipient[giulia.email]
    assert ja.subject == "早期発見ノート：ケースが開かれました"
    assert "生徒：" + case_a.student.code in ja.body
    assert it.subject == "Allerta precoce: è stato aperto un caso"
    assert "Apri il caso: https://early-warning.example/cases/" in it.body
    notices = dict(Notice.objects.values_list("user__email", "text"))
    assert notices[carol.email].startswith("ケースが開かれました：" + case_a.student.code)
    assert notices[giulia.email].startswith("È stato aperto un caso: " + case_a.student.code)


def test_an_english_school_still_writes_english(case_a, carol):
    NotificationFactory(case=case_a, recipient=carol)
    notifications_deliver_due()
    (message,) = mail.outbox
    assert message.subject == "Early warning: a case was opened"
