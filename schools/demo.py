"""The demo school: a calendar around today, staff for each role, 60 pseudonymous students and
twelve school weeks of records in which a few students show a persisting withdrawal pattern,
a few show near misses, and most show nothing.

Everything is placed relative to the day it runs, so the patterns are always "recent".
Random choices use a fixed seed: two runs on the same day make the same school.

`seed_demo(language="ja")` or `"it"` makes a second demo school in that language, with the
calendar of a school of that country: the Japanese school year starts in April, has three
terms and a long summer break; the Italian one runs from mid-September to early June, with
the Christmas and Easter breaks and the national holidays. The twelve weeks of records are
the last twelve school weeks before today, so they often cross a break or a school year.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from core.credentials import token_create
from core.models import ApiToken, User

from . import services
from .calendar import school_days_between
from .demo_calendars import (
    Calendar,
    english_calendar,
    italian_calendar,
    japanese_calendar,
    monday,
)
from .models import AttendanceStatus, ClosureDay, Membership, Role, School, Student, Term

DEMO_SCHOOL_CODE = "demo"
DEMO_PASSWORD = "demo-pass-2026"  # noqa: S105 - printed for the demo, documented in the README
ADMIN_GROUP = "School admins"
DEMO_TOKEN_NAME = "Demo information system"  # noqa: S105 - a label
WEEKS = 12
DEMO_EDFI_SCHOOL_ID = 255901107

WITHDRAWAL = ["ISOLATION", "REFUSES_CONTACT", "DISTRESS", "LOW_MOTIVATION", "SELF_CARE"]


@dataclass
class DemoResult:
    school: School
    created: bool
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # (role, e-mail, password)
    token: str = ""
    # Which students were given which pattern: for the README and for tests.
    patterns: dict[str, list[str]] = field(default_factory=dict)


STAFF = [
    ("teacher", "teacher@demo.school", Role.TEACHER),
    ("teacher", "teacher2@demo.school", Role.TEACHER),
    ("teacher", "teacher3@demo.school", Role.TEACHER),
    ("counsellor (designated)", "counsellor@demo.school", Role.COUNSELLOR),
    ("counsellor (deputy)", "deputy@demo.school", Role.COUNSELLOR),
    ("school admin", "admin@demo.school", Role.SCHOOL_ADMIN),
]
INTEGRATION_EMAIL = "sis@demo.school"

# The stories the demo tells. Codes are pseudonyms; nothing else is known about anyone.
PATTERNS = {
    "persistent withdrawal": ["S-0007", "S-0023", "S-0041"],
    "avoiding school": ["S-0012"],
    "irregular sleep": ["S-0033"],
    "near miss: a fortnight's gap": ["S-0015"],
    "near miss: one teacher only": ["S-0028"],
    "near miss: a single observation": ["S-0050"],
    "near miss: attendance at the line": ["S-0019"],
}


@dataclass(frozen=True)
class DemoLocale:
    """One demo school: its language, names, zone and the shape of its calendar."""

    code: str
    name: str
    time_zone: str
    domain: str
    calendar: Callable[[dt.date], Calendar]
    edfi_school_id: int | None = None


DEMO_LOCALES = {
    # The English demo claims the largest school of the public Ed-Fi sample, so the sample
    # files import straight into it (docs/IMPORTS.md).
    "en-gb": DemoLocale(
        DEMO_SCHOOL_CODE,
        "Demo Secondary School",
        "Europe/London",
        "demo.school",
        english_calendar,
        DEMO_EDFI_SCHOOL_ID,
    ),
    "ja": DemoLocale("demo-ja", "デモ中学校", "Asia/Tokyo", "demo-ja.school", japanese_calendar),
    "it": DemoLocale(
        "demo-it", "Scuola secondaria Demo", "Europe/Rome", "demo-it.school", italian_calendar
    ),
}


def demo_language(language: str | None) -> str:
    """The DEMO_LOCALES key for `language` ("en", "en-gb", "ja", "it"); ValueError if none."""
    code = (language or "en-gb").lower()
    if code == "en" or code.startswith("en-"):
        code = "en-gb"
    if code not in DEMO_LOCALES:
        raise ValueError(
            f"No demo school in {language!r}; choose one of: {', '.join(DEMO_LOCALES)}."
        )
    return code


def _staff(locale: DemoLocale) -> list[tuple[str, str, str]]:
    return [
        (label, email.replace("demo.school", locale.domain), role) for label, email, role in STAFF
    ]


def seed_demo(*, today: dt.date | None = None, language: str | None = None) -> DemoResult:
    """Create the demo school of `language` (English by default) once. Running it again
    changes no records and reports the logins; since a token is kept only as a digest, the
    demo integration's token is replaced by a new one, printed instead."""
    language = demo_language(language)
    locale = DEMO_LOCALES[language]
    existing = School.objects.filter(code=locale.code).first()
    if existing is not None:
        result = DemoResult(school=existing, created=False, patterns=PATTERNS)
        result.logins = [(label, email, DEMO_PASSWORD) for label, email, _ in _staff(locale)]
        integration = User.objects.filter(email=_integration_email(locale)).first()
        if integration is not None:
            with transaction.atomic():
                ApiToken.objects.filter(user=integration, name=DEMO_TOKEN_NAME).delete()
                result.token = token_create(user=integration, name=DEMO_TOKEN_NAME)[1]
        return result
    with transaction.atomic():
        return _create(today, language, locale)


def _integration_email(locale: DemoLocale) -> str:
    return INTEGRATION_EMAIL.replace("demo.school", locale.domain)


def _create(today: dt.date | None, language: str, locale: DemoLocale) -> DemoResult:
    school = School.objects.create(
        code=locale.code,
        name=locale.name,
        time_zone=locale.time_zone,
        default_language=language,
        edfi_school_id=locale.edfi_school_id,
    )
    today = today or school.today()
    terms, closures = locale.calendar(today)
    for name, start, end in terms:
        Term.objects.create(school=school, name=name, starts_on=start, ends_on=end)
    in_term = set(school_days_between(school, min(t[1] for t in terms), max(t[2] for t in terms)))
    for day, reason in closures:
        # Only a weekday in term closes anything; a holiday on a Sunday is no closure.
        if day in in_term:
            ClosureDay.objects.create(school=school, date=day, reason=reason)

    result = DemoResult(school=school, created=True, patterns=PATTERNS)
    staff: dict[str, User] = {}
    admin_group = _admin_group()
    for label, email, role in _staff(locale):
        user = User.objects.create_user(
            email=email, password=DEMO_PASSWORD, display_name=email.split("@")[0].title()
        )
        if role == Role.SCHOOL_ADMIN:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
            user.groups.add(admin_group)
        Membership.objects.create(user=user, school=school, role=role)
        staff[email] = user
        result.logins.append((label, email, DEMO_PASSWORD))
    school.designated_counsellor = staff[f"counsellor@{locale.domain}"]
    school.deputy = staff[f"deputy@{locale.domain}"]
    school.save(update_fields=["designated_counsellor", "deputy"])
    integration = User.objects.create_user(
        email=_integration_email(locale), display_name="School MIS"
    )
    Membership.objects.create(user=integration, school=school, role=Role.INTEGRATION)
    result.token = token_create(user=integration, name=DEMO_TOKEN_NAME)[1]

    students = [
        Student.objects.create(
            school=school,
            code=f"S-{n:04d}",
            year_group=7 + (n % 5),
            # Year 11 students have the deputy as their own counsellor; the rest go to the
            # designated counsellor.
            assigned_counsellor=staff[f"deputy@{locale.domain}"] if 7 + (n % 5) == 11 else None,
        )
        for n in range(1, 61)
    ]
    by_code = {s.code: s for s in students}
    teachers = [staff[f"{name}@{locale.domain}"] for name in ("teacher", "teacher2", "teacher3")]
    last_day = today - dt.timedelta(days=1) if today.weekday() < 5 else today
    # A year back: the last twelve school weeks may lie on both sides of a long break.
    days = school_days_between(school, last_day - dt.timedelta(weeks=WEEKS + 52), last_day)
    weeks = _school_weeks(days)[-WEEKS:]
    _record(by_code, weeks, teachers)
    return result


def _admin_group() -> Group:
    group, _ = Group.objects.get_or_create(name=ADMIN_GROUP)
    group.permissions.set(
        Permission.objects.filter(content_type__app_label__in=["schools", "alerts"])
    )
    return group


def _school_weeks(days: list[dt.date]) -> list[list[dt.date]]:
    weeks: dict[dt.date, list[dt.date]] = {}
    for day in days:
        weeks.setdefault(monday(day), []).append(day)
    return [weeks[k] for k in sorted(weeks)]


def _record(by_code: dict[str, Student], weeks: list[list[dt.date]], teachers: list[User]) -> None:
    rng = random.Random(20261122)
    observations: list[tuple[Student, dt.date, list[str], User]] = []
    absences: list[tuple[Student, dt.date, str, str]] = []
    patterned = {code for codes in PATTERNS.values() for code in codes}

    # Persistent withdrawal: every school day of the last six weeks, two withdrawal signs seen
    # by one of the teachers in turn. Dense, so it fires however the rule's windows fall.
    for n, code in enumerate(PATTERNS["persistent withdrawal"]):
        for i, day in enumerate(d for week in weeks[-6:] for d in week):
            signs = rng.sample(WITHDRAWAL, 2)
            observations.append((by_code[code], day, signs, teachers[(i + n) % 3]))
    # One of them was bullied a month ago: context that raises the severity.
    observations.append((by_code["S-0023"], weeks[-4][0], ["BULLYING"], teachers[2]))

    # Avoiding school: absent two or three sessions of every week for the last six weeks.
    for week in weeks[-6:]:
        for day in week[:3]:
            absences.append((by_code["S-0012"], day, "AM", AttendanceStatus.UNAUTHORISED_ABSENCE))

    # Irregular sleep: late or asleep in class on three or four days a week, last three weeks.
    for week in weeks[-3:]:
        for day in week[:4]:
            sign = rng.choice(["LATE", "FATIGUE"])
            observations.append((by_code["S-0033"], day, [sign], rng.choice(teachers)))
            if sign == "LATE":
                absences.append((by_code["S-0033"], day, "AM", AttendanceStatus.LATE))

    # Near miss: the withdrawal pattern five and four weeks ago and again last week, with a
    # fortnight's gap between: it has not persisted.
    for w in (-5, -4, -1):
        for i, day in enumerate(weeks[w]):
            observations.append(
                (by_code["S-0015"], day, rng.sample(WITHDRAWAL, 2), teachers[i % 2])
            )
    # Near miss: a strong pattern, but only ever seen by one teacher.
    for week in weeks[-5:]:
        for day in week[::2][:3]:
            observations.append((by_code["S-0028"], day, rng.sample(WITHDRAWAL, 2), teachers[0]))
    # Near miss: one observation, never an alert on its own.
    observations.append((by_code["S-0050"], weeks[-1][0], ["ISOLATION", "DISTRESS"], teachers[1]))
    # Near miss: attendance at exactly 90% (one session in ten missed) every week.
    for week in weeks[-6:]:
        absences.append((by_code["S-0019"], week[0], "PM", AttendanceStatus.AUTHORISED_ABSENCE))

    # Everyone else: ordinary school life. A rare absence, the odd single observation.
    for code, student in by_code.items():
        if code in patterned:
            continue
        for week in weeks:
            if rng.random() < 0.06:
                absences.append(
                    (
                        student,
                        rng.choice(week),
                        rng.choice(["AM", "PM"]),
                        AttendanceStatus.AUTHORISED_ABSENCE,
                    )
                )
        if rng.random() < 0.25:
            week = rng.choice(weeks)
            sign = rng.choice(["ISOLATION", "FATIGUE", "LATE", "DIGITAL_ESCAPE"])
            observations.append((student, rng.choice(week), [sign], rng.choice(teachers)))

    for student, day, signs, teacher in observations:
        services.observation_create(
            student=student, observed_on=day, signs=signs, recorded_by=teacher
        )
    services.attendance_upsert(
        items=[
            services.AttendanceInput(student=s, date=d, session=session, status=status)
            for s, d, session, status in _dedupe(absences)
        ],
        recorded_by=teachers[0],
        source="register",
    )


def _dedupe(rows):
    seen = {}
    for row in rows:
        seen[(row[0].pk, row[1], row[2])] = row
    return list(seen.values())
