"""What the last evaluation of each school saw (the incremental run's starting point)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from schools.models import School


class EvaluationState(models.Model):
    """What the last evaluation of a school saw, so that the next one on the same date
    re-evaluates only the students whose records changed since (alerts/incremental.py)."""

    school = models.OneToOneField(School, on_delete=models.CASCADE, related_name="+")
    on_date = models.DateField(help_text=_("The date the school was last evaluated as on."))
    # When that run began reading (before it took its snapshot of the records).
    started_at = models.DateTimeField()
    # A digest of the rules, the calendar and the active students it evaluated with: any
    # change of them makes the next run a full one.
    fingerprint = models.CharField(max_length=64)

    SCHOOL_PATH = "school"

    def __str__(self) -> str:
        return f"{self.school} evaluated as on {self.on_date}"
