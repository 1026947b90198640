"""The demo school through a real Celery worker on the real Redis broker and PostgreSQL.

The test process only publishes tasks, the way beat does; the worker subprocess evaluates,
opens the cases, and sends the e-mails (Django's file-based backend, read back here).
"""

from __future__ import annotations

import os
from collections import Counter

import pytest
import redis

from alerts.models import Case, Notification, NotificationKind, NotificationStatus
from alerts.tasks import deliver_notifications, evaluate_all
from schools.demo import PATTERNS, seed_demo
from tests.processes import CeleryWorker, read_mail, wait_until

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

FIRING = ("persistent withdrawal", "avoiding school", "irregular sleep")


def _codes(kinds) -> set[str]:
    return {code for kind in kinds for code in PATTERNS[kind]}


def _expected_recipient(student) -> str:
    """The student's own counsellor, else the school's designated counsellor."""
    counsellor = student.assigned_counsellor or student.school.designated_counsellor
    return counsellor.email


def test_evaluating_the_demo_school_opens_the_expected_cases_and_mails_each_once(tmp_path):
    demo = seed_demo()
    assert demo.created
    school = demo.school
    broker = os.environ["CELERY_BROKER_URL"]
    # Leftovers of earlier runs on this broker database would be work for our worker.
    redis.Redis.from_url(broker).delete("celery")
    mail_dir = tmp_path / "mail"

    with CeleryWorker(broker_url=broker, mail_dir=mail_dir, log_path=tmp_path / "w.log") as w:
        evaluate_all.delay()
        wait_until(
            lambda: w.count("evaluated school demo") == 1,
            timeout=120,
            what="the worker to evaluate the demo school",
        )
        # The case changes nudged delivery; wait until the outbox is empty.
        wait_until(
            lambda: (
                Notification.objects.exists()
                and not Notification.objects.exclude(status=NotificationStatus.SENT).exists()
            ),
            timeout=60,
            what="every notification to be sent",
        )
        first_mail = len(read_mail(mail_dir))

        # Beat's next rounds: evaluating again and delivering again change nothing.
        evaluate_all.delay()
        wait_until(lambda: w.count("evaluated school demo") == 2, timeout=120, what="a second run")
        done = w.count("alerts.tasks.deliver_notifications[")
        deliver_notifications.delay()
        wait_until(
            lambda: w.count("alerts.tasks.deliver_notifications[") > done,
            timeout=60,
            what="a delivery run",
        )
        wait_until(
            lambda: "succeeded" in w.log().rsplit("alerts.tasks.deliver_notifications[", 1)[-1],
            timeout=30,
            what="the delivery run to finish",
        )

    log = w.log()
    assert "opened 0, reopened 0, updated 0" in log.split("evaluated school demo")[2]

    cases = Case.objects.filter(student__school=school).select_related(
        "student__assigned_counsellor", "student__school__designated_counsellor"
    )
    opened = {c.student.code for c in cases}
    assert opened == _codes(FIRING), "a demo pattern did not fire, or a near miss did"
    near_misses = _codes(k for k in PATTERNS if k.startswith("near miss"))
    assert not opened & near_misses

    notifications = Notification.objects.filter(case__in=cases)
    assert notifications.count() == len(opened)
    assert set(notifications.values_list("kind", flat=True)) == {NotificationKind.OPENED}

    messages = read_mail(mail_dir)
    assert len(messages) == first_mail  # the second round sent nothing
    sent = Counter(
        (m["To"], line.split(": ", 1)[1])
        for m in messages
        for line in m.get_payload().splitlines()
        if line.startswith("Student: ")
    )
    expected = {(_expected_recipient(c.student), c.student.code) for c in cases}
    assert set(sent) == expected
    assert all(n == 1 for n in sent.values()), sent
    assert all(m["Subject"] == "Early warning: a case was opened" for m in messages)
