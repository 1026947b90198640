"""Reading the staff pages in tests: the student page and the cells of its tables."""

from __future__ import annotations

import re

from django.urls import reverse


def student_page(client, student, **params):
    return client.get(reverse("student-detail", args=[student.pk]), params)


def cells(html: str, testid: str) -> list[list[str]]:
    """The text of each cell of the table rows marked data-testid=`testid`."""
    rows = re.findall(rf'<tr data-testid="{testid}"[^>]*>(.*?)</tr>', html, re.S)
    return [
        [
            re.sub(r"<[^>]+>", "", c).strip()
            for c in re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", r, re.S)
        ]
        for r in rows
    ]
