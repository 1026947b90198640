"""The signs a member of staff can record, as documented in docs/RULES.md.

Codes are stable: rules, the API and imports refer to them.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models


class Sign(models.TextChoices):
    ABSENCE = "ABSENCE", "Absent"
    LATE = "LATE", "Late or left early"
    FATIGUE = "FATIGUE", "Asleep or exhausted"
    ISOLATION = "ISOLATION", "Alone at breaks"
    REFUSES_CONTACT = "REFUSES_CONTACT", "Refuses contact"
    DIGITAL_ESCAPE = "DIGITAL_ESCAPE", "Gaming / online escape"
    DISTRESS = "DISTRESS", "Shame or anxiety"
    LOW_MOTIVATION = "LOW_MOTIVATION", "No motivation"
    SELF_CARE = "SELF_CARE", "Neglects self-care"
    BULLYING = "BULLYING", "Bullying or rejection"
    SETBACK = "SETBACK", "Academic setback"
    FAMILY_STRAIN = "FAMILY_STRAIN", "Family strain"


class Category(models.TextChoices):
    ATTENDANCE = "attendance", "Attendance"
    SLEEP = "sleep", "Sleep and routine"
    WITHDRAWAL = "withdrawal", "Withdrawal"
    CONTEXT = "context", "Context"


@dataclass(frozen=True)
class SignInfo:
    code: str
    label: str
    category: str
    description: str


_DESCRIPTIONS: dict[str, tuple[str, str]] = {
    Sign.ABSENCE: (Category.ATTENDANCE, "Absent from school or from a lesson."),
    Sign.LATE: (Category.SLEEP, "Arrived late or left early."),
    Sign.FATIGUE: (Category.SLEEP, "Asleep or visibly exhausted in class."),
    Sign.ISOLATION: (Category.WITHDRAWAL, "Alone at breaks and lunch, avoids group work."),
    Sign.REFUSES_CONTACT: (Category.WITHDRAWAL, "Refuses to talk with peers or staff."),
    Sign.DIGITAL_ESCAPE: (
        Category.WITHDRAWAL,
        "Excessive gaming or time online; talks of nothing else.",
    ),
    Sign.DISTRESS: (Category.WITHDRAWAL, "Shame, guilt or anxiety about being with others."),
    Sign.LOW_MOTIVATION: (
        Category.WITHDRAWAL,
        "Emotionally numb, no interest in the future.",
    ),
    Sign.SELF_CARE: (Category.WITHDRAWAL, "Neglects hygiene or daily routine."),
    Sign.BULLYING: (Category.CONTEXT, "Bullied, rejected or left out by peers."),
    Sign.SETBACK: (Category.CONTEXT, "An academic failure or a disappointment."),
    Sign.FAMILY_STRAIN: (Category.CONTEXT, "Family conflict or lack of support at home."),
}

SIGNS: dict[str, SignInfo] = {
    code: SignInfo(code=str(code), label=Sign(code).label, category=str(cat), description=desc)
    for code, (cat, desc) in _DESCRIPTIONS.items()
}

WITHDRAWAL_SIGNS = frozenset(c for c, s in SIGNS.items() if s.category == Category.WITHDRAWAL)
SLEEP_SIGNS = frozenset(c for c, s in SIGNS.items() if s.category == Category.SLEEP)
CONTEXT_SIGNS = frozenset(c for c, s in SIGNS.items() if s.category == Category.CONTEXT)
