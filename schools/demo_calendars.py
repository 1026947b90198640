"""The demo schools' calendars, placed around the day the demo is made: the English demo's two
terms around today; a Japanese school year (April to March, three terms, the summer break, the
national holidays); an Italian one (mid-September to early June, two quadrimestri, the
Christmas and Easter breaks, the national holidays)."""

from __future__ import annotations

import datetime as dt


def monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def demo_calendar(today: dt.date) -> tuple[list[tuple[str, dt.date, dt.date]], list[dt.date]]:
    """Two terms around `today` with a one-week break between, and one closure day."""
    this_monday = monday(today)
    term1 = (
        "First half",
        this_monday - dt.timedelta(weeks=16),
        this_monday - dt.timedelta(weeks=7, days=3),
    )
    term2 = (
        "Second half",
        this_monday - dt.timedelta(weeks=6),
        this_monday + dt.timedelta(weeks=8, days=4),
    )
    closure = this_monday - dt.timedelta(weeks=3) + dt.timedelta(days=2)  # a Wednesday
    return [term1, term2], [closure]


Calendar = tuple[list[tuple[str, dt.date, dt.date]], list[tuple[dt.date, str]]]


def english_calendar(today: dt.date) -> Calendar:
    terms, closures = demo_calendar(today)
    return terms, [(day, "Staff training day") for day in closures]


def _weekday_on_or_after(day: dt.date) -> dt.date:
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def _nth_monday(year: int, month: int, n: int) -> dt.date:
    first = dt.date(year, month, 1)
    return first + dt.timedelta(days=(7 - first.weekday()) % 7 + 7 * (n - 1))


def japanese_calendar(today: dt.date) -> Calendar:
    """The school year in which `today` falls and the one before: April to March, three terms
    (1学期 April-July, 2学期 September-December, 3学期 January-March), the summer break from
    late July to the end of August, and the national holidays that fall in term."""
    year = today.year if today.month >= 4 else today.year - 1
    terms, closures = [], []
    for y in (year - 1, year):
        terms += [
            (f"{y}年度 1学期", _weekday_on_or_after(dt.date(y, 4, 7)), dt.date(y, 7, 19)),
            (f"{y}年度 2学期", _weekday_on_or_after(dt.date(y, 9, 1)), dt.date(y, 12, 24)),
            (f"{y}年度 3学期", _weekday_on_or_after(dt.date(y + 1, 1, 8)), dt.date(y + 1, 3, 24)),
        ]
        closures += [
            (dt.date(y, 4, 29), "昭和の日"),
            (dt.date(y, 5, 3), "憲法記念日"),
            (dt.date(y, 5, 4), "みどりの日"),
            (dt.date(y, 5, 5), "こどもの日"),
            (_nth_monday(y, 7, 3), "海の日"),
            (_nth_monday(y, 9, 3), "敬老の日"),
            (_nth_monday(y, 10, 2), "スポーツの日"),
            (dt.date(y, 11, 3), "文化の日"),
            (dt.date(y, 11, 23), "勤労感謝の日"),
            (_nth_monday(y + 1, 1, 2), "成人の日"),
            (dt.date(y + 1, 2, 11), "建国記念の日"),
            (dt.date(y + 1, 2, 23), "天皇誕生日"),
        ]
    return terms, closures


def _easter(year: int) -> dt.date:
    """Easter Sunday (the Gregorian computus of Meeus, Jones and Butcher)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    n = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * n) // 451
    month, day = divmod(h + n - 7 * m + 114, 31)
    return dt.date(year, month, day + 1)


def italian_calendar(today: dt.date) -> Calendar:
    """The school year in which `today` falls and the one before: mid-September to early
    June in two periods (quadrimestri) around the Christmas break, with the Easter break and
    the national holidays that fall in term."""
    year = today.year if today.month >= 9 else today.year - 1
    terms, closures = [], []
    for y in (year - 1, year):
        terms += [
            (
                f"{y}/{y + 1} primo quadrimestre",
                _weekday_on_or_after(dt.date(y, 9, 15)),
                dt.date(y, 12, 22),
            ),
            (
                f"{y}/{y + 1} secondo quadrimestre",
                _weekday_on_or_after(dt.date(y + 1, 1, 7)),
                dt.date(y + 1, 6, 6),
            ),
        ]
        easter = _easter(y + 1)
        closures += [
            (dt.date(y, 11, 1), "Ognissanti"),
            (dt.date(y, 12, 8), "Immacolata Concezione"),
            *((easter + dt.timedelta(days=d), "Vacanze di Pasqua") for d in (-3, -2, -1, 1, 2)),
            (dt.date(y + 1, 4, 25), "Festa della Liberazione"),
            (dt.date(y + 1, 5, 1), "Festa dei lavoratori"),
            (dt.date(y + 1, 6, 2), "Festa della Repubblica"),
        ]
    return terms, closures
