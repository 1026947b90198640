"""Install the default rules for schools that existed before alerts did.

A frozen copy of alerts/defaults.py as it was when this migration was written: a later edit of
the defaults must not change what this migration did.
"""

from django.db import migrations

WITHDRAWAL = [
    "ISOLATION",
    "REFUSES_CONTACT",
    "DISTRESS",
    "LOW_MOTIVATION",
    "SELF_CARE",
    "DIGITAL_ESCAPE",
]

DEFAULT_RULES = [
    {
        "key": "persistent_withdrawal",
        "name": "Persistent withdrawal",
        "description": (
            "At least 2 observations of withdrawal signs in each of 3 school weeks in a row, "
            "at least 2 different signs over the three weeks, seen by at least 2 members of "
            "staff."
        ),
        "kind": "sign_pattern",
        "signs": WITHDRAWAL,
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
        "name": "Avoiding school",
        "description": (
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
        "name": "Irregular sleep",
        "description": (
            "Late, or asleep or exhausted in class, on at least 3 days in each of 2 school "
            "weeks in a row. Late marks in the register count."
        ),
        "kind": "sign_pattern",
        "signs": ["LATE", "FATIGUE"],
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


def install(apps, schema_editor):
    School = apps.get_model("schools", "School")
    WarningRule = apps.get_model("alerts", "WarningRule")
    for school in School.objects.all():
        for spec in DEFAULT_RULES:
            if not WarningRule.objects.filter(school=school, key=spec["key"]).exists():
                WarningRule.objects.create(school=school, **spec)


def uninstall(apps, schema_editor):
    WarningRule = apps.get_model("alerts", "WarningRule")
    WarningRule.objects.filter(key__in=[r["key"] for r in DEFAULT_RULES], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("alerts", "0001_initial"),
        ("schools", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
