from __future__ import annotations

import pytest

# The page tests' logged-in clients, for the account pages tested here.
from tests.web.conftest import as_user, case_a, case_b  # noqa: F401


@pytest.fixture(autouse=True)
def _fast_password_hasher(settings):
    # Every named user gets a hashed password from the factory; the default hasher costs
    # ~0.25 s each, which is most of a permission test's time and proves nothing here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_terminal_summary(terminalreporter):
    """The schemathesis run's figures, when it ran: operations and requests sent."""
    import sys

    module = sys.modules.get("tests.core.test_api_schema_fuzz")
    if module is not None and module.schemathesis_stats:
        terminalreporter.write_line(module.pytest_schemathesis_summary())
