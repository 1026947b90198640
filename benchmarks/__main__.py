"""Run the benchmarks: `python -m benchmarks [module ...]`."""

from __future__ import annotations

import importlib
import pkgutil
import sys

from . import setup


def main(argv: list[str]) -> int:
    setup.django_with_fresh_database()
    import benchmarks

    names = argv or sorted(
        m.name for m in pkgutil.iter_modules(benchmarks.__path__) if m.name not in ("setup",)
    )
    for name in names:
        module = importlib.import_module(f"benchmarks.{name}")
        if not hasattr(module, "run"):
            continue
        print(f"== {getattr(module, 'TITLE', name)}", flush=True)
        for key, value in module.run().items():
            print(f"   {key}: {value}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
