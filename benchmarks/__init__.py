"""Benchmarks, run by `make bench` (python -m benchmarks). Each module with a `run()` is one.

A benchmark module defines `run() -> dict` and, optionally, `TITLE`. The runner sets Django up
against a fresh database (DATABASE_URL; `make bench` points it at <test database>_bench), runs
the modules in name order (or the ones named on the command line), and each module writes its
own figures into its own marked section of docs/PERFORMANCE.md.
"""
