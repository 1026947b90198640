"""The evidence chart of the web pages: signs per school week stacked by category, and the
attendance rate as a line, drawn as inline SVG on the server (no outside service, no script).

`weekly_series` reads the numbers with a fixed number of queries (set-based: grouped by date
and sign, never a query per student or per week); `chart_geometry` turns them into shapes the
template draws. Weeks are school weeks: Monday-based weeks that contain at least one school
day of the school's calendar, so holidays do not show as empty weeks of perfect attendance.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Count
from django.utils.formats import date_format, get_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from schools.calendar import CalendarRead, school_days_between
from schools.models import (
    ABSENT_STATUSES,
    AttendanceRecord,
    AttendanceStatus,
    ObservationSign,
    School,
    Student,
)
from schools.signs import SIGNS, Category

CATEGORY_ORDER = [Category.ATTENDANCE, Category.SLEEP, Category.WITHDRAWAL, Category.CONTEXT]
SESSIONS_PER_DAY = 2


@dataclass
class Week:
    starts_on: dt.date
    school_days: int
    signs: dict[str, int] = field(default_factory=lambda: {c.value: 0 for c in CATEGORY_ORDER})
    possible: int = 0
    absent: int = 0

    @property
    def total_signs(self) -> int:
        return sum(self.signs.values())

    @property
    def rate(self) -> float | None:
        """Attendance rate in percent of possible sessions, or None with none possible."""
        if self.possible <= 0:
            return None
        return round(100.0 * (self.possible - self.absent) / self.possible, 1)


def percent(rate: float) -> str:
    """A rate as the reader writes it: "92.5" in English, "92,5" in Italian."""
    return f"{rate:g}".replace(".", get_format("DECIMAL_SEPARATOR"))


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def weekly_series(
    *,
    school: School,
    start: dt.date,
    end: dt.date,
    student: Student | None = None,
    calendar: CalendarRead | None = None,
) -> list[Week]:
    """Per school week from `start` to `end`: signs observed per category (withdrawn
    observations do not count) and the attendance rate, for one student or the whole school
    (its active students). `calendar`: the school's calendar, when the caller has read it."""
    days = school_days_between(school, start, end, calendar=calendar)
    weeks: dict[dt.date, Week] = {}
    for day in days:
        monday = _monday(day)
        week = weeks.setdefault(monday, Week(starts_on=monday, school_days=0))
        week.school_days += 1
    if not weeks:
        return []
    students = (
        1 if student is not None else Student.objects.filter(school=school, is_active=True).count()
    )
    for week in weeks.values():
        week.possible = week.school_days * SESSIONS_PER_DAY * students

    sign_rows = ObservationSign.objects.filter(
        observation__student__school=school,
        observation__withdrawn_at__isnull=True,
        observation__observed_on__range=(start, end),
    )
    marks = AttendanceRecord.objects.filter(
        student__school=school,
        date__range=(start, end),
        status__in=[*ABSENT_STATUSES, AttendanceStatus.NOT_REQUIRED],
    )
    if student is not None:
        sign_rows = sign_rows.filter(observation__student=student)
        marks = marks.filter(student=student)
    else:
        marks = marks.filter(student__is_active=True)
    school_days = set(days)
    for sign_row in sign_rows.values("observation__observed_on", "sign").annotate(n=Count("id")):
        sign_week = weeks.get(_monday(sign_row["observation__observed_on"]))
        info = SIGNS.get(sign_row["sign"])
        if sign_week is not None and info is not None:
            sign_week.signs[info.category] += sign_row["n"]
    for mark_row in marks.values("date", "status").annotate(n=Count("id")):
        # A mark on a day the school was closed is not a missed session.
        if mark_row["date"] not in school_days:
            continue
        mark_week = weeks[_monday(mark_row["date"])]
        if mark_row["status"] == AttendanceStatus.NOT_REQUIRED:
            mark_week.possible -= mark_row["n"]
        else:
            mark_week.absent += mark_row["n"]
    return [weeks[k] for k in sorted(weeks)]


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    category: str
    title: str


WIDTH, HEIGHT = 640, 240
PHONE_SCALE = 0.85
LEFT, RIGHT, TOP, BOTTOM = 34, 40, 12, 34


def chart_geometry(weeks: list[Week], *, threshold: float | None = 90.0) -> dict:
    """Shapes for the template: stacked bars (signs per week by category), the attendance
    rate as a polyline on a 0-100% axis at the right, axis ticks and week labels."""
    n = max(len(weeks), 1)
    # Few weeks make a narrower drawing, so that on a phone (where it is scaled down to the
    # screen) its text stays readable; many weeks scroll sideways instead (see app.css).
    width = min(max(48 * n + LEFT + RIGHT, 360), WIDTH)
    plot_w = width - LEFT - RIGHT
    plot_h = HEIGHT - TOP - BOTTOM
    slot = plot_w / n
    bar_w = max(min(slot * 0.6, 36), 2)
    top_count = max([w.total_signs for w in weeks] + [4])
    # A round scale: 4, 8, 12 ... so the ticks are whole numbers.
    top_count = ((top_count + 3) // 4) * 4

    def y_count(v: float) -> float:
        return TOP + plot_h - plot_h * v / top_count

    def y_rate(v: float) -> float:
        return TOP + plot_h - plot_h * v / 100.0

    bars: list[Bar] = []
    points: list[tuple[float, float, str]] = []
    labels = []
    for i, week in enumerate(weeks):
        # The week's Monday, short, in the reader's language ("03 Nov", "11/3", "03 nov").
        week_label = date_format(week.starts_on, pgettext("chart week label", "d M"))
        cx = LEFT + slot * i + slot / 2
        base = 0
        for cat in CATEGORY_ORDER:
            value = week.signs[cat.value]
            if value:
                y0, y1 = y_count(base), y_count(base + value)
                bars.append(
                    Bar(
                        x=round(cx - bar_w / 2, 1),
                        y=round(y1, 1),
                        width=round(bar_w, 1),
                        height=round(y0 - y1, 1),
                        category=cat.value,
                        title=_("Week of %(week)s: %(count)s %(category)s")
                        % {"week": week_label, "count": value, "category": cat.label.lower()},
                    )
                )
                base += value
        if week.rate is not None:
            points.append(
                (
                    round(cx, 1),
                    round(y_rate(week.rate), 1),
                    _("Week of %(week)s: attendance %(rate)s%%")
                    % {"week": week_label, "rate": percent(week.rate)},
                )
            )
        # Label every week when there are few, else every second or third, so that labels
        # never overlap, counting from the newest week (the one a reader looks for).
        step = 1 if n <= 8 else 2 if n <= 16 else 3
        if (n - 1 - i) % step == 0:
            labels.append((round(cx, 1), week_label))
    # Holidays: a gap of more than a week between two school weeks is drawn as a break (the
    # chart does not pretend the weeks are consecutive), and a week with fewer than five
    # school days (a closure, the start or end of a term) says so.
    breaks = []
    for i in range(1, len(weeks)):
        gap = (weeks[i].starts_on - weeks[i - 1].starts_on).days // 7 - 1
        if gap > 0:
            x = round(LEFT + slot * i, 1)
            what = ngettext(
                "%(count)s week without school (holiday)",
                "%(count)s weeks without school (holiday)",
                gap,
            ) % {"count": gap}
            breaks.append({"x": x, "weeks": gap, "title": what})
    short = [
        {
            "x": round(LEFT + slot * i + slot / 2, 1),
            "days": w.school_days,
            "title": ngettext(
                "Week of %(week)s: %(count)s school day (closure or holiday)",
                "Week of %(week)s: %(count)s school days (closure or holiday)",
                w.school_days,
            )
            % {
                "week": date_format(w.starts_on, pgettext("chart week label", "d M")),
                "count": w.school_days,
            },
        }
        for i, w in enumerate(weeks)
        if w.school_days < 5
    ]
    count_ticks = [
        (round(y_count(v), 1), v) for v in range(0, top_count + 1, max(top_count // 4, 1))
    ]
    rate_ticks = [(round(y_rate(v), 1), v) for v in (0, 50, 100)]
    return {
        "width": width,
        # On a wide screen a narrow drawing is not blown up past about 1.3 times its size.
        "size": "s" if width <= 420 else "m" if width <= 540 else "l",
        "height": HEIGHT,
        "left": LEFT,
        "right": width - RIGHT,
        "top": TOP,
        "bottom": TOP + plot_h,
        "bars": bars,
        "line": " ".join(f"{x},{y}" for x, y, _ in points),
        "dots": points,
        "labels": labels,
        "label_y": TOP + plot_h + 16,
        "count_ticks": count_ticks,
        "rate_ticks": rate_ticks,
        "threshold_y": round(y_rate(threshold), 1) if threshold is not None else None,
        "threshold": threshold,
        "weeks": weeks,
        "breaks": breaks,
        "short_weeks": short,
        # On a phone the drawing keeps at least this width (its own scale x 0.85), so its
        # 13-unit text is never under 11 px; a wider one scrolls sideways in its box.
        "phone_width": round(width * PHONE_SCALE),
        "categories": [(c.value, c.label) for c in CATEGORY_ORDER],
        "empty": not weeks,
    }
