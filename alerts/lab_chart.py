"""The precision/recall frontier of a sweep, drawn as inline SVG on the server like the
evidence chart (alerts/charts.py): recall across, precision up, one point per value of the
swept parameter, joined in the order of the values. No script, no outside service."""

from __future__ import annotations

from django.utils.translation import gettext

from .backtest import SWEEPS

# The swept parameters in the reader's language, by the keys of alerts.backtest.SWEEPS (a
# backtest's result keeps the English copy).
SWEEP_LABELS = {name: label for name, (label, _values) in SWEEPS.items()}


def sweep_label(sweep: dict | None) -> str:
    """The label of a backtest's sweep in the reader's language (the stored one if unknown)."""
    sweep = sweep or {}
    return str(SWEEP_LABELS.get(sweep.get("parameter", ""), sweep.get("label", "")))


WIDTH, HEIGHT = 420, 316
LEFT, RIGHT, TOP, BOTTOM = 46, 16, 30, 40


def frontier_geometry(sweep: dict | None) -> dict:
    """Shapes for templates/includes/frontier_chart.html from a backtest's `sweep`."""
    points = [p for p in (sweep or {}).get("points", []) if p["precision"] is not None]
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(recall: float) -> float:
        return round(LEFT + plot_w * recall, 1)

    def y(precision: float) -> float:
        return round(TOP + plot_h - plot_h * precision, 1)

    label = sweep_label(sweep)
    dots = [
        {
            "x": x(p["recall"] or 0.0),
            "y": y(p["precision"]),
            "label": p["value"],
            "current": p.get("current", False),
            "title": gettext(
                "%(label)s %(value)s: precision %(precision)s, recall %(recall)s, "
                "%(flagged)s flagged"
            )
            % {
                "label": label,
                "value": p["value"],
                "precision": f"{p['precision']:.0%}",
                "recall": f"{(p['recall'] or 0):.0%}",
                "flagged": p["flagged"],
            },
        }
        for p in points
    ]
    # Values that land on the same point share one label ("5, 6, 7"), drawn once.
    labels: dict[tuple[float, float], list[str]] = {}
    for d in dots:
        labels.setdefault((d["x"], d["y"]), []).append(d["label"])
    ticks = [0, 0.25, 0.5, 0.75, 1.0]
    return {
        "empty": not dots,
        "width": WIDTH,
        "height": HEIGHT,
        "left": LEFT,
        "right": WIDTH - RIGHT,
        "top": TOP,
        "bottom": TOP + plot_h,
        "line": " ".join(f"{d['x']},{d['y']}" for d in dots),
        "dots": dots,
        "labels": [(x, y, gettext(", ").join(values)) for (x, y), values in labels.items()],
        "x_ticks": [(x(t), f"{t:.0%}") for t in ticks],
        "y_ticks": [(y(t), f"{t:.0%}") for t in ticks],
        "x_label_y": TOP + plot_h + 32,
        "label": label,
        "points": (sweep or {}).get("points", []),
    }
