"""The development error page (DEBUG on) shows settings, the request's environment and each
frame's variables; none of it may show the broker's or the cache's password."""

from __future__ import annotations

import sys

import pytest
from django.test import RequestFactory
from django.views.debug import ExceptionReporter

# The page also shows the source lines around each frame: the passwords are put together at
# run time, so that this file's own text is not what the test finds.
SECRETS = [
    "-".join(("broker", "pw", "1")),
    "-".join(("cache", "pw", "2")),
    "-".join(("db", "pw", "3")),
]
BROKER = f"redis://:{SECRETS[0]}@redis.internal:6379/0"
CACHE = f"redis://cache-user:{SECRETS[1]}@redis.internal:6379/1"
DATABASE = f"postgres://app:{SECRETS[2]}@db.internal:5432/early_warning"


def _connect(url: str):
    raise ConnectionError("the broker did not answer")


@pytest.fixture
def error_page(settings):
    settings.DEBUG = True
    settings.CELERY_BROKER_URL = BROKER
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE}
    }
    # Under runserver the process environment is part of request.META.
    request = RequestFactory().get(
        "/cases/", CELERY_BROKER_URL=BROKER, CACHE_URL=CACHE, DATABASE_URL=DATABASE
    )
    try:
        broker_options = {"url": BROKER}  # a frame variable holding the URL  # noqa: F841
        _connect(BROKER)
    except ConnectionError:
        reporter = ExceptionReporter(request, *sys.exc_info())
    return reporter.get_traceback_html() + reporter.get_traceback_text()


def test_no_password_of_a_url_is_shown(error_page):
    assert "CELERY_BROKER_URL" in error_page and "DATABASE_URL" in error_page
    for secret in SECRETS:
        assert secret not in error_page


def test_the_rest_of_the_url_is_still_shown(error_page):
    # What one needs to see when a connection fails: which host, which database.
    assert "redis://:********************@redis.internal:6379/0" in error_page
    assert "cache-user:********************@redis.internal:6379/1" in error_page
