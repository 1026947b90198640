"""Work a school has asked for: imports of files, and evaluations due after a save."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .school import School


class ImportJob(models.Model):
    """One uploaded file and what importing it did.

    The file waits under IMPORT_DIR and is deleted as soon as the import ends: it holds raw
    student references, which the database never does. `report` holds counts and problems
    (lines, elements, reasons), never a reference.
    """

    class Format(models.TextChoices):
        CSV = "csv", _("CSV attendance")
        EDFI = "edfi", _("Ed-Fi XML")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        REFUSED = "refused", _("Refused (nothing written)")
        FAILED = "failed", _("Failed (nothing written)")

    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="import_jobs")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    format = models.CharField(max_length=8, choices=Format.choices, blank=True)
    create_students = models.BooleanField(default=False)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.QUEUED)
    # A random name under IMPORT_DIR; the uploaded file name is not kept (it may name a child).
    stored_name = models.CharField(max_length=64, blank=True)
    size_bytes = models.BigIntegerField(default=0)
    report = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    SCHOOL_PATH = "school"

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["queued", "running", "succeeded", "refused", "failed"]),
                name="import_job_status_known",
                violation_error_message=_("Unknown import status."),
            ),
        ]

    def __str__(self) -> str:
        return f"Import {self.pk} {self.school.code} {self.status}"


class EvaluationRequest(models.Model):
    """A school's records changed: its warning-sign rules are to be evaluated again soon.

    The outbox of near-real-time evaluation. A save writes (or joins) its school's row in the
    same transaction as the records, so nothing depends on the broker at save time; beat scans
    the rows that are due and a worker evaluates each school (alerts/requests.py). Saves
    within `ALERTS_EVALUATION_DELAY_SECONDS` of the first one are coalesced into one run.
    """

    school = models.OneToOneField(
        School, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    due_at = models.DateTimeField()
    requested_at = models.DateTimeField(help_text=_("The latest save."))
    # Set while a worker evaluates the school; a save meanwhile sets `again`.
    claimed_at = models.DateTimeField(null=True, blank=True)
    again = models.BooleanField(default=False)

    SCHOOL_PATH = "school"

    def __str__(self) -> str:
        return f"{self.school} due {self.due_at}"
