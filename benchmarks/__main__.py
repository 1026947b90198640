"""Run the benchmarks: `python -m benchmarks [module ...]`.

Prints every figure, then the targets table (every row of it that the modules run measured),
with the load average at the start and the end: the machine is shared, and figures are read
with the load they were measured under.
"""

from __future__ import annotations

import datetime as dt
import importlib
import sys

from . import setup

# In the order of the targets table; `api` is also `make bench-api` on its own; `fanout`
# reuses the district `evaluate` seeded.
MODULES = ["evaluate", "fanout", "preview", "backtest", "notice", "api", "import_csv"]


def main(argv: list[str]) -> int:
    names = argv or MODULES
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        raise SystemExit(f"No such benchmark: {', '.join(unknown)} (have {', '.join(MODULES)}).")
    start_load = setup.load_average()
    print(f"load average at the start: {start_load}", flush=True)
    setup.django_with_fresh_database()
    targets: list[setup.Target] = []
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        print(f"== {getattr(module, 'TITLE', name)}", flush=True)
        figures = module.run()
        targets += figures.pop("targets", [])
        for key, value in figures.items():
            print(f"   {key}: {value}", flush=True)
    end_load = setup.load_average()
    print("\n== Targets")
    width = max((len(t.figure) for t in targets), default=0)
    for t in targets:
        print(f"   {t.figure:<{width}}  {t.measured}  (target {t.target}: {t.verdict})")
    print(f"load average at the start: {start_load}; at the end: {end_load}", flush=True)
    record_targets(targets, start_load, end_load)
    return 0


def record_targets(targets: list[setup.Target], start_load: str, end_load: str) -> None:
    """Rewrite the targets section: the rows measured now replace theirs, the others stay (a
    run of one module leaves the other rows as they were last measured)."""
    rows: dict[str, str] = {}
    for line in setup.section("targets").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 5 and cells[0] not in ("figure", "---"):
            rows[cells[0]] = line
    today = dt.date.today().isoformat()
    for t in targets:
        rows[t.figure] = (
            f"| {t.figure} | {t.measured} | {t.target} | {t.verdict} "
            f"| {today}, load {start_load} -> {end_load} |"
        )
    body = "\n".join(rows.values())  # rows keep their place; new ones go last
    setup.record(
        "targets",
        f"""
## Targets

Each row as printed by the last `make bench` that measured it, with the day of that run and
its load average (1, 5 and 15 minutes) at its start and its end: rows from different runs
were measured under different loads.

| figure | measured | target | | measured on, load |
|---|---|---|---|---|
{body}
""",
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
