"""The signs a member of staff can record, as documented in docs/RULES.md.

Codes are stable: rules, the API and imports refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class Sign(models.TextChoices):
    ABSENCE = "ABSENCE", _("Absent")
    LATE = "LATE", _("Late or left early")
    FATIGUE = "FATIGUE", _("Asleep or exhausted")
    ISOLATION = "ISOLATION", _("Alone at breaks")
    REFUSES_CONTACT = "REFUSES_CONTACT", _("Refuses contact")
    DIGITAL_ESCAPE = "DIGITAL_ESCAPE", _("Gaming / online escape")
    DISTRESS = "DISTRESS", _("Shame or anxiety")
    LOW_MOTIVATION = "LOW_MOTIVATION", _("No motivation")
    SELF_CARE = "SELF_CARE", _("Neglects self-care")
    BULLYING = "BULLYING", _("Bullying or rejection")
    SETBACK = "SETBACK", _("Academic setback")
    FAMILY_STRAIN = "FAMILY_STRAIN", _("Family strain")


class Category(models.TextChoices):
    ATTENDANCE = "attendance", _("Attendance")
    SLEEP = "sleep", _("Sleep and routine")
    WITHDRAWAL = "withdrawal", _("Withdrawal")
    CONTEXT = "context", _("Context")


@dataclass(frozen=True)
class SignInfo:
    code: str
    label: StrOrPromise
    category: str
    description: StrOrPromise


_DESCRIPTIONS: dict[str, tuple[str, StrOrPromise]] = {
    Sign.ABSENCE: (Category.ATTENDANCE, _("Absent from school or from a lesson.")),
    Sign.LATE: (Category.SLEEP, _("Arrived late or left early.")),
    Sign.FATIGUE: (Category.SLEEP, _("Asleep or visibly exhausted in class.")),
    Sign.ISOLATION: (Category.WITHDRAWAL, _("Alone at breaks and lunch, avoids group work.")),
    Sign.REFUSES_CONTACT: (Category.WITHDRAWAL, _("Refuses to talk with peers or staff.")),
    Sign.DIGITAL_ESCAPE: (
        Category.WITHDRAWAL,
        _("Excessive gaming or time online; talks of nothing else."),
    ),
    Sign.DISTRESS: (Category.WITHDRAWAL, _("Shame, guilt or anxiety about being with others.")),
    Sign.LOW_MOTIVATION: (
        Category.WITHDRAWAL,
        _("Emotionally numb, no interest in the future."),
    ),
    Sign.SELF_CARE: (Category.WITHDRAWAL, _("Neglects hygiene or daily routine.")),
    Sign.BULLYING: (Category.CONTEXT, _("Bullied, rejected or left out by peers.")),
    Sign.SETBACK: (Category.CONTEXT, _("An academic failure or a disappointment.")),
    Sign.FAMILY_STRAIN: (Category.CONTEXT, _("Family conflict or lack of support at home.")),
}

SIGNS: dict[str, SignInfo] = {
    code: SignInfo(code=str(code), label=Sign(code).label, category=str(cat), description=desc)
    for code, (cat, desc) in _DESCRIPTIONS.items()
}

WITHDRAWAL_SIGNS = frozenset(c for c, s in SIGNS.items() if s.category == Category.WITHDRAWAL)
SLEEP_SIGNS = frozenset(c for c, s in SIGNS.items() if s.category == Category.SLEEP)
CONTEXT_SIGNS = frozenset(c for c, s in SIGNS.items() if s.category == Category.CONTEXT)
