"""The notices page: reading it marks the notices shown read, as docs/PAGES.md says; the
ones not seen before carry a "New" tag on that visit only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from alerts.models import Notice
from tests.factories import FlaggedCaseFactory


@pytest.mark.django_db
def test_visiting_the_notices_page_marks_them_read(as_user, carol, cora, student_a, case_b):
    case = FlaggedCaseFactory(student=student_a)
    Notice.objects.create(user=carol, case=case, text="A case was opened: S-0042")
    theirs = Notice.objects.create(user=cora, case=case_b, text="A case was opened: S-0042")
    client = as_user(carol)
    assert client.get(reverse("cases")).context["notices_unread"] == 1
    first = client.get(reverse("notices"))
    assert first.content.decode().count('class="tag new">New<') == 1
    assert first.context["notices_unread"] == 0
    assert not Notice.objects.filter(user=carol, read_at__isnull=True).exists()
    again = client.get(reverse("notices")).content.decode()
    assert 'class="tag new"' not in again and "A case was opened: S-0042" in again
    theirs.refresh_from_db()
    assert theirs.read_at is None, "another person's notice is untouched"
