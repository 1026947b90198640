"""Settings of the gunicorn that `make bench-api` measures: the project's own, with one more
URL (benchmarks/server_urls.py). Never used outside the benchmark."""

from core.settings import *  # noqa: F403

ROOT_URLCONF = "benchmarks.server_urls"
