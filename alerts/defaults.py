"""The default rules of WARNING_SIGNS.md, as plain data (docs/RULES.md explains each).

alerts.services.rules_install_defaults installs these for a new school. Names and
descriptions are stored in English, as the source text; the pages show them in the reader's
language while a school has not renamed them (alerts.rule_text.stock_text). The data migration
0002_default_rules carries its own frozen copy, as migrations should.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_noop as _

from schools.signs import Sign

WITHDRAWAL_SIGN_CODES = [
    Sign.ISOLATION.value,
    Sign.REFUSES_CONTACT.value,
    Sign.DISTRESS.value,
    Sign.LOW_MOTIVATION.value,
    Sign.SELF_CARE.value,
    Sign.DIGITAL_ESCAPE.value,
]

DEFAULT_RULES: list[dict[str, Any]] = [
    {
        "key": "persistent_withdrawal",
        "name": _("Persistent withdrawal"),
        "description": _(
            "At least 2 observations of withdrawal signs in each of 3 school weeks in a row, "
            "at least 2 different signs over the three weeks, seen by at least 2 members of "
            "staff."
        ),
        "kind": "sign_pattern",
        "signs": WITHDRAWAL_SIGN_CODES,
        "count_unit": "observations",
        "use_register": False,
        "window_days": 5,
        "min_events_per_window": 2,
        "min_distinct_signs": 2,
        "min_distinct_observers": 2,
        "consecutive_windows": 3,
        "attendance_threshold": None,
        "severity": "medium",
    },
    {
        "key": "avoiding_school",
        "name": _("Avoiding school"),
        "description": _(
            # xgettext:no-python-format
            "Attended fewer than 90% of possible sessions in each of the last 4 school weeks "
            "(the persistent-absence line)."
        ),
        "kind": "attendance_rate",
        "signs": [],
        "count_unit": "observations",
        "use_register": True,
        "window_days": 5,
        "min_events_per_window": 1,
        "min_distinct_signs": 0,
        "min_distinct_observers": 0,
        "consecutive_windows": 4,
        "attendance_threshold": "90.00",
        "severity": "medium",
    },
    {
        "key": "irregular_sleep",
        "name": _("Irregular sleep"),
        "description": _(
            "Late, or asleep or exhausted in class, on at least 3 days in each of 2 school "
            "weeks in a row. Late marks in the register count."
        ),
        "kind": "sign_pattern",
        "signs": [Sign.LATE.value, Sign.FATIGUE.value],
        "count_unit": "days",
        "use_register": True,
        "window_days": 5,
        "min_events_per_window": 3,
        "min_distinct_signs": 1,
        "min_distinct_observers": 1,
        "consecutive_windows": 2,
        "attendance_threshold": None,
        "severity": "low",
    },
]
